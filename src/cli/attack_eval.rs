//! `visage face attack-eval`: the accepted share of each attack species
//! (APCER) and of bona fide answers (BPCER), as `biometrics::attack`
//! synthesises and the server's own examination judges them; then the
//! passive model alone on prints and screens of the others' photos.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use image::RgbImage;
use serde_json::json;

use crate::biometrics::attack::{self, Clip, Species};
use crate::biometrics::detect::Face;
use crate::biometrics::{image_in, recapture, FaceEngine};

/// The images of a folder (JPEG, PNG, WebP), by name.
pub(super) fn images(dir: &Path) -> anyhow::Result<Vec<(PathBuf, RgbImage)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            ["jpg", "jpeg", "png", "webp"].contains(&ext.to_ascii_lowercase().as_str())
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let img = image_in::decode(&super::face::read(&p)?)
                .with_context(|| format!("{}", p.display()))?;
            Ok((p, img))
        })
        .collect()
}

/// The frames of a folder sorted into facing and turned (`Clip`).
pub(super) fn clip(e: &FaceEngine, dir: &Path) -> anyhow::Result<Clip> {
    let frames = images(dir)?.into_iter().map(|(_, i)| i).collect();
    Clip::from_frames(e, frames).with_context(|| format!("{}", dir.display()))
}

pub fn run(
    e: &FaceEngine,
    clip_dir: &Path,
    others_dir: Option<&Path>,
    (trials, only): (usize, &[Species]),
    as_json: bool,
) -> anyhow::Result<()> {
    if trials == 0 {
        bail!("--trials must be at least 1");
    }
    let clip = clip(e, clip_dir)?;
    // Other people's photos with exactly one face; the rest are skipped.
    let mut others: Vec<(RgbImage, Face)> = Vec::new();
    if let Some(dir) = others_dir {
        for (_, img) in images(dir)? {
            if let Ok(a) = e.analyze(&img, false) {
                others.push((img, a.face));
            }
        }
    }
    let rows = attack::evaluate(e, &clip, &others, trials, only)?;
    let frames: Vec<&RgbImage> = clip
        .centre
        .iter()
        .chain(&clip.turned)
        .map(|(img, _)| img)
        .collect();
    let passive = recapture::evaluate(e, &others, &frames)?;
    if as_json {
        println!(
            "{}",
            json!({ "engine": e.describe(), "trials": trials, "others": others.len(), "rows": rows, "passive": passive })
        );
        return Ok(());
    }
    println!(
        "engine: {}\nclip: {} facing, {} turned; others: {}; {trials} answers per species",
        e.describe(),
        clip.centre.len(),
        clip.turned.len(),
        others.len()
    );
    println!(
        "{:<28} {:>9} {:>9}   {:<11}  {:<13}  {:<11}  {:<11}  {:<11}  {:<11}  {:<11}  {:<11}  refused because (most often)",
        "species",
        "accepted",
        "rate",
        "light corr",
        "light spill",
        "bg changed",
        "bg flat",
        "bg moved",
        "room turned",
        "room shape",
        "same person"
    );
    let range = |r: attack::Range| r.map_or("-".to_owned(), |[lo, hi]| format!("{lo:.2}…{hi:.2}"));
    for r in &rows {
        let name = snake_name(r.species);
        let kind = if r.species == Species::BonaFide {
            "BPCER"
        } else {
            "APCER"
        };
        let rate = if r.species == Species::BonaFide {
            1.0 - r.accepted as f64 / r.attempts as f64
        } else {
            r.accepted as f64 / r.attempts as f64
        };
        let (light, spill, changed, flat, moved, turned, shape, same) = (
            range(r.light),
            range(r.spill),
            range(r.changed),
            range(r.flat_changed),
            range(r.after_motion),
            range(r.room_turned),
            range(r.room_reshaped),
            range(r.same_person),
        );
        println!(
            "{name:<28} {:>4}/{:<4} {kind} {:>5.1} %  {light:<11}  {spill:<13}  {changed:<11}  {flat:<11}  {moved:<11}  {turned:<11}  {shape:<11}  {same:<11}  {}",
            r.accepted,
            r.attempts,
            rate * 100.0,
            r.reason.as_deref().unwrap_or("-")
        );
    }
    print_passive(e, &passive);
    Ok(())
}

/// The species named on the command line (none: every species).
pub fn species(names: &[String]) -> anyhow::Result<Vec<Species>> {
    names
        .iter()
        .map(|n| {
            Species::ALL
                .into_iter()
                .find(|s| snake_name(s) == n.trim())
                .with_context(|| {
                    let known: Vec<String> = Species::ALL.into_iter().map(snake_name).collect();
                    format!("no species '{n}' (known: {})", known.join(", "))
                })
        })
        .collect()
}

/// A species' or kind's name as the JSON output spells it.
fn snake_name(v: impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The passive model alone on the photos, their prints and screens, and
/// the clip's frames (`recapture::evaluate`).
fn print_passive(e: &FaceEngine, rows: &[recapture::PassiveRow]) {
    println!(
        "\npassive model alone (threshold {:.2}) on the others' photos, the same photos \
         printed or shown on a screen and photographed (synthesised), and the clip's frames:",
        e.live_threshold
    );
    println!("{:<28} {:>9} {:>9}   scores", "kind", "live", "rate");
    // Without --others only the clip's frames were scored.
    for r in rows.iter().filter(|r| r.attempts > 0) {
        let name = snake_name(r.kind);
        let bona_fide = matches!(
            r.kind,
            recapture::Kind::BonaFidePhoto | recapture::Kind::BonaFideClip
        );
        let (kind, wrong) = if bona_fide {
            ("BPCER", r.attempts - r.accepted)
        } else {
            ("APCER", r.accepted)
        };
        let rate = wrong as f64 / r.attempts as f64;
        let scores = r
            .scores
            .map_or("-".to_owned(), |[lo, hi]| format!("{lo:.3}…{hi:.3}"));
        println!(
            "{name:<28} {:>4}/{:<4} {kind} {:>5.1} %  {scores}",
            r.accepted,
            r.attempts,
            rate * 100.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn species_are_named_as_printed_and_an_unknown_name_is_an_error() {
        let names = ["injected_tilted_still".to_owned(), " two_people".to_owned()];
        assert_eq!(
            species(&names).unwrap(),
            [Species::InjectedTiltedStill, Species::TwoPeople]
        );
        let err = species(&["tilted".to_owned()]).unwrap_err().to_string();
        assert!(
            err.contains("no species 'tilted'") && err.contains("injected_tilted_still"),
            "{err}"
        );
        assert!(
            species(&[]).unwrap().is_empty(),
            "none named: every species"
        );
    }
}

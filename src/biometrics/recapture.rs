//! Prints and screens synthesised from people's photos, scored by the
//! passive liveness model as a check scores its frontal frames (issue 14:
//! `face attack-eval`'s recaptures from the dev photos). A photo cannot
//! answer a challenge's movement or follow its screen light, so these are
//! scored by the passive model alone: what it catches of a recapture
//! before the movement and the light are asked for, on many faces rather
//! than the four samples of `pad-eval`.

use image::{imageops, RgbImage};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::attack::{self, Range};
use super::detect::Face;
use super::engine::FaceEngine;
use super::BiometricError;

/// What was scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The photos as they are (bona fide: a camera's picture of a person).
    BonaFidePhoto,
    /// The clip's frames (bona fide).
    BonaFideClip,
    /// The photo printed on paper and photographed.
    Print,
    /// The photo shown on a screen and photographed.
    Screen,
}

/// One kind's result: faces scored, accepted as live, the scores' range.
#[derive(Debug, Clone, Serialize)]
pub struct PassiveRow {
    pub kind: Kind,
    pub attempts: usize,
    pub accepted: usize,
    pub scores: Range,
}

/// The photo as a print photographed: paper cannot show black or its own
/// white (ink lifts the blacks, the paper tints the whites), its fibres
/// vary the brightness in blotches and grain, and the second camera blurs.
pub fn printed(img: &RgbImage, seed: u64) -> RgbImage {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // Blotches: a coarse random field, smoothed, ±5 % of the brightness.
    let (w, h) = (img.width().max(1), img.height().max(1));
    let coarse = RgbImage::from_fn(w.div_ceil(24), h.div_ceil(24), |_, _| {
        let v: u8 = rng.gen_range(0..=255);
        image::Rgb([v, v, v])
    });
    let blotches = imageops::resize(&coarse, w, h, imageops::FilterType::Triangle);
    let soft = imageops::blur(img, 1.0);
    RgbImage::from_fn(w, h, |x, y| {
        let p = soft.get_pixel(x, y).0;
        let fibre = 1.0 + 0.05 * (f32::from(blotches.get_pixel(x, y).0[0]) / 127.5 - 1.0);
        let grain: f32 = rng.gen_range(-3.0..=3.0);
        let paper = [1.0, 0.97, 0.9];
        let mut out = [0u8; 3];
        for ((o, v), tint) in out.iter_mut().zip(p).zip(paper) {
            let ink = 28.0 + 0.8 * 255.0 * (f32::from(v) / 255.0).powf(0.85);
            *o = (ink * tint * fibre + grain).clamp(0.0, 255.0) as u8;
        }
        image::Rgb(out)
    })
}

/// The photo shown on a screen and photographed (blur, gamma, moiré).
pub fn on_screen(img: &RgbImage) -> RgbImage {
    attack::recaptured(img)
}

/// The passive model's score of the one face in `img` (found again: a
/// synthesised face the detector misses is not scored), detection only.
fn score(engine: &FaceEngine, img: &RgbImage) -> Option<f32> {
    let (face, _) = engine.track(img, false).ok()?;
    engine.live_score(img, &face).ok()
}

/// Score the photos as they are and as prints and screens, and the clip's
/// frames, at the engine's live threshold (`photos` with their faces as
/// found). A synthesised face the detector no longer finds counts as
/// refused (the check would not start).
pub fn evaluate(
    engine: &FaceEngine,
    photos: &[(RgbImage, Face)],
    clip: &[&RgbImage],
) -> Result<Vec<PassiveRow>, BiometricError> {
    let row = |kind: Kind, scores: Vec<Option<f32>>| {
        let found: Vec<f32> = scores.iter().flatten().copied().collect();
        PassiveRow {
            kind,
            attempts: scores.len(),
            accepted: found
                .iter()
                .filter(|s| **s >= engine.live_threshold)
                .count(),
            scores: found.iter().fold(None, |r: Range, s| {
                Some(r.map_or([*s, *s], |[lo, hi]| [lo.min(*s), hi.max(*s)]))
            }),
        }
    };
    let rows = vec![
        row(
            Kind::BonaFidePhoto,
            photos
                .iter()
                .map(|(p, face)| engine.live_score(p, face).ok())
                .collect(),
        ),
        row(
            Kind::BonaFideClip,
            clip.iter().map(|f| score(engine, f)).collect(),
        ),
        row(
            Kind::Print,
            photos
                .iter()
                .enumerate()
                .map(|(i, (p, _))| score(engine, &printed(p, i as u64)))
                .collect(),
        ),
        row(
            Kind::Screen,
            photos
                .iter()
                .map(|(p, _)| score(engine, &on_screen(p)))
                .collect(),
        ),
    ];
    if rows.iter().all(|r| r.attempts == 0) {
        return Err(BiometricError::Challenge("nothing to score".into()));
    }
    Ok(rows)
}

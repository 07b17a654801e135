//! `visage face eval --stress`: the pairs again with each pair's second
//! photo degraded (`biometrics::stress`), error rates at the threshold in
//! use per condition. Photos are first brought to at most 1280 px on their
//! longer side (a webcam frame's size), for the clean row too.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use image::RgbImage;
use serde_json::json;

use crate::biometrics::stress::Condition;
use crate::biometrics::{embed, eval, FaceEngine};

/// The longer side photos are brought down to before any condition.
const MAX_SIDE: u32 = 1280;

fn load(e: &FaceEngine, path: &Path) -> anyhow::Result<RgbImage> {
    let img = e
        .decode(&super::face::read(path)?)
        .with_context(|| format!("{}", path.display()))?;
    let (w, h) = img.dimensions();
    let s = MAX_SIDE as f32 / w.max(h) as f32;
    Ok(if s < 1.0 {
        let (sw, sh) = ((w as f32 * s) as u32, (h as f32 * s) as u32);
        image::imageops::resize(
            &img,
            sw.max(1),
            sh.max(1),
            image::imageops::FilterType::Triangle,
        )
    } else {
        img
    })
}

/// One condition's result at the threshold in use.
struct Row {
    name: &'static str,
    genuine: Vec<f32>,
    impostor: Vec<f32>,
    /// Degraded photos in which no face was found (failure to acquire).
    fta: usize,
    photos: usize,
}

pub fn run(
    e: &FaceEngine,
    pairs: &[(String, String, bool)],
    images: &Path,
    as_json: bool,
) -> anyhow::Result<()> {
    let mut photos: HashMap<&str, RgbImage> = HashMap::new();
    for name in pairs.iter().flat_map(|(a, b, _)| [a.as_str(), b.as_str()]) {
        if !photos.contains_key(name) {
            photos.insert(name, load(e, &images.join(name))?);
        }
    }
    let embed_all = |c: Option<Condition>| -> HashMap<&str, Option<Vec<f32>>> {
        photos
            .iter()
            .map(|(n, img)| {
                let a = match c {
                    Some(c) => e.analyze(&c.apply(img), false),
                    None => e.analyze(img, false),
                };
                (*n, a.ok().map(|a| a.embedding))
            })
            .collect()
    };
    let clean = embed_all(None);
    let score = |name: &'static str, degraded: &HashMap<&str, Option<Vec<f32>>>| {
        let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
        for (a, b, same) in pairs {
            let x = clean.get(a.as_str()).cloned().flatten();
            let y = degraded.get(b.as_str()).cloned().flatten();
            if let (Some(x), Some(y)) = (x, y) {
                let s = embed::cosine(&x, &y);
                if *same {
                    genuine.push(s)
                } else {
                    impostor.push(s)
                }
            }
        }
        let fta = degraded.values().filter(|v| v.is_none()).count();
        Row {
            name,
            genuine,
            impostor,
            fta,
            photos: degraded.len(),
        }
    };
    let mut rows = vec![score("clean", &clean)];
    for c in Condition::ALL {
        rows.push(score(c.name(), &embed_all(Some(c))));
    }
    let t = e.match_threshold;
    let out: Vec<_> = rows
        .iter()
        .map(|r| {
            let (fmr, fnmr) = eval::rates(&r.genuine, &r.impostor, t);
            let median = eval::summary(&r.genuine).median;
            json!({ "condition": r.name, "genuine": r.genuine.len(), "impostor": r.impostor.len(),
                    "failure_to_acquire": r.fta, "photos": r.photos, "fmr": fmr, "fnmr": fnmr,
                    "genuine_median": median })
        })
        .collect();
    if as_json {
        println!("{}", json!({ "stress": out, "threshold": t }));
        return Ok(());
    }
    println!("stress set (second photo of each pair degraded), threshold {t:.3}:");
    println!("  condition        genuine impostor  FTA      FMR     FNMR  genuine median");
    for (r, o) in rows.iter().zip(&out) {
        println!(
            "  {:<15} {:>7} {:>8} {:>2}/{:<3} {:>7.4} {:>8.4}  {:.3}",
            r.name,
            r.genuine.len(),
            r.impostor.len(),
            r.fta,
            r.photos,
            o["fmr"].as_f64().unwrap_or(0.0),
            o["fnmr"].as_f64().unwrap_or(0.0),
            o["genuine_median"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}

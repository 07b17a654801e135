//! `visage face …` and `visage models check`: operator and evaluation tools.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::json;

use super::{EngineArgs, FaceCmd};
use crate::biometrics::engine::MultipleFaces;
use crate::biometrics::manifest::{default_dir, Manifest};
use crate::biometrics::{embed, eval, image_in, Analysis, EngineConfig, FaceEngine};

pub(super) fn engine(args: &EngineArgs, multiple: MultipleFaces) -> anyhow::Result<FaceEngine> {
    engine_on(args, multiple, EngineConfig::default().max_concurrent)
}

/// An engine that runs at most `cores` analyses at once (one check's model
/// runs are spread over that many threads).
pub(super) fn engine_on(
    args: &EngineArgs,
    multiple: MultipleFaces,
    cores: usize,
) -> anyhow::Result<FaceEngine> {
    let dir = args.models_dir.clone().unwrap_or_else(default_dir);
    let cfg = EngineConfig {
        threads: args.threads,
        detector_size: args.detector_size,
        match_threshold: args.match_threshold,
        multiple_faces: multiple,
        graph_level: args.graph_level,
        max_concurrent: cores,
        ..EngineConfig::default()
    };
    Ok(FaceEngine::load(&dir, cfg)?)
}

pub(super) fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() as usize > image_in::MAX_BYTES {
        bail!(
            "{}: {} bytes is over the {} byte limit",
            path.display(),
            meta.len(),
            image_in::MAX_BYTES
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn analyze(e: &FaceEngine, path: &Path, pad: bool) -> anyhow::Result<Analysis> {
    e.analyze_bytes(&read(path)?, pad)
        .with_context(|| format!("{}", path.display()))
}

pub fn models_check(dir: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(default_dir);
    let m = Manifest::load(&dir)?;
    let mut bad = false;
    for s in &m.models {
        let state = match s.verified {
            None => "absent",
            Some(true) => "ok",
            Some(false) => {
                bad = true;
                "CHECKSUM MISMATCH"
            }
        };
        println!(
            "{:<20} {:<9} {:<8} {:<10} {}",
            s.entry.name, s.entry.role, s.entry.set, state, s.entry.file
        );
    }
    if bad {
        bail!("some model files do not match manifest.toml; rerun scripts/models.sh");
    }
    let e = FaceEngine::load(
        &dir,
        EngineConfig {
            max_concurrent: 1,
            ..EngineConfig::default()
        },
    )?;
    println!("in use: {}", e.describe());
    Ok(())
}

pub fn run(cmd: FaceCmd, as_json: bool) -> anyhow::Result<()> {
    match cmd {
        FaceCmd::Check {
            image,
            engine: args,
        } => {
            let e = engine(&args, MultipleFaces::Refuse)?;
            let bytes = read(&image)?;
            let img = image_in::decode(&bytes).with_context(|| format!("{}", image.display()))?;
            let faces = e.detector.detect(&img)?;
            if faces.len() != 1 {
                println!("faces found: {}", faces.len());
            }
            let a = e
                .analyze(&img, true)
                .with_context(|| format!("{}", image.display()))?;
            let live = a.live_score.unwrap_or(0.0);
            let decision = if !a.quality.ok() {
                "retake"
            } else if e.is_live(live) {
                "live"
            } else {
                "attack"
            };
            if as_json {
                println!(
                    "{}",
                    json!({ "faces": a.faces.len(), "face": a.face, "quality": a.quality, "live_score": live, "live_threshold": e.live_threshold, "decision": decision, "engine": e.describe() })
                );
            } else {
                println!("engine: {}", e.describe());
                println!("faces found: {}", a.faces.len());
                let b = a.face.bbox;
                println!(
                    "face: box {:.0},{:.0} {:.0}×{:.0}, detector score {:.3}",
                    b[0], b[1], b[2], b[3], a.face.score
                );
                let q = &a.quality;
                println!("quality: size {:.0}px, sharpness {:.0}, brightness {:.0}, yaw {:.2}, pitch {:.2}: {}", q.face_px, q.sharpness, q.brightness, q.yaw, q.pitch, if q.ok() { "ok".to_owned() } else { q.failures.join("; ") });
                println!("liveness: {live:.3} (threshold {:.2})", e.live_threshold);
                println!("decision: {decision}");
            }
        }
        FaceCmd::Compare {
            image_a,
            image_b,
            engine: args,
        } => {
            let e = engine(&args, MultipleFaces::Refuse)?;
            let (a, b) = (analyze(&e, &image_a, false)?, analyze(&e, &image_b, false)?);
            let sim = embed::cosine(&a.embedding, &b.embedding);
            let verdict = if e.is_match(sim) { "match" } else { "no-match" };
            if as_json {
                println!(
                    "{}",
                    json!({ "similarity": sim, "threshold": e.match_threshold, "decision": verdict })
                );
            } else {
                println!(
                    "similarity: {sim:.4}\nthreshold: {:.4}\ndecision: {verdict}",
                    e.match_threshold
                );
            }
        }
        FaceCmd::Eval {
            pairs,
            images,
            stress,
            engine: args,
        } => {
            eval_cmd(&pairs, &images, &args, as_json)?;
            if stress {
                super::stress_eval::run(
                    &engine(&args, MultipleFaces::Largest)?,
                    &read_pairs(&pairs)?,
                    &images,
                    as_json,
                )?;
            }
        }
        FaceCmd::PadEval {
            dir,
            bona_fide,
            attacks,
            engine: args,
        } => pad_eval(&dir, &bona_fide, &attacks, &args, as_json)?,
        FaceCmd::Bench {
            images,
            clip,
            rounds,
            engine: args,
        } => super::bench::run(&images, clip.as_deref(), rounds, &args)?,
        FaceCmd::AttackEval {
            clip,
            others,
            trials,
            species,
            engine: args,
        } => {
            let e = engine(&args, MultipleFaces::Refuse)?;
            let only = super::attack_eval::species(&species)?;
            super::attack_eval::run(&e, &clip, others.as_deref(), (trials, &only), as_json)?
        }
    }
    Ok(())
}

/// The rows of a pairs CSV (`a,b,same` with a header): (a, b, genuine).
pub(super) fn read_pairs(pairs: &Path) -> anyhow::Result<Vec<(String, String, bool)>> {
    let text = std::fs::read_to_string(pairs)
        .with_context(|| format!("cannot read {}", pairs.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        match f.as_slice() {
            [a, b, same] => rows.push((a.to_string(), b.to_string(), *same == "1")),
            [] | [""] => {}
            _ => bail!("{}:{}: expected a,b,same", pairs.display(), i + 1),
        }
    }
    Ok(rows)
}

fn eval_cmd(pairs: &Path, images: &Path, args: &EngineArgs, as_json: bool) -> anyhow::Result<()> {
    let e = engine(args, MultipleFaces::Largest)?;
    let rows = read_pairs(pairs)?;
    let mut emb: HashMap<String, Option<Vec<f32>>> = HashMap::new();
    let mut failed = Vec::new();
    for name in rows.iter().flat_map(|r| [r.0.clone(), r.1.clone()]) {
        if emb.contains_key(&name) {
            continue;
        }
        let v = match analyze(&e, &images.join(&name), false) {
            Ok(a) => Some(a.embedding),
            Err(err) => {
                failed.push(format!("{name}: {err:#}"));
                None
            }
        };
        emb.insert(name, v);
    }
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    let mut skipped = 0;
    for (a, b, same) in &rows {
        match (emb.get(a).cloned().flatten(), emb.get(b).cloned().flatten()) {
            (Some(x), Some(y)) => {
                let s = embed::cosine(&x, &y);
                if *same {
                    genuine.push(s)
                } else {
                    impostor.push(s)
                }
            }
            _ => skipped += 1,
        }
    }
    if genuine.is_empty() || impostor.is_empty() {
        bail!("need both genuine and impostor pairs with detectable faces");
    }
    let (eer, eer_t) = eval::eer(&genuine, &impostor);
    let ops: Vec<_> = [1e-2, 1e-3, 1e-4]
        .iter()
        .map(|t| eval::at_fmr(&genuine, &impostor, *t))
        .collect();
    let (fm, fnm) = eval::rates(&genuine, &impostor, e.match_threshold);
    let fit = eval::fit_impostors(&impostor);
    // (target FMR, threshold the fit gives for it, FNMR there).
    let fitted: Vec<(f64, f32, f64)> = [1e-3, 5e-4, 1e-4]
        .into_iter()
        .map(|t| {
            let th = fit.threshold(t);
            (t, th, eval::rates(&genuine, &impostor, th).1)
        })
        .collect();
    if as_json {
        println!(
            "{}",
            json!({ "engine": e.describe(), "genuine": eval::summary(&genuine), "impostor": eval::summary(&impostor), "eer": eer, "eer_threshold": eer_t, "operating_points": ops, "impostor_fit": { "mean": fit.mean, "sd": fit.sd, "points": fitted.iter().map(|(t, th, fnmr)| json!({ "target_fmr": t, "threshold": th, "fnmr": fnmr })).collect::<Vec<_>>() }, "shipped_threshold": { "threshold": e.match_threshold, "fmr": fm, "fitted_fmr": fit.fmr(e.match_threshold), "fnmr": fnm }, "failed_images": failed, "skipped_pairs": skipped })
        );
        return Ok(());
    }
    println!("engine: {}", e.describe());
    println!(
        "pairs: {} genuine, {} impostor ({skipped} skipped: face not found)",
        genuine.len(),
        impostor.len()
    );
    for f in &failed {
        println!("  failure to acquire: {f}");
    }
    for (label, s) in [
        ("genuine", eval::summary(&genuine)),
        ("impostor", eval::summary(&impostor)),
    ] {
        println!("{label:<9} n={:<4} min {:.3}  p05 {:.3}  median {:.3}  p95 {:.3}  max {:.3}  mean {:.3}", s.n, s.min, s.p05, s.median, s.p95, s.max, s.mean);
    }
    println!("ROC (threshold: FMR / FNMR):");
    for (t, fm, fnm) in eval::roc(&genuine, &impostor, 12) {
        println!("  {t:>6.2}: {fm:.4} / {fnm:.4}");
    }
    println!("EER: {:.4} at threshold {eer_t:.3}", eer);
    for op in &ops {
        let note = if op.supported {
            String::new()
        } else {
            format!(
                "  (not supported: {} impostor pairs < {:.0} needed)",
                impostor.len(),
                3.0 / op.target_fmr
            )
        };
        println!(
            "FMR ≤ {:.0e}: threshold {:.3}, FMR {:.4}, FNMR {:.4}{note}",
            op.target_fmr, op.threshold, op.fmr, op.fnmr
        );
    }
    println!(
        "impostor tail fitted (normal, mean {:.3}, sd {:.3}):",
        fit.mean, fit.sd
    );
    for (t, th, fnm) in &fitted {
        println!("  FMR ≈ {t:.0e}: threshold {th:.3}, FNMR {fnm:.4}");
    }
    println!(
        "threshold in use {:.3}: FMR {fm:.4} (fitted ≈ {:.1e}), FNMR {fnm:.4}",
        e.match_threshold,
        fit.fmr(e.match_threshold)
    );
    Ok(())
}

fn pad_eval(
    dir: &Path,
    bona: &[String],
    attacks: &[String],
    args: &EngineArgs,
    as_json: bool,
) -> anyhow::Result<()> {
    let e = engine(args, MultipleFaces::Largest)?;
    let score = |f: &str| -> anyhow::Result<f32> {
        Ok(analyze(&e, &dir.join(f), true)?.live_score.unwrap_or(0.0))
    };
    let mut bona_scores = Vec::new();
    for f in bona {
        bona_scores.push((f.clone(), score(f)?));
    }
    let mut species: HashMap<String, Vec<(String, f32)>> = HashMap::new();
    for a in attacks {
        let (sp, files) = a
            .split_once('=')
            .with_context(|| format!("--attack '{a}' must be SPECIES=FILE[,FILE]"))?;
        for f in files.split(',') {
            species
                .entry(sp.to_owned())
                .or_default()
                .push((f.to_owned(), score(f)?));
        }
    }
    let t = e.live_threshold;
    let bpcer =
        bona_scores.iter().filter(|(_, s)| *s < t).count() as f64 / bona_scores.len().max(1) as f64;
    let mut names: Vec<&String> = species.keys().collect();
    names.sort();
    let apcer: Vec<(String, f64, usize)> = names
        .iter()
        .map(|n| {
            let v = species.get(*n).map_or(&[][..], Vec::as_slice);
            (
                (*n).clone(),
                v.iter().filter(|(_, s)| *s >= t).count() as f64 / v.len().max(1) as f64,
                v.len(),
            )
        })
        .collect();
    if as_json {
        println!(
            "{}",
            json!({ "engine": e.describe(), "threshold": t, "bpcer": bpcer, "bona_fide": bona_scores, "apcer": apcer, "attacks": species })
        );
        return Ok(());
    }
    println!("engine: {}\nlive threshold: {t:.2}", e.describe());
    for (f, s) in &bona_scores {
        println!("  bona fide {f}: live {s:.3}");
    }
    for n in &names {
        for (f, s) in species.get(*n).into_iter().flatten() {
            println!("  attack ({n}) {f}: live {s:.3}");
        }
    }
    println!(
        "BPCER: {bpcer:.3} ({} bona fide samples)",
        bona_scores.len()
    );
    for (n, r, count) in apcer {
        println!("APCER {n}: {r:.3} ({count} samples)");
    }
    Ok(())
}

pub(super) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

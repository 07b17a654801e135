//! `visage face bench`: per stage and per frame at 1 thread, each model's
//! own inference time beside the pipeline (the ratio is what the code around
//! the models costs), a whole challenge as the server examines it, and
//! throughput on all threads.

use std::path::Path;
use std::time::Instant;

use anyhow::bail;

use super::attack_eval::images;
use super::face::{engine, engine_on, median};
use super::EngineArgs;
use crate::biometrics::answer::{self, Thresholds};
use crate::biometrics::attack;
use crate::biometrics::challenge::{self, Action, Capture};
use crate::biometrics::engine::MultipleFaces;
use crate::biometrics::{align, embed, image_in, FaceEngine};

pub fn run(
    dir: &Path,
    clip: Option<&Path>,
    rounds: usize,
    args: &EngineArgs,
) -> anyhow::Result<()> {
    let imgs: Vec<_> = images(dir)?.into_iter().map(|(_, i)| i).collect();
    if imgs.is_empty() {
        bail!("no JPEG/PNG/WebP images in {}", dir.display());
    }
    // Frames as a camera would send them: 640 px on the long side.
    let frames: Vec<_> = imgs
        .iter()
        .map(|i| {
            let s = 640.0 / i.width().max(i.height()) as f32;
            image::imageops::resize(
                i,
                (i.width() as f32 * s) as u32,
                (i.height() as f32 * s) as u32,
                image::imageops::FilterType::Triangle,
            )
        })
        .collect();
    let e = engine(
        &EngineArgs {
            threads: 1,
            ..args.clone()
        },
        MultipleFaces::Largest,
    )?;
    // …and sent as the page sends them: JPEG at quality 85 (static/face.js).
    let sent = frames
        .iter()
        .map(|f| {
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(f)?;
            Ok(out)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (mut dec, mut det, mut al, mut em, mut pad, mut total) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let before: Vec<f64> = e.frame_models().iter().map(|p| p.spent_ms()).collect();
    for _ in 0..rounds.max(1) {
        for bytes in &sent {
            let start = Instant::now();
            let f = &image_in::decode(bytes)?;
            let t0 = Instant::now();
            let Some(face) = e.detector.detect(f)?.into_iter().next() else {
                continue;
            };
            let t1 = Instant::now();
            let aligned = align::align(f, &face.landmarks);
            let t2 = Instant::now();
            embed::embed(&e.embedder, &aligned)?;
            let t3 = Instant::now();
            e.pad.live_score(f, &face)?;
            let t4 = Instant::now();
            let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
            dec.push(ms(start, t0));
            det.push(ms(t0, t1));
            al.push(ms(t1, t2));
            em.push(ms(t2, t3));
            pad.push(ms(t3, t4));
            total.push(ms(start, t4));
        }
    }
    println!(
        "engine: {}; {} frames (640 px long side) × {rounds} rounds",
        e.describe(),
        frames.len()
    );
    println!(
        "1 thread, median ms: decode {:.2}, detect {:.2}, align {:.2}, embed {:.2}, pad {:.2}, per frame {:.2}",
        median(&mut dec),
        median(&mut det),
        median(&mut al),
        median(&mut em),
        median(&mut pad),
        median(&mut total)
    );
    // Each model's own inference time (inside its session's run, real
    // frames, this same pass) beside the pipeline: the rest is what the
    // code around the models costs.
    let n = total.len().max(1) as f64;
    let mut own = 0.0;
    let mut parts = Vec::new();
    for (p, b) in e.frame_models().into_iter().zip(before) {
        let ms = (p.spent_ms() - b) / n;
        own += ms;
        parts.push(format!("{} {ms:.2} ({})", p.name, p.level.as_str()));
    }
    let frame = total.iter().sum::<f64>() / n;
    println!(
        "models' own inference, mean ms per frame (graph level): {}; sum {own:.2}",
        parts.join(", ")
    );
    println!(
        "per frame / models' own: {:.2} ({frame:.2} / {own:.2} ms, means)",
        frame / own.max(1e-9)
    );
    if let Some(clip) = clip {
        // As the server runs it (the check's model runs spread over the
        // cores), then on one core (the whole work of a check, one run
        // after the other).
        challenge(&e, clip, rounds)?;
        let one = engine_on(
            &EngineArgs {
                threads: 1,
                ..args.clone()
            },
            MultipleFaces::Largest,
            1,
        )?;
        challenge(&one, clip, rounds)?;
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let n = frames.len() * rounds.max(1);
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..workers {
            let (e, frames) = (&e, &frames);
            s.spawn(move || {
                for i in (w..n).step_by(workers) {
                    if let Some(f) = frames.get(i % frames.len().max(1)) {
                        let _ = e.analyze(f, true);
                    }
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{workers} threads: {:.1} frames/s, {:.2} ms per frame (wall)",
        n as f64 / secs,
        secs * 1e3 / n as f64
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmRSS")) {
            println!(
                "RSS with all models loaded: {}",
                line.trim_start_matches("VmRSS:").trim()
            );
        }
    }
    Ok(())
}

/// Server time of a 5-frame challenge (3 centred frames, then 2 of the
/// clip's turn; screen
/// light on), answered by the clip and examined as the server does it:
/// decode, track, full analysis of the frontal frames, same person, light.
/// Beside it, the models' own inference time inside those checks (summed
/// over the sessions' runs: above the wall time when spread over cores).
fn challenge(e: &FaceEngine, dir: &Path, rounds: usize) -> anyhow::Result<()> {
    let clip = super::attack_eval::clip(e, dir)?;
    let capture = Capture {
        frames: 5,
        blink_frames: 0,
        screen_light: true,
        ..Capture::default()
    };
    let t = Thresholds::of(e, 2);
    let (mut times, mut accepted, mut own) = (Vec::new(), 0, 0.0);
    let runs = (rounds * 10).max(20);
    let spent = || -> f64 { e.frame_models().iter().map(|p| p.spent_ms()).sum() };
    for _ in 0..runs {
        let mut ch =
            challenge::issue_with(0, 600, vec![Action::Center, clip.turn]).planned(capture);
        // The plan gives each action an equal share, rounded up (3 + 3).
        ch.steps.truncate(capture.frames);
        let uploads = attack::bona_fide(e, &ch, &clip)?;
        let (start, before) = (Instant::now(), spent());
        let ev = answer::examine(e, &ch, &uploads, t, 1)?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        own += spent() - before;
        accepted += usize::from(ev.liveness.live);
    }
    times.sort_by(f64::total_cmp);
    let p95 = times
        .get((times.len() * 95).div_ceil(100).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    let cores = e.cores();
    let mean = times.iter().sum::<f64>() / runs as f64;
    let own = own / runs as f64;
    println!(
        "5-frame challenge, 1 thread per model run on {cores} core(s): median {:.1} ms, p95 {p95:.1} ms ({runs} answers, {accepted} accepted); models' own {own:.1} ms of {mean:.1} (means, ratio {:.2})",
        median(&mut times),
        mean / own.max(1e-9)
    );
    Ok(())
}

//! Face engine cost per stage and per frame (criterion): `cargo bench --bench face`.
//! Frames: the carphone clip at 640×480 (scripts/testdata.sh), YuNet-320.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use visage::biometrics::engine::MultipleFaces;
use visage::biometrics::{align, embed, image_in, EngineConfig, FaceEngine};

fn frames() -> Vec<image::RgbImage> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/testdata/carphone");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("run scripts/testdata.sh")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .take(8)
        .map(|f| image_in::decode(&std::fs::read(f).unwrap()).unwrap())
        .collect()
}

fn engine(max_concurrent: usize) -> FaceEngine {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    FaceEngine::load(
        &dir,
        EngineConfig {
            threads: 1,
            max_concurrent,
            multiple_faces: MultipleFaces::Largest,
            ..EngineConfig::default()
        },
    )
    .unwrap()
}

fn stages(c: &mut Criterion) {
    let e = engine(1);
    let frames = frames();
    let img = &frames[0];
    let face = e.detector.detect(img).unwrap().remove(0);
    let aligned = align::align(img, &face.landmarks);
    let mut g = c.benchmark_group(format!("stage ({})", e.model_set));
    g.bench_function("detect", |b| b.iter(|| e.detector.detect(img).unwrap()));
    g.bench_function("align", |b| b.iter(|| align::align(img, &face.landmarks)));
    g.bench_function("embed", |b| {
        b.iter(|| embed::embed(&e.embedder, &aligned).unwrap())
    });
    g.bench_function("pad", |b| b.iter(|| e.pad.live_score(img, &face).unwrap()));
    g.bench_function("frame: detect+quality+align+embed+pad, 1 thread", |b| {
        b.iter(|| e.analyze(img, true).unwrap())
    });
    g.finish();

    let e2 = engine(2);
    let mut g = c.benchmark_group("throughput");
    g.throughput(Throughput::Elements(frames.len() as u64));
    for workers in [1usize, 2] {
        g.bench_function(
            format!("{} frames, {workers} thread(s)", frames.len()),
            |b| {
                b.iter(|| {
                    std::thread::scope(|s| {
                        for w in 0..workers {
                            let (e2, frames) = (&e2, &frames);
                            s.spawn(move || {
                                for f in frames.iter().skip(w).step_by(workers) {
                                    e2.analyze(f, true).unwrap();
                                }
                            });
                        }
                    })
                })
            },
        );
    }
    g.finish();
}

criterion_group! { name = benches; config = Criterion::default().sample_size(20); targets = stages }
criterion_main!(benches);

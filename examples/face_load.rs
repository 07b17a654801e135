//! Face checks per second over HTTP, made as the hosted page makes them
//! (issue 14; docs/benchmarks.md "Face verification under load", run by
//! `scripts/face_bench.sh`).
//!
//! ```sh
//! face_load ISSUER PASSWORD ACCOUNTS BROWSERS SECONDS CLIP_DIR [MODELS_DIR]
//! ```
//!
//! Accounts `load{i}@example.com` (made beforehand with `visage user add`,
//! all with PASSWORD; the server's challenge must be `center → turn_right`)
//! each sign in with the password once, add a software passkey, sign in
//! with it, give biometric consent and enrol their face. Then BROWSERS
//! browsers check faces for SECONDS, each its accounts in turn: `POST
//! /face/challenge`, then for every step the server reveals, the page's
//! wait (real time: the server paces the answer), the frame's commitment
//! (`/face/step`), and at the end the frames (`/face/frames`). A check
//! counts when the server accepts it.
//!
//! The frames are the carphone clip's (`scripts/testdata.sh`): centred ones
//! for the centre, turned ones for the turn, each lit by the colour its
//! step shows (the reflection synthesised as in `visage face attack-eval`;
//! prepared before the load, so the load tool spends no time on images).
//! Prints checks/s, the whole check's latency (mostly the page's waits)
//! and the server's own time per check (its `Server-Timing` header); fails
//! when a check failed or none was made.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use visage::biometrics::challenge::Colour;
use visage::biometrics::{attack, pace, EngineConfig, FaceEngine};

#[path = "support/browser.rs"]
mod browser;
#[path = "../tests/support/soft_key.rs"]
mod soft_key;
use browser::{deal, Args, Browser, Jar, Load};
use soft_key::Key;

/// Frames of the clip: centred (f001–f010) and turned to the image's right (f014–f020).
const CENTRE: [u32; 4] = [1, 4, 7, 10];
const TURNED: [u32; 4] = [14, 16, 18, 20];

/// About one check's length: the page's waits of a 5-to-8-frame challenge.
const STAGGER_MS: u64 = 2_000;

/// Every frame the answers use, as base64 JPEG: by (clip frame, colour).
struct Frames(HashMap<(u32, Option<&'static str>), String>);

impl Frames {
    fn prepare(clip: &std::path::Path, models: &std::path::Path) -> anyhow::Result<Frames> {
        let engine = FaceEngine::load(models, EngineConfig::default())?;
        let mut out = HashMap::new();
        for i in CENTRE.iter().chain(&TURNED) {
            let path = clip.join(format!("f{i:03}.jpg"));
            let img = image::open(&path)
                .map_err(|e| anyhow!("{}: {e} (scripts/testdata.sh)", path.display()))?
                .to_rgb8();
            let face = engine.analyze(&img, false)?.face.bbox;
            let colours = Colour::ALL.into_iter().map(Some).chain([None]);
            for colour in colours {
                let shown = match colour {
                    Some(c) => attack::lit(&img, face, c, attack::LIGHT),
                    None => img.clone(),
                };
                let mut jpeg = std::io::Cursor::new(Vec::new());
                image::DynamicImage::ImageRgb8(shown)
                    .write_to(&mut jpeg, image::ImageFormat::Jpeg)?;
                let b64 = base64::engine::general_purpose::STANDARD.encode(jpeg.into_inner());
                out.insert((*i, colour.map(Colour::css)), b64);
            }
        }
        Ok(Frames(out))
    }

    /// The frame for step `i` of a revealed step.
    fn for_step(&self, i: usize, step: &Value) -> anyhow::Result<&str> {
        let k = i % CENTRE.len();
        let frame = match step["action"].as_str() {
            Some("center") => CENTRE[k],
            Some("turn_right") => TURNED[k],
            other => bail!("a step this clip cannot answer: {other:?} (serve with challenge center, turn_right)"),
        };
        let colour = step["colour"].as_str();
        let known = Colour::ALL.into_iter().map(Colour::css);
        let colour = colour.map(|css| known.clone().find(|c| *c == css));
        self.0
            .get(&(frame, colour.flatten()))
            .filter(|_| colour.is_none_or(|c| c.is_some()))
            .map(String::as_str)
            .ok_or_else(|| anyhow!("no frame {frame} lit by {:?}", step["colour"]))
    }
}

/// A browser with a face session: its cookies and its pages' CSRF token.
struct Person {
    jar: Jar,
    csrf: String,
}

impl Person {
    /// The page's CSRF token follows the cookie (a new session may bring a new one).
    fn refresh_csrf(&mut self) {
        if let Some((_, v)) = self.jar.0.iter().find(|(k, _)| k == "visage_csrf") {
            self.csrf.clone_from(v);
        }
    }
}

/// One face check as the page makes it, under `base` (`/face` or
/// `/face/enrol`): the server's time for it (ms), from `Server-Timing`.
async fn check(load: &Load, frames: &Frames, p: &mut Person, base: &str) -> anyhow::Result<f64> {
    p.refresh_csrf();
    let start = if base == "/face" {
        "/face/challenge".to_owned()
    } else {
        format!("{base}/challenge")
    };
    let (status, _, ch) = load
        .post_json(&mut p.jar, &start, &p.csrf, &json!({}))
        .await?;
    if status != StatusCode::OK {
        bail!("{start}: {status} {ch}");
    }
    let mut step = ch["step"].clone();
    let mut sent = Vec::new();
    loop {
        let i = step["index"]
            .as_u64()
            .ok_or_else(|| anyhow!("no step revealed: {step}"))? as usize;
        // The page waits as told before it captures.
        tokio::time::sleep(Duration::from_millis(step["wait_ms"].as_u64().unwrap_or(0))).await;
        let frame = frames.for_step(i, &step)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(frame)?;
        let body = json!({ "nonce": ch["nonce"], "index": i, "sha256": pace::digest(&bytes) });
        let (status, _, r) = load
            .post_json(&mut p.jar, &format!("{base}/step"), &p.csrf, &body)
            .await?;
        if status != StatusCode::OK {
            bail!("{base}/step: {status} {r}");
        }
        sent.push(json!({ "t": 0, "jpeg": frame }));
        if r["done"] == true {
            break;
        }
        step = r["step"].clone();
    }
    let body = json!({ "nonce": ch["nonce"], "frames": sent });
    let (status, timing, r) = load
        .post_json(&mut p.jar, &format!("{base}/frames"), &p.csrf, &body)
        .await?;
    if status != StatusCode::OK {
        bail!("{base}/frames: {status} {r}");
    }
    timing
        .strip_prefix("face;dur=")
        .and_then(|ms| ms.parse().ok())
        .ok_or_else(|| anyhow!("no Server-Timing in the answer ('{timing}')"))
}

/// Password sign-in, a passkey, a passkey sign-in, consent and enrolment.
async fn set_up(
    load: &Load,
    frames: &Frames,
    email: String,
    password: &str,
) -> anyhow::Result<Person> {
    let device = uuid::Uuid::new_v4().simple().to_string();
    let mut b = Browser {
        email,
        key: Key::new(),
        device: Jar(vec![("visage_device".into(), device)]),
    };
    load.enrol(&mut b, password).await?;
    let mut jar = load.sign_in(&mut b).await?;
    let csrf = load.face_consent(&mut jar).await?;
    let mut p = Person { jar, csrf };
    check(load, frames, &mut p, "/face/enrol")
        .await
        .map_err(|e| anyhow!("{}: enrolment: {e}", b.email))?;
    Ok(p)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied().unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args =
        Args::parse("face_load ISSUER PASSWORD ACCOUNTS BROWSERS SECONDS CLIP_DIR [MODELS_DIR]")?;
    let clip: PathBuf = args.get(6, "clip dir")?;
    let models = args
        .optional(7)
        .map(PathBuf::from)
        .unwrap_or_else(visage::biometrics::manifest::default_dir);
    let frames = std::sync::Arc::new(Frames::prepare(&clip, &models)?);
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let load = std::sync::Arc::new(Load::new(http, args.issuer.clone(), None));
    let mut setting_up = Vec::new();
    for i in 0..args.accounts {
        let (load, frames, password) = (load.clone(), frames.clone(), args.password.clone());
        setting_up.push(tokio::spawn(async move {
            set_up(&load, &frames, format!("load{i}@example.com"), &password).await
        }));
    }
    let mut people = Vec::new();
    for s in setting_up {
        people.push(s.await??);
    }
    eprintln!(
        "{} accounts enrolled; {} browsers check faces for {} s",
        people.len(),
        args.concurrency,
        args.seconds
    );
    let groups = deal(people, args.concurrency);
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    let browsers = groups.iter().filter(|g| !g.is_empty()).count().max(1) as u64;
    for (k, mut group) in groups.into_iter().filter(|g| !g.is_empty()).enumerate() {
        let (load, frames) = (load.clone(), frames.clone());
        // People do not all start at once: the browsers' first checks are
        // spread over one check's length (the page's waits), as arrivals.
        let arrives = Duration::from_millis(k as u64 * STAGGER_MS / browsers);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(arrives).await;
            let (mut done, mut errors) = (Vec::new(), Vec::new());
            let mut turn = 0;
            while Instant::now() < end {
                let n = group.len();
                let p = &mut group[turn % n];
                turn += 1;
                let t = Instant::now();
                match check(&load, &frames, p, "/face").await {
                    Ok(server_ms) => done.push((t.elapsed().as_secs_f64() * 1e3, server_ms)),
                    // A browser whose check failed stops (as a person would
                    // read the page's message), so a failure is not repeated
                    // in a tight loop.
                    Err(e) => {
                        errors.push(e.to_string());
                        break;
                    }
                }
            }
            (done, errors)
        }));
    }
    let (mut whole, mut server, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for t in tasks {
        let (done, bad) = t.await?;
        for (w, s) in done {
            whole.push(w);
            server.push(s);
        }
        errors.extend(bad);
    }
    let elapsed = started.elapsed().as_secs_f64().max(args.seconds as f64);
    whole.sort_by(f64::total_cmp);
    server.sort_by(f64::total_cmp);
    println!(
        "face checks: {} in {elapsed:.1} s = {:.1}/s; whole check p50 {:.0} ms; \
         server time p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; errors {}",
        server.len(),
        server.len() as f64 / elapsed,
        quantile(&whole, 0.5),
        quantile(&server, 0.5),
        quantile(&server, 0.95),
        server.last().copied().unwrap_or(0.0),
        errors.len()
    );
    if let Some(e) = errors.first() {
        println!("first error: {e}");
    }
    if server.is_empty() || !errors.is_empty() {
        bail!("{} checks made, {} failed", server.len(), errors.len());
    }
    Ok(())
}

//! The face step attacked over HTTP with a software passkey session (issue
//! 14): an account is enrolled from real frames of a talking face, lit by
//! the screen-light sequence the server asked for (the reflection is
//! synthesised from the real frames); then answers that a camera in front
//! of the person would not produce are sent for new challenges.

use base64::Engine;
use image::RgbImage;
use reqwest::StatusCode;
use serde_json::{json, Value};
use visage::biometrics::attack::{self, Clip, Species};
use visage::biometrics::challenge::{Action, Colour};
use visage::biometrics::detect::Face;

use crate::assurance::give_passkey;
use crate::face::{best, faces, root};
use crate::helpers::*;

/// Frames of the clip: centred (f001–f010) and turned to the image's right (f014–f020).
pub(crate) const CENTRE: [u32; 4] = [1, 4, 7, 10];
pub(crate) const TURNED: [u32; 4] = [14, 16, 18, 20];

pub(crate) fn frame(i: u32) -> RgbImage {
    crate::services::require(crate::services::Service::TestData);
    let p = root().join(format!("target/testdata/carphone/f{i:03}.jpg"));
    image::open(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/testdata.sh)", p.display()))
        .to_rgb8()
}

fn jpeg(img: &RgbImage) -> String {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

pub(crate) fn face_box(img: &RgbImage) -> [f32; 4] {
    best()
        .analyze(img, false)
        .expect("a face in the frame")
        .face
        .bbox
}

/// The colour a revealed step shows (`#rrggbb`), if any.
pub(crate) fn colour_of(step: &Value) -> Option<Colour> {
    let hex = step["colour"].as_str()?;
    Colour::ALL.into_iter().find(|c| c.css() == hex)
}

/// The frame lit by `colour`, or as it is.
fn lit(img: &RgbImage, colour: Option<Colour>) -> RgbImage {
    match colour {
        Some(c) => attack::lit(img, face_box(img), c, attack::LIGHT),
        None => img.clone(),
    }
}

/// The frame for step `i` of a revealed step, lit by the step's colour (or
/// not), as base64 JPEG.
pub(crate) fn shown(img: &RgbImage, step: &Value, light: bool) -> String {
    jpeg(&lit(img, colour_of(step).filter(|_| light)))
}

/// Answer a challenge as the page does: for each step the server reveals,
/// `make(i, step)` gives the frame (base64 JPEG); the server's clock moves
/// on by the step's wait (minus the time `make` took: the page's capture is
/// instant, and tests do not sleep), the frame's SHA-256 is committed, and
/// the reply reveals the next step. Then the frames are sent to
/// `{base}/frames`. The refusal of a step, or the answer's (status, body).
pub(crate) async fn answer_paced(
    app: &TestApp,
    cookies: &str,
    base: &str,
    ch: &Value,
    mut make: impl FnMut(usize, &Value) -> String,
) -> (StatusCode, Value) {
    let mut step = ch["step"].clone();
    let mut frames = Vec::new();
    loop {
        let i = step["index"].as_u64().expect("a revealed step") as usize;
        let made = std::time::Instant::now();
        let frame = make(i, &step);
        let spent = i64::try_from(made.elapsed().as_millis()).unwrap();
        app.clock
            .advance_ms(step["wait_ms"].as_i64().unwrap() - spent);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&frame)
            .unwrap();
        let sha256 = visage::biometrics::pace::digest(&bytes);
        let body = json!({ "nonce": ch["nonce"], "index": i, "sha256": sha256 });
        let (s, r) = post(app, cookies, &format!("{base}/step"), body).await;
        frames.push(json!({ "t": 0, "jpeg": frame }));
        if s != StatusCode::OK {
            return (s, r);
        }
        if r["done"] == true {
            break;
        }
        step = r["step"].clone();
    }
    let body = json!({ "nonce": ch["nonce"], "frames": frames });
    post(app, cookies, &format!("{base}/frames"), body).await
}

/// The clip, one frame per step: centred frames for `center`, turned ones for the turn.
pub(crate) fn clip(i: usize, action: &str) -> RgbImage {
    let k = i % 4;
    frame(if action == "center" {
        CENTRE[k]
    } else {
        TURNED[k]
    })
}

/// A JSON POST in a session (CSRF header set): status and body.
pub(crate) async fn post(
    app: &TestApp,
    cookies: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = app
        .http
        .post(app.url(path))
        .header("Cookie", cookies)
        .header("X-CSRF-Token", "t0ken")
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) struct Victim {
    pub(crate) app: TestApp,
    pub(crate) uid: String,
    /// The enrolment answer's frames, as an attacker who recorded them would have them.
    pub(crate) recorded: Vec<String>,
    /// The colours the enrolment answer was lit by.
    pub(crate) recorded_colours: Vec<Colour>,
}

/// A person enrolled over HTTP from the clip, lit as the server asked.
pub(crate) async fn enrolled() -> Victim {
    enrolled_with(|_| {}).await
}

/// `enrolled`, with `tweak` applied to the server's configuration.
pub(crate) async fn enrolled_with(tweak: impl FnOnce(&mut visage::config::Config)) -> Victim {
    let app = spawn_with(|c| {
        c.face.enabled = true;
        c.face.challenge_actions = vec![Action::Center, Action::TurnRight];
        c.face.frames = 8;
        c.face.max_failures = 50;
        // A long wait between steps: "sooner than the page waits" below is
        // then far from a slow machine's round trip (the clock is moved,
        // nobody sleeps).
        c.face.frame_interval_ms = 1_000;
        tweak(c);
    })
    .await;
    let uid = app.user();
    give_passkey(&app, &uid);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::auth::face::record_consent(c, &uid.as_str().into(), "v1", now))
        .unwrap();
    let cookies = session_cookies(&app.passkey_session_for(&uid, 0));
    let (s, ch) = post(&app, &cookies, "/face/enrol/challenge", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{ch}");
    assert_eq!(ch["frames"], 8, "{ch}");
    assert!(ch.get("plan").is_none(), "later steps stay hidden: {ch}");
    let (mut recorded, mut recorded_colours) = (Vec::new(), Vec::new());
    let (s, r) = answer_paced(&app, &cookies, "/face/enrol", &ch, |i, step| {
        recorded_colours.push(colour_of(step).expect("every step lit"));
        let f = shown(&clip(i, step["action"].as_str().unwrap()), step, true);
        recorded.push(f.clone());
        f
    })
    .await;
    assert_eq!(s, StatusCode::OK, "enrolment from the lit clip: {r}");
    Victim {
        app,
        uid,
        recorded,
        recorded_colours,
    }
}

impl Victim {
    /// A new verification challenge in a fresh passkey session: (cookies, challenge).
    async fn challenge(&self) -> (String, Value) {
        let cookies = session_cookies(&self.app.passkey_session_for(&self.uid, 0));
        let (s, ch) = post(&self.app, &cookies, "/face/challenge", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{ch}");
        (cookies, ch)
    }

    /// Answer a new challenge, step by step, with `make(i, step)`: (status, error).
    pub(crate) async fn answer(
        &self,
        make: impl FnMut(usize, &Value) -> String,
    ) -> (StatusCode, String) {
        let (cookies, ch) = self.challenge().await;
        let (s, r) = answer_paced(&self.app, &cookies, "/face", &ch, make).await;
        (
            s,
            r["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

/// Answers not made at the pace the server set (issue 14, server-paced
/// challenge): a step committed sooner than the page waits (a prepared
/// frame); a whole answer sent without committing its steps (as before
/// pacing); frames other than the committed ones; a skipped step. Each is
/// refused and counted as a failed check. A step that comes too late ends
/// the check without counting (a slow network is not an attack).
#[tokio::test]
async fn answers_not_paced_by_the_server_are_refused() {
    let v = enrolled().await;
    let app = &v.app;
    let commit = |cookies: String, nonce: Value, index: usize, frame: String| async move {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&frame)
            .unwrap();
        let sha256 = visage::biometrics::pace::digest(&bytes);
        let body = json!({ "nonce": nonce, "index": index, "sha256": sha256 });
        let (s, r) = post(app, &cookies, "/face/step", body).await;
        (
            s,
            r["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            r,
        )
    };
    // A frame made before the challenge, committed the moment step 0 shows.
    let prepared = v.recorded[0].clone();
    let (cookies, ch) = v.challenge().await;
    let (s, msg, _) = commit(cookies, ch["nonce"].clone(), 0, prepared.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("faster than a person"), "{msg}");

    // The whole recorded answer sent at once, no step committed.
    let (cookies, ch) = v.challenge().await;
    let frames: Vec<Value> = v
        .recorded
        .iter()
        .map(|f| json!({ "t": 0, "jpeg": f }))
        .collect();
    // The recorded enrolment frames sent as the answer to `nonce`.
    let send_recording = |cookies: String, nonce: Value| {
        let body = json!({ "nonce": nonce, "frames": frames.clone() });
        async move { post(app, &cookies, "/face/frames", body).await }
    };
    let (s, r) = send_recording(cookies.clone(), ch["nonce"].clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        r["error_description"]
            .as_str()
            .unwrap()
            .contains("not paced"),
        "{r}"
    );

    // Every step committed at the page's pace with the person's frames, then
    // other frames sent (the committed ones swapped for a recording).
    let (cookies, ch) = v.challenge().await;
    let mut step = ch["step"].clone();
    loop {
        let i = step["index"].as_u64().unwrap() as usize;
        app.clock.advance_ms(step["wait_ms"].as_i64().unwrap());
        let f = shown(&clip(i, step["action"].as_str().unwrap()), &step, true);
        let (s, msg, r) = commit(cookies.clone(), ch["nonce"].clone(), i, f).await;
        assert_eq!(s, StatusCode::OK, "{msg}");
        if r["done"] == true {
            break;
        }
        step = r["step"].clone();
    }
    let (s, r) = send_recording(cookies.clone(), ch["nonce"].clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        r["error_description"]
            .as_str()
            .unwrap()
            .contains("not the one captured"),
        "{r}"
    );

    // Step 1 before step 0.
    let (cookies, ch) = v.challenge().await;
    app.clock.advance_ms(1_000);
    let (s, msg, _) = commit(cookies, ch["nonce"].clone(), 1, prepared.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("out of order"), "{msg}");
    assert_eq!(app.audited("face.verify", "failure"), 4);

    // Too late: the check ends, asks for a new start, and is not counted.
    let (cookies, ch) = v.challenge().await;
    app.clock
        .advance_ms(1_000 + visage::biometrics::pace::MAX_LAG_MS + 500);
    let (s, msg, _) = commit(cookies.clone(), ch["nonce"].clone(), 0, prepared).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("Start again"), "{msg}");
    let (s, r) = send_recording(cookies.clone(), ch["nonce"].clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the challenge is gone: {r}");
    assert_eq!(
        app.audited("face.verify", "failure"),
        5,
        "only the unknown challenge counts"
    );
    assert_eq!(app.audited("face.verify", "success"), 0);
}

/// The scores audited for each face verification, oldest first.
pub(crate) fn audited_scores(app: &TestApp) -> Vec<Value> {
    // Inside the pool's closure: the master key that opens them is in scope.
    app.db
        .run_sync(|c| {
            Ok::<_, visage::db::DbError>(
                visage::db::audit::all(c)?
                    .iter()
                    .filter(|r| r.action == "face.verify")
                    .map(|r| visage::audit::detail_of(r)["scores"].clone())
                    .collect(),
            )
        })
        .unwrap()
}

#[tokio::test]
async fn answers_not_lit_by_this_challenges_colours_are_refused() {
    let v = enrolled().await;
    // The person in front of the camera, lit by this challenge: accepted.
    let (s, msg) = v
        .answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, true))
        .await;
    assert_eq!(s, StatusCode::OK, "bona fide answer: {msg}");

    // The recorded enrolment answer replayed for a new challenge, step by
    // step at the page's pace.
    let (s, msg) = v.answer(|i, _| v.recorded[i].clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("light of the screen"), "{msg}");

    // A recording of the person with no screen light at all (a video made
    // elsewhere, or injected frames).
    let (s, msg) = v
        .answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, false))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("light of the screen"), "{msg}");

    // One still photo animated into the turn by a 2D warp.
    let still = frame(CENTRE[0]);
    let (s, msg) = v
        .answer(|i, step| {
            let k = (i % 4) as f32;
            let turn = if step["action"] == "center" {
                0.0
            } else {
                0.12
            };
            shown(&warped(&still, turn + 0.01 * k), step, false)
        })
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    // Its frames are copies of one picture around the face (the first
    // reason found is the one given); it is not lit either (below).
    assert!(msg.contains("did not change between frames"), "{msg}");

    assert_eq!(v.app.audited("face.verify", "success"), 1);
    assert_eq!(v.app.audited("face.verify", "failure"), 3);
    let light: Vec<f64> = audited_scores(&v.app)
        .iter()
        .map(|s| s["screen_light"].as_f64().unwrap())
        .collect();
    eprintln!("screen-light correlation: bona fide, replay, unlit, still: {light:?}");
    assert!(
        light[0] >= 0.8 && light[1..].iter().all(|r| *r < 0.8),
        "{light:?}"
    );
}

/// A still face warped by `amount` face widths (a cheap animation).
fn warped(img: &RgbImage, amount: f32) -> RgbImage {
    let face = best().analyze(img, false).expect("a face").face;
    attack::warped(img, &face, amount)
}

/// Another person's face pasted over the victim's face box in a frame of
/// the clip (so the track does not jump), then warped into the turn.
fn other_person_over(base: &RgbImage) -> RgbImage {
    // A dev image of someone turned to the image's left, mirrored.
    let other = image::open(faces("dev/images/img34.jpg"))
        .expect("a dev face image (../shared/faces)")
        .to_rgb8();
    let other = image::imageops::flip_horizontal(&other);
    let out = attack::pasted(base, face_box(base), &other, face_box(&other));
    warped(&out, 0.12)
}

#[tokio::test]
async fn the_victims_frontal_frames_with_someone_elses_turn_are_refused() {
    let v = enrolled().await;
    let (s, msg) = v
        .answer(|i, step| {
            let action = step["action"].as_str().unwrap();
            let own = clip(i, action);
            let img = if action == "center" {
                own
            } else {
                other_person_over(&own)
            };
            shown(&img, step, true)
        })
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("face changed"), "{msg}");
    assert_eq!(v.app.audited("face.verify", "failure"), 1);
    let scores = &audited_scores(&v.app)[0];
    let same = scores["same_person"].as_f64().unwrap();
    eprintln!("same-person similarity of the mixed answer: {same}");
    assert!(
        same < scores["same_person_threshold"].as_f64().unwrap(),
        "{scores}"
    );
    // The operators' metrics say why (the server runs in this process).
    let scrape = visage::telemetry::render();
    for series in [
        r#"visage_face_checks_total{purpose="enrol",reason="enrolled"} 1"#,
        r#"visage_face_checks_total{purpose="verify",reason="not_live"} 1"#,
    ] {
        assert!(scrape.contains(series), "{series} in {scrape}");
    }
}

/// The person in front of the camera is not refused for where the camera's
/// recording happens to be: the whole clip (120 frames at 30 fps), looped
/// as a fake camera loops it and sampled every 9 or 10 frames (300–330 ms)
/// from every 4th starting frame, passes every time
/// (the CI failure of stop 19: the same-person check held turned frames to
/// the 1:1 match threshold and refused 3 of 90 such answers).
#[test]
fn a_genuine_answer_passes_from_any_point_of_the_recording() {
    use visage::biometrics::answer::{examine, Thresholds, Upload};
    use visage::biometrics::challenge::{issue_with, Capture};
    let e = best();
    let frames: Vec<Vec<u8>> = (1..=120)
        .map(|i| {
            let p = root().join(format!("target/testdata/clip/f{i:03}.jpg"));
            std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect();
    let t = Thresholds::of(e, 2);
    let capture = Capture {
        frames: 14,
        blink_frames: 0,
        screen_light: false,
        ..Capture::default()
    };
    let (mut refused, mut lowest) = (Vec::new(), f32::MAX);
    for step in [9, 10] {
        for start in (0..frames.len()).step_by(4) {
            let ch = issue_with(0, 600, vec![Action::Center, Action::TurnRight]).planned(capture);
            let uploads: Vec<Upload> = (0..ch.steps.len())
                .map(|k| Upload {
                    timestamp_ms: 1_000 + 330 * k as i64,
                    bytes: frames[(start + step * k) % frames.len()].clone(),
                })
                .collect();
            let ev = examine(e, &ch, &uploads, t, 1).unwrap();
            lowest = lowest.min(ev.liveness.same_person.unwrap_or(f32::MIN));
            if !ev.liveness.live {
                refused.push((step, start, ev.liveness.reason, ev.liveness.same_person));
            }
        }
    }
    eprintln!("lowest same-person similarity of a genuine answer: {lowest}");
    assert!(refused.is_empty(), "genuine answers refused: {refused:?}");
}

/// `visage face attack-eval` in one answer per species: what the command
/// reports is what the server's examination decides.
#[test]
fn the_attack_evaluation_refuses_every_species_it_claims_to() {
    let frames = (1..=20).map(frame).collect();
    let clip = Clip::from_frames(best(), frames).unwrap();
    assert_eq!(clip.turn, Action::TurnRight);
    let rows = attack::evaluate(best(), &clip, &[], 1, &[]).unwrap();
    for r in &rows {
        let accepted = r.accepted == 1;
        match r.species {
            Species::BonaFide => assert!(accepted, "{r:?}"),
            // A rate, not a certainty (docs/face-liveness.md "Face liveness: what it
            // catches"): a look-alike pasted into the turn, about 1 in 43 at most.
            Species::TwoPeople => {}
            // The stated limit: evaluated and reported, not claimed refused.
            Species::InjectedNoisyTintedStill => {}
            _ => assert!(!accepted, "{r:?}"),
        }
    }
    assert!(
        !rows.iter().any(|r| r.species.needs_others()),
        "no other faces given"
    );
    let own = Species::ALL.iter().filter(|s| !s.needs_others()).count();
    assert_eq!(
        rows.len(),
        own,
        "every species made of the person's own frames ran"
    );
}

/// A print of the person on light paper (or a screen showing them on a
/// bright page) held to the camera: recaptured (blur, gamma, moiré), and
/// lit by the screen as one flat surface, the printed face and its printed
/// background alike, by `strength` (a brighter screen, a print held closer).
fn print_held_up(img: &RgbImage, step: &Value, strength: f32) -> String {
    let mut print = attack::recaptured(img);
    let [x, y, w, h] = face_box(img);
    // The photo's surroundings fade into the light paper.
    for (px, py, p) in print.enumerate_pixels_mut() {
        let (dx, dy) = ((px as f32 - x - w / 2.0) / w, (py as f32 - y - h / 2.0) / h);
        if dx.abs() > 1.2 || dy.abs() > 1.2 {
            p.0 = p.0.map(|v| (f32::from(v) * 0.2 + 240.0 * 0.8) as u8);
        }
    }
    let colour = step["colour"]
        .as_str()
        .and_then(|hex| Colour::ALL.into_iter().find(|c| c.css() == hex));
    let (w, h) = (print.width() as f32, print.height() as f32);
    jpeg(&match colour {
        Some(c) => attack::lit(&print, [-w, -h, 3.0 * w, 3.0 * h], c, strength),
        None => print,
    })
}

/// A print held to the camera follows the colours: the light adds to the
/// darker printed face more, in log-chromaticity, than to its white paper,
/// so the face's colour relative to the background correlates with the
/// sequence (≥ 0.98 here: the correlation alone let it through). But the
/// paper behind the face is lit as much as the face, at any brightness of
/// the screen, where the room behind a real face is far from the screen.
#[tokio::test]
async fn a_print_held_to_the_camera_is_refused_however_bright_the_screen() {
    // The room's shape is not checked here (a print's paper, a still moiré
    // over the faded room, can read as a room reshaped): the light's share
    // alone is what this shows.
    let v = enrolled_with(|c| c.face.room_shape_max = 100.0).await;
    for strength in [0.1f32, 0.15, 0.2] {
        let (s, msg) = v
            .answer(|i, step| {
                print_held_up(&clip(i, step["action"].as_str().unwrap()), step, strength)
            })
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "print lit at {strength}: {msg}");
        assert!(msg.contains("fell on what is behind the face"), "{msg}");
    }
    let (s, msg) = v
        .answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, true))
        .await;
    let scores = audited_scores(&v.app);
    assert_eq!(
        s,
        StatusCode::OK,
        "the person in front of the screen: {msg} {:?}",
        scores.last()
    );
    let seen: Vec<(f64, f64)> = scores
        .iter()
        .map(|s| {
            let spill = s["screen_light_spill"].as_f64().unwrap_or(f64::INFINITY);
            (s["screen_light"].as_f64().unwrap(), spill)
        })
        .collect();
    eprintln!("(correlation, spill): prints at 0.1, 0.15, 0.2, then the person: {seen:?}");
    assert!(
        seen[..3].iter().all(|(r, spill)| *r >= 0.8 && *spill > 0.5),
        "{seen:?}"
    );
    assert!(
        seen[3].1 < 0.2,
        "the room behind the person stays dark: {seen:?}"
    );

    // With the background's share not checked, the same print gets through
    // within an attacker's few tries: it is this check that stops it. (One
    // try is not certain: a blurred, tinted print's witnesses sit 0.43-0.64
    // from its frontal frames against a threshold of 0.34, so now and then a
    // colour sequence pulls one below it.)
    let lax = enrolled_with(|c| {
        c.face.screen_light_max_spill = 1.0;
        c.face.room_shape_max = 100.0;
    })
    .await;
    let mut tries = Vec::new();
    for _ in 0..3 {
        let (s, msg) = lax
            .answer(|i, step| print_held_up(&clip(i, step["action"].as_str().unwrap()), step, 0.2))
            .await;
        tries.push((s, msg));
        if s == StatusCode::OK {
            break;
        }
    }
    assert!(
        tries.iter().any(|(s, _)| *s == StatusCode::OK),
        "without the spill check, three tries: {tries:?}"
    );
}

/// One still of the victim warped into step `i`'s head position (a
/// little, and differently, in each step): the injector's frame before it
/// is tinted to the step's colour.
pub(crate) fn still_posed(still: &RgbImage, face: &Face, i: usize, step: &Value) -> RgbImage {
    let k = (i % 4) as f32 * 0.01;
    if step["action"] == "center" {
        attack::warped(still, face, k)
    } else {
        attack::turned(best(), still, face, Action::TurnRight, k)
    }
}

/// A real-time injection (a virtual camera, a modified page): one still
/// photo, warped into each step's head position and tinted to each step's
/// colour as the page shows it. It follows the colours, stays one person
/// and matches; but every frame is that one picture wherever the forgery
/// did not touch it, where a camera's frames carry fresh noise everywhere.
#[tokio::test]
async fn one_still_injected_and_tinted_to_each_colour_as_shown_is_refused() {
    let v = enrolled().await;
    let still = frame(CENTRE[0]);
    let face = best().analyze(&still, false).expect("a face").face;
    let (s, msg) = v
        .answer(|i, step| shown(&still_posed(&still, &face, i, step), step, true))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("did not change between frames"), "{msg}");
    let scores = &audited_scores(&v.app)[0];
    eprintln!("the injected still's scores: {scores}");
    // Every other check would have let it through.
    assert!(scores["screen_light"].as_f64().unwrap() >= 0.8, "{scores}");
    assert!(
        scores["screen_light_spill"].as_f64().unwrap() <= 0.5,
        "{scores}"
    );
    assert!(scores["similarity"].as_f64().unwrap() >= scores["match_threshold"].as_f64().unwrap());
    assert!(
        scores["same_person"].as_f64().unwrap()
            >= scores["same_person_threshold"].as_f64().unwrap()
    );
    assert!(scores["passive"].as_f64().unwrap() >= scores["passive_threshold"].as_f64().unwrap());
    assert_eq!(scores["active"], true, "{scores}");
    assert_eq!(scores["background_changed"].as_f64(), Some(0.0), "{scores}");
    // The person in front of the camera: every background pixel moves.
    let (s, msg) = v
        .answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, true))
        .await;
    assert_eq!(s, StatusCode::OK, "{msg}");
    let changed = audited_scores(&v.app)[1]["background_changed"]
        .as_f64()
        .unwrap();
    assert!(changed > 0.5, "{changed}");
}

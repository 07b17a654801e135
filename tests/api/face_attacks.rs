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

use crate::assurance::give_passkey;
use crate::face::{best, faces, root};
use crate::helpers::*;

/// Frames of the clip: centred (f001–f010) and turned to the image's right (f014–f020).
const CENTRE: [u32; 4] = [1, 4, 7, 10];
const TURNED: [u32; 4] = [14, 16, 18, 20];

fn frame(i: u32) -> RgbImage {
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

fn face_box(img: &RgbImage) -> [f32; 4] {
    best()
        .analyze(img, false)
        .expect("a face in the frame")
        .face
        .bbox
}

/// The frame lit by the named colour of a plan (`#rrggbb`), or as it is.
fn lit(img: &RgbImage, colour: Option<&str>) -> RgbImage {
    let colour = colour.and_then(|hex| Colour::ALL.into_iter().find(|c| c.css() == hex));
    match colour {
        Some(c) => attack::lit(img, face_box(img), c, attack::LIGHT),
        None => img.clone(),
    }
}

/// An answer to `plan`: the frame for each step, lit by the step's colour
/// taken from `light` (the plan itself, another plan, or none).
fn answer(
    plan: &[Value],
    light: Option<&[Value]>,
    pick: impl Fn(usize, &str) -> RgbImage,
) -> Vec<Value> {
    plan.iter()
        .enumerate()
        .map(|(i, step)| {
            let img = pick(i, step["action"].as_str().unwrap());
            let colour = light
                .and_then(|l| l.get(i))
                .and_then(|s| s["colour"].as_str());
            json!({ "t": 1_000 + 330 * i as i64, "jpeg": jpeg(&lit(&img, colour)) })
        })
        .collect()
}

/// The clip, one frame per step: centred frames for `center`, turned ones for the turn.
fn clip(i: usize, action: &str) -> RgbImage {
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

struct Victim {
    app: TestApp,
    uid: String,
    /// The enrolment answer, as an attacker who recorded it would have it.
    recorded: Vec<Value>,
}

/// A person enrolled over HTTP from the clip, lit as the server asked.
async fn enrolled() -> Victim {
    let app = spawn_with(|c| {
        c.face.enabled = true;
        c.face.challenge_actions = vec![Action::Center, Action::TurnRight];
        c.face.frames = 8;
        c.face.max_failures = 50;
    })
    .await;
    let uid = app.user();
    give_passkey(&app, &uid);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::auth::face::record_consent(c, &uid, "v1", now))
        .unwrap();
    let cookies = session_cookies(&app.passkey_session_for(&uid, 0));
    let (s, ch) = post(&app, &cookies, "/face/enrol/challenge", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{ch}");
    let plan = ch["plan"].as_array().unwrap().clone();
    assert_eq!(plan.len(), 8, "{ch}");
    assert!(
        plan.iter().all(|s| s["colour"].is_string()),
        "every step lit: {ch}"
    );
    let recorded = answer(&plan, Some(&plan), clip);
    let body = json!({ "nonce": ch["nonce"], "frames": recorded });
    let (s, r) = post(&app, &cookies, "/face/enrol/frames", body).await;
    assert_eq!(s, StatusCode::OK, "enrolment from the lit clip: {r}");
    Victim { app, uid, recorded }
}

impl Victim {
    /// A new verification challenge in a fresh passkey session: (cookies, nonce, plan).
    async fn challenge(&self) -> (String, Value, Vec<Value>) {
        let cookies = session_cookies(&self.app.passkey_session_for(&self.uid, 0));
        let (s, ch) = post(&self.app, &cookies, "/face/challenge", json!({})).await;
        assert_eq!(s, StatusCode::OK, "{ch}");
        (
            cookies,
            ch["nonce"].clone(),
            ch["plan"].as_array().unwrap().clone(),
        )
    }

    async fn send(&self, cookies: &str, nonce: Value, frames: Vec<Value>) -> (StatusCode, String) {
        let (s, r) = post(
            &self.app,
            cookies,
            "/face/frames",
            json!({ "nonce": nonce, "frames": frames }),
        )
        .await;
        (s, r["error"].as_str().unwrap_or_default().to_owned())
    }
}

/// The scores audited for each face verification, oldest first.
fn audited_scores(app: &TestApp) -> Vec<Value> {
    app.db
        .run_sync(visage::db::audit::all)
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "face.verify")
        .map(|r| serde_json::from_str::<Value>(&r.detail).unwrap()["scores"].clone())
        .collect()
}

#[tokio::test]
async fn answers_not_lit_by_this_challenges_colours_are_refused() {
    let v = enrolled().await;
    // The person in front of the camera, lit by this challenge: accepted.
    let (cookies, nonce, plan) = v.challenge().await;
    let (s, msg) = v
        .send(&cookies, nonce, answer(&plan, Some(&plan), clip))
        .await;
    assert_eq!(s, StatusCode::OK, "bona fide answer: {msg}");

    // The recorded enrolment answer replayed for a new challenge.
    let (cookies, nonce, _) = v.challenge().await;
    let (s, msg) = v.send(&cookies, nonce, v.recorded.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("light of the screen"), "{msg}");

    // A recording of the person with no screen light at all (a video made
    // elsewhere, or injected frames).
    let (cookies, nonce, plan) = v.challenge().await;
    let (s, msg) = v.send(&cookies, nonce, answer(&plan, None, clip)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("light of the screen"), "{msg}");

    // One still photo animated into the turn by a 2D warp.
    let still = frame(CENTRE[0]);
    let (cookies, nonce, plan) = v.challenge().await;
    let animated = answer(&plan, None, |i, action| {
        let k = (i % 4) as f32;
        warped(
            &still,
            if action == "center" {
                0.01 * k
            } else {
                0.12 + 0.01 * k
            },
        )
    });
    let (s, msg) = v.send(&cookies, nonce, animated).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("light of the screen"), "{msg}");

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
    let (cookies, nonce, plan) = v.challenge().await;
    let mixed = answer(&plan, Some(&plan), |i, action| {
        let own = clip(i, action);
        if action == "center" {
            own
        } else {
            other_person_over(&own)
        }
    });
    let (s, msg) = v.send(&cookies, nonce, mixed).await;
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
    let rows = attack::evaluate(best(), &clip, &[], 1).unwrap();
    for r in &rows {
        let accepted = r.accepted == 1;
        match r.species {
            Species::BonaFide => assert!(accepted, "{r:?}"),
            // Rates, not certainties (README "Face liveness: what it catches"):
            // a real-time injection tinted to the colours passes most of the
            // time; a look-alike or a synthesised recapture of a print passes
            // about 1 in 43 (the colours are random per challenge).
            Species::InjectedTintedStill | Species::TwoPeople | Species::Recapture => {}
            _ => assert!(!accepted, "{r:?}"),
        }
    }
    assert!(
        !rows.iter().any(|r| r.species == Species::TwoPeople),
        "no other faces given"
    );
}

//! Passkey + face in real headless Chromium: a fake camera plays the
//! carphone clip (a real talking face) or a still frame of it.

use serde_json::{json, Value};
use visage::biometrics::challenge::Action;
use visage::config::Config;

use crate::browser::{authorize_url, id_token_of, sign_out, sign_up};
use crate::helpers::*;
use crate::mail::MailSink;
use crate::webdriver::Browser;

fn testdata(file: &str) -> String {
    format!("{}/target/testdata/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// Face on, with a challenge the clip performs (it looks ahead, then turns
/// to the image's right) and a capture window longer than its 4 s loop.
/// The fake camera plays a file: it cannot see the screen's light, so the
/// screen-light check is off here (tests/api/face_attacks.rs covers it).
fn face_on(c: &mut Config) {
    c.face.enabled = true;
    c.face.screen_light = false;
    c.face.challenge_actions = vec![Action::Center, Action::TurnRight];
    c.face.frames = 14;
    c.face.frame_interval_ms = 330;
}

fn essential(url: &str, level: &str) -> String {
    let claims = json!({ "id_token": { "acr": { "essential": true, "values": [level] } } });
    let mut u = url::Url::parse(url).expect("url");
    u.query_pairs_mut()
        .append_pair("claims", &claims.to_string());
    u.to_string()
}

/// Consent and enrolment from the account page; waits for the result.
async fn enrol(b: &Browser, shots: bool) {
    b.goto("/account").await;
    b.click("#face-setup").await;
    b.wait("#face-agree").await;
    if shots {
        b.screenshot("face-consent-en").await;
    }
    b.click("#face-agree").await;
    b.wait("#face-start:not([disabled])").await;
    if shots {
        b.screenshot("face-enrol-en").await;
    }
    b.click("#face-start").await;
}

const REPLAY: &str = r#"
const done = arguments[arguments.length - 1];
const root = document.getElementById('face-step');
const video = document.getElementById('camera');
const postWith = (csrf, url, body) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body) })
  .then(r => r.json().then(j => ({ status: r.status, body: j })));
const post = (url, body) => postWith(root.dataset.csrf, url, body);
// The token after the first answer's sign-in changed it: the replay comes
// with a valid one, as from the attacker's own browser.
const fresh = () => fetch('/login').then(r => r.text()).then(p => p.split('name="csrf" value="')[1].split('"')[0]);
const canvas = document.createElement('canvas'); canvas.width = 640; canvas.height = 480;
const hex = buf => Array.from(new Uint8Array(buf)).map(b => b.toString(16).padStart(2, '0')).join('');
const digest = b64 => crypto.subtle.digest('SHA-256', Uint8Array.from(atob(b64), c => c.charCodeAt(0))).then(hex);
// Paced by the server as the page is: each step's frame is committed, then sent.
post('/face/challenge', {}).then(ch => {
  const frames = [];
  const nonce = ch.body.nonce;
  const next = step => new Promise(r => setTimeout(r, step.wait_ms)).then(() => {
    canvas.getContext('2d').drawImage(video, 0, 0, 640, 480);
    const jpeg = canvas.toDataURL('image/jpeg', 0.85).split(',')[1];
    frames.push({ t: Date.now(), jpeg });
    return digest(jpeg).then(sha256 => post('/face/step', { nonce, index: step.index, sha256 }));
  }).then(r => r.body.done ? null : r.status === 200 ? next(r.body.step) : Promise.reject(new Error(JSON.stringify(r))));
  return next(ch.body.step).then(() => {
    const body = { tx: root.dataset.tx, nonce, frames };
    return post('/face/frames', body).then(first => fresh().then(csrf => postWith(csrf, '/face/frames', body)).then(second => done({ first, second })));
  });
}).catch(e => done({ error: String(e) }));
"#;

#[tokio::test(flavor = "multi_thread")]
async fn passkey_then_face_enrolment_sign_in_step_up_and_deletion() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, face_on).await;
    let secret = app.confidential();
    let b = Browser::start_with(&app.issuer, Some(&testdata("face.mjpeg"))).await;
    b.add_authenticator("internal").await;

    // Sign up with a passkey, then set up the face from the account page.
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    sign_up(&b, &sink, "hoa@example.com", false).await;
    b.click("#codes-continue").await;
    b.click("button[value=allow]").await;
    let done = b.wait_url(REDIRECT).await;
    assert_eq!(
        id_token_of(&app, &secret, &done, &verifier).await["acr"],
        "urn:visage:acr:passkey"
    );
    enrol(&b, true).await;
    b.wait_url(&app.url("/account?done=face_enrolled")).await;
    assert_eq!(app.count("face_templates"), 1);
    assert_eq!(
        app.count("biometric_consents WHERE text_version = '2026-11-23'"),
        1
    );
    b.screenshot("account-face-en").await;

    // Sign in: passkey (autofill), then the face; the RP gets the top acr.
    sign_out(&b).await;
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.wait("#face-start:not([disabled])").await;
    // Live guidance before the check: the clip's face is large and lit.
    b.wait("#face-status[data-hint]").await;
    assert!(!b.text("#face-status").await.is_empty());
    b.screenshot("face-challenge-en").await;
    b.click("#face-start").await;
    let done = b.wait_url(REDIRECT).await;
    let id = id_token_of(&app, &secret, &done, &verifier).await;
    assert_eq!(id["acr"], "urn:visage:acr:passkey_face");
    assert_eq!(id["amr"], json!(["hwk", "face", "user", "mfa"]));
    assert!(
        id["userinfo"].get("face").is_none(),
        "no biometric data reaches the RP"
    );
    assert_eq!(app.audited("face.verify", "success"), 1);

    // A replayed answer (same nonce and frames) is refused and audited.
    sign_out(&b).await;
    let (_, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.wait("#face-start:not([disabled])").await;
    let r: Value = b.run_async(REPLAY, vec![]).await;
    assert_eq!(r["first"]["status"], 200, "{r}");
    assert_eq!(r["second"]["status"], 400, "{r}");
    assert!(
        r["second"]["body"]["error_description"]
            .as_str()
            .unwrap_or("")
            .contains("already used"),
        "{r}"
    );

    // Step-up: a passkey-only session, then an RP asking for the face level:
    // only the face is asked.
    sign_out(&b).await;
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.click("#face-other-way").await;
    let done = b.wait_url(REDIRECT).await;
    assert_eq!(
        id_token_of(&app, &secret, &done, &verifier).await["acr"],
        "urn:visage:acr:passkey"
    );
    let (verifier, challenge) = pkce();
    b.goto(&essential(
        &authorize_url(&app, &challenge),
        "urn:visage:acr:passkey_face",
    ))
    .await;
    b.wait("#face-start:not([disabled])").await;
    assert!(
        b.url().await.contains("/face?tx="),
        "straight to the face step"
    );
    assert_eq!(
        b.count("#face-other-way").await,
        0,
        "no way around an essential face acr"
    );
    b.click("#face-start").await;
    let done = b.wait_url(REDIRECT).await;
    assert_eq!(
        id_token_of(&app, &secret, &done, &verifier).await["acr"],
        "urn:visage:acr:passkey_face"
    );

    // Another person's template: the live face does not match.
    let user_id = app
        .db
        .run_sync(|c| visage::db::users::find_by_email(c, "hoa@example.com"))
        .expect("user")
        .expect("row")
        .id;
    let own = app
        .db
        .run_sync(|c| visage::db::face_templates::for_user(c, &user_id))
        .expect("template")
        .expect("enrolled");
    replace_with_other_person(&app, &user_id);
    sign_out(&b).await;
    let (_, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.wait("#face-start:not([disabled])").await;
    b.click("#face-start").await;
    let msg = b.text("#face-status.error").await;
    assert!(msg.contains("does not match"), "{msg}");
    b.screenshot("face-mismatch-en").await;
    assert_eq!(
        app.audited("face.verify", "failure"),
        2,
        "the replay and the mismatch"
    );
    assert_eq!(
        app.audit_with(
            |e| e.action == "face.verify" && e.outcome == "failure",
            "match_threshold"
        ),
        1,
        "the mismatch is audited with its scores"
    );

    // Delete the face data: a passkey session is not enough (a stolen passkey
    // could swap in another face): the page asks for the face first.
    app.db
        .run_sync(|c| visage::db::face_templates::replace(c, &own))
        .expect("restore the person's template");
    b.goto("/account").await;
    b.click("#face-delete").await;
    b.wait("#face-start:not([disabled])").await;
    assert!(b.url().await.contains("/face"), "asked for the face");
    assert_eq!(app.count("face_templates"), 1, "nothing erased yet");
    b.click("#face-start").await;
    b.wait_url(&app.url("/account")).await;
    b.click("#face-delete").await;
    b.wait_url(&app.url("/account?done=face_deleted")).await;
    assert_eq!(app.count("face_templates"), 0);
    assert_eq!(app.count("biometric_consents"), 0);
    assert_eq!(app.audited("face.delete", "success"), 1);
    sign_out(&b).await;
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    let done = b.wait_url(REDIRECT).await;
    assert_eq!(
        id_token_of(&app, &secret, &done, &verifier).await["acr"],
        "urn:visage:acr:passkey"
    );
    assert_eq!(
        app.audit_with(|_| true, "jpeg"),
        0,
        "no image in the audit log"
    );
    b.quit().await;
}

/// Swap the person's template for one made from a different person's photo.
fn replace_with_other_person(app: &TestApp, user_id: &visage::ids::UserId) {
    use visage::biometrics::{template, EngineConfig, FaceEngine};
    let models = format!("{}/models", env!("CARGO_MANIFEST_DIR"));
    let engine =
        FaceEngine::load(std::path::Path::new(&models), EngineConfig::default()).expect("engine");
    let other = crate::face::faces("dev/images/img1.jpg");
    let a = engine
        .analyze_bytes(
            &std::fs::read(other).expect("a dev face image (../shared/faces)"),
            false,
        )
        .expect("a face");
    let t = template::enrol(&[a], 1, &[]).expect("template");
    let id = uuid::Uuid::new_v4().to_string();
    let sealed =
        template::seal(&app.master_key, user_id, &id, engine.embedder_id(), &t).expect("seal");
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| {
            visage::db::face_templates::replace(
                c,
                &visage::db::face_templates::FaceTemplateRow {
                    id: id.clone(),
                    user_id: user_id.to_owned(),
                    model_id: engine.embedder_id().to_owned(),
                    sealed: sealed.clone(),
                    frames: 1,
                    created_at: now,
                },
            )
        })
        .expect("store template");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_still_photo_looped_as_video_fails_liveness() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, face_on).await;
    app.confidential();
    let b = Browser::start_with(&app.issuer, Some(&testdata("still.mjpeg"))).await;
    b.add_authenticator("internal").await;
    b.goto("/login").await;
    sign_up(&b, &sink, "photo@example.com", false).await;
    b.click("#codes-continue").await;
    enrol(&b, false).await;
    let msg = b.text("#face-status.error").await;
    assert!(msg.contains("did not pass"), "{msg}");
    b.screenshot("face-still-refused-en").await;
    assert_eq!(app.count("face_templates"), 0, "no template from a photo");
    assert_eq!(app.audited("face.enrol", "failure"), 1);
    b.quit().await;
}

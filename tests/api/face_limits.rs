//! Expensive face input refused cheaply, and face work capped per person
//! and per address (issue 13).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::assurance::give_passkey;
use crate::helpers::*;

#[tokio::test]
async fn an_oversized_frame_is_refused_from_its_header_before_decoding() {
    let app = spawn_with(|c| c.face.enabled = true).await;
    let uid = app.user();
    let cookie = app.passkey_session_for(&uid, 0);
    // A 4000×4000 PNG: small to send, 48 MB to decode.
    let img = image::GrayImage::new(4000, 4000);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    use base64::Engine;
    let big = base64::engine::general_purpose::STANDARD.encode(out.into_inner());
    for (path, body) in [
        ("/face/preview", json!({ "jpeg": big })),
        (
            "/face/frames",
            json!({ "nonce": "x", "frames": [{ "t": 0, "jpeg": big }] }),
        ),
    ] {
        let r = app
            .http
            .post(app.url(path))
            .header("Cookie", session_cookies(&cookie))
            .header("X-CSRF-Token", "t0ken")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let msg: Value = r.json().await.unwrap();
        assert!(
            msg["error_description"]
                .as_str()
                .unwrap()
                .contains("4000x4000"),
            "{path}: {msg}"
        );
    }
    assert_eq!(
        app.audited("face.verify", "failure"),
        0,
        "refused before the check"
    );
}

/// A fresh passkey session (cookie header) of a consenting person with a
/// passkey: what face enrolment needs.
fn enrolling_session(app: &TestApp) -> String {
    enrolling_session_of(app, app.user())
}

/// `enrolling_session` of person `uid`.
fn enrolling_session_of(app: &TestApp, uid: String) -> String {
    give_passkey(app, &uid);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::auth::face::record_consent(c, &uid.as_str().into(), "v1", now))
        .unwrap();
    session_cookies(&app.passkey_session_for(&uid, 0))
}

async fn face_post(app: &TestApp, cookies: &str, path: &str, body: Value) -> StatusCode {
    crate::face_attacks::post(app, cookies, path, body).await.0
}

#[tokio::test]
async fn face_work_is_capped_per_person_and_failed_enrolments_count() {
    let app = spawn_with(|c| c.face.enabled = true).await;
    let cookies = enrolling_session(&app);
    // Failed enrolments lock enrolment (not face sign-in) after max_failures.
    let bad = json!({ "nonce": "nope", "frames": [{ "t": 0, "jpeg": blank_frame() }] });
    let max = app.config.face.max_failures;
    let mut last = StatusCode::OK;
    for _ in 0..max {
        last = face_post(&app, &cookies, "/face/enrol/frames", bad.clone()).await;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "enrolment locked");
    assert_eq!(
        face_post(&app, &cookies, "/face/enrol/challenge", json!({})).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.audited("face.enrol", "failure"), max);

    // Challenges started per person are capped.
    let other = spawn_with(|c| c.face.enabled = true).await;
    let cookies = enrolling_session(&other);
    let cap = visage::auth::face::STARTS_PER_PERSON.max;
    let mut ok = 0;
    for _ in 0..cap + 3 {
        if face_post(&other, &cookies, "/face/enrol/challenge", json!({})).await == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, cap, "{cap} starts, then 429");
    assert_eq!(other.count("face_challenges"), cap);

    // Preview frames are paced per person.
    let statuses = preview_burst(&other, &cookies).await;
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

/// Many people behind one address: the address's cap holds across people
/// (each far below their own cap), and an operator can raise it.
#[tokio::test]
async fn face_checks_started_from_one_address_are_capped_across_people() {
    let app = spawn_with(|c| {
        c.face.enabled = true;
        c.face.starts_per_address = 3;
    })
    .await;
    let person = |n: usize| app.user_with(&format!("p{n}@example.com"), PASSWORD);
    let (first, second) = (
        enrolling_session_of(&app, person(1)),
        enrolling_session_of(&app, person(2)),
    );
    let mut served = vec![];
    // The fourth from this address is by someone who started only one.
    for cookies in [&first, &first, &second, &second, &first] {
        served.push(face_post(&app, cookies, "/face/enrol/challenge", json!({})).await);
    }
    let busy = StatusCode::TOO_MANY_REQUESTS;
    assert_eq!(
        served,
        [StatusCode::OK, StatusCode::OK, StatusCode::OK, busy, busy]
    );
    assert_eq!(app.count("face_challenges"), 3);

    // Raised for an office behind one proxy: the same starts are served.
    let office = spawn_with(|c| {
        c.face.enabled = true;
        c.face.starts_per_address = 100;
    })
    .await;
    let people: Vec<String> = (0..3)
        .map(|n| {
            let uid = office.user_with(&format!("p{n}@example.com"), PASSWORD);
            enrolling_session_of(&office, uid)
        })
        .collect();
    for cookies in people.iter().chain(&people) {
        assert_eq!(
            face_post(&office, cookies, "/face/enrol/challenge", json!({})).await,
            StatusCode::OK
        );
    }
    assert_eq!(office.count("face_challenges"), 6);
}

async fn preview_burst(app: &TestApp, cookies: &str) -> Vec<StatusCode> {
    let mut out = vec![];
    for _ in 0..10 {
        out.push(
            face_post(
                app,
                cookies,
                "/face/preview",
                json!({ "jpeg": blank_frame() }),
            )
            .await,
        );
    }
    out
}

//! Repeated failed face checks lock the face factor and tell the person.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::mail::MailSink;

/// Cookies of a passkey session for the test user (who has no face yet).
fn passkey_session(app: &TestApp) -> String {
    let uid = app.user();
    session_cookies(&app.passkey_session_for(&uid, 0))
}

/// One failed face check (an unknown challenge): (status, message).
async fn failed_check(app: &TestApp, cookies: &str) -> (StatusCode, String) {
    let r = app
        .http
        .post(app.url("/face/frames"))
        .header("Cookie", cookies)
        .header("X-CSRF-Token", "t0ken")
        .json(&json!({ "nonce": "not-a-challenge", "frames": [{ "t": 0, "jpeg": blank_frame() }] }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();
    (
        status,
        body["error_description"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn three_failed_face_checks_lock_the_face_and_mail_the_account_holder() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |c| c.face.enabled = true).await;
    let cookies = passkey_session(&app);
    let attempt = || failed_check(&app, &cookies);
    for _ in 0..2 {
        let (status, msg) = attempt().await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(!msg.contains("locked"), "{msg}");
    }
    assert!(
        sink.messages_to(EMAIL).is_empty(),
        "no alert before the lock"
    );
    assert_eq!(
        app.count("alerts"),
        0,
        "no operators' alert below the threshold"
    );
    let (status, msg) = attempt().await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(msg.contains("locked until"), "{msg}");
    assert_eq!(app.audited("face.locked", "blocked"), 1);
    // The operators' alert, and the person flagged for a security review.
    assert_eq!(
        app.count(
            "alerts WHERE rule = 'face_rejections' AND subject = 'account' AND state = 'open'"
        ),
        1
    );
    sink.wait_for(EMAIL, 0);
    let subjects = sink.subjects(EMAIL);
    assert_eq!(subjects, ["Face check locked on your Visage account"]);
    let mail = &sink.messages_to(EMAIL)[0];
    assert!(mail.contains("failed 3 times"), "{mail}");
    // Locked: the next attempt is refused without another mail.
    let (status, _) = attempt().await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sink.subjects(EMAIL).len(), 1);
}

#[tokio::test]
async fn a_face_policy_change_applies_to_the_next_check() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |c| c.face.enabled = true).await;
    let cookies = passkey_session(&app);
    let (_, first) = failed_check(&app, &cookies).await;
    assert!(!first.contains("locked"), "{first}");
    // An administrator lowers the limit to 2 failures and a 10-minute lock.
    let t = crate::admin_api::owner_token(&app).await;
    let (_, view) = crate::admin_api::call(&app, "GET", "/face-policy", &t, None).await;
    let mut settings = view["settings"].clone();
    settings["max_failures"] = json!(2);
    settings["lock_seconds"] = json!(600);
    let body = json!({ "settings": settings, "reason": "pilot: stricter lock" });
    let (s, b) = crate::admin_api::call(&app, "PUT", "/face-policy", &t, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let now = chrono::Utc::now().timestamp();
    let (status, msg) = failed_check(&app, &cookies).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{msg}");
    let until = [600, 660].map(|d| visage::clock::utc_minutes(now + d));
    assert!(
        until.iter().any(|u| msg.contains(u.as_str())),
        "{msg} vs {until:?}"
    );
    sink.wait_for(EMAIL, 0);
    assert!(sink.messages_to(EMAIL)[0].contains("failed 2 times"));
    // The console's charts count the failures and the face lock of this hour.
    let (_, stats) = crate::admin_api::call(&app, "GET", "/stats", &t, None).await;
    assert_eq!(
        stats["lockouts_per_hour"][23],
        json!([stats["lockouts_per_hour"][23][0], 0, 1]),
        "{stats}"
    );
    let failures: u64 = stats["face_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_u64().unwrap())
        .sum();
    assert_eq!(failures, 2, "{stats}");
}

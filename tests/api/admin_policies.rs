//! The admin API's policies: signing keys retired at once or rotated on
//! schedule, the face policy and its history, a client's required level.

use reqwest::StatusCode;
use serde_json::{json, Value};
use visage::admin::roles::Role;

use crate::admin_api::{admin_client, bearer, call, owner_token};
use crate::helpers::*;

fn kids(jwks: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(jwks).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn keys_are_retired_at_once_and_rotated_on_schedule() {
    let app = spawn_app().await;
    let t = owner_token(&app).await;
    let (_, keys) = call(&app, "GET", "/keys", &t, None).await;
    let active: Vec<&Value> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["state"] == "active")
        .collect();
    assert_eq!(active.len(), 3, "{keys}");
    let rs = active.iter().find(|k| k["alg"] == "RS256").unwrap();
    let rs_kid = rs["kid"].as_str().unwrap().to_owned();
    assert_eq!(
        rs["rotates_at"].as_i64().unwrap(),
        rs["created_at"].as_i64().unwrap() + 90 * 86_400
    );

    // Retiring the active RS256 key (the one that signed our own token):
    // a replacement takes over, the old kid leaves /jwks at once, and
    // tokens it signed stop verifying.
    let (s, b) = call(&app, "POST", &format!("/keys/{rs_kid}/retire"), &t, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let replacement = b["replacement"].as_str().unwrap().to_owned();
    let published = kids(&app.get("/jwks").await.text().await.unwrap());
    assert!(!published.contains(&rs_kid));
    assert!(published.contains(&replacement));
    let (s, _) = call(&app, "GET", "/keys", &t, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a token of the retired key");
    let secret = admin_client(&app, "ops2", Some(Role::Owner));
    let t = bearer(&app, "ops2", &secret, "admin:read admin:keys").await;
    let (s, b) = call(&app, "POST", &format!("/keys/{rs_kid}/retire"), &t, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error_description"]
        .as_str()
        .unwrap()
        .contains("already retired"));
    let (s, _) = call(&app, "POST", "/keys/no-such-kid/retire", &t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.audited("keys.retire", "success"), 1);

    // 91 days on, the next server that re-reads its keys rotates all three.
    let before = published;
    app.clock.advance(91 * 86_400);
    let after = kids(&app.get("/jwks").await.text().await.unwrap());
    let new: Vec<&String> = after.iter().filter(|k| !before.contains(k)).collect();
    assert_eq!(new.len(), 3, "{before:?} → {after:?}");
    assert!(after.contains(&replacement), "the old key stays published");
    let t = bearer(&app, "ops2", &secret, "admin:read").await;
    let (_, audit) = call(&app, "GET", "/audit?action=keys.rotate", &t, None).await;
    assert_eq!(audit["items"][0]["actor"], "schedule", "{audit}");
    // Nothing more is due: a second look rotates nothing.
    app.clock.advance(120);
    assert_eq!(kids(&app.get("/jwks").await.text().await.unwrap()), after);
}

#[tokio::test]
async fn the_face_policy_is_changed_with_a_reason_and_kept_in_history() {
    let app = spawn_app().await;
    let t = owner_token(&app).await;
    let (s, view) = call(&app, "GET", "/face-policy", &t, None).await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["source"], "visage.toml");
    assert_eq!(view["history"], json!([]));
    assert_eq!(view["settings"]["max_failures"], 3);
    assert!(view["measured"].as_array().unwrap().len() >= 2);
    let settings = view["settings"].clone();

    let with = |field: &str, value: Value| {
        let mut s = settings.clone();
        s[field] = value;
        s
    };
    let bad = [
        (
            json!({ "settings": with("match_threshold", json!(0.1)), "reason": "x" }),
            "match_threshold",
        ),
        (
            json!({ "settings": with("lock_seconds", json!(5)), "reason": "x" }),
            "lock_seconds",
        ),
        (
            json!({ "settings": with("challenge_actions", json!(["wink"])), "reason": "x" }),
            "wink",
        ),
        (json!({ "settings": settings, "reason": " " }), "reason"),
        (
            json!({ "settings": settings, "reason": "x", "extra": 1 }),
            "extra",
        ),
    ];
    for (body, named) in bad {
        let (s, b) = call(&app, "PUT", "/face-policy", &t, Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            b["error_description"].as_str().unwrap().contains(named),
            "{b}"
        );
    }
    assert_eq!(app.count("face_policy_changes"), 0, "nothing written");

    // An auditor may read it but not change it.
    let aud = admin_client(&app, "aud", Some(Role::Auditor));
    let read = bearer(&app, "aud", &aud, "admin:read").await;
    let (s, _) = call(&app, "GET", "/face-policy", &read, None).await;
    assert_eq!(s, StatusCode::OK);
    let body = json!({ "settings": with("match_threshold", json!(0.5)), "reason": "stricter" });
    let (s, _) = call(&app, "PUT", "/face-policy", &read, Some(body.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, b) = call(&app, "PUT", "/face-policy", &t, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["source"], "changed");
    assert!((b["settings"]["match_threshold"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    let back = json!({ "settings": settings, "reason": "back to visage.toml" });
    let (_, b) = call(&app, "PUT", "/face-policy", &t, Some(back)).await;
    let history = b["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["reason"], "back to visage.toml", "newest first");
    assert_eq!(history[1]["actor"], "client:ops");
    assert_eq!(b["settings"], settings);
    assert_eq!(app.audited("face_policy.change", "success"), 2);
}

#[tokio::test]
async fn a_client_can_require_a_sign_in_level() {
    let app = spawn_app().await;
    let t = owner_token(&app).await;
    let client = |extra: Value| {
        let mut c = json!({ "client_name": "Strict", "redirect_uris": [REDIRECT] });
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    let contradictions = [
        json!({ "client_id": "a", "required_acr": "passkey", "password_policy": "email_code" }),
        json!({ "client_id": "b", "required_acr": "passkey_face", "face_policy": "off" }),
        json!({ "client_id": "c", "required_acr": "gold" }),
    ];
    for c in contradictions {
        let (s, b) = call(&app, "POST", "/clients", &t, Some(client(c))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    }
    let (s, b) = call(
        &app,
        "POST",
        "/clients",
        &t,
        Some(client(
            json!({ "client_id": "strict", "required_acr": "passkey" }),
        )),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, c) = call(&app, "GET", "/clients/strict", &t, None).await;
    assert_eq!(c["required_acr"], "passkey");
    // Its sign-in page offers no password, though the deployment allows one.
    let (_, ch) = pkce();
    let r = app
        .authorize(&[
            ("client_id", "strict"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "s1"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let html = app.get(&location(r.headers())).await.text().await.unwrap();
    assert!(!html.contains("type=\"password\""), "{html}");
    // Cleared again with an edit.
    let (s, c) = call(
        &app,
        "PUT",
        "/clients/strict",
        &t,
        Some(client(json!({ "required_acr": null }))),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["required_acr"], Value::Null);
}

/// Wait for message `n` to `to`; its text with quoted-printable soft breaks undone.
fn mail(sink: &crate::mail::MailSink, to: &str, n: usize) -> String {
    sink.wait_for(to, n).replace("=\r\n", "").replace("=\n", "")
}

fn token_of(url: &str) -> String {
    url.rsplit("invitation=").next().unwrap().to_owned()
}

#[tokio::test]
async fn invitations_are_mailed_sent_again_with_a_new_link_and_revoked() {
    let sink = crate::mail::MailSink::start();
    let app = spawn_accounts(&sink, |c| c.signup.open = false).await;
    let t = owner_token(&app).await;
    let to = "newcomer@example.com";
    let (s, b) = call(
        &app,
        "POST",
        "/invitations",
        &t,
        Some(json!({ "send": true })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "send needs an address: {b}");
    let body = json!({ "email": to, "send": true });
    let (s, b) = call(&app, "POST", "/invitations", &t, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["sent_to"], to);
    let first = token_of(b["invitation_url"].as_str().unwrap());
    assert!(
        mail(&sink, to, 0).contains(&first),
        "the link is in the mail"
    );

    let (_, list) = call(&app, "GET", "/invitations", &t, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["email"], to);
    let id = list[0]["id"].as_str().unwrap().to_owned();

    // Sent again: a new link in a new mail; the first link stops working.
    let (s, b) = call(&app, "POST", &format!("/invitations/{id}/resend"), &t, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let second = token_of(b["invitation_url"].as_str().unwrap());
    assert_ne!(first, second);
    assert!(mail(&sink, to, 1).contains(&second));
    let use_link = |token: String| {
        let app = &app;
        async move {
            let page = format!("/signup?invitation={token}");
            let r = app.submit(&page, &[("email", to), ("name", "New")]).await;
            (r.status(), r.text().await.unwrap_or_default())
        }
    };
    let (_, page) = use_link(first).await;
    assert!(page.contains("invitation is invalid"), "{page}");
    let (s, b) = call(&app, "POST", &format!("/invitations/{id}/resend"), &t, None).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "the old id is gone with its link: {b}"
    );

    // An invitation for anyone has no address to send to.
    let (_, b) = call(&app, "POST", "/invitations", &t, Some(json!({}))).await;
    assert!(b.get("sent_to").is_none());
    let (_, list) = call(&app, "GET", "/invitations", &t, None).await;
    let anyone = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = call(
        &app,
        "POST",
        &format!("/invitations/{anyone}/resend"),
        &t,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");

    // Revoked: gone from the list, and its link no longer works.
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == to)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = call(&app, "DELETE", &format!("/invitations/{id}"), &t, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&app, "DELETE", &format!("/invitations/{id}"), &t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = use_link(second).await;
    assert!(page.contains("invitation is invalid"), "{page}");
    assert_eq!(app.audited("invitation.resend", "success"), 1);
    assert_eq!(app.audited("invitation.revoke", "success"), 1);
}

//! A person's own data (issue 17): the export holds every item Visage keeps
//! about them and nothing secret or anyone else's; a connected app can be
//! disconnected, which ends its tokens at once.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_export_holds_every_item_about_me_and_nothing_secret() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let uid = app.user();
    app.user_with("bob@example.com", "bob's own password");
    let now = chrono::Utc::now().timestamp();
    let sealed = b"TEMPLATE-BYTES-NEVER-EXPORTED".to_vec();
    let id = uid.clone();
    app.db
        .run_sync(move |c| -> Result<(), visage::db::DbError> {
            visage::auth::face::record_consent(c, &id.as_str().into(), "face-consent-v3", now)?;
            visage::db::face_templates::replace(
                c,
                &visage::db::face_templates::FaceTemplateRow {
                    id: "t1".into(),
                    user_id: id.as_str().into(),
                    model_id: "arcface-512".into(),
                    sealed,
                    frames: 5,
                    created_at: now - 60,
                },
            )
        })
        .unwrap();
    // Signed in with a password, consented to the app `rp`.
    app.tokens_for_rp(&secret).await;

    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/account/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        StatusCode::SEE_OTHER,
        "no sign-in, no data"
    );

    let r = app.get("/account/export").await;
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"visage-my-data-"),
        "{disposition}"
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let text = r.text().await.unwrap();
    let d: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(d["format"], "visage-my-data/1");
    assert_eq!(d["profile"]["email"], EMAIL);
    assert_eq!(d["profile"]["id"], uid.as_str());
    assert_eq!(d["profile"]["has_password"], true);
    assert_eq!(d["face"]["model"], "arcface-512");
    assert_eq!(d["face"]["frames"], 5);
    assert_eq!(d["biometric_consent"]["text_version"], "face-consent-v3");
    assert_eq!(d["apps"][0]["client_id"], "rp", "{d}");
    assert!(d["apps"][0]["scopes"]
        .as_array()
        .unwrap()
        .contains(&Value::from("openid")));
    assert!(d["recovery_codes_left"].is_i64());
    assert!(
        d["active_sessions"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{d}"
    );
    let sign_in = d["sign_ins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "login.password" && e["outcome"] == "success")
        .unwrap_or_else(|| panic!("no password sign-in in {d}"));
    assert_eq!(
        sign_in["network"], "loopback",
        "the network, never the address"
    );
    assert!(!text.contains("127.0.0.1"), "no address in the export");
    // Nothing secret, nothing of anyone else's.
    for never in [
        "$argon2",
        "TEMPLATE-BYTES-NEVER-EXPORTED",
        "bob@example.com",
        "sealed",
        "credential",
    ] {
        assert!(!text.contains(never), "{never} in the export");
    }
}

/// `POST /account/apps/rp/disconnect` with `csrf`.
async fn disconnect(app: &TestApp, csrf: &str) -> reqwest::Response {
    app.http
        .post(app.url("/account/apps/rp/disconnect"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn disconnecting_an_app_ends_its_access_at_once() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let tokens = app.tokens_for_rp(&secret).await;
    let page = app.get("/account/apps").await.text().await.unwrap();
    assert!(page.contains("App rp"), "{page}");
    let csrf = csrf_of(&page);

    // Without the page's CSRF token (a cross-site form): refused, nothing changes.
    let r = disconnect(&app, "forged").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("consents"), 1);

    let r = disconnect(&app, &csrf).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/account/apps?done=disconnected");
    assert_eq!(app.count("consents"), 0);
    let rt = tokens["refresh_token"].as_str().unwrap();
    let refreshed = app.refresh_rp(&secret, rt).await;
    assert_eq!(
        refreshed.body["error"], "invalid_grant",
        "{}",
        refreshed.body
    );
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.introspect("rp", &secret, at).await["active"], false);
    assert_eq!(app.audited("app.disconnect", "success"), 1);
    let page = app.get("/account/apps").await.text().await.unwrap();
    assert!(page.contains("id=\"no-apps\""), "{page}");
    // An app with no access: nothing to disconnect.
    let r = disconnect(&app, &csrf).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// `POST /account/delete` (confirmed) with the session `cookie`.
async fn delete_with(app: &TestApp, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/account/delete"))
        .header("Cookie", session_cookies(cookie))
        .form(&[("csrf", "t0ken"), ("confirm", "1")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn deleting_my_account_needs_a_fresh_passkey_and_leaves_no_row_of_mine() {
    let sink = crate::mail::MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let secret = app.confidential();
    let uid = app.user();
    let bob = app.user_with("bob@example.com", "bob's own password");
    crate::assurance::give_passkey(&app, &uid);
    let tokens = app.tokens_for_rp(&secret).await;

    // A phished password's session, and a passkey session an hour old:
    // sent to sign in again, nothing erased.
    let password = app.get("/account/delete").await;
    assert_eq!(password.status(), StatusCode::OK);
    let csrf = csrf_of(&password.text().await.unwrap());
    let r = app
        .http
        .post(app.url("/account/delete"))
        .form(&[("csrf", csrf.as_str()), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/login");
    let stale = app.passkey_session_for(&uid, 3600);
    let r = delete_with(&app, &stale).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("users"), 2, "nothing erased");

    // Not confirmed: asked again.
    let fresh = app.passkey_session_for(&uid, 0);
    let r = reqwest::Client::new()
        .post(app.url("/account/delete"))
        .header("Cookie", session_cookies(&fresh))
        .form(&[("csrf", "t0ken")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("users"), 2);

    // An old re-authentication floor of hers (an incident action) goes too.
    // And an operators' alert about her (the face lock flags her for review).
    let floor_of = uid.clone();
    app.db
        .run_sync(move |c| {
            visage::db::incidents::raise_floor(c, &floor_of, 1, "test", "test")?;
            let rule = visage::config::Rule {
                max: 3,
                window_seconds: 1800,
                block_seconds: 1800,
            };
            visage::auth::alerts::face_locked(c, &floor_of.as_str().into(), rule, 1)
        })
        .unwrap();
    assert_eq!(app.count(&format!("alerts WHERE user_id = '{uid}'")), 1);
    // A fresh passkey sign-in, confirmed: gone, table by table.
    let r = delete_with(&app, &fresh).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    no_row_of(&app, &uid);
    // The audit log keeps the deletion under the random id, not who it was.
    assert_eq!(app.audited("account.delete", "success"), 1);
    assert_eq!(app.audit_with(|_| true, EMAIL), 0);
    // Bob is untouched; Alice's tokens are dead; she got the notice.
    assert_eq!(app.count(&format!("users WHERE id = '{bob}'")), 1);
    let rt = tokens["refresh_token"].as_str().unwrap();
    let t = app.refresh_rp(&secret, rt).await;
    assert_eq!(t.body["error"], "invalid_grant");
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.introspect("rp", &secret, at).await["active"], false);
    let mails = sink.messages_to(EMAIL);
    assert!(
        mails.iter().any(|m| m.contains("account was deleted")),
        "{mails:?}"
    );
}

#[tokio::test]
async fn the_last_owner_cannot_delete_their_account() {
    use visage::admin::roles::{self, Role};
    let app = spawn_app().await;
    let uid = app.user();
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| roles::grant(c, "user", &uid, Role::Owner, "test", now))
        .unwrap();
    let r = delete_with(&app, &app.passkey_session_for(&uid, 0)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(app.count("users"), 1, "the deployment keeps its owner");
}

/// No row of the account `uid` is left, table by table.
pub(crate) fn no_row_of(app: &TestApp, uid: &str) {
    for table in [
        "users WHERE id",
        "sessions WHERE user_id",
        "auth_codes WHERE user_id",
        "tokens WHERE user_id",
        "consents WHERE user_id",
        "passkeys WHERE user_id",
        "recovery_codes WHERE user_id",
        "email_challenges WHERE user_id",
        "face_templates WHERE user_id",
        "biometric_consents WHERE user_id",
        "face_challenges WHERE user_id",
        "face_light_history WHERE user_id",
        "known_devices WHERE user_id",
        "registration_approvals WHERE user_id",
        "admin_roles WHERE subject",
        "reauth_floors WHERE subject",
        "alerts WHERE user_id",
    ] {
        assert_eq!(app.count(&format!("{table} = '{uid}'")), 0, "{table}");
    }
    assert_eq!(app.count(&format!("lockouts WHERE key LIKE '%{uid}%'")), 0);
}

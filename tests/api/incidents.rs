//! Incident actions (issue 17), tried as an operator in an incident would
//! use them and as the attacker they are aimed at would find them: stolen
//! tokens of a client or a person stop working, earlier sign-ins no longer
//! count, a blocked range is refused everywhere, face sign-in switched off
//! everywhere. Each needs a reason and is audited with it.

use reqwest::StatusCode;
use serde_json::{json, Value};
use visage::admin::roles::Role;

use crate::admin_api::{admin_client, bearer, call};
use crate::helpers::*;

/// An admin client's API token (admin:read admin:write).
async fn operator(app: &TestApp) -> String {
    let secret = admin_client(app, "ops", Some(Role::Admin));
    bearer(app, "ops", &secret, "admin:read admin:write").await
}

fn why() -> Option<Value> {
    Some(json!({ "reason": "INC-7: tokens phished" }))
}

fn audited_with_reason(app: &TestApp, action: &str) -> i64 {
    app.audit_with(|e| e.category == "incident" && e.action == action, "INC-7")
}

/// The status of `/account` for a session cookie: 200 signed in, 303 to sign in.
async fn account_with(app: &TestApp, cookie: &str) -> StatusCode {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/account"))
        .header("Cookie", session_cookies(cookie))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn revoking_a_clients_tokens_ends_every_family_it_holds() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let first = app.tokens_for_rp(&secret).await;
    let second = app.tokens_for_rp(&secret).await;
    let token = operator(&app).await;
    let path = "/incidents/clients/rp/revoke-tokens";

    // Without a reason: refused, nothing revoked.
    let (s, b) = call(&app, "POST", path, &token, Some(json!({ "reason": "  " }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let at = first["access_token"].as_str().unwrap();
    assert_eq!(app.introspect("rp", &secret, at).await["active"], true);
    // A read-only token may not.
    let ro_secret = admin_client(&app, "watcher", Some(Role::Auditor));
    let ro = bearer(&app, "watcher", &ro_secret, "admin:read").await;
    let (s, _) = call(&app, "POST", path, &ro, why()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, b) = call(&app, "POST", path, &token, why()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["tokens_revoked"].as_u64().unwrap() >= 4, "{b}");
    for t in [&first, &second] {
        let rt = t["refresh_token"].as_str().unwrap();
        assert_eq!(
            app.refresh_rp(&secret, rt).await.body["error"],
            "invalid_grant"
        );
        let at = t["access_token"].as_str().unwrap();
        assert_eq!(app.introspect("rp", &secret, at).await["active"], false);
    }
    assert_eq!(
        audited_with_reason(&app, "incident.revoke_client_tokens"),
        1
    );
    let (s, _) = call(
        &app,
        "POST",
        "/incidents/clients/nope/revoke-tokens",
        &token,
        why(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn making_a_person_sign_in_again_refuses_every_earlier_sign_in() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let alice = app.user();
    let bob = app.user_with("bob@example.com", "another long passphrase 9");
    let tokens = app.tokens_for_rp(&secret).await;
    // A code the attacker holds but has not redeemed yet.
    let (code, verifier, _) = app.code_for("rp", &[]).await;
    let alice_session = app.passkey_session_for(&alice, 5);
    let bob_session = app.passkey_session_for(&bob, 5);
    let token = operator(&app).await;

    let path = format!("/incidents/users/{alice}/reauthenticate");
    let (s, b) = call(&app, "POST", &path, &token, why()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["sessions"].as_u64().unwrap() >= 2, "{b}");

    assert_eq!(
        account_with(&app, &alice_session).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(account_with(&app, &bob_session).await, StatusCode::OK);
    let t = app.exchange_code(&secret, &code, &verifier).await;
    assert_eq!(t.body["error"], "invalid_grant", "{}", t.body);
    let rt = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.refresh_rp(&secret, rt).await.body["error"],
        "invalid_grant"
    );
    // A session from a sign-in before the action that another server was
    // still making (written after it): refused all the same.
    let late = app.passkey_session_for(&alice, 3);
    assert_eq!(account_with(&app, &late).await, StatusCode::SEE_OTHER);
    // Signing in again (a second later) works.
    let again = app.passkey_session_for(&alice, -1);
    assert_eq!(account_with(&app, &again).await, StatusCode::OK);
    assert_eq!(
        audited_with_reason(&app, "incident.reauthenticate_person"),
        1
    );

    // Only her tokens, not her sessions: the session stays, tokens go.
    let path = format!("/incidents/users/{bob}/revoke-tokens");
    let (s, b) = call(&app, "POST", &path, &token, why()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(account_with(&app, &bob_session).await, StatusCode::OK);
}

#[tokio::test]
async fn making_everyone_sign_in_again_keeps_the_clients_own_tokens() {
    let app = spawn_app().await;
    let alice = app.user();
    let bob = app.user_with("bob@example.com", "another long passphrase 9");
    let sessions = [
        app.passkey_session_for(&alice, 5),
        app.passkey_session_for(&bob, 5),
    ];
    let token = operator(&app).await;
    let (s, b) = call(
        &app,
        "POST",
        "/incidents/reauthenticate-everyone",
        &token,
        why(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for cookie in &sessions {
        assert_eq!(account_with(&app, cookie).await, StatusCode::SEE_OTHER);
    }
    let late = app.passkey_session_for(&bob, 2);
    assert_eq!(account_with(&app, &late).await, StatusCode::SEE_OTHER);
    // The operator's client token (no person's sign-in) still works.
    let (s, view) = call(&app, "GET", "/incidents", &token, None).await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["everyone_floor"], b["floor"]);
    assert_eq!(
        audited_with_reason(&app, "incident.reauthenticate_everyone"),
        1
    );
}

/// A request from `from` (as the trusted proxy in front says).
async fn from(app: &TestApp, from: &str, method: &str, path: &str) -> (StatusCode, String) {
    let r = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .header("X-Forwarded-For", from)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_blocked_range_is_refused_on_every_route_but_the_health_checks() {
    let app = spawn_with(|c| c.server.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    let token = operator(&app).await;
    let block = |network: &str| Some(json!({ "network": network, "reason": "INC-7: scanner" }));

    // Too wide, not a range, or holding the operator's own address: refused.
    for bad in ["0.0.0.0/0", "10.0.0.0/7", "example.org", "127.0.0.0/8"] {
        let (s, b) = call(
            &app,
            "POST",
            "/incidents/blocked-networks",
            &token,
            block(bad),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    assert_eq!(app.count("blocked_networks"), 0);

    let (s, row) = call(
        &app,
        "POST",
        "/incidents/blocked-networks",
        &token,
        block("198.51.100.7/24"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{row}");
    assert_eq!(row["network"], "198.51.100.0/24");

    let attacker = "198.51.100.77";
    let (s, body) = from(&app, attacker, "GET", "/login").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("blocked"), "{body}");
    let (s, body) = from(&app, attacker, "POST", "/token").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["error"], "access_denied", "{body}");
    let (s, _) = from(&app, attacker, "GET", "/.well-known/openid-configuration").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = from(&app, attacker, "GET", "/healthz").await;
    assert_eq!(s, StatusCode::OK, "the load balancer still sees the server");
    // Anyone else is served.
    let (s, _) = from(&app, "203.0.113.5", "GET", "/login").await;
    assert_eq!(s, StatusCode::OK);

    // Lifted: the range is served again.
    let id = row["id"].as_str().unwrap();
    let lift = format!("/incidents/blocked-networks/{id}/lift");
    let (s, b) = call(
        &app,
        "POST",
        &lift,
        &token,
        Some(json!({ "reason": "INC-7 closed" })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = from(&app, attacker, "GET", "/login").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &app,
        "POST",
        &lift,
        &token,
        Some(json!({ "reason": "again" })),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(audited_with_reason(&app, "incident.block_network"), 1);
    assert_eq!(audited_with_reason(&app, "incident.lift_block"), 1);
}

#[tokio::test]
async fn a_block_reaches_another_server_of_the_deployment() {
    let app = spawn_with(|c| c.server.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    let peer = app.spawn_peer().await;
    // The peer has read the (empty) controls already.
    assert_eq!(
        from(&peer, "198.51.100.77", "GET", "/login").await.0,
        StatusCode::OK
    );
    let token = operator(&app).await;
    let body = json!({ "network": "198.51.100.0/24", "reason": "INC-7" });
    let (s, b) = call(
        &app,
        "POST",
        "/incidents/blocked-networks",
        &token,
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Made on `app`; the peer re-reads the controls within RELOAD_SECONDS.
    peer.clock.advance(visage::auth::controls::RELOAD_SECONDS);
    assert_eq!(
        from(&peer, "198.51.100.77", "GET", "/login").await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn face_sign_in_switched_off_is_off_on_every_face_route() {
    let app = spawn_with(|c| c.face.enabled = true).await;
    let uid = app.user();
    crate::assurance::give_passkey(&app, &uid);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::auth::face::record_consent(c, &uid.as_str().into(), "v1", now))
        .unwrap();
    let cookies = session_cookies(&app.passkey_session_for(&uid, 0));
    let challenge = |app: &TestApp| {
        let cookies = cookies.clone();
        let app_url = app.url("/face/enrol/challenge");
        let http = app.http.clone();
        async move {
            http.post(app_url)
                .header("Cookie", cookies)
                .header("X-CSRF-Token", "t0ken")
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(challenge(&app).await, StatusCode::OK);

    let token = operator(&app).await;
    let off = Some(json!({ "on": false, "reason": "INC-7: replayed video passes" }));
    let (s, view) = call(&app, "PUT", "/incidents/face-sign-in", &token, off).await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["face_sign_in"], false);
    assert_eq!(challenge(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    let page = app
        .http
        .get(app.url("/face/enrol"))
        .header("Cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);

    let on = Some(json!({ "on": true, "reason": "INC-7 fixed" }));
    let (s, _) = call(&app, "PUT", "/incidents/face-sign-in", &token, on).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(challenge(&app).await, StatusCode::OK);
    assert_eq!(audited_with_reason(&app, "incident.face_off"), 1);
}

/// A console form post with the console cookie `token`.
async fn console_post(
    app: &TestApp,
    token: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = vec![("csrf", "c5rf")];
    fields.extend_from_slice(form);
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(path))
        .header(
            "Cookie",
            format!("visage_admin={token}; {}=c5rf", visage::web::cookies::CSRF),
        )
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_console_shows_and_takes_incident_actions_from_fresh_writers_only() {
    use crate::admin_hierarchy::{console_token, owner_of};
    let app = spawn_app().await;
    let owner = owner_of(&app);
    let auditor = app.user_with("auditor@example.com", PASSWORD);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::admin::roles::grant(c, "user", &auditor, Role::Auditor, "test", now))
        .unwrap();
    let block = [("network", "198.51.100.0/24"), ("reason", "INC-7: scanner")];

    // An auditor may look but not act; a stale owner signs in again first.
    let watcher = console_token(&app, &auditor, 0).await;
    let r = console_post(&app, &watcher, "/admin/incidents/block", &block).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let stale = console_token(&app, &owner, app.config.admin.step_up_seconds + 60).await;
    let r = console_post(&app, &stale, "/admin/incidents/block", &block).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(r.headers()).starts_with("/admin/login?fresh=1"));
    assert_eq!(app.count("blocked_networks"), 0);

    let fresh = console_token(&app, &owner, 0).await;
    let r = console_post(&app, &fresh, "/admin/incidents/block", &block).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/admin/incidents?done=incident");
    // A person named by email address.
    let bob = app.user_with("bob@example.com", PASSWORD);
    let bob_session = app.passkey_session_for(&bob, 5);
    let reauth = [("target", "Bob@example.com"), ("reason", "INC-7: phished")];
    let r = console_post(&app, &fresh, "/admin/incidents/person-reauth", &reauth).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        account_with(&app, &bob_session).await,
        StatusCode::SEE_OTHER
    );
    // Refusals are pages that say what is wrong, and nothing is written.
    for (path, form, says) in [
        (
            "/admin/incidents/block",
            vec![("network", "0.0.0.0/0"), ("reason", "x")],
            "too wide",
        ),
        (
            "/admin/incidents/block",
            vec![("network", "192.0.2.0/24"), ("reason", " ")],
            "reason",
        ),
        (
            "/admin/incidents/person-tokens",
            vec![("target", "nobody@example.com"), ("reason", "x")],
            "no account",
        ),
        (
            "/admin/incidents/shutdown",
            vec![("reason", "x")],
            "no incident action",
        ),
        (
            "/admin/incidents/face",
            vec![("reason", "x")],
            "face must be",
        ),
    ] {
        let r = console_post(&app, &fresh, path, &form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "{path}: {body}");
    }
    assert_eq!(app.count("blocked_networks"), 1);

    // The page shows what is in force and who did what, why.
    let page = reqwest::Client::new()
        .get(app.url("/admin/incidents"))
        .header("Cookie", format!("visage_admin={watcher}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("198.51.100.0/24"), "{html}");
    assert!(html.contains("INC-7: scanner") && html.contains("INC-7: phished"));
    assert!(html.contains("incident.reauthenticate_person"));
    assert!(
        !html.contains("id=\"block-form\""),
        "no forms for an auditor"
    );
}

#[tokio::test]
async fn the_command_line_takes_the_same_actions_on_a_running_deployment() {
    use crate::backup::visage;
    let app = spawn_with(|c| c.server.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    let (dir, url) = (app.config.data_dir.clone(), app.config.database_url());
    let alice = app.user();
    let session = app.passkey_session_for(&alice, 5);

    let (ok, said) = visage(&dir, &url, &["incident", "block", "198.51.100.0/24"]);
    assert!(
        !ok && said.contains("--reason"),
        "a reason is required: {said}"
    );
    let (ok, said) = visage(
        &dir,
        &url,
        &[
            "incident",
            "block",
            "198.51.100.9/24",
            "--reason",
            "INC-7: scanner",
            "--hours",
            "2",
        ],
    );
    assert!(ok, "{said}");
    assert!(said.contains("198.51.100.0/24"), "{said}");
    let (ok, said) = visage(
        &dir,
        &url,
        &[
            "incident",
            "reauthenticate",
            EMAIL,
            "--reason",
            "INC-7: phished",
        ],
    );
    assert!(ok, "{said}");
    let (ok, said) = visage(
        &dir,
        &url,
        &["incident", "face", "off", "--reason", "INC-7: replay"],
    );
    assert!(ok && said.contains("\"face_sign_in\": false"), "{said}");

    // The running server sees them: the floor at once, the block and the
    // switch once it re-reads its controls.
    assert_eq!(account_with(&app, &session).await, StatusCode::SEE_OTHER);
    app.clock.advance(visage::auth::controls::RELOAD_SECONDS);
    assert_eq!(
        from(&app, "198.51.100.77", "GET", "/login").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.audit_with(
            |e| e.category == "incident" && e.actor.as_deref() == Some("cli"),
            "INC-7"
        ),
        3
    );
    let (ok, said) = visage(
        &dir,
        &url,
        &["incident", "block", "0.0.0.0/0", "--reason", "x"],
    );
    assert!(!ok && said.contains("too wide"), "{said}");
}

//! Introspection and userinfo answered from memory (`oidc::row_cache`): a
//! repeated question is answered without the database, and never after a
//! change that ends the answer — made by this server, by another instance
//! of the deployment, or by another process on the same database.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_with, TestApp};

/// `visage_row_cache_total{kind, outcome="hit"}` in this process so far.
fn hits(kind: &str) -> f64 {
    let want = format!("visage_row_cache_total{{kind=\"{kind}\",outcome=\"hit\"}}");
    visage::telemetry::render()
        .lines()
        .find_map(|l| l.strip_prefix(want.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn userinfo(app: &TestApp, at: &str) -> StatusCode {
    app.http
        .get(app.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .status()
}

async fn introspect_status(app: &TestApp, id: &str, secret: &str, at: &str) -> StatusCode {
    app.http
        .post(app.url("/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn revoke(app: &TestApp, secret: &str, at: &str) {
    let r = app
        .http
        .post(app.url("/revoke"))
        .basic_auth("rp", Some(secret))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Ask until an answer comes from memory (a hit of `kind`): the first
/// question reads the rows; on PostgreSQL the notice of the set-up's own
/// writes can arrive up to one feed interval later and retire them once.
async fn until_from_memory<F: std::future::Future<Output = ()>>(kind: &str, ask: impl Fn() -> F) {
    let start = Instant::now();
    loop {
        let before = hits(kind);
        ask().await;
        if hits(kind) > before {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "no {kind} from memory"
        );
    }
}

/// A person's access token for the `rp` client (code flow).
async fn access_token(app: &TestApp, secret: &str) -> String {
    app.tokens_for_rp(secret).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A person's access token and the `rp` client's secret, introspection and
/// userinfo asked until they are answered from memory.
async fn kept(app: &TestApp) -> (String, String) {
    let secret = app.confidential();
    app.user();
    let at = access_token(app, &secret).await;
    until_from_memory("token", || async {
        assert_eq!(app.introspect("rp", &secret, &at).await["active"], true);
    })
    .await;
    until_from_memory("user", || async {
        assert_eq!(userinfo(app, &at).await, StatusCode::OK);
    })
    .await;
    (secret, at)
}

/// The attacker holds a token that was revoked, a client secret that was
/// rotated or a client or account that was disabled, and asks again at
/// once: the answer kept in memory is not given.
#[tokio::test]
async fn a_kept_answer_ends_at_once_when_this_server_changes_its_rows() {
    let app = spawn_app().await;
    let (secret, at) = kept(&app).await;
    until_from_memory("client", || async {
        assert_eq!(app.introspect("rp", &secret, &at).await["active"], true);
    })
    .await;

    // Revoked through this server's own endpoint.
    revoke(&app, &secret, &at).await;
    assert_eq!(app.introspect("rp", &secret, &at).await["active"], false);
    assert_eq!(userinfo(&app, &at).await, StatusCode::UNAUTHORIZED);

    // The client's secret rotated: the old one no longer authenticates.
    let at = access_token(&app, &secret).await;
    assert_eq!(app.introspect("rp", &secret, &at).await["active"], true);
    let new = rotate_secret(&app);
    assert_eq!(
        introspect_status(&app, "rp", &secret, &at).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.introspect("rp", &new, &at).await["active"], true);

    // The client disabled.
    set_client_disabled(&app, true);
    assert_eq!(
        introspect_status(&app, "rp", &new, &at).await,
        StatusCode::UNAUTHORIZED
    );
    set_client_disabled(&app, false);

    // The person disabled.
    assert_eq!(userinfo(&app, &at).await, StatusCode::OK);
    let uid = app
        .db
        .run_sync(|c| visage::db::tokens::find_by_id(c, &claim(&at, "jti")))
        .unwrap()
        .and_then(|r| r.user_id)
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::db::users::set_disabled(c, &uid, true, now))
        .unwrap();
    assert_eq!(userinfo(&app, &at).await, StatusCode::UNAUTHORIZED);
}

/// The `rp` client's secret rotated (as in the console); the new secret.
fn rotate_secret(app: &TestApp) -> String {
    let now = chrono::Utc::now().timestamp();
    let mk = app.master_key.clone();
    app.db
        .run_sync(|c| visage::oidc::client_admin::rotate_secret(c, &mk, &"rp".into(), "test", now))
        .unwrap()
}

/// The `rp` client disabled or enabled again (as in the console).
fn set_client_disabled(app: &TestApp, disabled: bool) {
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| {
            visage::oidc::client_admin::set_disabled(c, &"rp".into(), disabled, "test", now)
        })
        .unwrap();
}

/// A claim of a JWT, unverified (the test's own token).
fn claim(jwt: &str, name: &str) -> String {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims[name].as_str().unwrap().to_owned()
}

/// Asked again and again without a pause, how long `app` still calls the
/// token active (at most `limit`).
async fn still_active_for(app: &TestApp, secret: &str, at: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    while app.introspect("rp", secret, at).await["active"] == true {
        assert!(start.elapsed() < limit, "still active after {limit:?}");
    }
    start.elapsed()
}

/// Two instances of one deployment (one database): a token revoked on one
/// is no longer active on the other, whose memory held it active, within
/// the change feed's interval (`server.change_feed_ms`, 50 ms) — on
/// PostgreSQL by the tables' `NOTIFY`, on SQLite by `PRAGMA data_version`.
#[tokio::test]
async fn a_revocation_on_another_instance_reaches_the_kept_answers_within_the_feed_interval() {
    let a = spawn_app().await;
    let b = a.spawn_peer().await;
    let (secret, at) = kept(&b).await;
    revoke(&a, &secret, &at).await;
    let took = still_active_for(&b, &secret, &at, Duration::from_secs(2)).await;
    eprintln!("the other instance called it active for {took:?} more");
    assert!(took < Duration::from_millis(1000), "{took:?}");
    assert_eq!(userinfo(&b, &at).await, StatusCode::UNAUTHORIZED);
}

/// Another process on the same database (here a connection of the test's
/// own, as the CLI would be) revokes every token of the client: the server
/// follows within the feed interval.
#[tokio::test]
async fn a_revocation_by_another_process_reaches_the_kept_answers_within_the_feed_interval() {
    let app = spawn_app().await;
    let (secret, at) = kept(&app).await;
    let other = visage::db::Db::open(&app.config.database_url(), 1).unwrap();
    let now = chrono::Utc::now().timestamp();
    other
        .run_sync(|c| visage::db::tokens::revoke(c, &claim(&at, "jti"), now))
        .unwrap();
    let took = still_active_for(&app, &secret, &at, Duration::from_secs(2)).await;
    eprintln!("the server called it active for {took:?} more");
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

/// `server.row_cache = false`: every answer from the database.
#[tokio::test]
async fn with_the_cache_off_nothing_is_answered_from_memory() {
    let app = spawn_with(|c| c.server.row_cache = false).await;
    let secret = app.confidential();
    app.user();
    let at = access_token(&app, &secret).await;
    for _ in 0..3 {
        assert_eq!(app.introspect("rp", &secret, &at).await["active"], true);
        assert_eq!(userinfo(&app, &at).await, StatusCode::OK);
    }
    assert_eq!(hits("token") + hits("user") + hits("client"), 0.0);
}

/// client_credentials for a client whose row is kept: issued without the
/// database. The client disabled or its secret rotated: no token at once;
/// an `admin:` scope is still held to the client's role (read from the
/// database), and a scope it was never given is still refused.
#[tokio::test]
async fn client_credentials_from_memory_end_at_once_when_the_client_changes() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let cc = [("grant_type", "client_credentials"), ("scope", "api:read")];
    until_from_memory("client", || async {
        let t = app.token(Some(("rp", &secret)), &cc).await;
        assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    })
    .await;
    for scope in ["admin:users", "api:write"] {
        let asked = [("grant_type", "client_credentials"), ("scope", scope)];
        let t = app.token(Some(("rp", &secret)), &asked).await;
        assert_eq!(t.status, StatusCode::BAD_REQUEST, "{scope}: {}", t.body);
        assert_eq!(t.body["error"], "invalid_scope", "{scope}");
    }

    let new = rotate_secret(&app);
    let t = app.token(Some(("rp", &secret)), &cc).await;
    assert_eq!(
        t.status,
        StatusCode::UNAUTHORIZED,
        "the old secret: {}",
        t.body
    );
    assert_eq!(
        app.token(Some(("rp", &new)), &cc).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.token(Some(("rp", &new)), &cc).await.status,
        StatusCode::OK
    );
    set_client_disabled(&app, true);
    let t = app.token(Some(("rp", &new)), &cc).await;
    assert_eq!(t.status, StatusCode::UNAUTHORIZED, "disabled: {}", t.body);
}

//! Per-client allow-lists (issue 17). Origins: browser apps call /token and
//! /userinfo themselves; a page at an origin its client allows may, and reads
//! the answer; a page anywhere else is refused before anything happens — a
//! stolen code is not spent, a token not read — and servers (no `Origin`)
//! are unaffected. Networks: a client kept to address ranges cannot be used
//! from anywhere else, even with its secret.

use reqwest::StatusCode;
use serde_json::Value;
use visage::oidc::types::TokenAuthMethod;

use crate::helpers::*;

const SPA: &str = "https://spa.example";
const EVIL: &str = "https://evil.example";

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.http
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap()
}

fn allowed_origin(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn only_pages_at_a_clients_allowed_origins_call_token_and_userinfo() {
    let app = spawn_app().await;
    app.user();
    let mut spa = new_client("spa", TokenAuthMethod::None);
    spa.allowed_origins = vec![SPA.to_owned()];
    app.register(spa);

    for path in ["/token", "/userinfo"] {
        let ok = preflight(&app, path, SPA).await;
        assert_eq!(ok.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(allowed_origin(&ok).as_deref(), Some(SPA));
        let no = preflight(&app, path, EVIL).await;
        assert_eq!(no.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(allowed_origin(&no), None);
    }

    let (code, verifier, _) = app.code_for("spa", &[]).await;
    let redeem = |origin: &'static str| {
        let (app, code, verifier) = (&app, code.clone(), verifier.clone());
        async move {
            app.http
                .post(app.url("/token"))
                .header("Origin", origin)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("client_id", "spa"),
                    ("code_verifier", verifier.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A page elsewhere holding the code: refused, nothing readable, the
    // code not spent.
    let r = redeem(EVIL).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(allowed_origin(&r), None);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    // The app's own page redeems it and may read the tokens.
    let r = redeem(SPA).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&r).as_deref(), Some(SPA));
    let tokens: Value = r.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    let userinfo = |origin: Option<&'static str>| {
        let (app, access) = (&app, access.clone());
        async move {
            let mut req = app.http.get(app.url("/userinfo")).bearer_auth(access);
            if let Some(o) = origin {
                req = req.header("Origin", o);
            }
            req.send().await.unwrap()
        }
    };
    let r = userinfo(Some(EVIL)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(allowed_origin(&r), None);
    let r = userinfo(Some(SPA)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&r).as_deref(), Some(SPA));
    // A server sends no Origin: as before.
    let r = userinfo(None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&r), None);
}

#[tokio::test]
async fn an_allowed_origin_is_exactly_a_web_origin() {
    let app = spawn_app().await;
    for bad in [
        "https://spa.example/",
        "https://spa.example/app",
        "http://spa.example",
        "spa.example",
        "*",
    ] {
        let mut c = new_client("c", TokenAuthMethod::None);
        c.allowed_origins = vec![bad.to_owned()];
        let r = app
            .db
            .run_sync(|db| visage::oidc::client_admin::register(db, &app.master_key, c, "test", 1));
        assert!(r.is_err(), "{bad} was accepted");
    }
    for good in [
        "https://spa.example",
        "https://spa.example:8443",
        "http://localhost:5173",
    ] {
        let mut c = new_client(&format!("c{}", good.len()), TokenAuthMethod::None);
        c.allowed_origins = vec![good.to_owned()];
        app.register(c);
    }
}

/// client_credentials with `id`'s secret, from this test (127.0.0.1),
/// claiming `forwarded_for` in `X-Forwarded-For`.
async fn machine_call(app: &TestApp, id: &str, secret: &str, forwarded_for: &str) -> StatusCode {
    app.http
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .header("X-Forwarded-For", forwarded_for)
        .form(&[("grant_type", "client_credentials"), ("scope", "api:read")])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_client_kept_to_address_ranges_is_refused_from_anywhere_else() {
    let app = spawn_app().await;
    let mut office = new_client("office", TokenAuthMethod::ClientSecretBasic);
    office.allowed_networks = vec!["192.0.2.0/24".into(), "2001:db8::/32".into()];
    let office_secret = app.register(office).client_secret.unwrap();
    let mut local = new_client("local", TokenAuthMethod::ClientSecretBasic);
    local.allowed_networks = vec!["127.0.0.0/8".into()];
    let local_secret = app.register(local).client_secret.unwrap();

    // The right secret from the wrong place, even claiming an address in the
    // range (this deployment trusts no proxy): refused like a wrong secret.
    let s = machine_call(&app, "office", &office_secret, "192.0.2.7").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(app.audited("client.network", "blocked"), 1);
    // From inside its range: as ever.
    let s = machine_call(&app, "local", &local_secret, "192.0.2.7").await;
    assert_eq!(s, StatusCode::OK);

    for bad in ["192.0.2.0/33", "not-a-range", "192.0.2.0/24/8"] {
        let mut c = new_client("c", TokenAuthMethod::ClientSecretBasic);
        c.allowed_networks = vec![bad.to_owned()];
        let r = app
            .db
            .run_sync(|db| visage::oidc::client_admin::register(db, &app.master_key, c, "test", 1));
        assert!(r.is_err(), "{bad} was accepted");
    }
}

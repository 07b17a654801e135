//! Browser apps call /token and /userinfo themselves (issue 17, per-client
//! allow-lists): a page at an origin its client allows may, and reads the
//! answer; a page anywhere else is refused before anything happens — a
//! stolen code is not spent, a token not read — and servers (no `Origin`)
//! are unaffected.

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

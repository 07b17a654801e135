//! Several instances of one deployment on one database (issue 16): what an
//! instance decides from is shared — guessing limits, browser sessions,
//! single-use codes, refresh-token rotation, client-assertion replays and
//! signing keys — so a client or an attacker spread over the instances of a
//! load balancer gets exactly what one instance would give.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_guesser_spread_over_two_instances_gets_one_budget() {
    let a = spawn_with(|c| c.lockout.ip.max = 1000).await;
    let b = a.spawn_peer().await;
    a.user();
    // One account's password guessed on alternate instances: the account's
    // budget is spent once, not once per instance...
    for i in 0..a.config.lockout.account.max {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = app.login("/login", EMAIL, "wrong").await;
        assert_eq!(r.status(), StatusCode::OK, "guess {i}");
    }
    // ...and the block holds on both, even for the right password.
    for app in [&a, &b] {
        let r = app.login("/login", EMAIL, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{}", app.base);
    }
}

#[tokio::test]
async fn an_address_spraying_accounts_over_two_instances_gets_one_budget() {
    let a = spawn_with(|c| c.lockout.account.max = 1000).await;
    let b = a.spawn_peer().await;
    a.user();
    for i in 0..a.config.lockout.ip.max {
        let app = if i % 2 == 0 { &b } else { &a };
        let r = app
            .login("/login", &format!("nobody{i}@example.com"), "wrong")
            .await;
        assert_eq!(r.status(), StatusCode::OK, "guess {i}");
    }
    for app in [&a, &b] {
        let r = app.login("/login", EMAIL, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{}", app.base);
    }
}

/// The code exchange of the client `rp` on `app`: (status, body).
async fn exchange(app: &TestApp, secret: &str, code: &str, verifier: &str) -> (StatusCode, Value) {
    let t = app.exchange_code(secret, code, verifier).await;
    (t.status, t.body)
}

#[tokio::test]
async fn codes_sessions_and_refresh_families_are_one_across_instances() {
    let a = spawn_with(|c| c.tokens.refresh_grace_seconds = 0).await;
    let b = a.spawn_peer().await;
    let secret = a.confidential();
    a.user();
    // Signed in and consented on A; the code is redeemed on B, once.
    let (code, verifier, _) = a.code_for("rp", &[]).await;
    let (s, tokens) = exchange(&b, &secret, &code, &verifier).await;
    assert_eq!(s, StatusCode::OK, "{tokens}");
    let (s, again) = exchange(&a, &secret, &code, &verifier).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{again}");
    assert_eq!(again["error"], "invalid_grant");
    // The replay revoked what the code gave, on every instance.
    let rt = tokens["refresh_token"].as_str().unwrap();
    let r = a.refresh_rp(&secret, rt).await;
    assert_eq!(r.body["error"], "invalid_grant", "{}", r.body);

    // The browser session started on A signs in on B without a password:
    // `code_for` on B never sees the sign-in page (it would fail there: it
    // expects a redirect, and the sign-in page is a 200 form).
    let (code, verifier, _) = b.code_for("rp", &[]).await;
    let (s, second) = exchange(&a, &secret, &code, &verifier).await;
    assert_eq!(s, StatusCode::OK, "{second}");

    // A refresh rotated on A; the old one replayed on B kills the family
    // everywhere (the newest refresh token too).
    let rt1 = second["refresh_token"].as_str().unwrap();
    let r1 = a.refresh_rp(&secret, rt1).await;
    assert_eq!(r1.status, StatusCode::OK, "{}", r1.body);
    let rt2 = r1.body["refresh_token"].as_str().unwrap();
    a.clock.advance(1);
    b.clock.advance(1);
    let replay = b.refresh_rp(&secret, rt1).await;
    assert_eq!(replay.body["error"], "invalid_grant", "{}", replay.body);
    let newest = a.refresh_rp(&secret, rt2).await;
    assert_eq!(newest.body["error"], "invalid_grant", "{}", newest.body);
    let at = r1.body["access_token"].as_str().unwrap();
    assert_eq!(b.introspect("rp", &secret, at).await["active"], false);
    // Another sign-in's family is untouched.
    let (code, verifier, _) = a.code_for("rp", &[]).await;
    let (s, third) = exchange(&b, &secret, &code, &verifier).await;
    assert_eq!(s, StatusCode::OK, "{third}");
    let other = third["refresh_token"].as_str().unwrap();
    let r = b.refresh_rp(&secret, other).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_key_retired_on_one_instance_stops_verifying_on_the_other() {
    use crate::admin_api::{admin_client, bearer, call};
    use visage::admin::roles::Role;
    let a = spawn_app().await;
    let b = a.spawn_peer().await;
    let secret = admin_client(&a, "ops", Some(Role::Owner));
    let token = bearer(&a, "ops", &secret, "admin:read admin:keys").await;
    let kid = jwt_header(&token)["kid"].as_str().unwrap().to_owned();
    let (s, _) = call(&b, "GET", "/keys", &token, None).await;
    assert_eq!(s, StatusCode::OK, "a token from A works on B");
    let (s, body) = call(&a, "POST", &format!("/keys/{kid}/retire"), &token, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // B sees the retirement within seconds (its incident controls, re-read
    // every RELOAD_SECONDS; documented in docs/operations.md), not at its
    // next minute's key reload: from then on it refuses the retired key's
    // tokens and no longer publishes it.
    b.clock.advance(visage::auth::controls::RELOAD_SECONDS);
    let (s, body) = call(&b, "GET", "/keys", &token, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let jwks = b.get("/jwks").await.text().await.unwrap();
    assert!(!jwks.contains(&kid), "{jwks}");
    // Tokens signed by the replacement work on both.
    let fresh = bearer(&b, "ops", &secret, "admin:read").await;
    for app in [&a, &b] {
        let (s, body) = call(app, "GET", "/keys", &fresh, None).await;
        assert_eq!(s, StatusCode::OK, "{}: {body}", app.base);
    }
}

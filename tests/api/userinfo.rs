use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn userinfo_returns_scoped_claims_by_get_and_post() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let uid = app.user();
    let t = app.tokens_for_rp(&secret).await;
    let at = t["access_token"].as_str().unwrap();
    let r = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let claims: serde_json::Value = r.json().await.unwrap();
    assert_eq!(claims["sub"], uid);
    assert_eq!(claims["email"], EMAIL);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Alice Example");
    assert!(
        claims.get("phone_number").is_none(),
        "phone scope was not granted"
    );
    let r = app
        .http
        .post(app.url("/userinfo"))
        .form(&[("access_token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn userinfo_errors_follow_rfc_6750() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let r = app.get("/userinfo").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"visage\"");
    let r = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth("garbage.token.here")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
    // A client's own token is not a person's token.
    let cc = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    let r = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(cc.body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // An expired token.
    app.user();
    let t = app.tokens_for_rp(&secret).await;
    app.clock.advance(3601);
    let r = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The person's row is read with the token's, in one statement: an access
/// token of a person since disabled gets a bearer error, not their claims.
#[tokio::test]
async fn a_disabled_persons_access_token_gets_no_claims() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let uid = app.user();
    let t = app.tokens_for_rp(&secret).await;
    let at = t["access_token"].as_str().unwrap().to_owned();
    let userinfo = || async {
        app.http
            .get(app.url("/userinfo"))
            .bearer_auth(&at)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(userinfo().await.status(), StatusCode::OK);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::db::users::set_disabled(c, &uid.as_str().into(), true, now))
        .unwrap();
    let r = userinfo().await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let www = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(www.contains("invalid_token"), "{www}");
    assert!(www.contains("no longer active"), "{www}");
}

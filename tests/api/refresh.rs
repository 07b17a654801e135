use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_with(|c| c.tokens.refresh_grace_seconds = 0).await;
    let secret = app.confidential();
    app.user();
    let first = app.tokens_for_rp(&secret).await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let r1 = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
        )
        .await;
    assert_eq!(r1.status, StatusCode::OK);
    let rt2 = r1.body["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2, "rotated");
    app.clock.advance(1);
    let reuse = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", rt1)],
        )
        .await;
    assert_eq!(reuse.body["error"], "invalid_grant");
    // The whole family is dead now, including the newest refresh and access tokens.
    let r = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
        )
        .await;
    assert_eq!(r.body["error"], "invalid_grant");
    assert_eq!(
        app.introspect("rp", &secret, r1.body["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
}

#[tokio::test]
async fn a_concurrent_retry_within_the_grace_window_gets_the_same_pair() {
    let app = spawn_with(|c| c.tokens.refresh_grace_seconds = 10).await;
    let secret = app.confidential();
    app.user();
    let first = app.tokens_for_rp(&secret).await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", rt1)];
    let a = app.token(Some(("rp", &secret)), &form).await;
    let b = app.token(Some(("rp", &secret)), &form).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, b.body, "retry returns the same new pair");
    app.clock.advance(11);
    let late = app.token(Some(("rp", &secret)), &form).await;
    assert_eq!(
        late.body["error"], "invalid_grant",
        "after the window it is reuse"
    );
}

#[tokio::test]
async fn refresh_tokens_are_bound_to_their_client_and_scope() {
    let app = spawn_app().await;
    let secret = app.confidential();
    let other = app
        .register(new_client(
            "other",
            visage::oidc::types::TokenAuthMethod::ClientSecretBasic,
        ))
        .client_secret
        .unwrap();
    app.user();
    let first = app.tokens_for_rp(&secret).await;
    let rt = first["refresh_token"].as_str().unwrap();
    let t = app
        .token(
            Some(("other", &other)),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(t.body["error"], "invalid_grant");
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("scope", "openid phone"),
            ],
        )
        .await;
    assert_eq!(t.body["error"], "invalid_scope");
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("scope", "openid offline_access"),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    assert_eq!(t.body["scope"], "openid offline_access");
    // Revoking a refresh token ends its family.
    let rt2 = t.body["refresh_token"].as_str().unwrap();
    app.http
        .post(app.url("/revoke"))
        .basic_auth("rp", Some(&secret))
        .form(&[("token", rt2), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    let t = app
        .token(
            Some(("rp", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
        )
        .await;
    assert_eq!(t.body["error"], "invalid_grant");
}

//! Protocol checks an attacker probes (issue 13): a stolen code with the
//! wrong verifier, reuse without grace, and `id_token_hint` that is not an
//! ID token.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_code_with_the_wrong_verifier_or_redirect_uri_is_not_burned() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let (code, verifier, _) = app.code_for("rp", &[]).await;
    let wrong_verifier = "x".repeat(43);
    for (uri, v) in [
        (REDIRECT, wrong_verifier.as_str()),
        ("http://127.0.0.1:8765/other", verifier.as_str()),
    ] {
        let t = app
            .token(
                Some(("rp", &secret)),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", uri),
                    ("code_verifier", v),
                ],
            )
            .await;
        assert_eq!(t.status, StatusCode::BAD_REQUEST);
        assert_eq!(t.body["error"], "invalid_grant");
    }
    // The client that owns the code still redeems it.
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
}

#[tokio::test]
async fn no_grace_means_a_reuse_in_the_same_second_revokes_the_family() {
    let app = spawn_with(|c| c.tokens.refresh_grace_seconds = 0).await;
    let secret = app.confidential();
    app.user();
    let first = app.tokens_for_rp(&secret).await;
    let rt1 = first["refresh_token"].as_str().unwrap();
    let refresh = |rt: String| {
        let app = &app;
        let secret = secret.clone();
        async move {
            app.token(
                Some(("rp", &secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            )
            .await
        }
    };
    let r1 = refresh(rt1.to_owned()).await;
    assert_eq!(r1.status, StatusCode::OK);
    // Same second, no clock advance.
    let reuse = refresh(rt1.to_owned()).await;
    assert_eq!(reuse.body["error"], "invalid_grant", "{}", reuse.body);
    let r2 = refresh(r1.body["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(r2.body["error"], "invalid_grant", "the family is revoked");
}

#[tokio::test]
async fn an_access_token_is_not_an_id_token_hint() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let tokens = app.tokens_for_rp(&secret).await;
    let access = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let (_, ch) = pkce();
    let base = [
        ("client_id", "rp"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // The real ID token is accepted as a hint (the same person: no new sign-in).
    let mut with_id = base.to_vec();
    with_id.push(("id_token_hint", id_token));
    with_id.push(("prompt", "none"));
    let r = app.authorize(&with_id).await;
    let loc = location(r.headers());
    assert!(loc.starts_with(REDIRECT) && loc.contains("code="), "{loc}");
    // An access token (typ at+jwt) is not.
    let r = app.get(&format!("/logout?id_token_hint={access}")).await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("was not issued by this provider"),
        "an access token is refused as id_token_hint"
    );
}

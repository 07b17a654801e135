use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn rp_initiated_logout_ends_the_session_and_redirects_with_state() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let t = app.tokens_for_rp(&secret).await;
    let id_token = t["id_token"].as_str().unwrap();
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", id_token)
        .append_pair("post_logout_redirect_uri", POST_LOGOUT)
        .append_pair("state", "bye");
    let r = app.submit(url.as_str(), &[]).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(location(r.headers()), format!("{POST_LOGOUT}?state=bye"));
    // The session is over: prompt=none now needs a login, and its access token is dead.
    let (_, ch) = pkce();
    let r = app
        .authorize(&[
            ("client_id", "rp"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
            ("prompt", "none"),
        ])
        .await;
    assert_eq!(query_of(&location(r.headers()))["error"], "login_required");
    assert_eq!(
        app.introspect("rp", &secret, t["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
}

#[tokio::test]
async fn logout_never_redirects_to_an_unregistered_uri() {
    let app = spawn_app().await;
    let secret = app.confidential();
    app.user();
    let t = app.tokens_for_rp(&secret).await;
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", t["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", "https://evil.example/");
    let r = app.get(url.as_str()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("post_logout_redirect_uri", POST_LOGOUT);
    assert_eq!(
        app.get(url.as_str()).await.status(),
        StatusCode::BAD_REQUEST,
        "no client identified"
    );
    let mut url = url::Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", "forged.token.value");
    assert_eq!(
        app.get(url.as_str()).await.status(),
        StatusCode::BAD_REQUEST
    );
}

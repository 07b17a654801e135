use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn expired_or_reused_login_transactions_show_a_clear_page() {
    let app = spawn_app().await;
    app.confidential();
    app.user();
    let (_, ch) = pkce();
    let r = app
        .authorize(&[
            ("client_id", "rp"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let login = location(r.headers());
    app.clock.advance(31 * 60);
    let r = app.get(&login).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("expired"));
    // Without a transaction the page signs in to the account page.
    let r = app.get("/login").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("manage your Visage account"));
}

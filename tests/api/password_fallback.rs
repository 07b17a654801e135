//! Per-client password policy: password + emailed code, or passkeys only.

use reqwest::StatusCode;
use visage::oidc::types::{PasswordPolicy, RequiredAcr, TokenAuthMethod};

use crate::helpers::*;
use crate::mail::MailSink;

/// Register `rp` with `policy`; returns its secret.
fn client(app: &TestApp, policy: PasswordPolicy) -> String {
    let mut c = new_client("rp", TokenAuthMethod::ClientSecretBasic);
    c.password_policy = policy;
    app.register(c).client_secret.expect("secret")
}

/// Start an authorization for `rp`; returns (login page path, PKCE verifier).
async fn start(app: &TestApp) -> (String, String) {
    start_for(app, "rp").await
}

async fn start_for(app: &TestApp, client_id: &str) -> (String, String) {
    let (verifier, ch) = pkce();
    let r = app
        .authorize(&[
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("state", "s1"),
            ("nonce", "n1"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    (location(r.headers()), verifier)
}

/// Whether the test client has a session (the account page does not send it to sign in).
async fn signed_in(app: &TestApp) -> bool {
    let r = app.get("/account").await;
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .is_none_or(|l| !l.starts_with("/login"))
}

#[tokio::test]
async fn a_password_fallback_client_also_needs_the_emailed_code() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let secret = client(&app, PasswordPolicy::EmailCode);
    app.user();
    let (login, verifier) = start(&app).await;
    let html = app.get(&login).await.text().await.unwrap();
    assert!(
        html.contains("type=\"password\""),
        "the fallback is offered"
    );

    // A wrong password sends nothing.
    let r = app.login(&login, EMAIL, "wrong password").await;
    assert!(r.text().await.unwrap().contains("incorrect"));
    assert!(sink.messages_to(EMAIL).is_empty());

    // The right password alone is not a sign-in: it leads to the code page.
    let r = app.login(&login, EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/login/code");
    assert!(!signed_in(&app).await, "a password alone starts no session");
    let code = sink.code(EMAIL, 0);
    assert!(sink.subjects(EMAIL)[0].contains("sign-in code"));

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = app.submit("/login/code", &[("code", wrong)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("That code is not right"));
    assert_eq!(app.audited("login.password_code", "failure"), 1);

    let r = app.submit("/login/code", &[("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let consent = location(r.headers());
    assert!(consent.starts_with("/consent"), "{consent}");
    let r = app.submit(&consent, &[("decision", "allow")]).await;
    let back = query_of(&location(r.headers()));
    let t = app
        .token(
            Some(("rp", &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let claims = jwt_claims(t.body["id_token"].as_str().unwrap());
    assert_eq!(claims["acr"], "urn:visage:acr:password");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(app.audited("login.password_code", "success"), 1);

    // The code is single use (the CSRF token changed at the sign-in).
    let csrf = csrf_of(&app.get("/login").await.text().await.unwrap());
    let r = app
        .http
        .post(app.url("/login/code"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("Start again"));
}

#[tokio::test]
async fn a_passkey_only_client_offers_no_password_and_refuses_one() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    client(&app, PasswordPolicy::Off);
    app.user();
    let (login, _) = start(&app).await;
    refuses_a_password(&app, &login).await;
}

/// The sign-in page `login` offers no password field, and a posted password
/// gets 403 and no session.
async fn refuses_a_password(app: &TestApp, login: &str) {
    let html = app.get(login).await.text().await.unwrap();
    assert!(html.contains("Sign in with a passkey"));
    assert!(!html.contains("type=\"password\""));
    let csrf = csrf_of(&html);
    let tx = query_of(&app.url(login))["tx"].clone();
    let r = app
        .http
        .post(app.url("/login"))
        .form(&[
            ("tx", tx.as_str()),
            ("csrf", csrf.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!signed_in(app).await, "no session");
}

#[tokio::test]
async fn a_client_that_requires_a_passkey_takes_no_password_session() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let mut strict = new_client("rp", TokenAuthMethod::ClientSecretBasic);
    strict.required_acr = Some(RequiredAcr::Passkey);
    app.register(strict);
    let mut open = new_client("open", TokenAuthMethod::ClientSecretBasic);
    open.first_party = true;
    app.register(open);
    app.user();
    let (login, _) = start(&app).await;
    refuses_a_password(&app, &login).await;
    // A password sign-in to another application is not enough for `rp`:
    // it is sent to sign in again, with a passkey.
    let (login, _) = start_for(&app, "open").await;
    let r = app.login(&login, EMAIL, PASSWORD).await;
    assert!(
        location(r.headers()).starts_with(REDIRECT),
        "a code for open"
    );
    assert!(signed_in(&app).await);
    let (login, _) = start_for(&app, "rp").await;
    assert!(login.starts_with("/login"), "{login}");
    let html = app.get(&login).await.text().await.unwrap();
    assert!(!html.contains("type=\"password\""));
}

#[tokio::test]
async fn the_deployment_default_can_ask_every_password_for_a_code() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |c| c.login.password_email_code = true).await;
    client(&app, PasswordPolicy::Default);
    app.user();
    let (login, _) = start(&app).await;
    let r = app.login(&login, EMAIL, PASSWORD).await;
    assert_eq!(location(r.headers()), "/login/code");
    sink.code(EMAIL, 0);
}

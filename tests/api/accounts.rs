//! Accounts over plain HTTP: sign-up abuse, recovery codes, the acr ladder.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail::MailSink;

async fn signup_form(app: &TestApp, email: &str) -> reqwest::Response {
    app.submit("/signup", &[("email", email), ("name", "Test Person")])
        .await
}

#[tokio::test]
async fn a_flood_of_signups_from_one_ip_is_blocked_and_leaves_no_account() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |c| c.lockout.signup_ip.max = 3).await;
    for i in 0..3 {
        let r = signup_form(&app, &format!("flood{i}@example.com")).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "sign-up {i} goes to the code page"
        );
        assert!(sink.code(&format!("flood{i}@example.com"), 0).len() == 6);
    }
    let r = signup_form(&app, "flood9@example.com").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Too many sign-ups from your network"));
    assert!(
        sink.messages_to("flood9@example.com").is_empty(),
        "no mail for a blocked sign-up"
    );
    // Nobody finished: no account exists, only the pending (expiring) challenges.
    assert_eq!(app.count("users"), 0);
    assert_eq!(app.count("email_challenges"), 3);
    assert_eq!(app.audited("signup.start", "rate_limited"), 1);
    assert_eq!(app.audited("lockout", "blocked"), 1);
}

#[tokio::test]
async fn signup_refuses_bad_input_and_taken_addresses_with_a_clear_message() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    app.user();
    let r = signup_form(&app, "not-an-email").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Enter a valid email address"));
    let r = signup_form(&app, EMAIL).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("already exists"));
    // A wrong code is refused; five wrong codes void the sign-up.
    let r = signup_form(&app, "new@example.com").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let good = sink.code("new@example.com", 0);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let r = app.submit("/signup/verify", &[("code", wrong)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("code is not right"));
    for _ in 0..4 {
        app.submit("/signup/verify", &[("code", wrong)]).await;
    }
    let r = app.get("/signup/verify").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("Start again"));
    assert_eq!(app.count("email_challenges"), 0);
    assert_eq!(app.count("users"), 1);
}

#[tokio::test]
async fn closed_signup_needs_a_valid_single_use_invitation() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |c| c.signup.open = false).await;
    let r = signup_form(&app, "bob@example.com").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("needs an invitation"));
    let now = chrono::Utc::now().timestamp();
    let token = app
        .db
        .run_sync(|c| {
            visage::auth::signup::invite(c, Some("bob@example.com"), None, "test", 3600, now)
        })
        .expect("invite");
    // The invitation is for Bob only.
    let page = format!("/signup?invitation={token}");
    let r = app
        .submit(&page, &[("email", "eve@example.com"), ("name", "Eve")])
        .await;
    assert!(r.text().await.unwrap().contains("invitation is invalid"));
    let r = app
        .submit(&page, &[("email", "bob@example.com"), ("name", "Bob")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(sink.code("bob@example.com", 0).len(), 6);
}

#[tokio::test]
async fn recovery_codes_work_once_and_give_the_lowest_assurance() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let secret = app.confidential();
    let uid = app.user();
    let now = chrono::Utc::now().timestamp();
    let codes = app
        .db
        .run_sync(|c| {
            visage::auth::recovery::issue(c, &app.master_key, &uid.as_str().into(), 3, now)
        })
        .expect("codes");
    let r = app
        .submit(
            "/recover",
            &[("email", EMAIL), ("code", &codes[0].to_lowercase())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        location(r.headers()).starts_with("/account/passkeys/new"),
        "asked to register a new passkey"
    );
    let page = app.get("/account/passkeys/new").await.text().await.unwrap();
    assert!(page.contains("signed in with a recovery method"));
    // The RP sees the low assurance in acr/amr.
    let (code, verifier, _) = app.code_for("rp", &[]).await;
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
    let id = jwt_claims(t.body["id_token"].as_str().expect("id_token"));
    assert_eq!(id["acr"], "urn:visage:acr:recovery");
    assert_eq!(id["amr"], serde_json::json!(["otp"]));
    // A used code is refused, and audited.
    let r = app
        .submit("/recover", &[("email", EMAIL), ("code", &codes[0])])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("already used"));
    assert_eq!(app.audited("recovery.code", "success"), 1);
    assert_eq!(app.audited("recovery.code", "failure"), 1);
}

#[tokio::test]
async fn email_recovery_sends_a_code_only_to_existing_accounts() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    app.user();
    let html = app.get("/recover").await.text().await.unwrap();
    let csrf = form_of(&html)
        .1
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .expect("csrf")
        .1;
    let send = |email: &'static str| {
        let (app, csrf) = (&app, csrf.clone());
        async move {
            app.http
                .post(app.url("/recover/email"))
                .form(&[("csrf", csrf.as_str()), ("email", email), ("tx", "")])
                .send()
                .await
                .expect("post")
        }
    };
    let r = send("nobody@example.com").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "same answer for an unknown address"
    );
    assert!(sink.messages_to("nobody@example.com").is_empty());
    let r = send(EMAIL).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let code = sink.code(EMAIL, 0);
    let r = app
        .submit("/recover/email/verify", &[("code", &code)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(r.headers()).starts_with("/account/passkeys/new"));
    let account = app.get("/account").await.text().await.unwrap();
    assert!(account.contains(EMAIL));
    assert_eq!(app.audited("recovery.email", "success"), 1);
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_a_while() {
    let app = spawn_with(|c| c.rate_limit.login_per_minute = 100).await;
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
    for _ in 0..5 {
        let r = app.login(&login, EMAIL, "wrong password").await;
        assert!(r.text().await.unwrap().contains("incorrect"));
    }
    // Even the right password is refused while the block lasts.
    let r = app.login(&login, EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));
    // The account and (at the same threshold, `lockout.ip`) the address.
    assert_eq!(app.audited("lockout", "blocked"), 2);
    app.clock.advance(16 * 60);
    let r = app.login(&login, EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FOUND, "the block ends");
}

#[tokio::test]
async fn an_essential_passkey_acr_hides_the_password_form_and_is_never_downgraded() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    app.confidential();
    app.user();
    let (_, ch) = pkce();
    let claims = r#"{"id_token":{"acr":{"essential":true,"values":["urn:visage:acr:passkey"]}}}"#;
    let r = app
        .authorize(&[
            ("client_id", "rp"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
            ("claims", claims),
        ])
        .await;
    let login = location(r.headers());
    let html = app.get(&login).await.text().await.unwrap();
    assert!(html.contains("Sign in with a passkey"));
    assert!(
        !html.contains("type=\"password\""),
        "no password form for an essential passkey acr"
    );
    assert!(html.contains("asks for a stronger sign-in"));
    // Discovery lists the ladder this deployment can reach.
    let d: serde_json::Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    let acrs: Vec<&str> = d["acr_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        acrs,
        [
            "urn:visage:acr:recovery",
            "urn:visage:acr:password",
            "urn:visage:acr:passkey"
        ]
    );
}

#[tokio::test]
async fn pages_follow_ui_locales_accept_language_and_client_branding() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let mut c = new_client(
        "rp",
        visage::oidc::types::TokenAuthMethod::ClientSecretBasic,
    );
    c.branding.accent_color = Some("#0b7285".into());
    c.branding.tos_uri = Some("https://rp.example/terms".into());
    app.register(c);
    let (_, ch) = pkce();
    let r = app
        .authorize(&[
            ("client_id", "rp"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
            ("ui_locales", "vi-VN en"),
        ])
        .await;
    let login = location(r.headers());
    let html = app.get(&login).await.text().await.unwrap();
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("Đăng nhập bằng khóa truy cập"));
    assert!(html.contains("để tiếp tục đến App rp"));
    assert!(html.contains("https://rp.example/terms"));
    assert!(html.contains("/theme.css?client=rp"));
    let css = app.get("/theme.css?client=rp").await.text().await.unwrap();
    assert_eq!(css, ":root{--accent:#0b7285;}");
    let r = app
        .http
        .get(app.url("/signup"))
        .header("Accept-Language", "fr;q=0.9, vi;q=0.8")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Tạo tài khoản"));
}

#[tokio::test]
async fn a_client_that_requires_the_face_never_gets_less() {
    let sink = MailSink::start();
    // No face engine here: the face level cannot be reached at all.
    let app = spawn_accounts(&sink, |_| {}).await;
    let mut c = new_client(
        "rp",
        visage::oidc::types::TokenAuthMethod::ClientSecretBasic,
    );
    c.face_policy = visage::oidc::types::FacePolicy::Require;
    app.register(c);
    app.user();
    let (_, ch) = pkce();
    let r = app
        .authorize(&[
            ("client_id", "rp"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "s1"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let login = location(r.headers());
    let html = app.get(&login).await.text().await.unwrap();
    assert!(
        !html.contains("type=\"password\""),
        "no password form for a face-only client"
    );
    // A correct password posted anyway is refused before it is checked: no
    // session, no code (the person can still use a passkey, and the RP then
    // gets unmet_authentication_requirements, as the face level is unreachable).
    let csrf = csrf_of(&html);
    let tx = query_of(&app.url(&login))["tx"].clone();
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
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN);
    assert!(r.headers().get("location").is_none());
    let r = app.get("/account").await;
    assert!(location(r.headers()).starts_with("/login"), "no session");
}

//! Assurance integrity, tried as an attacker would over HTTP: what a phished
//! password, a consent form, a recovery mailbox or a shared address can and
//! cannot reach (issue 13).

use reqwest::StatusCode;
use serde_json::{json, Value};
use visage::oidc::types::{PasswordPolicy, TokenAuthMethod};

use crate::helpers::*;
use crate::mail::MailSink;

/// Sign in with the password at `/login` (no transaction); returns the
/// CSRF token of this browser.
pub(crate) async fn password_session(app: &TestApp) -> String {
    let r = app.login("/login", EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "password sign-in");
    assert_eq!(location(r.headers()), "/account");
    csrf_of(&app.get("/login").await.text().await.unwrap())
}

/// A stored passkey for `uid` (the account then has the passkey level).
pub(crate) fn give_passkey(app: &TestApp, uid: &str) {
    let now = chrono::Utc::now().timestamp();
    let row = visage::db::passkeys::PasskeyRow {
        id: visage::crypto::random_token(16),
        user_id: uid.into(),
        name: "Laptop".into(),
        credential: "{}".into(),
        backup_eligible: false,
        created_at: now,
        last_used_at: None,
    };
    app.db
        .run_sync(|c| visage::db::passkeys::insert(c, &row))
        .unwrap();
}

pub(crate) async fn post_json(
    app: &TestApp,
    path: &str,
    csrf: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = app
        .http
        .post(app.url(path))
        .header("X-CSRF-Token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_phished_password_reaches_neither_the_face_level_nor_authenticator_changes() {
    let app = spawn_with(|c| c.face.enabled = true).await;
    let uid = app.user();
    give_passkey(&app, &uid);
    let csrf = password_session(&app).await;

    // Face consent and enrolment: back to sign in, nothing recorded.
    let r = app
        .http
        .post(app.url("/face/consent"))
        .form(&[("csrf", csrf.as_str()), ("decision", "agree")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/login");
    assert_eq!(app.count("biometric_consents"), 0);
    for path in ["/face/enrol/challenge", "/face/challenge"] {
        let (status, body) = post_json(&app, path, &csrf, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["redirect"], "/login", "{path}");
    }
    let frames = json!({ "nonce": "x", "frames": [{ "t": 0, "jpeg": blank_frame() }] });
    for path in ["/face/enrol/frames", "/face/frames", "/face/preview"] {
        let body = if path == "/face/preview" {
            json!({ "jpeg": blank_frame() })
        } else {
            frames.clone()
        };
        let (status, _) = post_json(&app, path, &csrf, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.count("face_challenges"), 0, "no challenge minted");

    // Passkeys and recovery codes of a passkey account need a passkey session.
    let r = app.get("/account/passkeys/new").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/login");
    let (status, _) = post_json(&app, "/account/passkeys/options", &csrf, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = app
        .http
        .post(app.url("/account/recovery-codes"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("recovery_codes"), 0, "no codes issued");
    assert_eq!(app.count("ceremonies"), 0, "no registration started");
}

#[tokio::test]
async fn a_password_only_account_adds_its_first_passkey_but_a_stale_session_does_not() {
    let app = spawn_with(|c| c.issuer = c.issuer.replace("127.0.0.1", "localhost")).await;
    app.user();
    let csrf = password_session(&app).await;
    let (status, body) = post_json(&app, "/account/passkeys/options", &csrf, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ceremony"].is_string());
    // Past `admin.step_up_seconds` the same session must sign in again.
    app.clock.advance(app.config.admin.step_up_seconds + 1);
    let (status, body) = post_json(&app, "/account/passkeys/options", &csrf, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

/// Start an authorization for `client_id`; the Location it answers.
async fn authorize(app: &TestApp, client_id: &str, extra: &[(&str, &str)]) -> String {
    let (_, ch) = pkce();
    let mut params = vec![
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "s1"),
        ("nonce", "n1"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let r = app.authorize(&params).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    location(r.headers())
}

async fn consent(app: &TestApp, tx: &str, csrf: &str) -> String {
    let r = app
        .http
        .post(app.url("/consent"))
        .form(&[("tx", tx), ("csrf", csrf), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    location(r.headers())
}

#[tokio::test]
async fn the_consent_form_never_answers_a_transaction_waiting_for_a_sign_in() {
    // A domain name, so the passkey level is reachable (WebAuthn).
    let app = spawn_with(|c| c.issuer = c.issuer.replace("127.0.0.1", "localhost")).await;
    app.confidential();
    app.user();
    let csrf = password_session(&app).await;
    for extra in [
        vec![("prompt", "login")],
        vec![("max_age", "0")],
        vec![("acr_values", "urn:visage:acr:passkey")],
    ] {
        // Within the same second as the sign-in, and a second later.
        for _ in 0..2 {
            let loc = authorize(&app, "rp", &extra).await;
            assert!(loc.starts_with("/login?tx="), "{extra:?}: {loc}");
            let tx = query_of(&app.url(&loc))["tx"].clone();
            let next = consent(&app, &tx, &csrf).await;
            assert!(
                !next.starts_with(REDIRECT),
                "{extra:?}: a code without signing in: {next}"
            );
            assert!(next.starts_with("/login?tx="), "{extra:?}: {next}");
            assert_eq!(app.count("consents"), 0, "{extra:?}: consent not recorded");
            app.clock.advance(1);
        }
    }
    // Signing in within the transaction still lets consent finish it.
    let loc = authorize(&app, "rp", &[("prompt", "login")]).await;
    let r = app.login(&loc, EMAIL, PASSWORD).await;
    let next = location(r.headers());
    assert!(next.starts_with("/consent?tx="), "{next}");
    let tx = query_of(&app.url(&next))["tx"].clone();
    let csrf = csrf_of(&app.get(&next).await.text().await.unwrap());
    assert!(consent(&app, &tx, &csrf).await.starts_with(REDIRECT));
}

#[tokio::test]
async fn a_clients_password_policy_is_a_floor_for_single_sign_on() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let mut c = new_client("rp", TokenAuthMethod::ClientSecretBasic);
    c.password_policy = PasswordPolicy::EmailCode;
    app.register(c);
    let mut off = new_client("strict", TokenAuthMethod::ClientSecretBasic);
    off.password_policy = PasswordPolicy::Off;
    app.register(off);
    app.user();
    let csrf = password_session(&app).await;
    for client in ["rp", "strict"] {
        let loc = authorize(&app, client, &[]).await;
        assert!(loc.starts_with("/login?tx="), "{client}: {loc}");
        let tx = query_of(&app.url(&loc))["tx"].clone();
        let next = consent(&app, &tx, &csrf).await;
        assert!(!next.starts_with(REDIRECT), "{client}: {next}");
    }
}

#[tokio::test]
async fn the_language_switch_only_goes_back_to_this_site() {
    let app = spawn_app().await;
    for back in [
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "/%20/evil.example",
        "https://evil.example",
    ] {
        let r = app.get(&format!("/lang?set=en&back={back}")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(r.headers()), "/account", "{back}");
    }
    let r = app.get("/lang?set=vi&back=/login%3Ftx%3Dabc").await;
    assert_eq!(location(r.headers()), "/login?tx=abc");
}

/// Mail a recovery code to `EMAIL`, then guess `n` wrong codes; returns the
/// status of each answer (the request for the code first).
async fn recovery_round(app: &TestApp, n: usize) -> Vec<StatusCode> {
    let html = app.get("/recover").await.text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = app
        .http
        .post(app.url("/recover/email"))
        .form(&[("csrf", csrf.as_str()), ("email", EMAIL)])
        .send()
        .await
        .unwrap();
    let mut out = vec![r.status()];
    if r.status() != StatusCode::SEE_OTHER {
        return out;
    }
    for _ in 0..n {
        let r = app
            .http
            .post(app.url("/recover/email/verify"))
            .form(&[("csrf", csrf.as_str()), ("code", "000000")])
            .send()
            .await
            .unwrap();
        out.push(r.status());
    }
    out
}

#[tokio::test]
async fn emailed_recovery_codes_share_the_accounts_guessing_budget() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |c| c.lockout.email.max = 100).await;
    app.user();
    for _ in 0..8 {
        recovery_round(&app, 5).await;
    }
    let evaluated = app.audited("recovery.email", "failure");
    let budget = app.config.lockout.account.max;
    let wrong = app.audit_with(|e| e.action == "recovery.email", "bad_code");
    assert!(
        wrong < budget,
        "{wrong} wrong codes were checked for one account (budget {budget}); {evaluated} failures"
    );
    // Blocked: no challenge is minted (429, no new mail).
    let mails = sink.messages_to(EMAIL).len();
    let round = recovery_round(&app, 1).await;
    assert_eq!(round, vec![StatusCode::TOO_MANY_REQUESTS]);
    assert_eq!(sink.messages_to(EMAIL).len(), mails);
    // The same account's password is refused too while blocked.
    let r = app.login("/login", EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_busy_office_signs_in_and_only_failures_block_an_address() {
    let app = spawn_with(|c| c.issuer = c.issuer.replace("127.0.0.1", "localhost")).await;
    app.user();
    // 30 correct sign-ins from one address within a minute all succeed.
    for i in 0..30 {
        let r = app.login("/login", EMAIL, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in {i}");
    }
    // Someone else's failures block passwords from the address, not passkeys.
    for i in 0..app.config.lockout.ip.max {
        let r = app
            .login("/login", &format!("nobody{i}@example.com"), "wrong")
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app.login("/login", EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let csrf = csrf_of(&app.get("/login").await.text().await.unwrap());
    let (status, body) = post_json(&app, "/login/passkey/options", &csrf, json!({})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "passkey sign-in still starts: {body}"
    );
}

/// A password sign-in from `addr` as seen through the proxy header.
async fn login_via(app: &TestApp, addr: &str, password: &str) -> StatusCode {
    let html = app.get("/login").await.text().await.unwrap();
    let csrf = csrf_of(&html);
    app.http
        .post(app.url("/login"))
        .header("X-Forwarded-For", addr)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", EMAIL),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_counts_alone() {
    let app = spawn_with(|c| {
        c.server.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.lockout.account.max = 1000;
    })
    .await;
    app.user();
    for _ in 0..app.config.lockout.ip.max {
        assert_eq!(
            login_via(&app, "198.51.100.1", "wrong").await,
            StatusCode::OK
        );
    }
    assert_eq!(
        login_via(&app, "198.51.100.1", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_via(&app, "198.51.100.2", PASSWORD).await,
        StatusCode::SEE_OTHER,
        "another client behind the same proxy is not blocked"
    );
    assert!(app.count("audit_events WHERE ip = '198.51.100.1'") > 0);
}

#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn_with(|c| c.lockout.account.max = 1000).await;
    app.user();
    for i in 0..app.config.lockout.ip.max {
        let forged = format!("203.0.113.{i}");
        assert_eq!(login_via(&app, &forged, "wrong").await, StatusCode::OK);
    }
    assert_eq!(
        login_via(&app, "203.0.113.200", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged header does not escape the per-address limit"
    );
}

#[tokio::test]
async fn a_disabled_person_has_no_session_anywhere() {
    let app = spawn_app().await;
    let uid = app.user();
    password_session(&app).await;
    assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| visage::db::users::set_disabled(c, &uid.as_str().into(), true, now))
        .unwrap();
    let r = app.get("/account").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/login");
}

#[tokio::test]
async fn a_credential_change_ends_the_other_sessions_and_mails_the_holder() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let uid = app.user();
    give_passkey(&app, &uid);
    let (mine, other) = (
        app.passkey_session_for(&uid, 0),
        app.passkey_session_for(&uid, 0),
    );
    let cookie = |s: &str| session_cookies(s);
    let r = app
        .http
        .post(app.url("/account/recovery-codes"))
        .header("Cookie", cookie(&mine))
        .form(&[("csrf", "t0ken")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "new codes shown");
    let status_with = |s: String| {
        let app = &app;
        async move {
            app.http
                .get(app.url("/account"))
                .header("Cookie", cookie(&s))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        status_with(mine.clone()).await,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        status_with(other.clone()).await,
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    let subjects = sink.subjects(EMAIL);
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("sign-in methods changed")),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn parallel_guesses_never_exceed_the_attempts_of_an_emailed_code() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |c| {
        c.server.workers = 4;
        c.lockout.account.max = 1000;
        c.lockout.ip.max = 1000;
    })
    .await;
    app.user();
    // A mailed recovery code, then 16 wrong guesses at once.
    let statuses = recovery_round(&app, 0).await;
    assert_eq!(statuses, vec![StatusCode::SEE_OTHER]);
    let csrf = csrf_of(&app.get("/recover").await.text().await.unwrap());
    let form = [("csrf", csrf.as_str()), ("code", "000000")];
    let guesses = (0..16).map(|_| {
        app.http
            .post(app.url("/recover/email/verify"))
            .form(&form)
            .send()
    });
    futures_util::future::join_all(guesses).await;
    let compared = app.audit_with(|e| e.action == "recovery.email", "bad_code");
    let max = app.config.signup.max_code_attempts;
    assert!(
        compared <= max,
        "{compared} wrong codes compared, at most {max} allowed"
    );
}

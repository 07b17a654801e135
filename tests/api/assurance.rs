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
async fn password_session(app: &TestApp) -> String {
    let r = app.login("/login", EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "password sign-in");
    assert_eq!(location(r.headers()), "/account");
    csrf_of(&app.get("/login").await.text().await.unwrap())
}

/// A stored passkey for `uid` (the account then has the passkey level).
fn give_passkey(app: &TestApp, uid: &str) {
    let now = chrono::Utc::now().timestamp();
    let row = visage::db::passkeys::PasskeyRow {
        id: visage::crypto::random_token(16),
        user_id: uid.to_owned(),
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

async fn post_json(app: &TestApp, path: &str, csrf: &str, body: Value) -> (StatusCode, Value) {
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
    let wrong =
        app.count("audit_events WHERE action = 'recovery.email' AND detail LIKE '%bad_code%'");
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
        .run_sync(|c| visage::db::users::set_disabled(c, &uid, true, now))
        .unwrap();
    let r = app.get("/account").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/login");
}

#[tokio::test]
async fn administrators_are_acted_on_only_by_owners_and_the_console_client_only_by_the_server() {
    use crate::admin_api::{admin_client, bearer, call};
    use visage::admin::roles::{self, Role};
    let app = spawn_app().await;
    let owner = app.user();
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| roles::grant(c, "user", &owner, Role::Owner, "test", now))
        .unwrap();
    let secret = admin_client(&app, "helper", Some(Role::Admin));
    let admin = bearer(&app, "helper", &secret, "admin:read admin:write").await;
    for (method, path) in [
        ("DELETE", format!("/users/{owner}")),
        ("POST", format!("/users/{owner}/disable")),
        ("POST", format!("/users/{owner}/sign-out")),
    ] {
        let (s, b) = call(&app, method, &path, &admin, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {b}");
    }
    assert_eq!(
        app.count("users WHERE disabled = false"),
        1,
        "the owner is intact"
    );
    assert_eq!(app.count("admin_roles WHERE role = 'owner'"), 1);

    // Even an owner keeps the last owner, on every path.
    let actor = roles::Actor {
        label: "user:other".into(),
        subject: "other".into(),
        name: "other".into(),
        role: Role::Owner,
        scopes: roles::SCOPES.iter().map(|s| (*s).to_owned()).collect(),
    };
    let erased = app
        .db
        .run_sync(|c| visage::admin::users::erase(c, &actor, &owner, now));
    assert!(matches!(
        erased,
        Err(visage::admin::users::UserAdminError::LastOwner)
    ));
    let disabled = app
        .db
        .run_sync(|c| visage::admin::users::set_disabled(c, &actor, &owner, true, now));
    assert!(matches!(
        disabled,
        Err(visage::admin::users::UserAdminError::LastOwner)
    ));
    assert_eq!(app.count("users WHERE disabled = false"), 1);

    // The console client: no change through the API.
    let evil = json!({
        "client_name": "Visage console",
        "redirect_uris": [format!("{}/admin/callback", app.issuer), "https://evil.example/cb"],
        "token_endpoint_auth_method": "none"
    });
    let console = "/clients/visage-console";
    let (s, b) = call(&app, "PUT", console, &admin, Some(evil)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    for (method, path) in [
        ("DELETE", console.to_owned()),
        ("POST", format!("{console}/disable")),
        ("POST", format!("{console}/secret")),
    ] {
        let (s, _) = call(&app, method, &path, &admin, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}");
    }
    assert_eq!(
        app.count("clients WHERE id = 'visage-console' AND redirect_uris NOT LIKE '%evil%' AND disabled = false"),
        1
    );
}

#[tokio::test]
async fn an_oversized_frame_is_refused_from_its_header_before_decoding() {
    let app = spawn_with(|c| c.face.enabled = true).await;
    let uid = app.user();
    let now = chrono::Utc::now().timestamp();
    let amr = ["hwk".to_owned(), "user".to_owned()];
    let (_, cookie) = app
        .db
        .run_sync(|c| {
            visage::auth::session::start(c, &uid, "urn:visage:acr:passkey", &amr, 3600, now)
        })
        .unwrap();
    // A 4000×4000 PNG: small to send, 48 MB to decode.
    let img = image::GrayImage::new(4000, 4000);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    use base64::Engine;
    let big = base64::engine::general_purpose::STANDARD.encode(out.into_inner());
    for (path, body) in [
        ("/face/preview", json!({ "jpeg": big })),
        (
            "/face/frames",
            json!({ "nonce": "x", "frames": [{ "t": 0, "jpeg": big }] }),
        ),
    ] {
        let r = app
            .http
            .post(app.url(path))
            .header(
                "Cookie",
                format!(
                    "{}={cookie}; visage_csrf=t0ken",
                    visage::auth::session::COOKIE
                ),
            )
            .header("X-CSRF-Token", "t0ken")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let msg: Value = r.json().await.unwrap();
        assert!(
            msg["error"].as_str().unwrap().contains("4000x4000"),
            "{path}: {msg}"
        );
    }
    assert_eq!(
        app.audited("face.verify", "failure"),
        0,
        "refused before the check"
    );
}

/// A fresh passkey session (cookie header) of a consenting person with a
/// passkey: what face enrolment needs.
fn enrolling_session(app: &TestApp) -> String {
    let uid = app.user();
    give_passkey(app, &uid);
    let now = chrono::Utc::now().timestamp();
    let amr = ["hwk".to_owned(), "user".to_owned()];
    let (_, cookie) = app
        .db
        .run_sync(|c| {
            visage::auth::face::record_consent(c, &uid, "v1", now)?;
            visage::auth::session::start(c, &uid, "urn:visage:acr:passkey", &amr, 3600, now)
        })
        .unwrap();
    format!(
        "{}={cookie}; visage_csrf=t0ken",
        visage::auth::session::COOKIE
    )
}

async fn face_post(app: &TestApp, cookies: &str, path: &str, body: Value) -> StatusCode {
    app.http
        .post(app.url(path))
        .header("Cookie", cookies)
        .header("X-CSRF-Token", "t0ken")
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn face_work_is_capped_per_person_and_failed_enrolments_count() {
    let app = spawn_with(|c| c.face.enabled = true).await;
    let cookies = enrolling_session(&app);
    // Failed enrolments lock enrolment (not face sign-in) after max_failures.
    let bad = json!({ "nonce": "nope", "frames": [{ "t": 0, "jpeg": blank_frame() }] });
    let max = app.config.face.max_failures;
    let mut last = StatusCode::OK;
    for _ in 0..max {
        last = face_post(&app, &cookies, "/face/enrol/frames", bad.clone()).await;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "enrolment locked");
    assert_eq!(
        face_post(&app, &cookies, "/face/enrol/challenge", json!({})).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.audited("face.enrol", "failure"), max);

    // Challenges started per person are capped.
    let other = spawn_with(|c| c.face.enabled = true).await;
    let cookies = enrolling_session(&other);
    let cap = visage::auth::face::STARTS_PER_PERSON.max;
    let mut ok = 0;
    for _ in 0..cap + 3 {
        if face_post(&other, &cookies, "/face/enrol/challenge", json!({})).await == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, cap, "{cap} starts, then 429");
    assert_eq!(other.count("face_challenges"), cap);

    // Preview frames are paced per person.
    let statuses = preview_burst(&other, &cookies).await;
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

async fn preview_burst(app: &TestApp, cookies: &str) -> Vec<StatusCode> {
    let mut out = vec![];
    for _ in 0..10 {
        out.push(
            face_post(
                app,
                cookies,
                "/face/preview",
                json!({ "jpeg": blank_frame() }),
            )
            .await,
        );
    }
    out
}

/// A console access token of the person `uid`, whose passkey session started
/// `age` seconds ago (made in the database: the passkey itself is tested in
/// the browser tests).
async fn console_token(app: &TestApp, uid: &str, age: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let amr = ["hwk".to_owned(), "user".to_owned()];
    let (_, cookie) = app
        .db
        .run_sync(|c| {
            visage::auth::session::start(c, uid, "urn:visage:acr:passkey", &amr, 86_400, now - age)
        })
        .unwrap();
    let (verifier, challenge) = pkce();
    let callback = format!("{}/admin/callback", app.issuer);
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("client_id", "visage-console"),
        ("redirect_uri", callback.as_str()),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .header(
            "Cookie",
            format!("{}={cookie}", visage::auth::session::COOKIE),
        )
        .send()
        .await
        .unwrap();
    let loc = location(r.headers());
    let code = query_of(&loc)
        .get("code")
        .unwrap_or_else(|| panic!("{loc}"))
        .clone();
    let t = app
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "visage-console"),
                ("code", &code),
                ("redirect_uri", &callback),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    t.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn dangerous_api_calls_with_a_persons_token_need_a_fresh_sign_in() {
    use crate::admin_api::call;
    use visage::admin::roles::{self, Role};
    let app = spawn_app().await;
    let owner = app.user();
    let victim = app.user_with("bob@example.com", PASSWORD);
    let now = chrono::Utc::now().timestamp();
    app.db
        .run_sync(|c| roles::grant(c, "user", &owner, Role::Owner, "test", now))
        .unwrap();
    let stale = console_token(&app, &owner, app.config.admin.step_up_seconds + 60).await;
    // Reading works with any live token...
    let (s, _) = call(&app, "GET", "/users", &stale, None).await;
    assert_eq!(s, StatusCode::OK);
    // ...deleting does not, and says how fresh the sign-in must be (RFC 9470).
    let r = app
        .http
        .delete(app.url(&format!("/admin/api/users/{victim}")))
        .bearer_auth(&stale)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.contains("insufficient_user_authentication"),
        "{challenge}"
    );
    assert!(challenge.contains("max_age="), "{challenge}");
    for (method, path) in [("POST", "/keys/rotate"), ("DELETE", "/roles/someone")] {
        let (s, b) = call(&app, method, path, &stale, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path}: {b}");
    }
    assert_eq!(app.count("users"), 2, "nothing deleted");
    let fresh = console_token(&app, &owner, 0).await;
    let (s, b) = call(&app, "DELETE", &format!("/users/{victim}"), &fresh, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn a_credential_change_ends_the_other_sessions_and_mails_the_holder() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let uid = app.user();
    give_passkey(&app, &uid);
    let now = chrono::Utc::now().timestamp();
    let amr = ["hwk".to_owned(), "user".to_owned()];
    let start = || {
        app.db
            .run_sync(|c| {
                visage::auth::session::start(c, &uid, "urn:visage:acr:passkey", &amr, 3600, now)
            })
            .unwrap()
            .1
    };
    let (mine, other) = (start(), start());
    let cookie = |s: &str| format!("{}={s}; visage_csrf=t0ken", visage::auth::session::COOKIE);
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

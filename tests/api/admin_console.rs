//! The admin console in real headless Chromium: bootstrap the first owner,
//! sign in to the console through Visage itself, manage a client used by a
//! real relying party, step up before deleting, and an auditor who can only look.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::browser::sign_out;
use crate::helpers::*;
use crate::mail::MailSink;
use crate::webdriver::Browser;

/// Sign up in the browser through an invitation link (the mail is number `n` to `email`).
async fn sign_up_invited(b: &Browser, sink: &MailSink, link: &str, email: &str) {
    b.goto(link).await;
    b.wait("#email").await;
    b.fill("#email", email).await;
    b.fill("#name", "Mai Tran").await;
    b.click("form[action='/signup'] button[type=submit]").await;
    b.wait("#code").await;
    b.fill("#code", &sink.code(email, 0)).await;
    b.click("form[action='/signup/verify'] button[type=submit]")
        .await;
    b.click("#passkey-create").await;
    b.wait("#recovery-codes").await;
}

/// Open the console; when Visage asks for the passkey, give it.
async fn console(b: &Browser, app: &TestApp) {
    b.goto("/admin").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the console did not open: {}",
            b.url().await
        );
        let url = b.url().await;
        if url.starts_with(&app.url("/admin")) && b.count("#who").await == 1 {
            return;
        }
        if url.contains("/login") && b.count("#passkey-signin").await == 1 {
            b.click("#passkey-signin").await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Run the openid-client relying party of ../shared/peers against `client_id`.
fn relying_party(app: &TestApp, client_id: &str, secret: &str) -> (bool, String) {
    let peers = concat!(env!("CARGO_MANIFEST_DIR"), "/target/peers");
    let out = std::process::Command::new("node")
        .current_dir(peers)
        .args(["rp/flow.mjs", &app.issuer, client_id, secret, REDIRECT])
        .env("LOGIN_DRIVER", "generic-form")
        .env("LOGIN_USERNAME", EMAIL)
        .env("LOGIN_PASSWORD", PASSWORD)
        .output()
        .unwrap_or_else(|e| panic!("node in {peers}: {e} (run scripts/setup.sh --test)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_runs_clients_from_the_console_and_an_auditor_only_looks() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let person = app.user(); // the person the relying party signs in (password)
    let now = chrono::Utc::now().timestamp();
    let token = app
        .db
        .run_sync(|c| visage::admin::bootstrap::bootstrap(c, 3600, now))
        .expect("bootstrap");
    let b = Browser::start(&app.issuer).await;
    b.add_authenticator("internal").await;

    // 1. The bootstrap link makes the first owner; the console signs in
    // through Visage (authorization code + PKCE, essential passkey acr).
    sign_up_invited(
        &b,
        &sink,
        &format!("/signup?invitation={token}"),
        "owner@example.com",
    )
    .await;
    console(&b, &app).await;
    b.text_until("#who", |t| t.contains("owner@example.com · owner"))
        .await;
    b.screenshot("admin-overview").await;
    assert_eq!(app.audited("role.grant", "success"), 1);

    // 2. Create a confidential client from the form; the secret shows once.
    b.goto("/admin/clients").await;
    b.fill("#client_name", "Lotus Shop").await;
    b.fill("#client_id", "shop").await;
    b.fill("#redirect_uris", REDIRECT).await;
    b.fill("#post_logout_redirect_uris", POST_LOGOUT).await;
    b.screenshot("admin-clients").await;
    b.click("#create-client").await;
    let secret = b.text_until("#client-secret", |t| t.len() == 43).await;
    b.screenshot("admin-client-created").await;
    assert_eq!(secret.len(), 43);

    // 3. A real relying party (openid-client) uses it end to end.
    let (ok, out) = relying_party(&app, "shop", &secret);
    assert!(ok && out.contains("0 failed"), "{out}");

    // A sign-in that keeps its tokens: the family is listed on the client
    // page, and revoking it there stops its refresh token.
    let (code, verifier, _) = app.code_for("shop", &[]).await;
    let tokens = app
        .token(
            Some(("shop", &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    let refresh = tokens.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    b.goto("/admin/clients/shop").await;
    let families = b.count(".revoke-family").await;
    assert!(families > 0, "the family is listed");
    b.click(".revoke-family").await;
    b.text_until("#notice", |t| t.contains("revoked")).await;
    assert_eq!(b.count(".revoke-family").await, families - 1);
    let again = app
        .token(
            Some(("shop", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);

    // 4. Rotate: the old secret stops working, the new one works.
    b.click("#rotate-secret").await;
    let new_secret = b
        .text_until("#client-secret", |t| t.len() == 43 && t != secret)
        .await;
    let cc = |s: String| {
        let app = &app;
        async move {
            app.token(Some(("shop", &s)), &[("grant_type", "client_credentials")])
                .await
                .status
        }
    };
    assert_eq!(cc(secret.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(cc(new_secret.clone()).await, StatusCode::OK);

    // 5. Disable: authorization is refused with an error page (no redirect).
    b.click("#disable-client").await;
    b.wait("#notice").await;
    let r = app
        .authorize(&[
            ("client_id", "shop"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("disabled"));

    // 6. The audit viewer shows what was done, by whom.
    b.goto("/admin/audit?category=admin&client=shop").await;
    let audit = b
        .text_until("#audit", |t| t.contains("client.disable"))
        .await;
    for action in ["client.create", "client.rotate_secret", "client.disable"] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
    assert!(audit.contains("user:"), "the actor is the owner: {audit}");
    b.screenshot("admin-audit").await;
    b.goto("/admin/users").await;
    b.screenshot("admin-users").await;
    b.goto("/admin/keys").await;
    b.screenshot("admin-keys").await;

    // 7. Deleting is dangerous: after 6 minutes the console asks for a
    // fresh sign-in first, then the delete goes through.
    app.clock.advance(6 * 60);
    b.goto("/admin/clients/shop").await;
    b.click("#delete-client").await;
    b.wait_url(&app.url("/login")).await;
    b.click("#passkey-signin").await;
    b.wait_url(&app.url("/admin/clients/shop")).await;
    b.click("#delete-client").await;
    b.wait_url(&app.url("/admin/clients?done=deleted")).await;
    assert_eq!(app.count("clients WHERE id = 'shop'"), 0);

    // 7b. Still fresh: change the face policy with a reason; it is in the history.
    b.goto("/admin/policy").await;
    b.click("#edit-policy").await;
    b.wait("#policy-form").await;
    b.fill("#max_failures", "5").await;
    b.fill("#reason", "pilot: five tries").await;
    b.click("#save-policy").await;
    b.wait_url(&app.url("/admin/policy?done=saved")).await;
    let history = b
        .text_until("#history", |t| t.contains("pilot: five tries"))
        .await;
    assert!(history.contains("5 failures"), "{history}");
    assert_eq!(app.audited("face_policy.change", "success"), 1);
    b.screenshot("admin-policy").await;

    // 7c. Retire the active ES256 key (as if it leaked): a replacement takes over.
    b.goto("/admin/keys").await;
    b.click("button[id^=retire-es256]").await;
    b.wait_url(&app.url("/admin/keys?done=retired")).await;
    assert_eq!(app.audited("keys.retire", "success"), 1);
    assert_eq!(
        app.count("signing_keys WHERE alg = 'ES256' AND retired_at IS NULL"),
        1
    );

    // 7d. Still fresh: make that person an admin, then take the role away.
    b.goto(&format!("/admin/users/{person}")).await;
    b.click("#role option[value=admin]").await;
    b.click("#save-role").await;
    b.text_until("#user-role", |t| t == "admin").await;
    b.click("#role option[value='']").await;
    b.click("#save-role").await;
    b.text_until("#user-role", |t| t == "none").await;
    assert_eq!(
        app.audited("role.grant", "success"),
        2,
        "bootstrap + this one"
    );
    assert_eq!(app.audited("role.remove", "success"), 1);
    // Their password session (from the sign-in above) can be ended here.
    let sessions = b.count(".end-session").await;
    assert!(sessions > 0, "the person's session is listed");
    b.click(".end-session").await;
    b.text_until("#notice", |t| t.contains("session ended"))
        .await;
    assert_eq!(b.count(".end-session").await, sessions - 1);

    // 8. The owner invites an auditor; the auditor signs up and can look, not change.
    b.goto("/admin/users").await;
    b.fill("#invite-email", "auditor@example.com").await;
    b.click("#invite-role option[value=auditor]").await;
    b.click("#create-invitation").await;
    let link = b
        .text_until("#invitation-link", |t| t.contains("invitation="))
        .await;
    let open = b
        .text_until("#invitations", |t| t.contains("auditor@example.com"))
        .await;
    assert!(
        open.contains("auditor"),
        "the open invitation is listed: {open}"
    );
    b.click("form[action='/admin/logout'] button").await;
    b.wait("#signed-out").await;
    sign_out(&b).await;
    sign_up_invited(&b, &sink, &link, "auditor@example.com").await;
    console(&b, &app).await;
    b.text_until("#who", |t| t.contains("auditor@example.com · auditor"))
        .await;
    b.goto("/admin/clients").await;
    assert_eq!(b.count("#new-client").await, 0, "no form for an auditor");
    let csrf = b.run_async(
        "const cb = arguments[arguments.length - 1];
         const f = document.querySelector('form[action=\"/admin/logout\"] input[name=csrf]');
         fetch('/admin/clients', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
           body: new URLSearchParams({ csrf: f.value, client_name: 'Sneaky', redirect_uris: 'https://x.example/cb',
             token_endpoint_auth_method: 'none', id_token_signed_response_alg: 'RS256', face_policy: 'default', password_policy: 'default' }) })
           .then(r => cb(r.status));",
        vec![],
    )
    .await;
    assert_eq!(csrf, json!(403));
    assert_eq!(app.count("clients WHERE name = 'Sneaky'"), 0);
    let rotate: Value = b
        .run_async(
            "const cb = arguments[arguments.length - 1];
             const f = document.querySelector('form[action=\"/admin/logout\"] input[name=csrf]');
             fetch('/admin/keys/rotate', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
               body: new URLSearchParams({ csrf: f.value }) }).then(r => cb(r.status));",
            vec![],
        )
        .await;
    assert_eq!(rotate, json!(403));
}

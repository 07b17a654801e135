//! Real headless Chromium with the WebAuthn virtual authenticator: sign-up,
//! passkey sign-in, passkey management, recovery, and refused answers.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::mail::MailSink;
use crate::webdriver::Browser;

pub(crate) fn authorize_url(app: &TestApp, challenge: &str) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).expect("url");
    url.query_pairs_mut().extend_pairs([
        ("client_id", "rp"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email profile"),
        ("state", "st-b"),
        ("nonce", "n-b"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]);
    url.to_string()
}

/// Exchange the code in the browser's final URL; the ID token's claims.
pub(crate) async fn id_token_of(
    app: &TestApp,
    secret: &str,
    final_url: &str,
    verifier: &str,
) -> Value {
    let q = query_of(final_url);
    let code = q
        .get("code")
        .unwrap_or_else(|| panic!("no code in {final_url}"));
    let t = app.exchange_code(secret, code, verifier).await;
    let mut claims = jwt_claims(t.body["id_token"].as_str().expect("id_token"));
    let info: Value = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(t.body["access_token"].as_str().expect("access_token"))
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("userinfo JSON");
    claims["userinfo"] = info;
    claims
}

/// Sign up through the pages: email, emailed code, passkey; returns the recovery codes.
/// Sign out from the account pages, confirming as a person would.
pub(crate) async fn sign_out(b: &Browser) {
    b.goto("/logout").await;
    b.click("form[action='/logout/confirm'] button").await;
    b.wait("#signed-out").await;
}

pub(crate) async fn sign_up(b: &Browser, sink: &MailSink, email: &str, shots: bool) -> Vec<String> {
    b.click("#signup-link").await;
    b.wait("input[name=name]").await;
    if shots {
        b.screenshot("signup-en").await;
    }
    b.fill("#email", email).await;
    b.fill("#name", "Lan Nguyen").await;
    b.click("form[action='/signup'] button[type=submit]").await;
    b.wait("#code").await;
    let code = sink.code(email, 0);
    b.fill("#code", &code).await;
    b.click("form[action='/signup/verify'] button[type=submit]")
        .await;
    b.click("#passkey-create").await;
    b.wait("#recovery-codes").await;
    if shots {
        b.screenshot("recovery-codes-en").await;
    }
    let text = b.text("#recovery-codes").await;
    text.lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_with_a_passkey_then_sign_in_without_a_password() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let mut client = new_client(
        "rp",
        visage::oidc::types::TokenAuthMethod::ClientSecretBasic,
    );
    client.name = "Lotus Shop".into();
    client.branding.accent_color = Some("#0b7285".into());
    client.branding.policy_uri = Some("https://shop.example/privacy".into());
    client.branding.tos_uri = Some("https://shop.example/terms".into());
    let secret = app.register(client).client_secret.expect("secret");
    let b = Browser::start(&app.issuer).await;
    let platform = b.add_authenticator("internal").await;

    // 1. An RP sends the person here; they have no account yet.
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.wait("#passkey-signin").await;
    b.screenshot("login-en").await;
    let codes = sign_up(&b, &sink, "lan@example.com", true).await;
    assert_eq!(codes.len(), 10);
    assert_eq!(
        b.credentials(&platform).await.len(),
        1,
        "a discoverable credential was made"
    );
    b.click("#codes-continue").await;
    b.wait("button[value=allow]").await;
    b.screenshot("consent-en").await;
    b.click("button[value=allow]").await;
    let done = b.wait_url(REDIRECT).await;
    let id = id_token_of(&app, &secret, &done, &verifier).await;
    assert_eq!(id["acr"], "urn:visage:acr:passkey");
    assert_eq!(id["amr"], json!(["hwk", "user"]));
    assert_eq!(id["userinfo"]["email"], "lan@example.com");
    assert_eq!(id["userinfo"]["email_verified"], true);
    assert_eq!(id["userinfo"]["name"], "Lan Nguyen");
    assert_eq!(app.count("users"), 1);
    assert_eq!(app.count("email_challenges"), 0);

    // 2. Sign out, then sign in again with the passkey alone: no email, no
    // password. The page asks for passkey autofill (conditional UI) on load,
    // which the virtual authenticator answers at once, so no click is needed;
    // the button path is exercised by the passkey-only test below.
    sign_out(&b).await;
    assert_eq!(app.audited("logout", "success"), 1);
    assert_eq!(
        app.count("sessions WHERE ended_at IS NULL"),
        0,
        "signed out everywhere"
    );
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    let done = b.wait_url(REDIRECT).await;
    let id = id_token_of(&app, &secret, &done, &verifier).await;
    assert_eq!(id["acr"], "urn:visage:acr:passkey");
    assert_eq!(app.audited("login.passkey", "success"), 1);

    // 3. The device is lost: a new security key is added, the old passkey removed.
    b.goto("/account").await;
    b.wait("#passkey-list").await;
    b.screenshot("account-en").await;
    assert_eq!(b.count(".passkey-item").await, 1);
    assert_eq!(
        b.count(".passkey-item button.danger[disabled]").await,
        1,
        "the only passkey cannot be removed"
    );
    b.remove_authenticator(&platform).await;
    let key = b.add_authenticator("usb").await;
    b.click("#add-passkey").await;
    b.fill("#passkey-name", "Blue security key").await;
    b.click("#passkey-create").await;
    b.wait_url(&app.url("/account?done=added")).await;
    assert_eq!(b.count(".passkey-item").await, 2);
    assert_eq!(b.credentials(&key).await.len(), 1);
    b.click(".passkey-item:first-child button.danger").await;
    b.wait_url(&app.url("/account?done=removed")).await;
    assert_eq!(b.count(".passkey-item").await, 1);
    assert_eq!(b.text(".pk-name").await, "Blue security key");
    b.screenshot("account-after-en").await;

    // 4. Every device is lost: a recovery code signs in once and asks for a new passkey.
    sign_out(&b).await;
    b.remove_authenticator(&key).await;
    let phone = b.add_authenticator("internal").await;
    b.goto("/recover").await;
    b.fill("#email", "lan@example.com").await;
    b.fill("#code", &codes[3]).await;
    b.click("form[action='/recover'] button[type=submit]").await;
    b.wait("#passkey-create").await;
    assert!(b.text("main").await.contains("recovery method"));
    b.screenshot("recovery-register-en").await;
    b.click("#passkey-create").await;
    b.wait_url(&app.url("/account?done=added")).await;
    assert_eq!(b.credentials(&phone).await.len(), 1);
    // The same code does not work twice.
    sign_out(&b).await;
    b.goto("/recover").await;
    b.fill("#email", "lan@example.com").await;
    b.fill("#code", &codes[3]).await;
    b.click("form[action='/recover'] button[type=submit]").await;
    assert!(b.text(".error").await.contains("already used"));

    // 5. Vietnamese pages (taken with no passkey present, so autofill waits).
    b.remove_authenticator(&phone).await;
    b.goto("/login?lang=vi").await;
    b.wait("#passkey-signin").await;
    assert_eq!(
        b.text("#passkey-signin").await,
        "Đăng nhập bằng khóa truy cập"
    );
    b.screenshot("login-vi").await;
    b.goto("/signup?lang=vi").await;
    b.wait("#name").await;
    b.screenshot("signup-vi").await;
    b.goto("/recover?lang=vi").await;
    b.fill("#email", "lan@example.com").await;
    b.fill("#code", &codes[4]).await;
    b.click("form[action='/recover'] button[type=submit]").await;
    b.wait("#passkey-create").await;
    b.screenshot("register-vi").await;
    b.goto("/account?lang=vi").await;
    assert!(b.text("h1").await.contains("Tài khoản"));
    b.screenshot("account-vi").await;
    b.quit().await;
}

const GET_ASSERTION: &str = r#"
const done = arguments[arguments.length - 1];
const form = document.querySelector('form[data-passkey]');
const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64 = (s) => { s = s.replace(/-/g, '+').replace(/_/g, '/'); while (s.length % 4) s += '='; return Uint8Array.from(atob(s), c => c.charCodeAt(0)).buffer; };
fetch('/login/passkey/options', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': form.elements.csrf.value }, body: JSON.stringify({ tx: form.elements.tx.value }) })
  .then(r => r.json())
  .then(j => { const pk = j.options.publicKey; pk.challenge = unb64(pk.challenge);
    return navigator.credentials.get({ publicKey: pk }).then(c => done({ ceremony: j.ceremony, credential: {
      id: c.id, rawId: b64(c.rawId), type: c.type, extensions: {},
      response: { authenticatorData: b64(c.response.authenticatorData), clientDataJSON: b64(c.response.clientDataJSON),
                  signature: b64(c.response.signature), userHandle: b64(c.response.userHandle) } } })); })
  .catch(e => done({ error: String(e) }));
"#;

const POST_ASSERTION: &str = r#"
const done = arguments[arguments.length - 1];
const form = document.querySelector('form[data-passkey]');
const [ceremony, credential] = [arguments[0], arguments[1]];
// The browser's current CSRF token (it changes at every sign-in), as an
// attacker replaying from their own browser would have it.
fetch('/login').then(r => r.text()).then(page => {
  const csrf = page.split('name="csrf" value="')[1].split('"')[0];
  const body = new URLSearchParams({ tx: form.elements.tx.value, csrf, ceremony, credential });
  return fetch('/login/passkey', { method: 'POST', body, redirect: 'manual' });
})
  .then(r => r.type === 'opaqueredirect' ? done({ status: 302, text: '' }) : r.text().then(t => done({ status: r.status, text: t })))
  .catch(e => done({ error: String(e) }));
"#;

fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("base64url")
}

fn b64e(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A fresh signed assertion from the browser's authenticator: (ceremony, credential).
async fn assertion(b: &Browser) -> (String, Value) {
    let v = b.run_async(GET_ASSERTION, vec![]).await;
    assert!(v.get("error").is_none(), "assertion failed: {v}");
    (
        v["ceremony"].as_str().expect("ceremony").to_owned(),
        v["credential"].clone(),
    )
}

/// Post an answer like the page would: (status, page text).
async fn post(b: &Browser, ceremony: &str, credential: &Value) -> (u64, String) {
    let v = b
        .run_async(
            POST_ASSERTION,
            vec![json!(ceremony), json!(credential.to_string())],
        )
        .await;
    assert!(v.get("error").is_none(), "post failed: {v}");
    (
        v["status"].as_u64().unwrap_or(0),
        v["text"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_replayed_stale_and_foreign_passkey_answers_are_refused() {
    let sink = MailSink::start();
    // A passkey-only deployment: no password form, so no autofill request either.
    let app = spawn_accounts(&sink, |c| c.login.password_enabled = false).await;
    let secret = app.confidential();
    let b = Browser::start(&app.issuer).await;
    b.add_authenticator("internal").await;
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.wait("#passkey-signin").await;
    assert_eq!(b.count("input[type=password]").await, 0);
    sign_up(&b, &sink, "minh@example.com", false).await;
    b.click("#codes-continue").await;
    b.click("button[value=allow]").await;
    let done = b.wait_url(REDIRECT).await;
    id_token_of(&app, &secret, &done, &verifier).await;
    sign_out(&b).await;

    let (_, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.wait("#passkey-signin").await;

    // A changed signature.
    let (ceremony, mut cred) = assertion(&b).await;
    let mut sig = b64d(cred["response"]["signature"].as_str().expect("sig"));
    let last = sig.len() - 1;
    sig[last] ^= 0x01;
    cred["response"]["signature"] = json!(b64e(&sig));
    let (status, text) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 400);
    assert!(text.contains("could not be verified"), "{text}");

    // Signed for another origin (a phishing site relaying the ceremony).
    let (ceremony, mut cred) = assertion(&b).await;
    let mut client_data: Value = serde_json::from_slice(&b64d(
        cred["response"]["clientDataJSON"].as_str().expect("cd"),
    ))
    .expect("JSON");
    client_data["origin"] = json!("https://evil.example");
    cred["response"]["clientDataJSON"] = json!(b64e(client_data.to_string().as_bytes()));
    let (status, text) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 400);
    assert!(text.contains("could not be verified"), "{text}");

    // Made for another RP ID.
    let (ceremony, mut cred) = assertion(&b).await;
    let mut auth_data = b64d(cred["response"]["authenticatorData"].as_str().expect("ad"));
    use sha2::Digest;
    auth_data[..32].copy_from_slice(&sha2::Sha256::digest(b"evil.example"));
    cred["response"]["authenticatorData"] = json!(b64e(&auth_data));
    let (status, text) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 400);
    assert!(text.contains("could not be verified"), "{text}");

    // Too late: the ceremony expired (5 minutes by default).
    let (ceremony, cred) = assertion(&b).await;
    app.clock.advance(301);
    let (status, text) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 400);
    assert!(text.contains("request expired"), "{text}");

    // A good answer signs in once; replaying it is refused. (The RP's login
    // transaction is single-use too, so replay on the account sign-in page.)
    let (ceremony, cred) = assertion(&b).await;
    let (status, _) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 302);
    let (status, text) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 400);
    assert!(text.contains("already used"), "{text}");
    b.goto("/login").await;
    let (ceremony, cred) = assertion(&b).await;
    let (status, _) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 302);
    let (status, text) = post(&b, &ceremony, &cred).await;
    assert_eq!(status, 400);
    assert!(text.contains("request expired"), "{text}");
    assert_eq!(app.audited("login.passkey", "failure"), 4 + 1);
    assert_eq!(
        app.audit_with(|e| e.action == "login.passkey", "stale_or_replayed"),
        2
    );

    // The button on the page still works.
    let (verifier, challenge) = pkce();
    sign_out(&b).await;
    b.goto(&authorize_url(&app, &challenge)).await;
    b.click("#passkey-signin").await;
    let done = b.wait_url(REDIRECT).await;
    let id = id_token_of(&app, &secret, &done, &verifier).await;
    assert_eq!(id["acr"], "urn:visage:acr:passkey");
    assert_eq!(app.count("users"), 1);
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_passkey_signs_in_while_someone_guesses_passwords_from_the_same_address() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let mut rp = new_client(
        "rp",
        visage::oidc::types::TokenAuthMethod::ClientSecretBasic,
    );
    rp.password_policy = visage::oidc::types::PasswordPolicy::Off;
    let secret = app.register(rp).client_secret.expect("secret");
    let b = Browser::start(&app.issuer).await;
    b.add_authenticator("internal").await;
    let (_, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    sign_up(&b, &sink, "mai@example.com", false).await;
    b.click("#codes-continue").await;
    b.click("button[value=allow]").await;
    b.wait_url(REDIRECT).await;
    sign_out(&b).await;

    // Someone at the same address guesses passwords, this person's among them:
    // the address and the account are blocked for passwords...
    for i in 0..app.config.lockout.ip.max {
        let who = if i % 2 == 0 {
            "mai@example.com".to_owned()
        } else {
            format!("x{i}@example.com")
        };
        app.login("/login", &who, "a wrong guess").await;
    }
    let r = app
        .login("/login", "mai@example.com", "another guess")
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);

    // ...but the person's passkey still signs in, from the same address (at
    // the passkey-only `rp`: no email field, so no autofill prompt: the
    // button is pressed).
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.click("#passkey-signin").await;
    let done = b.wait_url(REDIRECT).await;
    let id = id_token_of(&app, &secret, &done, &verifier).await;
    assert_eq!(id["acr"], "urn:visage:acr:passkey");
    b.quit().await;
}

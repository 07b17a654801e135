//! "Your data" in a real browser (issue 17): a person who signed up with a
//! passkey (Chromium's virtual authenticator) for an app, and signed in
//! with it again, downloads their data from the account page — each item
//! is in it —, then deletes the account right after that passkey sign-in: no row of theirs is
//! left, table by table, and the app's token stops working.

use serde_json::{json, Value};

use crate::browser::{authorize_url, sign_out, sign_up};
use crate::helpers::*;
use crate::mail::MailSink;
use crate::webdriver::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn in_the_browser_my_data_is_downloaded_then_the_account_deleted() {
    let sink = MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    let secret = app.confidential();
    let b = Browser::start(&app.issuer).await;
    b.add_authenticator("internal").await;
    let (_, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    b.wait("#passkey-signin").await;
    let codes = sign_up(&b, &sink, "lan@example.com", false).await;
    b.click("#codes-continue").await;
    b.wait("button[value=allow]").await;
    b.click("button[value=allow]").await;
    b.wait_url(REDIRECT).await;
    // Signed out, the app sends them back: the passkey signs them in.
    sign_out(&b).await;
    let (verifier, challenge) = pkce();
    b.goto(&authorize_url(&app, &challenge)).await;
    let done = b.wait_url(REDIRECT).await;
    assert_eq!(app.audited("login.passkey", "success"), 1);
    let code = query_of(&done).get("code").cloned().expect("a code");
    let t = app.exchange_code(&secret, &code, &verifier).await;
    let at = t.body["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();

    // "Download my data": the link's file, read with the page's own cookies.
    b.goto("/account").await;
    b.wait("#export-data").await;
    let export: Value = b
        .run_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('#export-data').href)
               .then(r => r.json()).then(done, e => done(String(e)));",
            vec![],
        )
        .await;
    assert_eq!(export["format"], "visage-my-data/1", "{export}");
    assert_eq!(export["profile"]["email"], "lan@example.com");
    assert_eq!(export["profile"]["name"], "Lan Nguyen");
    let passkeys = export["passkeys"].as_array().expect("passkeys");
    assert_eq!(passkeys.len(), 1, "{export}");
    assert_eq!(passkeys[0]["awaiting_approval"], false);
    assert_eq!(export["apps"][0]["client_id"], "rp", "{export}");
    assert_eq!(export["recovery_codes_left"], json!(codes.len()));
    let events = export["sign_ins"].as_array().expect("sign_ins");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "login.passkey" && e["browser"].is_string()),
        "{export}"
    );
    for list in ["active_sessions", "browsers", "sign_ins"] {
        assert!(
            export[list].as_array().is_some_and(|l| !l.is_empty()),
            "{list}: {export}"
        );
    }
    for item in ["face", "biometric_consent"] {
        assert!(export.get(item).is_some(), "{item} named: {export}");
    }
    let text = export.to_string();
    assert!(
        !text.contains(&at) && !text.contains(&codes[0]),
        "no secret"
    );

    // "Delete my account", confirmed, soon after the passkey sign-in.
    let uid = export["profile"]["id"].as_str().expect("id").to_owned();
    b.goto("/account/delete").await;
    b.click("#delete-confirm").await;
    b.click("#delete-submit").await;
    b.text_until("body", |t| t.contains("was deleted")).await;
    crate::my_data::no_row_of(&app, &uid);
    assert_eq!(app.introspect("rp", &secret, &at).await["active"], false);
    assert!(sink
        .messages_to("lan@example.com")
        .iter()
        .any(|m| m.contains("account was deleted")));
}

//! A sign-in from a browser the account has never used is told to the
//! person (issue 17): whoever phished the password (or holds a stolen
//! passkey) signs in from their own browser, and the person hears of it at
//! once. The browser the account already uses stays quiet.

use reqwest::StatusCode;

use crate::helpers::*;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const NOTICE: &str = "New sign-in to your Visage account";

fn browser(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(user_agent)
        .build()
        .unwrap()
}

/// Sign in with the password on the login page, in `browser`.
async fn sign_in(app: &TestApp, browser: &reqwest::Client) {
    let html = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (action, mut fields) = form_of(&html);
    fields.extend([
        ("email".to_owned(), EMAIL.to_owned()),
        ("password".to_owned(), PASSWORD.to_owned()),
    ]);
    let r = browser
        .post(app.url(&action))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "signed in, at the account page");
    assert!(r.url().path().starts_with("/account"), "{}", r.url());
}

/// The notices mailed to the account so far, with quoted-printable soft
/// line breaks joined.
fn notices(sink: &crate::mail::MailSink) -> Vec<String> {
    sink.messages_to(EMAIL)
        .into_iter()
        .filter(|m| crate::mail::decode_subject(m) == NOTICE)
        .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

#[tokio::test]
async fn a_sign_in_from_a_browser_the_account_never_used_is_mailed_to_the_person() {
    let sink = crate::mail::MailSink::start();
    let app = spawn_accounts(&sink, |_| {}).await;
    app.user();
    let home = browser(FIREFOX);
    // The account's first browser, then the same one again: quiet.
    sign_in(&app, &home).await;
    sign_in(&app, &home).await;
    assert!(notices(&sink).is_empty(), "{:?}", sink.subjects(EMAIL));

    // Someone else, in their own browser: one notice naming it, the
    // network and where to act.
    let other = browser(CHROME);
    sign_in(&app, &other).await;
    let sent = notices(&sink);
    assert_eq!(sent.len(), 1, "{:?}", sink.subjects(EMAIL));
    for said in ["Chrome (Windows 10)", "loopback", "/account"] {
        assert!(sent[0].contains(said), "{said} in {}", sent[0]);
    }
    // Known from now on; the person's own browser is still known.
    sign_in(&app, &other).await;
    sign_in(&app, &home).await;
    assert_eq!(notices(&sink).len(), 1);
    assert_eq!(app.count("known_devices"), 2);
    assert_eq!(app.audit_with(|_| true, "\"new_browser\":true"), 1);

    // The person sees both browsers, and which one each sign-in came from.
    let export: serde_json::Value = home
        .get(app.url("/account/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = export["browsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["browser"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Chrome (Windows 10)", "Firefox (Linux)"]);
    let by: Vec<&str> = export["sign_ins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["browser"].as_str())
        .collect();
    assert_eq!(by.len(), 5, "{by:?}");
    assert!(by.contains(&"Chrome (Windows 10)"));
}

#[tokio::test]
async fn the_notice_can_be_turned_off() {
    let sink = crate::mail::MailSink::start();
    let app = spawn_accounts(&sink, |c| c.login.new_device_notice = false).await;
    app.user();
    sign_in(&app, &browser(FIREFOX)).await;
    sign_in(&app, &browser(CHROME)).await;
    assert!(notices(&sink).is_empty());
    assert_eq!(app.count("known_devices"), 2, "still remembered");
}

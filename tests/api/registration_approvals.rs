//! The `passkey_registrations` alert rule (issue 17): past the threshold,
//! each new passkey waits for an administrator's approval. Driven with
//! software passkeys over HTTP as the people in a registration flood
//! would: a held sign-up gets no session and its passkey cannot sign in,
//! nor can a passkey a signed-in person adds; an administrator approves
//! one (it signs in from then on) and rejects another (the account is
//! erased); each is mailed and audited; resolving the alert and the hour
//! passing let registrations straight in again.

use reqwest::StatusCode;
use serde_json::Value;
use visage::admin::roles::Role;

use crate::admin_api::{admin_client, bearer, call};
use crate::alerts::{next_alert, webhook, OPS, SECRET};
use crate::helpers::*;
use crate::mail::MailSink;
use crate::soft_passkey::Person;

async fn body(r: reqwest::Response) -> (StatusCode, String) {
    (r.status(), r.text().await.unwrap())
}

fn waiting(app: &TestApp, email: &str) -> Value {
    let id = app
        .db
        .run_sync(visage::admin::registrations::list)
        .unwrap()
        .items
        .into_iter()
        .find(|w| w.email == email)
        .map(|w| w.id);
    Value::from(id)
}

#[tokio::test]
async fn past_the_threshold_new_passkeys_wait_for_an_administrators_approval() {
    let sink = MailSink::start();
    let (url, mut hook) = webhook();
    let app = spawn_accounts(&sink, move |c| {
        c.alerts.mail_to = vec![OPS.into()];
        c.alerts.webhook_url = url;
        c.alerts.webhook_secret = SECRET.into();
        c.alerts.passkey_registrations.max = 2;
    })
    .await;

    // Two sign-ups reach the threshold; both are in and signed in.
    let mut alice = Person::new("ann@example.com");
    let mut bob = Person::new("bob@example.com");
    for p in [&mut alice, &mut bob] {
        let (s, page) = body(p.sign_up(&app, &sink).await).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(!page.contains("awaiting-approval"), "{page}");
        assert!(p.signed_in(&app).await, "{} signed in", p.email);
    }
    let alert = next_alert(&mut hook).await;
    assert_eq!(
        (alert["rule"].as_str(), alert["subject"].as_str()),
        (Some("passkey_registrations"), Some("deployment"))
    );

    // Held: the account is made, shows its recovery codes, but has no
    // session, and neither its passkey nor anything else signs in.
    let mut mallory = Person::new("mallory@example.com");
    let mut erin = Person::new("erin@example.com");
    for p in [&mut mallory, &mut erin] {
        let (s, page) = body(p.sign_up(&app, &sink).await).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(page.contains("id=\"awaiting-approval\""), "{page}");
        assert!(page.contains("recovery-codes"), "{page}");
        assert!(!p.signed_in(&app).await, "{} has no session", p.email);
        let (s, page) = body(p.sign_in(&app).await).await;
        assert_ne!(s, StatusCode::SEE_OTHER, "held passkey signed in");
        assert!(page.contains("approval"), "{page}");
        assert!(!p.signed_in(&app).await);
    }
    // A passkey Alice adds on her account page waits too; hers still works.
    let first_key = std::mem::take(&mut alice.key);
    let r = alice.add_passkey(&app).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(r.headers()), "/account?done=held");
    let account = alice.page(&app, "/account?done=held").await;
    assert!(account.contains("pk-waiting"), "{account}");
    let mut phone = Person::new("ann@example.com");
    phone.key = std::mem::replace(&mut alice.key, first_key);
    let (s, _) = body(phone.sign_in(&app).await).await;
    assert_ne!(s, StatusCode::SEE_OTHER, "Alice's new passkey is held");
    assert_eq!(app.count("registration_approvals"), 3);
    assert_eq!(app.audited("registration.held", "success"), 3);

    // The administrators see the queue (API and console) and decide.
    let ops = admin_client(&app, "ops", Some(Role::Admin));
    let read = bearer(&app, "ops", &ops, "admin:read").await;
    let rw = bearer(&app, "ops", &ops, "admin:read admin:write").await;
    let (s, list) = call(&app, "GET", "/registrations", &read, None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 3, "{list}");
    let owner = crate::admin_hierarchy::owner_of(&app);
    let console = crate::admin_hierarchy::console_token(&app, &owner, 0).await;
    let page = reqwest::Client::new()
        .get(app.url("/admin/alerts"))
        .header("Cookie", format!("visage_admin={console}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let table = page
        .split("id=\"registrations\"")
        .nth(1)
        .unwrap_or_default();
    for who in ["mallory@example.com", "erin@example.com", "ann@example.com"] {
        assert!(table.contains(who), "{who} in the console: {page}");
    }
    assert_eq!(table.matches("/approve\"").count(), 3, "{table}");
    let m = waiting(&app, "mallory@example.com");
    let e = waiting(&app, "erin@example.com");
    let a = waiting(&app, "ann@example.com");
    let path = |id: &Value, what: &str| format!("/registrations/{}/{what}", id.as_str().unwrap());
    let (s, _) = call(&app, "POST", &path(&e, "approve"), &read, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "deciding needs admin:write");

    // Enabling a waiting sign-up's account would skip the approval.
    let mallory_id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["email"] == "mallory@example.com")
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let enable = format!("/users/{mallory_id}/enable");
    let (s, b) = call(&app, "POST", &enable, &rw, None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, b) = call(&app, "POST", &path(&m, "reject"), &rw, None).await;
    assert_eq!(
        (s, b["new_account"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );
    let (s, b) = call(&app, "POST", &path(&e, "approve"), &rw, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = call(&app, "POST", &path(&a, "approve"), &rw, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = call(&app, "POST", &path(&e, "reject"), &rw, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "decided once: {b}");
    assert_eq!(app.count("registration_approvals"), 0);

    // Rejected: Mallory's account is erased and her passkey is unknown.
    let (s, page) = body(mallory.sign_in(&app).await).await;
    assert_ne!(s, StatusCode::SEE_OTHER);
    assert!(page.contains("not registered here"), "{page}");
    assert_eq!(
        app.count("users WHERE email = 'mallory@example.com'"),
        0,
        "erased"
    );
    // Approved: Erin's account and Alice's new passkey sign in.
    for p in [&mut erin, &mut phone] {
        let r = p.sign_in(&app).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{} signs in", p.email);
        assert!(p.signed_in(&app).await);
    }
    let subjects = |to: &str| sink.subjects(to).join(" | ");
    assert!(subjects("mallory@example.com").contains("not approved"));
    assert!(subjects("erin@example.com").contains("was approved"));
    assert!(subjects("ann@example.com").contains("was approved"));
    assert_eq!(app.audited("registration.reject", "success"), 1);
    assert_eq!(app.audited("registration.approve", "success"), 2);

    // Resolved, and an hour on: a sign-up goes straight in again.
    let id = alert["id"].as_str().unwrap();
    let (s, _) = call(&app, "POST", &format!("/alerts/{id}/resolve"), &rw, None).await;
    assert_eq!(s, StatusCode::OK);
    app.clock.advance(3601);
    let mut dave = Person::new("dave@example.com");
    let (s, page) = body(dave.sign_up(&app, &sink).await).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("awaiting-approval"), "{page}");
    assert!(dave.signed_in(&app).await);
}

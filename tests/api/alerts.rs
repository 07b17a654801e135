//! Alert rules (issue 17), each driven as the attacker it is meant for
//! would: it fires at its threshold and not below (clock injected), does
//! what it says (block, pause, review flag), reaches the operators by mail
//! and by a webhook whose signature verifies, and is acknowledged and
//! resolved by an administrator.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use visage::admin::roles::Role;
use visage::clock::Clock;

use crate::admin_api::{admin_client, bearer, call};
use crate::helpers::*;
use crate::mail::MailSink;

pub(crate) const SECRET: &str = "a webhook secret of at least 32 characters";
pub(crate) const OPS: &str = "ops@example.com";

/// A webhook receiver: (its URL, what it receives as (signature, body)).
pub(crate) fn webhook() -> (String, UnboundedReceiver<(String, String)>) {
    let (tx, rx) = unbounded_channel();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        let tx = tx.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest, body: String| {
                let sig = req
                    .headers()
                    .get("visage-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let _ = tx.send((sig, body));
                async { actix_web::HttpResponse::Ok().finish() }
            },
        ))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}/hooks/visage"), rx)
}

/// The next alert the webhook receives, its signature checked as the
/// receiver would (HMAC-SHA-256 of "t.body" under the shared secret).
pub(crate) async fn next_alert(rx: &mut UnboundedReceiver<(String, String)>) -> Value {
    let (sig, body) = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("an alert within 20 s")
        .expect("webhook open");
    let t = sig
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .expect("t=");
    let v1 = sig
        .split(',')
        .find_map(|p| p.strip_prefix("v1="))
        .expect("v1=");
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap())
        .expect("the signature verifies");
    // A forged body does not.
    let mut forged = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    forged.update(format!("{t}.{body} ").as_bytes());
    assert!(forged.verify_slice(&hex::decode(v1).unwrap()).is_err());
    serde_json::from_str(&body).unwrap()
}

async fn alerting(sink: &MailSink, url: &str) -> TestApp {
    let url = url.to_owned();
    spawn_accounts(sink, move |c| {
        c.server.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.alerts.mail_to = vec![OPS.into()];
        c.alerts.webhook_url = url;
        c.alerts.webhook_secret = SECRET.into();
    })
    .await
}

/// A password sign-in from `ip` (as the trusted proxy says): its status.
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> StatusCode {
    let html = app
        .http
        .get(app.url("/login"))
        .header("X-Forwarded-For", ip)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (action, mut fields) = form_of(&html);
    fields.push(("email".into(), email.into()));
    fields.push(("password".into(), password.into()));
    app.http
        .post(app.url(&action))
        .header("X-Forwarded-For", ip)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .status()
}

fn alerts_of(app: &TestApp, rule: &str) -> i64 {
    app.count(&format!("alerts WHERE rule = '{rule}'"))
}

#[tokio::test]
async fn five_failed_sign_ins_block_the_account_and_alert_the_operators_once() {
    let sink = MailSink::start();
    let (url, mut hook) = webhook();
    let app = alerting(&sink, &url).await;
    let alice = app.user();
    // Four wrong passwords (each from another address), then the window
    // passes: no alert.
    for i in 0..4 {
        login_from(&app, &format!("198.51.100.{i}"), EMAIL, "wrong").await;
    }
    app.clock.advance(15 * 60 + 1);
    login_from(&app, "198.51.100.10", EMAIL, "wrong").await;
    assert_eq!(alerts_of(&app, "failed_sign_ins"), 0, "below the threshold");
    // Four more within the window make five: blocked, one alert.
    for i in 11..15 {
        login_from(&app, &format!("198.51.100.{i}"), EMAIL, "wrong").await;
    }
    assert_eq!(alerts_of(&app, "failed_sign_ins"), 1);
    let right = login_from(&app, "203.0.113.1", EMAIL, PASSWORD).await;
    assert_eq!(
        right,
        StatusCode::TOO_MANY_REQUESTS,
        "the account is blocked"
    );

    let alert = next_alert(&mut hook).await;
    assert_eq!(alert["rule"], "failed_sign_ins");
    assert_eq!(alert["subject"], "account");
    assert_eq!(alert["user_id"], alice.as_str());
    assert_eq!(alert["count"], 5);
    assert!(alert["console"]
        .as_str()
        .unwrap()
        .ends_with("/admin/alerts"));
    let mails = sink.subjects(OPS);
    assert!(
        mails
            .iter()
            .any(|s| s.contains("[Visage alert] failed_sign_ins")),
        "{mails:?}"
    );

    // Blocked again later while it is unresolved: counted, not raised again.
    app.clock.advance(15 * 60 + 1);
    for i in 20..25 {
        login_from(&app, &format!("198.51.100.{i}"), EMAIL, "wrong").await;
    }
    assert_eq!(alerts_of(&app, "failed_sign_ins"), 1);
    assert_eq!(app.count("alerts WHERE repeats = 1"), 1);

    // An administrator acknowledges, then resolves it; an auditor cannot.
    let id = alert["id"].as_str().unwrap();
    let auditor = admin_client(&app, "watcher", Some(Role::Auditor));
    let ro = bearer(&app, "watcher", &auditor, "admin:read").await;
    let (s, list) = call(&app, "GET", "/alerts", &ro, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["open"], 1, "{list}");
    let (s, _) = call(&app, "POST", &format!("/alerts/{id}/resolve"), &ro, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let ops = admin_client(&app, "ops", Some(Role::Admin));
    let rw = bearer(&app, "ops", &ops, "admin:read admin:write").await;
    let (s, a) = call(
        &app,
        "POST",
        &format!("/alerts/{id}/acknowledge"),
        &rw,
        None,
    )
    .await;
    assert_eq!(
        (s, a["state"].as_str()),
        (StatusCode::OK, Some("acknowledged"))
    );
    let (s, a) = call(&app, "POST", &format!("/alerts/{id}/resolve"), &rw, None).await;
    assert_eq!((s, a["state"].as_str()), (StatusCode::OK, Some("resolved")));
    let (s, _) = call(&app, "POST", &format!("/alerts/{id}/resolve"), &rw, None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(app.audited("alert.resolve", "success"), 1);
}

#[tokio::test]
async fn five_failed_guesses_from_one_address_block_it_whatever_the_accounts() {
    let sink = MailSink::start();
    let (url, mut hook) = webhook();
    let app = alerting(&sink, &url).await;
    app.user();
    let stuffer = "192.0.2.66";
    for i in 0..4 {
        login_from(
            &app,
            stuffer,
            &format!("victim{i}@example.com"),
            "Summer2026!",
        )
        .await;
    }
    assert_eq!(alerts_of(&app, "failed_sign_ins"), 0);
    login_from(&app, stuffer, "victim4@example.com", "Summer2026!").await;
    assert_eq!(
        login_from(&app, stuffer, EMAIL, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "203.0.113.9", EMAIL, PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let alert = next_alert(&mut hook).await;
    assert_eq!(
        (alert["subject"].as_str(), alert["address"].as_str()),
        (Some("address"), Some(stuffer))
    );
}

#[tokio::test]
async fn the_console_lists_alerts_and_flags_a_person_for_review() {
    use crate::admin_hierarchy::{console_token, owner_of};
    let app = spawn_app().await;
    let owner = owner_of(&app);
    let bob = app.user_with("bob@example.com", PASSWORD);
    let now = app.clock.now();
    // Three face rejections lock the face check and flag Bob (as `face::failed` does).
    let rule = visage::config::Rule {
        max: 3,
        window_seconds: 1800,
        block_seconds: 1800,
    };
    let id = bob.clone();
    app.db
        .run_sync(move |c| visage::auth::alerts::face_locked(c, &id.as_str().into(), rule, now))
        .unwrap();
    let token = console_token(&app, &owner, 0).await;
    let get = |path: String| {
        let token = token.clone();
        let url = app.url(&path);
        async move {
            reqwest::Client::new()
                .get(url)
                .header("Cookie", format!("visage_admin={token}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let page = get("/admin/alerts".into()).await;
    assert!(
        page.contains("face_rejections") && page.contains(&bob),
        "{page}"
    );
    let user = get(format!("/admin/users/{bob}")).await;
    assert!(user.contains("id=\"security-review\""), "{user}");
    let alert: String = app
        .db
        .run_sync(|c| visage::db::alerts::list(c, Some("open"), 1))
        .unwrap()[0]
        .id
        .clone();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(&format!("/admin/alerts/{alert}/resolve")))
        .header(
            "Cookie",
            format!("visage_admin={token}; {}=c5rf", visage::web::cookies::CSRF),
        )
        .form(&[("csrf", "c5rf")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let user = get(format!("/admin/users/{bob}")).await;
    assert!(
        !user.contains("id=\"security-review\""),
        "the flag ends with the alert"
    );
}

//! A person's browser over plain HTTP with a software passkey
//! (webauthn-authenticator-rs `SoftPasskey`, RECIPES "Software passkeys"):
//! it signs up with the emailed code and a new passkey, adds passkeys and
//! signs in with them, as the hosted pages' scripts do. Each `Person` has
//! its own cookies; its passkeys are `support/soft_key.rs`.

use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

pub use crate::soft_key::Key;

use crate::helpers::*;
use crate::mail::MailSink;

pub struct Person {
    pub email: String,
    pub http: reqwest::Client,
    pub key: Key,
}

impl Person {
    pub fn new(email: &str) -> Person {
        Person {
            email: email.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            key: Key::new(),
        }
    }

    pub async fn page(&self, app: &TestApp, path: &str) -> String {
        self.http
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Submit the form on `page` with `fill` and the page's hidden fields.
    async fn submit(&self, app: &TestApp, page: &str, fill: &[(&str, &str)]) -> reqwest::Response {
        let (action, mut fields) = form_of(&self.page(app, page).await);
        fields.extend(fill.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self.http
            .post(app.url(&action))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// `POST options` as the page's script does: `{ceremony, options}`.
    async fn options(&self, app: &TestApp, path: &str, csrf: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .post(app.url(path))
            .header("X-CSRF-Token", csrf)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// Make a passkey on the registration page `page` (its options at
    /// `{action}/options`) and post it to `action`: the server's answer.
    async fn register(&mut self, app: &TestApp, page: &str, action: &str) -> reqwest::Response {
        let options = &format!("{action}/options");
        let html = self.page(app, page).await;
        let csrf = csrf_of(&html);
        let (status, body) = self.options(app, options, &csrf).await;
        assert_eq!(status, StatusCode::OK, "{options}: {body}");
        let origin = Url::parse(&app.issuer).unwrap();
        let credential = self.key.create(&origin, body["options"].clone()).unwrap();
        let fields = [
            ("csrf", csrf.as_str()),
            ("ceremony", body["ceremony"].as_str().unwrap()),
            ("credential", &serde_json::to_string(&credential).unwrap()),
            ("name", "Soft key"),
        ];
        self.http
            .post(app.url(action))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// Sign up with the code mailed to the sink and a new passkey: the
    /// answer to the passkey (the recovery-codes page when it worked).
    pub async fn sign_up(&mut self, app: &TestApp, sink: &MailSink) -> reqwest::Response {
        let r = self
            .submit(
                app,
                "/signup",
                &[("email", &self.email.clone()), ("name", "Soft Person")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-up form");
        let code = sink.code(&self.email, 0);
        let r = self.submit(app, "/signup/verify", &[("code", &code)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "code accepted");
        self.register(app, "/signup/passkey", "/signup/passkey")
            .await
    }

    /// Add a passkey on the account page (signed in).
    pub async fn add_passkey(&mut self, app: &TestApp) -> reqwest::Response {
        self.register(app, "/account/passkeys/new", "/account/passkeys")
            .await
    }

    /// Sign in with the passkey on the login page: the server's answer.
    pub async fn sign_in(&mut self, app: &TestApp) -> reqwest::Response {
        let html = self.page(app, "/login").await;
        let csrf = csrf_of(&html);
        let (status, body) = self.options(app, "/login/passkey/options", &csrf).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let origin = Url::parse(&app.issuer).unwrap();
        let credential = self.key.get(&origin, body["options"].clone()).unwrap();
        self.http
            .post(app.url("/login/passkey"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("ceremony", body["ceremony"].as_str().unwrap()),
                ("credential", &serde_json::to_string(&credential).unwrap()),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Whether this browser is signed in (the account page shows).
    pub async fn signed_in(&self, app: &TestApp) -> bool {
        let r = self.http.get(app.url("/account")).send().await.unwrap();
        r.status() == StatusCode::OK
    }
}

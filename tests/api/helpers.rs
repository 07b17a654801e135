//! Test harness: a real server on an ephemeral port, a fresh database per
//! test (SQLite file, or a new PostgreSQL database when VISAGE_TEST_PG_URL is
//! set), and an HTTP client with cookies on and redirects off.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::{Connection, RunQueryDsl};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;
use visage::clock::OffsetClock;
use visage::config::Config;
use visage::crypto::{load_or_create_master_key, MasterKey};
use visage::db::Db;
use visage::keys::Alg;
use visage::oidc::client_admin::{register, NewClient, Registered};
use visage::oidc::types::{GrantType, TokenAuthMethod};
use visage::Application;

pub const REDIRECT: &str = "http://127.0.0.1:8765/cb";
pub const POST_LOGOUT: &str = "http://127.0.0.1:8765/logged-out";
pub const EMAIL: &str = "alice@example.com";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub issuer: String,
    /// Where this instance listens (the issuer, unless it is a second
    /// instance of a deployment: [`TestApp::spawn_peer`]).
    pub base: String,
    pub http: reqwest::Client,
    pub db: Db,
    pub master_key: MasterKey,
    pub clock: OffsetClock,
    pub config: Config,
    /// The server's finished rounds of scheduled jobs.
    pub scheduled_rounds: tokio::sync::watch::Receiver<u64>,
    _dir: tempfile::TempDir,
}

/// A database URL for one test.
fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("VISAGE_TEST_PG_URL") {
        Ok(admin) if !admin.is_empty() => {
            crate::services::require(crate::services::Service::Postgres);
            let name = format!("visage_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                diesel::pg::PgConnection::establish(&admin).expect("connect to VISAGE_TEST_PG_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let mut url = Url::parse(&admin).expect("VISAGE_TEST_PG_URL is a URL");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        _ => format!("sqlite://{}", dir.join("visage.db").display()),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_on(tweak, None).await
}

impl TestApp {
    /// A second instance of this deployment, as behind a load balancer: its
    /// own process state and port, the same issuer, data directory (master
    /// key) and database. It shares this app's HTTP client, so a browser
    /// session started on one instance travels to the other.
    pub async fn spawn_peer(&self) -> TestApp {
        let first = self.config.clone();
        let http = self.http.clone();
        spawn_on(
            move |c| {
                let listen = c.listen.clone();
                *c = first;
                c.listen = listen;
            },
            Some(http),
        )
        .await
    }
}

async fn spawn_on(tweak: impl FnOnce(&mut Config), http: Option<reqwest::Client>) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut config = Config {
        issuer: format!("http://127.0.0.1:{port}"),
        listen: format!("127.0.0.1:{port}"),
        data_dir: dir.path().to_path_buf(),
        database_url: database_url(dir.path()),
        ..Config::default()
    };
    config.server.workers = 1;
    config.server.db_pool_size = 4;
    config.server.access_log = false;
    // The face engine loads only in the tests that use it.
    config.face.enabled = false;
    config.face.models_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/models").into();
    tweak(&mut config);
    if config.face.enabled {
        crate::services::require(crate::services::Service::FaceModels);
    }
    config.validate().expect("valid test config");
    let clock = OffsetClock::default();
    let app = Application::build_on(config.clone(), listener, Arc::new(clock.clone()))
        .expect("build app");
    let scheduled_rounds = app.scheduled_rounds();
    // The server's own handle: a test's writes are this server's changes.
    let db = app.db();
    tokio::spawn(app.run_until_stopped());
    let master_key = load_or_create_master_key("", &config.master_key_path()).expect("master key");
    let http = http.unwrap_or_else(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client")
    });
    let base = match config.listen.split_once(':') {
        Some((_, port)) if config.issuer.ends_with(&format!(":{port}")) => config.issuer.clone(),
        _ => format!("http://{}", config.listen),
    };
    TestApp {
        issuer: config.issuer.clone(),
        base,
        http,
        db,
        master_key,
        clock,
        config,
        scheduled_rounds,
        _dir: dir,
    }
}

pub fn new_client(id: &str, method: TokenAuthMethod) -> NewClient {
    let mut grants = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    if method != TokenAuthMethod::None {
        grants.push(GrantType::ClientCredentials);
    }
    NewClient {
        id: Some(id.into()),
        name: format!("App {id}"),
        redirect_uris: vec![REDIRECT.to_owned()],
        post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
        grant_types: grants,
        auth_method: method,
        id_token_alg: Alg::Rs256,
        allow_plain_pkce: false,
        first_party: false,
        jwks: None,
        branding: Default::default(),
        face_policy: visage::oidc::types::FacePolicy::Default,
        password_policy: visage::oidc::types::PasswordPolicy::Default,
        required_acr: None,
        service_scopes: vec!["api:read".into()],
        audiences: vec!["urn:visage:test-api".into()],
        allowed_origins: vec![],
        allowed_networks: vec![],
    }
}

/// PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = visage::crypto::random_token(32);
    let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
        &oauth2::PkceCodeVerifier::new(verifier.clone()),
    );
    (verifier, challenge.as_str().to_owned())
}

pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

pub fn jwt_header(token: &str) -> Value {
    let h = token.split('.').next().expect("JWT header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).expect("base64url")).expect("JSON")
}

pub fn location(h: &HeaderMap) -> String {
    h.get(LOCATION)
        .expect("Location header")
        .to_str()
        .expect("ascii")
        .to_owned()
}

pub fn query_of(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .expect("URL")
        .query_pairs()
        .into_owned()
        .collect()
}

/// The CSRF field of a page (any form).
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf field")
        .to_owned()
}

/// Hidden inputs and action of the first POST form on a page.
pub fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let doc = scraper::Html::parse_document(html);
    let form_sel =
        scraper::Selector::parse("form[method=post]:not([data-passkey])").expect("selector");
    let input_sel = scraper::Selector::parse("input[type=hidden]").expect("selector");
    let form = doc
        .select(&form_sel)
        .next()
        .expect("a POST form on the page");
    let action = form.value().attr("action").unwrap_or("").to_owned();
    let fields = form
        .select(&input_sel)
        .map(|i| {
            (
                i.value().attr("name").unwrap_or("").to_owned(),
                i.value().attr("value").unwrap_or("").to_owned(),
            )
        })
        .collect();
    (action, fields)
}

pub struct Tokens {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub fn register(&self, new: NewClient) -> Registered {
        let now = chrono::Utc::now().timestamp();
        self.db
            .run_sync(|c| register(c, &self.master_key, new, "test", now))
            .expect("register client")
    }

    /// A confidential client `rp` (client_secret_basic); returns its secret.
    pub fn confidential(&self) -> String {
        self.register(new_client("rp", TokenAuthMethod::ClientSecretBasic))
            .client_secret
            .expect("secret")
    }

    pub fn public(&self) {
        self.register(new_client("pub", TokenAuthMethod::None));
    }

    pub fn user(&self) -> String {
        self.user_with(EMAIL, PASSWORD)
    }

    pub fn user_with(&self, email: &str, password: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        self.db
            .run_sync(|c| {
                visage::auth::users::create_with_password(
                    c,
                    email,
                    password,
                    Some("Alice Example"),
                    now,
                )
            })
            .expect("create user")
            .id
            .into_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            self.url(path_or_url)
        };
        self.http.get(url).send().await.expect("GET")
    }

    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        let mut url = Url::parse(&self.url("/authorize")).expect("url");
        url.query_pairs_mut().extend_pairs(params);
        self.http.get(url).send().await.expect("authorize")
    }

    /// Submit the form on `page_path` with `fill` (and the page's hidden fields).
    pub async fn submit(&self, page_path: &str, fill: &[(&str, &str)]) -> reqwest::Response {
        let html = self.get(page_path).await.text().await.expect("page");
        let (action, mut fields) = form_of(&html);
        fields.extend(fill.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self.http
            .post(self.url(&action))
            .form(&fields)
            .send()
            .await
            .expect("submit")
    }

    /// Sign in on the login page at `login_location`; returns the response.
    pub async fn login(
        &self,
        login_location: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.submit(login_location, &[("email", email), ("password", password)])
            .await
    }

    /// Authorize `client_id` with the standard parameters plus `extra`,
    /// signing in and consenting; returns (code, verifier, nonce).
    pub async fn code_for(
        &self,
        client_id: &str,
        extra: &[(&str, &str)],
    ) -> (String, String, String) {
        let (verifier, challenge) = pkce();
        let nonce = visage::crypto::random_token(8);
        let mut params = vec![
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email offline_access"),
            ("state", "st-123"),
            ("nonce", nonce.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        params.extend_from_slice(extra);
        let mut resp = self.authorize(&params).await;
        for _ in 0..4 {
            assert_eq!(
                resp.status(),
                StatusCode::FOUND,
                "authorize flow expected a redirect"
            );
            let loc = location(resp.headers());
            if loc.starts_with(REDIRECT) {
                let q = query_of(&loc);
                assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
                assert_eq!(q.get("iss"), Some(&self.issuer));
                let code = q
                    .get("code")
                    .unwrap_or_else(|| panic!("no code in {loc}"))
                    .clone();
                return (code, verifier, nonce);
            } else if loc.starts_with("/login") {
                resp = self.login(&loc, EMAIL, PASSWORD).await;
            } else if loc.starts_with("/consent") {
                resp = self.submit(&loc, &[("decision", "allow")]).await;
            } else {
                panic!("unexpected redirect to {loc}");
            }
        }
        panic!("authorize flow did not finish");
    }

    pub async fn token(&self, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> Tokens {
        let mut req = self.http.post(self.url("/token")).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        let resp = req.send().await.expect("token request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap_or(Value::Null);
        Tokens {
            status,
            headers,
            body,
        }
    }

    /// Full code flow for the confidential client `rp`; returns the token response body.
    pub async fn tokens_for_rp(&self, secret: &str) -> Value {
        let (code, verifier, _) = self.code_for("rp", &[]).await;
        let t = self.exchange_code(secret, &code, &verifier).await;
        assert_eq!(t.status, StatusCode::OK, "{}", t.body);
        t.body
    }

    /// A refresh-token grant of the confidential client `rp`.
    pub async fn refresh_rp(&self, secret: &str, refresh_token: &str) -> Tokens {
        self.token(
            Some(("rp", secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// The code exchange of the confidential client `rp` (PKCE).
    pub async fn exchange_code(&self, secret: &str, code: &str, verifier: &str) -> Tokens {
        self.token(
            Some(("rp", secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    pub async fn introspect(&self, id: &str, secret: &str, token: &str) -> Value {
        self.http
            .post(self.url("/introspect"))
            .basic_auth(id, Some(secret))
            .form(&[("token", token)])
            .send()
            .await
            .expect("introspect")
            .json()
            .await
            .expect("json")
    }
}

/// A server whose issuer is `http://localhost:PORT` (WebAuthn needs a domain
/// name) and whose mail goes to `sink`.
pub async fn spawn_accounts(
    sink: &crate::mail::MailSink,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let port = sink.port;
    spawn_with(move |c| {
        c.issuer = c.issuer.replace("127.0.0.1", "localhost");
        c.mail.port = port;
        tweak(c);
    })
    .await
}

impl TestApp {
    /// Wait (at most 20 s) for a whole round of the server's scheduled jobs
    /// that began after this call: the round in progress, if any, ends
    /// first, then the next one runs (the server ticks every couple of
    /// seconds). No polling: the server says when a round is done.
    pub async fn scheduled_round(&self) {
        let mut rounds = self.scheduled_rounds.clone();
        rounds.mark_unchanged();
        for _ in 0..2 {
            tokio::time::timeout(std::time::Duration::from_secs(20), rounds.changed())
                .await
                .expect("a round of scheduled jobs within 20 s")
                .expect("the server is running");
        }
    }

    /// Rows in `table` (checks that nothing was half-written).
    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.db
            .run_sync(|c| {
                diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                    .get_result::<N>(c)
                    .map_err(visage::db::DbError::from)
            })
            .expect("count")
            .n
    }

    /// Audit events with `action` and `outcome`.
    /// Audit events that `keep` selects whose detail, opened under the
    /// master key (details are sealed at rest), contains `needle`.
    pub fn audit_with(
        &self,
        keep: impl Fn(&visage::db::audit::AuditRow) -> bool,
        needle: &str,
    ) -> i64 {
        self.db
            .run_sync(|c| {
                let rows = visage::db::audit::all(c)?;
                Ok::<_, visage::db::DbError>(
                    rows.iter()
                        .filter(|r| keep(r))
                        .filter(|r| visage::audit::detail_of(r).to_string().contains(needle))
                        .count() as i64,
                )
            })
            .expect("audit events")
    }

    pub fn audited(&self, action: &str, outcome: &str) -> i64 {
        self.count(&format!(
            "audit_events WHERE action = '{action}' AND outcome = '{outcome}'"
        ))
    }
}

/// A small valid PNG (grey, 64×64) as base64: a readable frame with no face.
pub fn blank_frame() -> String {
    let img = image::RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

impl TestApp {
    /// The cookie value of a passkey session of `uid` that signed in `age`
    /// seconds ago (made in the database; the passkey ceremony itself is
    /// tested in the browser tests).
    pub fn passkey_session_for(&self, uid: &str, age: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let amr = ["hwk".to_owned(), "user".to_owned()];
        self.db
            .run_sync(|c| {
                visage::auth::session::start(
                    c,
                    &uid.into(),
                    "urn:visage:acr:passkey",
                    &amr,
                    86_400,
                    now - age,
                )
            })
            .expect("session")
            .1
    }
}

/// A `Cookie` header with the session `cookie` and the CSRF token `t0ken`
/// (send `X-CSRF-Token: t0ken` or `csrf=t0ken` with it).
pub fn session_cookies(cookie: &str) -> String {
    format!(
        "{}={cookie}; visage_csrf=t0ken",
        visage::auth::session::COOKIE
    )
}

//! Real headless Chromium through chromedriver (Debian `chromium` and
//! `chromium-driver`), with the WebAuthn virtual authenticator.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// A raw WebDriver command under the session (the WebAuthn extension).
#[derive(Debug)]
struct Raw {
    method: http::Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for Raw {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", session.unwrap_or(""), self.path))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(Value::to_string),
        )
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Browser {
    /// Start Chromium for pages under `base` (e.g. `http://localhost:PORT`).
    pub async fn start(base: &str) -> Browser {
        Browser::start_with(base, None).await
    }

    /// Start Chromium whose camera plays `camera` (an .mjpeg or .y4m file, looped).
    pub async fn start_with(base: &str, camera: Option<&str>) -> Browser {
        crate::services::require(crate::services::Service::Chromium);
        if camera.is_some() {
            crate::services::require(crate::services::Service::TestData);
        }
        let port = free_port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver (scripts/setup.sh --test installs chromium-driver)");
        // It says when it listens; its output is then read to the end.
        let out = driver.stdout.take().expect("chromedriver's output");
        let (told, started) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufRead::lines(std::io::BufReader::new(out));
            let ok = lines
                .by_ref()
                .map_while(Result::ok)
                .any(|l| l.contains("started successfully"));
            let _ = told.send(ok);
            lines.for_each(drop);
        });
        assert_eq!(
            started.recv_timeout(Duration::from_secs(20)),
            Ok(true),
            "chromedriver did not start"
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--window-size=1000,1000",
            "--lang=en-US",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        if let Some(file) = camera {
            assert!(
                std::path::Path::new(file).exists(),
                "{file} (made by scripts/testdata.sh)"
            );
            args.push("--use-fake-ui-for-media-stream".into());
            args.push("--use-fake-device-for-media-stream".into());
            args.push(format!("--use-file-for-fake-video-capture={file}"));
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({ "args": args }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            driver,
            _profile: profile,
        }
    }

    async fn raw(&self, method: http::Method, path: &str, body: Option<Value>) -> Value {
        self.client
            .issue_cmd(Raw {
                method,
                path: path.to_owned(),
                body,
            })
            .await
            .unwrap_or_else(|e| panic!("webdriver {path}: {e}"))
    }

    /// Add a CTAP2 virtual authenticator with resident keys and user
    /// verification (`internal` = platform, `usb` = security key).
    pub async fn add_authenticator(&self, transport: &str) -> String {
        let v = self
            .raw(
                http::Method::POST,
                "webauthn/authenticator",
                Some(json!({
                    "protocol": "ctap2", "transport": transport, "hasResidentKey": true,
                    "hasUserVerification": true, "isUserVerified": true
                })),
            )
            .await;
        v.as_str().expect("authenticator id").to_owned()
    }

    pub async fn remove_authenticator(&self, id: &str) {
        self.raw(
            http::Method::DELETE,
            &format!("webauthn/authenticator/{id}"),
            None,
        )
        .await;
    }

    /// Credentials the virtual authenticator holds.
    pub async fn credentials(&self, id: &str) -> Vec<Value> {
        self.raw(
            http::Method::GET,
            &format!("webauthn/authenticator/{id}/credentials"),
            None,
        )
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
    }

    pub async fn goto(&self, path_or_url: &str) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        self.client.goto(&url).await.expect("navigate");
    }

    /// Wait (up to 15 s) for an element; page loads and ceremonies are async.
    pub async fn wait(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(el) => el,
            Err(e) => {
                let url = self.url().await;
                let body = self.client.source().await.unwrap_or_default();
                panic!("element {css} did not appear: {e}\nat {url}\n{body}")
            }
        }
    }

    pub async fn click(&self, css: &str) {
        self.wait(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.wait(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait(css).await.text().await.expect("text")
    }

    /// The text of `css` once `ok` accepts it (the page may still be
    /// changing after a click: the old element goes stale).
    pub async fn text_until(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(t) = el.text().await {
                    if ok(&t) {
                        return t;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed the expected text"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    /// Wait until the URL starts with `prefix`.
    pub async fn wait_url(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let u = self.url().await;
            if u.starts_with(prefix) {
                return u;
            }
            if Instant::now() >= deadline {
                // What the person would see says why (a refused check, a form error).
                let shown = self.text("body").await;
                panic!("expected a URL starting with {prefix}, still at {u}, showing:\n{shown}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Save a PNG under target/screenshots/.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
        std::fs::create_dir_all(dir).expect("screenshot dir");
        std::fs::write(format!("{dir}/{name}.png"), png).expect("write screenshot");
    }

    /// Run async JavaScript (the last argument is the callback).
    pub async fn run_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .expect("script")
    }

    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Kill chromedriver and the Chromium it started (one process group).
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

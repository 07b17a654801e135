//! A browser and a client as the load tools drive them: cookies, the
//! hosted pages' WebAuthn ceremonies with a software passkey, the code flow
//! with PKCE and the token endpoint (examples/passkey_load.rs,
//! examples/fault_load.rs). With a `Retry`, a request that got no answer or
//! a server error is sent again, and every try is recorded.

// Each tool uses part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use url::Url;

use super::soft_key::Key;

/// A browser's cookies (name, value), as it would send them.
#[derive(Clone, Default)]
pub struct Jar(pub Vec<(String, String)>);

impl Jar {
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn update(&mut self, r: &Response) {
        for set in r.headers().get_all(SET_COOKIE) {
            let Some((name, rest)) = set.to_str().ok().and_then(|s| s.split_once('=')) else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            self.0.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.0.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// One account's browser: its passkey and its device cookie.
pub struct Browser {
    pub email: String,
    pub key: Key,
    pub device: Jar,
}

pub struct Load {
    pub http: Client,
    pub issuer: Url,
    /// None: one try, nothing recorded (the benchmark).
    pub retry: Option<Retry>,
    /// Every try, with `retry`.
    pub tries: Mutex<Vec<Try>>,
    /// Requests answered only after more than one try.
    pub retried: AtomicU64,
}

/// How often, and how far apart, a request is tried.
pub struct Retry {
    pub tries: u32,
    pub pause: Duration,
}

/// One try of a request: when it was sent and answered (ms since the
/// epoch) and the status (0: no answer).
#[derive(Clone, Copy, Debug)]
pub struct Try {
    pub sent: u64,
    pub done: u64,
    pub status: u16,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A try worth repeating: no answer, or the server (or the load balancer)
/// failed.
fn transient(status: u16) -> bool {
    matches!(status, 0 | 500 | 502 | 503 | 504)
}

/// Where an answer sends the browser ("" when nowhere).
fn location(r: &Response) -> &str {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
}

fn csrf_in(html: &str) -> anyhow::Result<String> {
    let at = html
        .find("name=\"csrf\" value=\"")
        .ok_or_else(|| anyhow!("no CSRF field on the page"))?;
    let rest = &html[at + 19..];
    Ok(rest[..rest.find('"').unwrap_or(0)].to_owned())
}

impl Load {
    pub fn new(http: Client, issuer: Url, retry: Option<Retry>) -> Load {
        Load {
            http,
            issuer,
            retry,
            tries: Mutex::default(),
            retried: AtomicU64::new(0),
        }
    }

    /// Send `request`; with `retry`, again while it fails transiently.
    pub async fn send(&self, request: RequestBuilder) -> anyhow::Result<Response> {
        let Some(retry) = &self.retry else {
            return Ok(request.send().await?);
        };
        let mut tried = 0;
        loop {
            let attempt = request
                .try_clone()
                .ok_or_else(|| anyhow!("a streamed body cannot be sent again"))?;
            let sent = now_ms();
            let answer = attempt.send().await;
            let status = answer.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
            self.tries
                .lock()
                .map_err(|_| anyhow!("poisoned"))?
                .push(Try {
                    sent,
                    done: now_ms(),
                    status,
                });
            tried += 1;
            if !transient(status) || tried >= retry.tries {
                if tried > 1 {
                    self.retried.fetch_add(1, Ordering::Relaxed);
                }
                return Ok(answer?);
            }
            tokio::time::sleep(retry.pause).await;
        }
    }

    fn url(&self, path: &str) -> anyhow::Result<Url> {
        Ok(self.issuer.join(path)?)
    }

    /// GET a page: its CSRF token.
    async fn page(&self, jar: &mut Jar, path: &str) -> anyhow::Result<String> {
        let r = self
            .send(self.http.get(self.url(path)?).header(COOKIE, jar.header()))
            .await?;
        jar.update(&r);
        csrf_in(&r.text().await?)
    }

    async fn post_form(
        &self,
        jar: &mut Jar,
        path: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<Response> {
        let r = self
            .send(
                self.http
                    .post(self.url(path)?)
                    .header(COOKIE, jar.header())
                    .form(form),
            )
            .await?;
        jar.update(&r);
        Ok(r)
    }

    /// `{ceremony, options}` from an options endpoint.
    async fn options(&self, jar: &mut Jar, path: &str, csrf: &str) -> anyhow::Result<Value> {
        let (status, _, body) = self.post_json(jar, path, csrf, &json!({})).await?;
        if status != StatusCode::OK {
            bail!("{path}: {status} {body}");
        }
        Ok(body)
    }

    /// A WebAuthn ceremony as the page's script runs it: options from
    /// `{action}/options`, the key's answer (a new passkey on the account
    /// pages, an assertion on the login page), posted to `action`.
    async fn ceremony(
        &self,
        jar: &mut Jar,
        key: &mut Key,
        action: &str,
        csrf: &str,
    ) -> anyhow::Result<Response> {
        let body = self
            .options(jar, &format!("{action}/options"), csrf)
            .await?;
        let registers = action.starts_with("/account");
        let options = body["options"].clone();
        let credential = if registers {
            key.create(&self.issuer, options)
        } else {
            key.get(&self.issuer, options)
        }
        .map_err(|e| anyhow!(e))?
        .to_string();
        let ceremony = body["ceremony"].as_str().unwrap_or_default();
        let mut form = vec![
            ("csrf", csrf),
            ("ceremony", ceremony),
            ("credential", credential.as_str()),
        ];
        if registers {
            form.push(("name", "load"));
        }
        self.post_form(jar, action, &form).await
    }

    /// A JSON POST from a page of the browser (its CSRF header set): the
    /// status, the `Server-Timing` header and the body.
    pub async fn post_json(
        &self,
        jar: &mut Jar,
        path: &str,
        csrf: &str,
        body: &Value,
    ) -> anyhow::Result<(StatusCode, String, Value)> {
        let r = self
            .send(
                self.http
                    .post(self.url(path)?)
                    .header(COOKIE, jar.header())
                    .header("X-CSRF-Token", csrf)
                    .json(body),
            )
            .await?;
        jar.update(&r);
        let status = r.status();
        let timing = r
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok((status, timing, r.json().await.unwrap_or(Value::Null)))
    }

    /// Biometric consent from a signed-in browser (the consent page's form):
    /// the page's CSRF token.
    pub async fn face_consent(&self, jar: &mut Jar) -> anyhow::Result<String> {
        let csrf = self.page(jar, "/face/consent").await?;
        let r = self
            .post_form(
                jar,
                "/face/consent",
                &[("csrf", &csrf), ("decision", "agree")],
            )
            .await?;
        let to = location(&r);
        if to != "/face/enrol" {
            bail!("consent led to '{to}' ({})", r.status());
        }
        Ok(csrf)
    }

    /// The account's first sign-in (password) and its passkey.
    pub async fn enrol(&self, b: &mut Browser, password: &str) -> anyhow::Result<()> {
        let mut jar = b.device.clone();
        let csrf = self.page(&mut jar, "/login").await?;
        let r = self
            .post_form(
                &mut jar,
                "/login",
                &[("csrf", &csrf), ("email", &b.email), ("password", password)],
            )
            .await?;
        if r.status() != StatusCode::SEE_OTHER {
            bail!("{}: password sign-in answered {}", b.email, r.status());
        }
        let csrf = self.page(&mut jar, "/account/passkeys/new").await?;
        let r = self
            .ceremony(&mut jar, &mut b.key, "/account/passkeys", &csrf)
            .await?;
        let to = location(&r);
        if to != "/account?done=added" {
            bail!("{}: adding the passkey led to '{to}'", b.email);
        }
        Ok(())
    }

    /// One whole passkey sign-in from the account's browser: the browser's
    /// cookies after it.
    pub async fn sign_in(&self, b: &mut Browser) -> anyhow::Result<Jar> {
        let mut jar = b.device.clone();
        let csrf = self.page(&mut jar, "/login").await?;
        let r = self
            .ceremony(&mut jar, &mut b.key, "/login/passkey", &csrf)
            .await?;
        if r.status() != StatusCode::SEE_OTHER || !jar.has("visage_session") {
            bail!("sign-in answered {}", r.status());
        }
        Ok(jar)
    }

    /// The token endpoint's answer for `form`, as `rp`.
    pub async fn token_answer(
        &self,
        rp: &Rp,
        form: &[(&str, &str)],
    ) -> anyhow::Result<(StatusCode, Value)> {
        let r = self
            .send(
                self.http
                    .post(self.url("/token")?)
                    .basic_auth(&rp.id, Some(&rp.secret))
                    .form(form),
            )
            .await?;
        let status = r.status();
        let body = r.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// The token endpoint's answer for `form`, as `rp`: the new refresh token.
    pub async fn token(&self, rp: &Rp, form: &[(&str, &str)]) -> anyhow::Result<String> {
        let (status, body) = self.token_answer(rp, form).await?;
        match body["refresh_token"].as_str() {
            Some(rt) if status == StatusCode::OK => Ok(rt.to_owned()),
            _ => bail!("token: {status} {body}"),
        }
    }

    /// Sign in, authorize `rp` (code flow, PKCE) and redeem the code: the
    /// family's first refresh token.
    pub async fn family(&self, b: &mut Browser, rp: &Rp) -> anyhow::Result<String> {
        use base64::Engine;
        use sha2::Digest;
        let jar = self.sign_in(b).await?;
        let verifier = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        let mut url = self.url("/authorize")?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &rp.id)
            .append_pair("redirect_uri", &rp.redirect)
            .append_pair("scope", "openid offline_access")
            .append_pair("state", "load")
            .append_pair("nonce", "load")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let r = self
            .send(self.http.get(url).header(COOKIE, jar.header()))
            .await?;
        let to = location(&r);
        let code = Url::parse(to)
            .ok()
            .filter(|u| u.as_str().starts_with(&rp.redirect))
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or_else(|| anyhow!("authorize led to '{to}' ({})", r.status()))?;
        self.token(
            rp,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &rp.redirect),
                ("code_verifier", &verifier),
            ],
        )
        .await
    }
}

/// The client that refreshes.
pub struct Rp {
    pub id: String,
    pub secret: String,
    pub redirect: String,
}

/// `items` dealt round-robin into `n` groups (one per browser).
pub fn deal<T>(items: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let mut groups: Vec<Vec<T>> = (0..n).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        groups[i % n].push(item);
    }
    groups
}

/// The arguments the load tools start with:
/// `ISSUER PASSWORD ACCOUNTS CONCURRENCY SECONDS`, then their own.
pub struct Args {
    all: Vec<String>,
    usage: &'static str,
    pub issuer: Url,
    pub password: String,
    pub accounts: usize,
    /// Browsers or workers at once (at least 1).
    pub concurrency: usize,
    pub seconds: u64,
}

impl Args {
    pub fn parse(usage: &'static str) -> anyhow::Result<Args> {
        let all: Vec<String> = std::env::args().collect();
        Ok(Args {
            issuer: nth(&all, 1, "issuer", usage)?,
            password: nth(&all, 2, "password", usage)?,
            accounts: nth(&all, 3, "accounts", usage)?,
            concurrency: nth::<usize>(&all, 4, "concurrency", usage)?.max(1),
            seconds: nth(&all, 5, "seconds", usage)?,
            all,
            usage,
        })
    }

    /// Argument `i`, parsed.
    pub fn get<T: std::str::FromStr>(&self, i: usize, what: &str) -> anyhow::Result<T> {
        nth(&self.all, i, what, self.usage)
    }

    /// Argument `i`, if given.
    pub fn optional(&self, i: usize) -> Option<String> {
        self.all.get(i).cloned()
    }
}

/// Argument `i` of `all`, parsed; else an error naming it and the usage.
fn nth<T: std::str::FromStr>(
    all: &[String],
    i: usize,
    what: &str,
    usage: &str,
) -> anyhow::Result<T> {
    all.get(i)
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| anyhow!("argument {i}: {what} ({usage})"))
}

//! Passkey sign-ins per second, end to end (issue 16; docs/benchmarks.md,
//! run by `scripts/passkey_bench.sh`).
//!
//! ```sh
//! passkey_load ISSUER PASSWORD ACCOUNTS BROWSERS SECONDS
//! ```
//!
//! Accounts `load{i}@example.com` (made beforehand with `visage user add`,
//! all with PASSWORD) each sign in with the password once from their own
//! browser and add a software passkey there (a password-only account adds
//! its first passkey from a fresh password session). Then BROWSERS
//! concurrent browsers sign in again and again for SECONDS, each as its
//! accounts in turn, from the browser the account used before: GET /login
//! (the page and its CSRF cookie), POST /login/passkey/options, the
//! passkey's assertion, POST /login/passkey. A sign-in counts when the
//! server answers 303 with a session cookie. Prints sign-ins/s and the
//! latency of a whole sign-in (p50, p99).

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use url::Url;

#[path = "../tests/support/soft_key.rs"]
mod soft_key;
use soft_key::Key;

/// A browser's cookies (name, value), as it would send them.
#[derive(Clone, Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn update(&mut self, r: &Response) {
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

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// One account's browser: its passkey and its device cookie.
struct Browser {
    email: String,
    key: Key,
    device: Jar,
}

struct Load {
    http: Client,
    issuer: Url,
}

fn csrf_in(html: &str) -> anyhow::Result<String> {
    let at = html
        .find("name=\"csrf\" value=\"")
        .ok_or_else(|| anyhow!("no CSRF field on the page"))?;
    let rest = &html[at + 19..];
    Ok(rest[..rest.find('"').unwrap_or(0)].to_owned())
}

impl Load {
    fn url(&self, path: &str) -> anyhow::Result<Url> {
        Ok(self.issuer.join(path)?)
    }

    /// GET a page: its CSRF token.
    async fn page(&self, jar: &mut Jar, path: &str) -> anyhow::Result<String> {
        let r = self
            .http
            .get(self.url(path)?)
            .header(COOKIE, jar.header())
            .send()
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
            .http
            .post(self.url(path)?)
            .header(COOKIE, jar.header())
            .form(form)
            .send()
            .await?;
        jar.update(&r);
        Ok(r)
    }

    /// `{ceremony, options}` from an options endpoint.
    async fn options(&self, jar: &mut Jar, path: &str, csrf: &str) -> anyhow::Result<Value> {
        let r = self
            .http
            .post(self.url(path)?)
            .header(COOKIE, jar.header())
            .header("X-CSRF-Token", csrf)
            .json(&json!({}))
            .send()
            .await?;
        jar.update(&r);
        let status = r.status();
        let body: Value = r.json().await?;
        if status != StatusCode::OK {
            bail!("{path}: {status} {body}");
        }
        Ok(body)
    }

    /// The account's first sign-in (password) and its passkey.
    async fn enrol(&self, b: &mut Browser, password: &str) -> anyhow::Result<()> {
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
        let body = self
            .options(&mut jar, "/account/passkeys/options", &csrf)
            .await?;
        let credential = b
            .key
            .create(&self.issuer, body["options"].clone())
            .map_err(|e| anyhow!(e))?;
        let ceremony = body["ceremony"].as_str().unwrap_or_default();
        let r = self
            .post_form(
                &mut jar,
                "/account/passkeys",
                &[
                    ("csrf", &csrf),
                    ("ceremony", ceremony),
                    ("credential", &credential.to_string()),
                    ("name", "load"),
                ],
            )
            .await?;
        let to = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default();
        if to != "/account?done=added" {
            bail!("{}: adding the passkey led to '{to}'", b.email);
        }
        Ok(())
    }

    /// One whole passkey sign-in from the account's browser.
    async fn sign_in(&self, b: &mut Browser) -> anyhow::Result<()> {
        let mut jar = b.device.clone();
        let csrf = self.page(&mut jar, "/login").await?;
        let body = self
            .options(&mut jar, "/login/passkey/options", &csrf)
            .await?;
        let credential = b
            .key
            .get(&self.issuer, body["options"].clone())
            .map_err(|e| anyhow!(e))?;
        let ceremony = body["ceremony"].as_str().unwrap_or_default();
        let r = self
            .post_form(
                &mut jar,
                "/login/passkey",
                &[
                    ("csrf", &csrf),
                    ("ceremony", ceremony),
                    ("credential", &credential.to_string()),
                ],
            )
            .await?;
        if r.status() != StatusCode::SEE_OTHER || !jar.has("visage_session") {
            bail!("sign-in answered {}", r.status());
        }
        Ok(())
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> anyhow::Result<T> {
    args.get(i).and_then(|a| a.parse().ok()).with_context(|| {
        format!("argument {i}: {what} (passkey_load ISSUER PASSWORD ACCOUNTS BROWSERS SECONDS)")
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let issuer: Url = arg(&args, 1, "issuer")?;
    let password: String = arg(&args, 2, "password")?;
    let accounts: usize = arg(&args, 3, "accounts")?;
    let browsers: usize = arg(&args, 4, "browsers")?;
    let seconds: u64 = arg(&args, 5, "seconds")?;
    let load = std::sync::Arc::new(Load {
        http: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(browsers)
            .build()?,
        issuer,
    });
    let mut all = Vec::new();
    for i in 0..accounts {
        let device = uuid::Uuid::new_v4().simple().to_string();
        let mut b = Browser {
            email: format!("load{i}@example.com"),
            key: Key::new(),
            device: Jar(vec![("visage_device".into(), device)]),
        };
        load.enrol(&mut b, &password).await?;
        all.push(b);
    }
    eprintln!("{accounts} accounts have a passkey; {browsers} browsers sign in for {seconds} s");
    let mut groups: Vec<Vec<Browser>> = (0..browsers).map(|_| Vec::new()).collect();
    for (i, b) in all.into_iter().enumerate() {
        groups[i % browsers].push(b);
    }
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for mut group in groups.into_iter().filter(|g| !g.is_empty()) {
        let load = load.clone();
        tasks.push(tokio::spawn(async move {
            let (mut times, mut errors) = (Vec::new(), Vec::new());
            let mut turn = 0;
            while Instant::now() < end {
                let n = group.len();
                let b = &mut group[turn % n];
                turn += 1;
                let t = Instant::now();
                match load.sign_in(b).await {
                    Ok(()) => times.push(t.elapsed()),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            (times, errors)
        }));
    }
    let started = Instant::now();
    let (mut times, mut errors) = (Vec::new(), Vec::new());
    for t in tasks {
        let (ok, bad) = t.await?;
        times.extend(ok);
        errors.extend(bad);
    }
    let elapsed = started.elapsed().as_secs_f64().max(seconds as f64);
    times.sort();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "passkey sign-ins: {} in {elapsed:.1} s = {:.0}/s; whole sign-in p50 {:.1} ms, p99 {:.1} ms; errors {}",
        times.len(),
        times.len() as f64 / elapsed,
        at(0.5),
        at(0.99),
        errors.len()
    );
    if let Some(e) = errors.first() {
        println!("first error: {e}");
    }
    Ok(())
}

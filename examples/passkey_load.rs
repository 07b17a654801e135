//! Passkey sign-ins per second, end to end, and refreshes with rotation
//! per second (issue 16; docs/benchmarks.md, run by
//! `scripts/passkey_bench.sh`).
//!
//! ```sh
//! passkey_load ISSUER PASSWORD ACCOUNTS BROWSERS SECONDS [CLIENT_ID SECRET REDIRECT_URI]
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
//!
//! With a client (first-party, confidential, `offline_access` allowed):
//! then each account signs in once more, its browser authorizes the client
//! (code flow with PKCE) and the client redeems the code; BROWSERS clients
//! refresh for SECONDS, each its families in turn, always with the refresh
//! token the last answer rotated to. Prints refreshes/s likewise.

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
    async fn sign_in(&self, b: &mut Browser) -> anyhow::Result<Jar> {
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

    /// The token endpoint's answer for `form`, as `rp`: the new refresh token.
    async fn token(&self, rp: &Rp, form: &[(&str, &str)]) -> anyhow::Result<String> {
        let r = self
            .http
            .post(self.url("/token")?)
            .basic_auth(&rp.id, Some(&rp.secret))
            .form(form)
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await?;
        match body["refresh_token"].as_str() {
            Some(rt) if status == StatusCode::OK => Ok(rt.to_owned()),
            _ => bail!("token: {status} {body}"),
        }
    }

    /// Sign in, authorize `rp` (code flow, PKCE) and redeem the code: the
    /// family's first refresh token.
    async fn family(&self, b: &mut Browser, rp: &Rp) -> anyhow::Result<String> {
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
            .http
            .get(url)
            .header(COOKIE, jar.header())
            .send()
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
struct Rp {
    id: String,
    secret: String,
    redirect: String,
}

/// Run `work` on each item of each group in turn until `seconds` pass:
/// (the time of each success, each error).
async fn run<T, F>(
    groups: Vec<Vec<T>>,
    seconds: u64,
    work: F,
) -> anyhow::Result<(Vec<Duration>, Vec<String>)>
where
    T: Send + 'static,
    F: Fn(&mut T) -> futures_util::future::BoxFuture<'_, anyhow::Result<()>>
        + Send
        + Sync
        + Copy
        + 'static,
{
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for mut group in groups.into_iter().filter(|g| !g.is_empty()) {
        tasks.push(tokio::spawn(async move {
            let (mut times, mut errors) = (Vec::new(), Vec::new());
            let mut turn = 0;
            while Instant::now() < end {
                let n = group.len();
                let item = &mut group[turn % n];
                turn += 1;
                let t = Instant::now();
                match work(item).await {
                    Ok(()) => times.push(t.elapsed()),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            (times, errors)
        }));
    }
    let (mut times, mut errors) = (Vec::new(), Vec::new());
    for t in tasks {
        let (ok, bad) = t.await?;
        times.extend(ok);
        errors.extend(bad);
    }
    Ok((times, errors))
}

/// Print what `run` measured.
fn report(
    what: &str,
    started: Instant,
    seconds: u64,
    (mut times, errors): (Vec<Duration>, Vec<String>),
) {
    let elapsed = started.elapsed().as_secs_f64().max(seconds as f64);
    times.sort();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "{what}: {} in {elapsed:.1} s = {:.0}/s; p50 {:.1} ms, p99 {:.1} ms; errors {}",
        times.len(),
        times.len() as f64 / elapsed,
        at(0.5),
        at(0.99),
        errors.len()
    );
    if let Some(e) = errors.first() {
        println!("first error: {e}");
    }
}

/// `items` dealt round-robin into `n` groups.
fn deal<T>(items: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let mut groups: Vec<Vec<T>> = (0..n).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        groups[i % n].push(item);
    }
    groups
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
    let rp = args.get(6).map(|id| Rp {
        id: id.clone(),
        secret: args.get(7).cloned().unwrap_or_default(),
        redirect: args.get(8).cloned().unwrap_or_default(),
    });
    let rp = std::sync::Arc::new(rp);
    // One refresh-token family per account, made before the load.
    let mut families = Vec::new();
    if let Some(client) = rp.as_ref() {
        for b in &mut all {
            families.push((load.clone(), rp.clone(), load.family(b, client).await?));
        }
    }
    eprintln!("{accounts} accounts have a passkey; {browsers} browsers sign in for {seconds} s");
    let items: Vec<_> = all.into_iter().map(|b| (load.clone(), b)).collect();
    let started = Instant::now();
    let measured = run(deal(items, browsers), seconds, |(load, b)| {
        Box::pin(async move { load.sign_in(b).await.map(drop) })
    })
    .await?;
    report(
        "passkey sign-ins (whole sign-in)",
        started,
        seconds,
        measured,
    );
    if families.is_empty() {
        return Ok(());
    }
    eprintln!(
        "{} refresh-token families; {browsers} clients refresh for {seconds} s",
        families.len()
    );
    let started = Instant::now();
    let measured = run(deal(families, browsers), seconds, |(load, rp, rt)| {
        Box::pin(async move {
            let client = rp.as_ref().as_ref().ok_or_else(|| anyhow!("no client"))?;
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
            ];
            *rt = load.token(client, &form).await?;
            Ok(())
        })
    })
    .await?;
    report("refreshes with rotation", started, seconds, measured);
    Ok(())
}

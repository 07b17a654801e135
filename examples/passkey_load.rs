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

use anyhow::anyhow;
use reqwest::Client;

#[path = "support/browser.rs"]
mod browser;
#[path = "../tests/support/soft_key.rs"]
mod soft_key;
use browser::{deal, Args, Browser, Jar, Load, Rp};
use soft_key::Key;

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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse(
        "passkey_load ISSUER PASSWORD ACCOUNTS BROWSERS SECONDS [CLIENT_ID SECRET REDIRECT_URI]",
    )?;
    let (issuer, password, accounts, browsers, seconds) = (
        args.issuer.clone(),
        args.password.clone(),
        args.accounts,
        args.concurrency,
        args.seconds,
    );
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(browsers)
        .build()?;
    let load = std::sync::Arc::new(Load::new(http, issuer, None));
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
    let rp = args.optional(6).map(|id| Rp {
        id,
        secret: args.optional(7).unwrap_or_default(),
        redirect: args.optional(8).unwrap_or_default(),
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

//! Steady load through the cluster while `scripts/faults.sh` breaks it
//! (issue 16; docs/operations.md "Faults"): WORKERS concurrent browsers and
//! their client sign in with a passkey, authorize the client, redeem the
//! code and refresh three times with rotation, account after account, for
//! SECONDS. Every request is tried again while it gets no answer or a
//! server error, as an RP's HTTP client or a person's reload would.
//!
//! Then every refresh-token family a client was given is refreshed once
//! more: one that no longer refreshes is a lost grant. The tries are laid
//! against the faults' times in EVENTS (lines `MS NAME`, written by the
//! script: `kill`, `down`, `up`, `replica_cut`, `primary_stopped`,
//! `promoted`; this tool
//! adds `load_started` when the load begins).
//!
//! ```sh
//! fault_load ISSUER PASSWORD ACCOUNTS WORKERS SECONDS CLIENT_ID SECRET REDIRECT_URI EVENTS
//! ```
//!
//! Exits 1 when a promise is broken: a failed try sent after HAProxy marked
//! the killed instance down, a recovery later than 10 s after the replica's
//! promotion, no sign-in after it, or a lost grant.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use reqwest::{Client, StatusCode};

#[path = "support/browser.rs"]
mod browser;
#[path = "../tests/support/soft_key.rs"]
mod soft_key;
use browser::{now_ms, Args, Browser, Jar, Load, Retry, Rp, Try};
use soft_key::Key;

/// Refreshes of each family during the load.
const REFRESHES: usize = 3;
/// The longest a failover may keep clients failing, from the promotion.
const RECOVERY_MS: u64 = 10_000;

/// What the workers did, and what went wrong.
#[derive(Default)]
struct Tally {
    /// Families begun: a sign-in, the client authorized, its code redeemed.
    families: AtomicU64,
    refreshes: AtomicU64,
    /// Flows begun again: a step failed (e.g. a code whose answer was lost
    /// with the instance that redeemed it, or no answer for 15 s).
    restarted: Mutex<Vec<String>>,
    /// Refreshes given up for want of an answer (the family is kept and
    /// checked at the end).
    unanswered: AtomicU64,
    /// Families a client held that the server no longer honours.
    lost: Mutex<Vec<String>>,
}

impl Tally {
    fn note(list: &Mutex<Vec<String>>, what: String) {
        if let Ok(mut l) = list.lock() {
            l.push(what);
        }
    }
}

/// Refresh `rt` once: Ok(Some(next)) when rotated, Ok(None) when no answer
/// came, Err when the server refused the family.
async fn refresh(load: &Load, rp: &Rp, rt: &str) -> anyhow::Result<Option<String>> {
    let form = [("grant_type", "refresh_token"), ("refresh_token", rt)];
    let Ok((status, body)) = load.token_answer(rp, &form).await else {
        return Ok(None);
    };
    if status.is_server_error() {
        return Ok(None);
    }
    match body["refresh_token"].as_str() {
        Some(next) if status == StatusCode::OK => Ok(Some(next.to_owned())),
        _ => Err(anyhow!("refresh answered {status} {body}")),
    }
}

/// One worker's load until `end`: the heads of the families it was given.
async fn worker(
    load: Arc<Load>,
    rp: Arc<Rp>,
    mut browsers: Vec<Browser>,
    end: Instant,
    tally: Arc<Tally>,
) -> Vec<String> {
    let mut heads = Vec::new();
    let mut turn = 0;
    while Instant::now() < end {
        let n = browsers.len();
        let b = &mut browsers[turn % n];
        turn += 1;
        let mut rt = match load.family(b, &rp).await {
            Ok(rt) => rt,
            Err(e) => {
                Tally::note(&tally.restarted, e.to_string());
                continue;
            }
        };
        tally.families.fetch_add(1, Ordering::Relaxed);
        let mut kept = true;
        for _ in 0..REFRESHES {
            match refresh(&load, &rp, &rt).await {
                Ok(Some(next)) => {
                    rt = next;
                    tally.refreshes.fetch_add(1, Ordering::Relaxed);
                }
                Ok(None) => {
                    tally.unanswered.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Err(e) => {
                    Tally::note(&tally.lost, e.to_string());
                    kept = false;
                    break;
                }
            }
        }
        if kept {
            heads.push(rt);
        }
    }
    heads
}

/// Each family refreshed once more, `concurrency` at a time.
async fn verify(
    load: Arc<Load>,
    rp: Arc<Rp>,
    heads: Vec<String>,
    concurrency: usize,
    tally: &Tally,
) {
    let mut groups: Vec<Vec<String>> = (0..concurrency).map(|_| Vec::new()).collect();
    for (i, h) in heads.into_iter().enumerate() {
        groups[i % concurrency].push(h);
    }
    let mut tasks = Vec::new();
    for group in groups {
        let (load, rp) = (load.clone(), rp.clone());
        tasks.push(tokio::spawn(async move {
            let mut lost = Vec::new();
            for rt in group {
                match refresh(&load, &rp, &rt).await {
                    Ok(Some(_)) => {}
                    Ok(None) => lost.push("no answer to the final refresh".to_owned()),
                    Err(e) => lost.push(e.to_string()),
                }
            }
            lost
        }));
    }
    for t in tasks {
        for e in t.await.unwrap_or_default() {
            Tally::note(&tally.lost, e);
        }
    }
}

/// The faults' times, by name (ms since the epoch).
fn events(path: &str) -> BTreeMap<String, u64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (ms, name) = l.split_once(' ')?;
            Some((name.trim().to_owned(), ms.parse().ok()?))
        })
        .collect()
}

fn failed(t: &Try) -> bool {
    t.status == 0 || t.status >= 500
}

/// What the tries show about each fault: the promises broken.
fn judge(tries: &[Try], ev: &BTreeMap<String, u64>) -> Vec<String> {
    let mut broken = Vec::new();
    let at = |name: &str| ev.get(name).copied();
    let since = |ms: u64| at("load_started").map(|s| ms.saturating_sub(s) as f64 / 1000.0);
    let failed_in = |from: u64, to: u64| {
        tries
            .iter()
            .filter(|t| failed(t) && t.sent >= from && t.sent < to)
            .count()
    };
    if let (Some(kill), Some(down)) = (at("kill"), at("down")) {
        let until = at("replica_cut")
            .or(at("primary_stopped"))
            .unwrap_or(u64::MAX);
        let before = failed_in(kill, down);
        let after = failed_in(down, until);
        println!(
            "kill -9 of instance 1 at +{:.1} s, marked down by HAProxy {} ms later, back up at +{:.1} s: \
             failed tries before it was marked down {before}, after {after}",
            since(kill).unwrap_or(0.0),
            down - kill,
            at("up").and_then(since).unwrap_or(0.0),
        );
        if after > 0 {
            broken.push(format!(
                "{after} failed tries after HAProxy marked the killed instance down"
            ));
        }
    }
    if let (Some(stopped), Some(promoted)) = (at("primary_stopped"), at("promoted")) {
        // From the replica's cut: requests waiting for it fail with the primary.
        let cut = at("replica_cut").unwrap_or(stopped);
        let failures: Vec<&Try> = tries
            .iter()
            .filter(|t| failed(t) && t.sent >= cut)
            .collect();
        let last = failures.iter().map(|t| t.done).max().unwrap_or(promoted);
        let recovery = last.saturating_sub(promoted);
        let answered_after = tries
            .iter()
            .filter(|t| t.sent > last && (200..500).contains(&t.status))
            .count();
        println!(
            "replica cut off at +{:.1} s, primary stopped {} ms later, replica promoted {} ms after that: \
             failed tries {}, the last answered {recovery} ms after the promotion; \
             {answered_after} requests answered after it",
            since(cut).unwrap_or(0.0),
            stopped.saturating_sub(cut),
            promoted.saturating_sub(stopped),
            failures.len(),
        );
        if recovery > RECOVERY_MS {
            broken.push(format!(
                "recovered {recovery} ms after the promotion (limit {RECOVERY_MS})"
            ));
        }
        if answered_after == 0 {
            broken.push("nothing was answered after the failover".into());
        }
    }
    broken
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse(
        "fault_load ISSUER PASSWORD ACCOUNTS WORKERS SECONDS CLIENT_ID SECRET REDIRECT_URI EVENTS",
    )?;
    let (issuer, password, accounts, seconds) = (
        args.issuer.clone(),
        args.password.clone(),
        args.accounts,
        args.seconds,
    );
    let workers = args.concurrency.min(accounts.max(1));
    let rp = Arc::new(Rp {
        id: args.get(6, "client id")?,
        secret: args.get(7, "client secret")?,
        redirect: args.get(8, "redirect URI")?,
    });
    let events_file: String = args.get(9, "events file")?;
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()?;
    // 60 tries 250 ms apart: a request rides out 15 s without an answer.
    let retry = Retry {
        tries: 60,
        pause: Duration::from_millis(250),
    };
    let load = Arc::new(Load::new(http, issuer, Some(retry)));
    let mut groups: Vec<Vec<Browser>> = (0..workers).map(|_| Vec::new()).collect();
    for i in 0..accounts {
        let mut b = Browser {
            email: format!("load{i}@example.com"),
            key: Key::new(),
            device: Jar(vec![(
                "visage_device".into(),
                uuid::Uuid::new_v4().simple().to_string(),
            )]),
        };
        load.enrol(&mut b, &password).await?;
        groups[i % workers].push(b);
    }
    let tally = Arc::new(Tally::default());
    let end = Instant::now() + Duration::from_secs(seconds);
    writeln!(
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&events_file)?,
        "{} load_started",
        now_ms()
    )?;
    eprintln!("{accounts} accounts have a passkey; {workers} workers for {seconds} s");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for group in groups {
        tasks.push(tokio::spawn(worker(
            load.clone(),
            rp.clone(),
            group,
            end,
            tally.clone(),
        )));
    }
    let mut heads = Vec::new();
    for t in tasks {
        heads.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let families = heads.len();
    verify(load.clone(), rp.clone(), heads, workers, &tally).await;

    let tries = load.tries.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for t in &tries {
        *by_status.entry(t.status).or_default() += 1;
    }
    let statuses: Vec<String> = by_status
        .iter()
        .map(|(s, n)| match s {
            0 => format!("no answer {n}"),
            s => format!("{s} {n}"),
        })
        .collect();
    let restarted = tally
        .restarted
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .clone();
    let lost = tally.lost.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    println!(
        "{:.0} s of load: {} families (passkey sign-in, authorization, code redeemed), {} refreshes; \
         {} tries: {}; {} requests answered only after a retry; {} flows begun again{}; \
         {} refreshes left unanswered",
        elapsed,
        tally.families.load(Ordering::Relaxed),
        tally.refreshes.load(Ordering::Relaxed),
        tries.len(),
        statuses.join(", "),
        load.retried.load(Ordering::Relaxed),
        restarted.len(),
        restarted
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
        tally.unanswered.load(Ordering::Relaxed),
    );
    let mut broken = judge(&tries, &events(&events_file));
    println!(
        "lost grants: {} of {} families a client was given ({families} refreshed once more at the end){}",
        lost.len(),
        tally.families.load(Ordering::Relaxed),
        lost.first().map(|e| format!("; first: {e}")).unwrap_or_default()
    );
    if !lost.is_empty() {
        broken.push(format!("{} lost grants", lost.len()));
    }
    if tally.families.load(Ordering::Relaxed) == 0 {
        broken.push("no family was made".into());
    }
    if broken.is_empty() {
        println!("faults: every promise held");
        Ok(())
    } else {
        for b in &broken {
            println!("BROKEN: {b}");
        }
        std::process::exit(1);
    }
}

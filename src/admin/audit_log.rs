//! The audit viewer: filtered pages of events, and the counts its charts draw.

use serde::{Deserialize, Serialize};

use crate::db::audit::{self as repo, AuditFilter, AuditRow};
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    pub category: Option<String>,
    pub action: Option<String>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub outcome: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub category: String,
    pub action: String,
    pub outcome: String,
    pub actor: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.trim().is_empty())
}

impl AuditQuery {
    pub fn filter(&self) -> AuditFilter {
        AuditFilter {
            category: nonempty(&self.category),
            action: nonempty(&self.action),
            user_id: nonempty(&self.user),
            client_id: nonempty(&self.client),
            outcome: nonempty(&self.outcome),
            since: self.since,
            until: self.until,
        }
    }
}

pub fn search(conn: &mut DbConnection, q: &AuditQuery) -> Result<AuditPage, DbError> {
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) = repo::search(conn, &q.filter(), per_page, (page - 1) * per_page)?;
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            detail: crate::audit::detail_of(&r),
            seq: r.seq,
            at: r.at,
            category: r.category,
            action: r.action,
            outcome: r.outcome,
            actor: r.actor,
            user_id: r.user_id,
            client_id: r.client_id,
            ip: r.ip,
        })
        .collect();
    Ok(AuditPage {
        items,
        total,
        page,
        per_page,
    })
}

/// What the console's charts draw: the last 24 hours.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// `[hour start, successful sign-ins, failed sign-ins]`, oldest first.
    pub sign_ins_per_hour: Vec<(i64, u32, u32)>,
    /// `[method, successes, failures]`: password, password_code, passkey,
    /// face (the face step), recovery.code, recovery.email.
    pub sign_ins_by_method: Vec<(String, u32, u32)>,
    /// `[reason, count]`, most frequent first.
    pub face_failures: Vec<(String, u32)>,
    pub lockouts: i64,
    /// `[hour start, sign-in lockouts (account, address, IP), face locks]`, oldest first.
    pub lockouts_per_hour: Vec<(i64, u32, u32)>,
}

const HOURS: i64 = 24;

/// One read of the window's events; every figure is derived from it.
pub fn stats(conn: &mut DbConnection, now: i64) -> Result<Stats, DbError> {
    let since = now - HOURS * 3600;
    let f = AuditFilter {
        since: Some(since),
        ..AuditFilter::default()
    };
    let (rows, _) = repo::search(conn, &f, 100_000, 0)?;
    Ok(Stats {
        sign_ins_per_hour: per_hour(&rows, now, |r| {
            if r.category != "auth" || !r.action.starts_with("login.") {
                return None;
            }
            match r.outcome.as_str() {
                "success" => Some(true),
                "failure" => Some(false),
                _ => None,
            }
        }),
        sign_ins_by_method: by_method(&rows),
        face_failures: face_failures(&rows),
        lockouts: rows.iter().filter(|r| r.action == "lockout").count() as i64,
        lockouts_per_hour: per_hour(&rows, now, |r| match r.action.as_str() {
            "lockout" => Some(true),
            "face.locked" => Some(false),
            _ => None,
        }),
    })
}

/// Sign-in attempts of a sign-in method: `login.*`, `recovery.*` and the face step.
fn method(r: &AuditRow) -> Option<String> {
    match (r.category.as_str(), r.action.as_str()) {
        ("auth", a) if a.starts_with("login.") => Some(a.trim_start_matches("login.").to_owned()),
        ("auth", a) if a.starts_with("recovery.") => Some(a.to_owned()),
        ("biometric", "face.verify") => Some("face".to_owned()),
        _ => None,
    }
}

/// (successes, failures) += this event's outcome.
fn tally(slot: &mut (u32, u32), outcome: &str) {
    match outcome {
        "success" => slot.0 += 1,
        "failure" => slot.1 += 1,
        _ => {}
    }
}

/// Events per hour, oldest hour first, counted as the first (`Some(true)`)
/// or the second (`Some(false)`) series; `None` = not counted.
fn per_hour(
    rows: &[AuditRow],
    now: i64,
    series: impl Fn(&AuditRow) -> Option<bool>,
) -> Vec<(i64, u32, u32)> {
    let start = (now / 3600 - HOURS + 1) * 3600;
    let mut slots = vec![(0, 0); HOURS as usize];
    for r in rows {
        let Some(first) = series(r) else { continue };
        if let Some(slot) = usize::try_from((r.at - start) / 3600)
            .ok()
            .and_then(|i| slots.get_mut(i))
        {
            if first {
                slot.0 += 1;
            } else {
                slot.1 += 1;
            }
        }
    }
    slots
        .into_iter()
        .enumerate()
        .map(|(h, (a, b))| (start + h as i64 * 3600, a, b))
        .collect()
}

fn by_method(rows: &[AuditRow]) -> Vec<(String, u32, u32)> {
    let mut counts: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    for r in rows {
        if let Some(m) = method(r) {
            tally(counts.entry(m).or_default(), &r.outcome);
        }
    }
    counts
        .into_iter()
        .map(|(m, (ok, failed))| (m, ok, failed))
        .collect()
}

/// Failed face checks per reason, most frequent first.
fn face_failures(rows: &[AuditRow]) -> Vec<(String, u32)> {
    let mut counts: std::collections::BTreeMap<String, u32> = Default::default();
    for r in rows
        .iter()
        .filter(|r| r.category == "biometric" && r.outcome == "failure")
    {
        let d = crate::audit::detail_of(r);
        let reason = d
            .get("reason")
            .and_then(|r| r.as_str())
            .unwrap_or("unknown")
            .to_owned();
        *counts.entry(reason).or_default() += 1;
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v
}

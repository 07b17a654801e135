//! The audit viewer: filtered pages of events, and the counts its charts draw.

use serde::{Deserialize, Serialize};

use crate::db::audit::{self as repo, AuditFilter};
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
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
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
}

pub fn stats(conn: &mut DbConnection, now: i64) -> Result<Stats, DbError> {
    let since = now - 24 * 3600;
    let lockouts = AuditFilter {
        action: Some("lockout".into()),
        since: Some(since),
        ..AuditFilter::default()
    };
    Ok(Stats {
        sign_ins_per_hour: sign_ins_per_hour(conn, 24, now)?,
        sign_ins_by_method: sign_ins_by_method(conn, since)?,
        face_failures: face_failures(conn, since)?,
        lockouts: repo::search(conn, &lockouts, 1, 0)?.1,
    })
}

/// Sign-ins per hour over the last `hours` hours: (hour start, successes, failures).
pub fn sign_ins_per_hour(
    conn: &mut DbConnection,
    hours: i64,
    now: i64,
) -> Result<Vec<(i64, u32, u32)>, DbError> {
    let start = (now / 3600 - hours + 1) * 3600;
    let f = AuditFilter {
        category: Some("auth".into()),
        since: Some(start),
        ..AuditFilter::default()
    };
    let (rows, _) = repo::search(conn, &f, 100_000, 0)?;
    let mut out: Vec<(i64, u32, u32)> = (0..hours).map(|h| (start + h * 3600, 0, 0)).collect();
    for r in rows.iter().filter(|r| r.action.starts_with("login.")) {
        let i = ((r.at - start) / 3600) as usize;
        if let Some(slot) = out.get_mut(i) {
            match r.outcome.as_str() {
                "success" => slot.1 += 1,
                "failure" => slot.2 += 1,
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Sign-in attempts since `since` per method: (method, successes, failures).
pub fn sign_ins_by_method(
    conn: &mut DbConnection,
    since: i64,
) -> Result<Vec<(String, u32, u32)>, DbError> {
    let f = AuditFilter {
        since: Some(since),
        ..AuditFilter::default()
    };
    let (rows, _) = repo::search(conn, &f, 100_000, 0)?;
    let mut out: Vec<(String, u32, u32)> = Vec::new();
    for r in rows {
        let method = match (r.category.as_str(), r.action.as_str()) {
            ("auth", a) if a.starts_with("login.") => a.trim_start_matches("login.").to_owned(),
            ("auth", a) if a.starts_with("recovery.") => a.to_owned(),
            ("biometric", "face.verify") => "face".to_owned(),
            _ => continue,
        };
        let i = match out.iter().position(|m| m.0 == method) {
            Some(i) => i,
            None => {
                out.push((method, 0, 0));
                out.len() - 1
            }
        };
        match r.outcome.as_str() {
            "success" => out[i].1 += 1,
            "failure" => out[i].2 += 1,
            _ => {}
        }
    }
    out.sort();
    Ok(out)
}

/// Failed face checks in the window, per reason, most frequent first.
pub fn face_failures(conn: &mut DbConnection, since: i64) -> Result<Vec<(String, u32)>, DbError> {
    let f = AuditFilter {
        category: Some("biometric".into()),
        outcome: Some("failure".into()),
        since: Some(since),
        ..AuditFilter::default()
    };
    let (rows, _) = repo::search(conn, &f, 100_000, 0)?;
    let mut counts: std::collections::BTreeMap<String, u32> = Default::default();
    for r in rows {
        let d: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
        let reason = d["reason"].as_str().unwrap_or("unknown").to_owned();
        *counts.entry(reason).or_default() += 1;
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    Ok(v)
}

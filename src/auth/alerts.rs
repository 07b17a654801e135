//! The alert rules (docs/operations.md "Alerts"). Each fires at its
//! threshold, never below, does something about it, and raises an alert
//! (one per rule and subject while unresolved; a repeat only counts up),
//! which `mail::operators` mails to the operators and posts to the webhook:
//!
//! - `failed_sign_ins`: a guessing lockout started (`lockout.account`,
//!   `lockout.ip`: 5 in 15 minutes) — the account or address is blocked for
//!   `block_seconds`;
//! - `passkey_registrations`: `alerts.passkey_registrations` (10 in an hour)
//!   for the deployment or one address — until an administrator resolves
//!   the alert, each new passkey waits for an administrator's approval
//!   (`auth::approvals`) and cannot sign in before;
//! - `face_rejections`: the face lock started (`face.max_failures` in
//!   `face.failure_window_seconds`: 3 in 30 minutes) — the person is flagged
//!   for a security review until the alert is resolved.

use crate::audit::{self, Event};
use crate::config::{AlertsConfig, Rule};
use crate::db::alerts::{self as repo, AlertRow, OPEN};
use crate::db::{DbConnection, DbError};
use crate::ids::UserId;

pub const FAILED_SIGN_INS: &str = "failed_sign_ins";
pub const PASSKEY_REGISTRATIONS: &str = "passkey_registrations";
pub const FACE_REJECTIONS: &str = "face_rejections";

/// What an alert is about.
pub enum Subject<'a> {
    Account(&'a UserId),
    Address(&'a str),
    Deployment,
}

impl Subject<'_> {
    fn name(&self) -> &'static str {
        match self {
            Subject::Account(_) => "account",
            Subject::Address(_) => "address",
            Subject::Deployment => "deployment",
        }
    }
}

/// Raise an alert of `rule` about `subject`, or count a repeat on the one
/// still unresolved; audited as `alert.raised`. True when new.
pub fn raise(
    conn: &mut DbConnection,
    rule: &'static str,
    subject: Subject<'_>,
    (count, window_seconds): (i64, i64),
    action: String,
    now: i64,
) -> Result<bool, DbError> {
    let (user_id, address) = match &subject {
        Subject::Account(u) => (Some(*u), None),
        Subject::Address(ip) => (None, Some(*ip)),
        Subject::Deployment => (None, None),
    };
    if let Some(open) = repo::unresolved(conn, rule, user_id, address)? {
        repo::repeat(conn, &open.id, now)?;
        return Ok(false);
    }
    let row = AlertRow {
        id: uuid::Uuid::new_v4().to_string(),
        rule: rule.to_owned(),
        subject: subject.name().to_owned(),
        user_id: user_id.cloned(),
        address: address.map(str::to_owned),
        count,
        window_seconds,
        action,
        raised_at: now,
        last_at: now,
        repeats: 0,
        state: OPEN.to_owned(),
        acknowledged_by: None,
        acknowledged_at: None,
        resolved_by: None,
        resolved_at: None,
        notified_at: None,
    };
    repo::insert(conn, &row)?;
    let mut ev = Event::new("security", "alert.raised", "success")
        .ip(row.address.clone())
        .detail(serde_json::json!({ "id": row.id, "rule": rule, "action": row.action }));
    if let Some(u) = user_id {
        ev = ev.user(u);
    }
    audit::record(conn, &ev, now)?;
    Ok(true)
}

/// A guessing lockout started for an account or an address.
pub fn sign_ins_blocked(
    conn: &mut DbConnection,
    subject: Subject<'_>,
    rule: Rule,
    until: i64,
    now: i64,
) -> Result<(), DbError> {
    let action = format!(
        "{} blocked for sign-in until {}",
        subject.name(),
        crate::clock::utc_minutes(until)
    );
    raise(
        conn,
        FAILED_SIGN_INS,
        subject,
        (rule.max, rule.window_seconds),
        action,
        now,
    )
    .map(drop)
}

/// The face lock started for a person: flagged for a security review.
pub fn face_locked(
    conn: &mut DbConnection,
    user_id: &UserId,
    rule: Rule,
    now: i64,
) -> Result<(), DbError> {
    let action = "face check locked; account flagged for security review".to_owned();
    raise(
        conn,
        FACE_REJECTIONS,
        Subject::Account(user_id),
        (rule.max, rule.window_seconds),
        action,
        now,
    )
    .map(drop)
}

/// Whether the person is flagged for a security review (an unresolved
/// `face_rejections` alert).
pub fn under_review(conn: &mut DbConnection, user_id: &UserId) -> Result<bool, DbError> {
    repo::any_unresolved(conn, FACE_REJECTIONS, Some(user_id), None)
}

fn registration_key(cfg: &AlertsConfig, ip: Option<&str>) -> Option<String> {
    match (cfg.passkey_registrations_per.as_str(), ip) {
        ("address", Some(ip)) => Some(format!("alert:passkeys:ip:{ip}")),
        ("address", None) => None,
        _ => Some("alert:passkeys:all".to_owned()),
    }
}

/// The unresolved `passkey_registrations` alert (for the deployment, or
/// for this address) that holds new passkeys for approval, if any.
pub fn holding_registrations(
    conn: &mut DbConnection,
    ip: Option<&str>,
) -> Result<Option<String>, DbError> {
    repo::covering(conn, PASSKEY_REGISTRATIONS, None, ip)
}

/// Count one passkey registration; at the threshold, registrations pause.
pub fn passkey_registered(
    conn: &mut DbConnection,
    cfg: &AlertsConfig,
    ip: Option<&str>,
    now: i64,
) -> Result<(), DbError> {
    let Some(key) = registration_key(cfg, ip) else {
        return Ok(());
    };
    let rule = Rule {
        block_seconds: 1,
        ..cfg.passkey_registrations
    };
    if super::lockout::hit(conn, &key, rule, now)?.is_none() {
        return Ok(());
    }
    let subject = match (cfg.passkey_registrations_per.as_str(), ip) {
        ("address", Some(ip)) => Subject::Address(ip),
        _ => Subject::Deployment,
    };
    let action =
        "new passkeys wait for an administrator's approval until this alert is resolved".to_owned();
    raise(
        conn,
        PASSKEY_REGISTRATIONS,
        subject,
        (rule.max, rule.window_seconds),
        action,
        now,
    )
    .map(drop)
}

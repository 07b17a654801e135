//! Append-only, hash-chained audit events, sealed every minute under a key
//! kept in the database only sealed under the master key (see `seal`); each
//! event's detail is sealed under the master key too (`record`).

use sha2::{Digest, Sha256};

pub mod retention;

use crate::crypto::MasterKey;
use crate::db::audit::{self as repo, AuditRow, SealRow};
use crate::db::{DbConnection, DbError};

/// What happened, to whom, with which result.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub category: &'static str,
    pub action: &'static str,
    pub outcome: &'static str,
    pub actor: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

impl Event {
    pub fn new(category: &'static str, action: &'static str, outcome: &'static str) -> Event {
        Event {
            category,
            action,
            outcome,
            detail: serde_json::Value::Null,
            ..Event::default()
        }
    }
    pub fn user(mut self, id: &crate::ids::UserId) -> Event {
        self.user_id = Some(id.to_string());
        self
    }
    pub fn client(mut self, id: &crate::ids::ClientId) -> Event {
        self.client_id = Some(id.to_string());
        self
    }
    pub fn actor(mut self, a: &str) -> Event {
        self.actor = Some(a.to_owned());
        self
    }
    pub fn ip(mut self, ip: Option<String>) -> Event {
        self.ip = ip;
        self
    }
    pub fn detail(mut self, d: serde_json::Value) -> Event {
        self.detail = d;
        self
    }
}

/// The detail's AES-256-GCM associated data: table, column, event number.
pub fn detail_aad(seq: i64) -> String {
    format!("audit_events/detail/{seq}")
}

/// The detail of `row` as JSON: opened under the master key in scope
/// (`crypto::scope`) when sealed; a note instead when it cannot be opened.
pub fn detail_of(row: &AuditRow) -> serde_json::Value {
    match &row.sealed_detail {
        None => serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
        Some(sealed) => crate::crypto::scope::master_key()
            .and_then(|mk| mk.open(&detail_aad(row.seq), sealed).ok())
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .unwrap_or_else(|| serde_json::json!({ "sealed": "cannot be opened with this server's master key" })),
    }
}

/// What the chain hashes for the detail: the text itself for events from
/// before details were sealed, else its HMAC (`MasterKey::audit_digest`);
/// `None` when a sealed detail does not open or has text in clear beside it.
fn chained_detail(mk: &MasterKey, row: &AuditRow) -> Option<String> {
    match &row.sealed_detail {
        None => Some(row.detail.clone()),
        Some(_) if !row.detail.is_empty() => None,
        Some(sealed) => {
            let plain = mk.open(&detail_aad(row.seq), sealed).ok()?;
            Some(format!(
                "hmac:{}",
                mk.audit_digest(std::str::from_utf8(&plain).ok()?)
            ))
        }
    }
}

fn chain_hash(prev: &str, row: &AuditRow, detail: &str) -> String {
    let body = serde_json::json!([
        row.seq,
        row.at,
        row.category,
        row.action,
        row.outcome,
        row.actor,
        row.user_id,
        row.client_id,
        row.ip,
        detail
    ]);
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(body.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The event's detail with the id of the HTTP request that caused it
/// (`request_id`, as in the `X-Request-Id` header and the access log), when
/// there is one; inside the hashed detail, so the chain covers it.
fn with_request_id(detail: &serde_json::Value) -> serde_json::Value {
    let Some(id) = crate::telemetry::request::current() else {
        return detail.clone();
    };
    match detail {
        serde_json::Value::Object(m) => {
            let mut m = m.clone();
            m.entry("request_id").or_insert(id.into());
            serde_json::Value::Object(m)
        }
        serde_json::Value::Null => serde_json::json!({ "request_id": id }),
        other => serde_json::json!({ "request_id": id, "detail": other }),
    }
}

/// Append an event, its detail sealed under the master key in scope
/// (`crypto::scope`; AAD `audit_events/detail/SEQ`). Appenders take turns
/// for the tail (`db::audit::lock_tail`, until their transaction ends); should
/// two still race for the same sequence number, the loser retries on the new
/// tail.
pub fn record(conn: &mut DbConnection, ev: &Event, now: i64) -> Result<(), DbError> {
    let mk = crate::crypto::scope::master_key().ok_or_else(|| {
        DbError::Corrupt("audit log: no master key to seal the event's detail".into())
    })?;
    let detail = with_request_id(&ev.detail).to_string();
    let digest = format!("hmac:{}", mk.audit_digest(&detail));
    let append = |c: &mut DbConnection| -> Result<(), DbError> {
        repo::lock_tail(c)?;
        let (prev_seq, prev_hash) = repo::last(c)?.unwrap_or((0, "0".repeat(64)));
        let mut row = AuditRow {
            seq: prev_seq + 1,
            at: now,
            category: ev.category.to_owned(),
            action: ev.action.to_owned(),
            outcome: ev.outcome.to_owned(),
            actor: ev.actor.clone(),
            user_id: ev.user_id.clone(),
            client_id: ev.client_id.clone(),
            ip: ev.ip.clone(),
            detail: String::new(),
            prev_hash: prev_hash.clone(),
            hash: String::new(),
            sealed_detail: Some(
                mk.seal(&detail_aad(prev_seq + 1), detail.as_bytes())
                    .map_err(|e| DbError::Corrupt(e.to_string()))?,
            ),
        };
        row.hash = chain_hash(&prev_hash, &row, &digest);
        repo::insert(c, &row)
    };
    for _ in 0..5 {
        // In a savepoint (or a transaction of its own, which then holds the
        // tail until the row is in): on PostgreSQL a failed statement aborts
        // the whole transaction, so a lost race must roll back only this.
        match conn.write_transaction(append) {
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e),
            Ok(()) => {
                crate::telemetry::event(ev.category, ev.action, ev.outcome);
                return Ok(());
            }
        }
    }
    Err(DbError::Corrupt(
        "audit log: could not append after 5 attempts".into(),
    ))
}

/// Seal the chain's head: MAC `(seq, hash)` of the newest event, after the
/// previous seal, under the master key's audit sub-key. Nothing to do when
/// the head is already sealed; returns the new seal's sequence number.
pub fn seal(conn: &mut DbConnection, mk: &MasterKey, now: i64) -> Result<Option<i64>, DbError> {
    let Some((seq, head)) = repo::last(conn)? else {
        return Ok(None);
    };
    let prev = repo::last_seal(conn)?;
    if prev.as_ref().is_some_and(|p| p.seq >= seq) {
        return Ok(None);
    }
    let prev_mac = prev.map(|p| p.mac).unwrap_or_default();
    let row = SealRow {
        seq,
        mac: mk.audit_seal(&prev_mac, seq, &head),
        head,
        at: now,
    };
    // Two servers sealing the same head: the second insert loses, harmlessly.
    match conn.write_transaction(|c| repo::insert_seal(c, &row)) {
        Err(e) if e.is_unique_violation() => Ok(None),
        other => other.map(|()| Some(seq)),
    }
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The first event (or seal) that does not verify.
    pub broken_at: Option<i64>,
    pub events: usize,
    /// The newest seal: keep `(seq, mac)` outside the database to detect a
    /// rollback of the newest events together with their seals.
    pub sealed: Option<(i64, String)>,
}

impl Report {
    pub fn intact(&self) -> bool {
        self.broken_at.is_none()
    }
}

/// Check the whole chain and every seal. Without the master key an attacker
/// with write access to the database can rewrite events and recompute the
/// plain hashes, but not the seals: sealed history does not verify any more.
pub fn verify(conn: &mut DbConnection, mk: &MasterKey) -> Result<Report, DbError> {
    let mut prev = "0".repeat(64);
    let mut hashes = std::collections::HashMap::new();
    let mut broken_at: Option<i64> = None;
    let broken = |seq: i64, at: &mut Option<i64>| *at = Some(at.map_or(seq, |b| b.min(seq)));
    // A purge kept some events up to its checkpoint: each is checked on its
    // own, their list against the checkpoint's digest, and the chain after
    // it from the checkpoint's head (`retention`).
    let checkpoint = repo::last_checkpoint(conn)?;
    let upto = checkpoint.as_ref().map_or(0, |c| c.upto_seq);
    if let Some(cp) = &checkpoint {
        let mac = retention::checkpoint_mac(mk, cp.upto_seq, &cp.head_hash, &cp.kept_digest);
        if !crate::crypto::ct_eq(&mac, &cp.mac) {
            broken(cp.upto_seq, &mut broken_at);
        }
        prev = cp.head_hash.clone();
    }
    let rows = repo::all(conn)?;
    let events = rows.len();
    for row in &rows {
        let Some(detail) = chained_detail(mk, row) else {
            broken(row.seq, &mut broken_at);
            prev = row.hash.clone();
            continue;
        };
        if row.seq <= upto {
            if chain_hash(&row.prev_hash, row, &detail) != row.hash {
                broken(row.seq, &mut broken_at);
            }
        } else {
            if row.prev_hash != prev || chain_hash(&prev, row, &detail) != row.hash {
                broken(row.seq, &mut broken_at);
            }
            prev = row.hash.clone();
        }
        hashes.insert(row.seq, row.hash.clone());
    }
    if let Some(cp) = &checkpoint {
        let kept = retention::kept_digest(rows.iter().take_while(|r| r.seq <= upto));
        if kept != cp.kept_digest {
            broken(cp.upto_seq, &mut broken_at);
        }
    }
    let mut prev_mac = String::new();
    let mut sealed = None;
    for s in repo::seals(conn)? {
        // A seal of a purged event is covered by the checkpoint.
        let purged = s.seq <= upto && !hashes.contains_key(&s.seq);
        let head_ok = purged || hashes.get(&s.seq) == Some(&s.head);
        let mac_ok = crate::crypto::ct_eq(&mk.audit_seal(&prev_mac, s.seq, &s.head), &s.mac);
        if !(head_ok && mac_ok) {
            broken(s.seq, &mut broken_at);
            break;
        }
        prev_mac = s.mac.clone();
        sealed = Some((s.seq, s.mac));
    }
    Ok(Report {
        broken_at,
        events,
        sealed,
    })
}

/// Record from outside the async runtime (CLI).
pub fn record_sync(db: &crate::db::Db, ev: Event, now: i64) -> Result<(), DbError> {
    db.run_sync(|c| record(c, &ev, now))
}

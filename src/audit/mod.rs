//! Append-only, hash-chained audit events.

use diesel::Connection;
use sha2::{Digest, Sha256};

use crate::db::audit::{self as repo, AuditRow};
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
    pub fn user(mut self, id: &str) -> Event {
        self.user_id = Some(id.to_owned());
        self
    }
    pub fn client(mut self, id: &str) -> Event {
        self.client_id = Some(id.to_owned());
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

fn chain_hash(prev: &str, row: &AuditRow) -> String {
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
        row.detail
    ]);
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(body.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Append an event. Two writers racing for the same sequence number: the
/// loser retries on the new tail.
pub fn record(conn: &mut DbConnection, ev: &Event, now: i64) -> Result<(), DbError> {
    for _ in 0..5 {
        let (prev_seq, prev_hash) = repo::last(conn)?.unwrap_or((0, "0".repeat(64)));
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
            detail: ev.detail.to_string(),
            prev_hash: prev_hash.clone(),
            hash: String::new(),
        };
        row.hash = chain_hash(&prev_hash, &row);
        // In a savepoint: on PostgreSQL a failed statement aborts the whole
        // transaction, so a lost race must roll back only this insert.
        let inserted = conn.transaction(|c| repo::insert(c, &row));
        match inserted {
            Err(e) if e.is_unique_violation() => continue,
            other => return other,
        }
    }
    Err(DbError::Corrupt(
        "audit log: could not append after 5 attempts".into(),
    ))
}

/// Check the whole chain; returns the first broken sequence number, if any.
pub fn verify(conn: &mut DbConnection) -> Result<Option<i64>, DbError> {
    let mut prev = "0".repeat(64);
    for row in repo::all(conn)? {
        if row.prev_hash != prev || chain_hash(&prev, &row) != row.hash {
            return Ok(Some(row.seq));
        }
        prev = row.hash;
    }
    Ok(None)
}

/// Record from outside the async runtime (CLI).
pub fn record_sync(db: &crate::db::Db, ev: Event, now: i64) -> Result<(), DbError> {
    db.run_sync(|c| record(c, &ev, now))
}

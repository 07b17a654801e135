//! Retention of the audit log by category (docs/operations.md
//! "Retention"): events older than their category's retention are purged,
//! and the chain stays verifiable. A purge works on a prefix of the chain —
//! the events up to `upto`, the newest event old enough for the shortest
//! retention — deleting the expired ones and keeping the others; before it
//! deletes anything it writes a **checkpoint**, sealed under the master key:
//! the hash of the event `upto` (what the next event chains to) and a digest
//! of the `(seq, hash)` of every event it keeps up to there. `verify` then
//! checks each kept event on its own and the digest against the checkpoint,
//! and the rest of the chain from the checkpoint's head as before.

use sha2::{Digest, Sha256};

use crate::config::RetentionConfig;
use crate::crypto::MasterKey;
use crate::db::audit::{self as repo, AuditRow, CheckpointRow};
use crate::db::{DbConnection, DbError};

const DAY: i64 = 86_400;

/// The retention class of an audit category.
pub fn class_of(category: &str) -> &'static str {
    match category {
        "auth" | "token" => "authentication",
        "account" => "devices",
        "confirmation" => "action_confirmation",
        "security" | "incident" | "admin" | "biometric" => "security",
        _ => "system",
    }
}

/// How long events of `category` are kept, in seconds.
pub fn kept_for(cfg: &RetentionConfig, category: &str) -> i64 {
    let days = match class_of(category) {
        "authentication" => cfg.authentication_days,
        "devices" => cfg.devices_days,
        "action_confirmation" => cfg.action_confirmation_days,
        "security" => cfg.security_days,
        _ => cfg.system_days,
    };
    days.saturating_mul(DAY)
}

/// The digest of the kept events up to a checkpoint.
pub fn kept_digest<'a>(rows: impl Iterator<Item = &'a AuditRow>) -> String {
    let mut h = Sha256::new();
    for r in rows {
        h.update(format!("{}:{}\n", r.seq, r.hash).as_bytes());
    }
    hex::encode(h.finalize())
}

/// The MAC of a checkpoint.
pub fn checkpoint_mac(mk: &MasterKey, upto: i64, head: &str, digest: &str) -> String {
    mk.audit_seal("checkpoint", upto, &format!("{head}\0{digest}"))
}

/// What a purge did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Purged {
    /// Events deleted, per retention class.
    pub deleted: std::collections::BTreeMap<&'static str, usize>,
    pub kept: usize,
    /// The checkpoint written (the last sequence number it covers).
    pub checkpoint: Option<i64>,
}

/// Purge the events whose retention ended by `now`, in one transaction.
pub fn purge(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &RetentionConfig,
    now: i64,
) -> Result<Purged, DbError> {
    let shortest = [
        cfg.authentication_days,
        cfg.devices_days,
        cfg.action_confirmation_days,
        cfg.security_days,
        cfg.system_days,
    ]
    .into_iter()
    .min()
    .unwrap_or(0)
    .saturating_mul(DAY);
    conn.write_transaction(|c| {
        let Some((newest, _)) = repo::last(c)? else {
            return Ok(Purged::default());
        };
        // Never the newest event: the next one chains to it.
        let Some(upto) = repo::last_before(c, now - shortest)?.map(|s| s.min(newest - 1)) else {
            return Ok(Purged::default());
        };
        let prior = repo::last_checkpoint(c)?;
        let upto = upto.max(prior.as_ref().map_or(0, |p| p.upto_seq));
        if upto < 1 {
            return Ok(Purged::default());
        }
        let rows = repo::up_to(c, upto)?;
        let head = match rows.iter().find(|r| r.seq == upto) {
            Some(r) => r.hash.clone(),
            None => prior
                .as_ref()
                .filter(|p| p.upto_seq == upto)
                .map(|p| p.head_hash.clone())
                .ok_or_else(|| DbError::Corrupt(format!("audit event {upto} is missing")))?,
        };
        let mut out = Purged::default();
        let (expired, kept): (Vec<&AuditRow>, Vec<&AuditRow>) = rows
            .iter()
            .partition(|r| r.at < now - kept_for(cfg, &r.category));
        if expired.is_empty() {
            return Ok(out);
        }
        let digest = kept_digest(kept.iter().copied());
        let row = CheckpointRow {
            id: prior.as_ref().map_or(1, |p| p.id + 1),
            upto_seq: upto,
            mac: checkpoint_mac(mk, upto, &head, &digest),
            head_hash: head,
            kept_digest: digest,
            kept: kept.len() as i64,
            at: now,
        };
        repo::insert_checkpoint(c, &row)?;
        let seqs: Vec<i64> = expired.iter().map(|r| r.seq).collect();
        for chunk in seqs.chunks(500) {
            repo::delete_seqs(c, chunk)?;
        }
        for r in &expired {
            *out.deleted.entry(class_of(&r.category)).or_default() += 1;
        }
        out.kept = kept.len();
        out.checkpoint = Some(upto);
        Ok(out)
    })
}

/// [`purge`], and when it deleted anything, an `audit.purge` event saying
/// what (so the log itself tells when its history was shortened).
pub fn purge_and_record(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &RetentionConfig,
    now: i64,
) -> Result<Purged, DbError> {
    let done = purge(conn, mk, cfg, now)?;
    if done.checkpoint.is_some() {
        let ev = super::Event::new("security", "audit.purge", "success").detail(
            serde_json::json!({ "deleted": done.deleted, "kept": done.kept, "checkpoint": done.checkpoint }),
        );
        super::record(conn, &ev, now)?;
    }
    Ok(done)
}

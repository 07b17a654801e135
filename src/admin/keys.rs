//! Signing keys as administrators see them (public parts only) and rotation.

use serde::Serialize;

use crate::config::KeyConfig;
use crate::crypto::MasterKey;
use crate::db::keys as repo;
use crate::db::DbConnection;
use crate::ids::Kid;
use crate::keys::{retire_now, rotate as rotate_keys, rotate_due, KeyError, Retired};

use super::roles::Actor;

#[derive(Debug, Serialize)]
pub struct KeyView {
    pub kid: Kid,
    pub alg: String,
    pub created_at: i64,
    /// `active`, `retired` (still published for verification) or `expired`.
    pub state: &'static str,
    pub retired_at: Option<i64>,
    pub published_until: Option<i64>,
    /// When the schedule (`keys.rotate_after_days`) replaces an active key.
    pub rotates_at: Option<i64>,
}

pub fn list(
    conn: &mut DbConnection,
    cfg: &KeyConfig,
    now: i64,
) -> Result<Vec<KeyView>, crate::db::DbError> {
    let schedule = (cfg.rotate_after_days > 0).then_some(cfg.rotate_after_days * 86_400);
    Ok(repo::all(conn)?
        .into_iter()
        .map(|k| KeyView {
            rotates_at: schedule
                .filter(|_| k.retired_at.is_none())
                .map(|s| k.created_at + s),
            state: match (k.retired_at, k.expires_at) {
                (None, _) => "active",
                (Some(_), Some(e)) if e > now => "retired",
                _ => "expired",
            },
            kid: k.kid,
            alg: k.alg,
            created_at: k.created_at,
            retired_at: k.retired_at,
            published_until: k.expires_at,
        })
        .collect())
}

/// New keys for every configured algorithm; the old ones stay published for
/// `keys.retired_key_publish_seconds` so tokens they signed still verify.
pub fn rotate(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &KeyConfig,
    actor: &Actor,
    now: i64,
) -> Result<Vec<Kid>, KeyError> {
    let created = rotate_keys(
        conn,
        mk,
        &cfg.algorithms,
        cfg.rsa_bits,
        cfg.retired_key_publish_seconds,
        now,
    )?;
    let ev = actor
        .event("keys.rotate")
        .detail(serde_json::json!({ "created": created }));
    crate::audit::record(conn, &ev, now)?;
    crate::auth::controls::keys_changed(conn, &actor.label, "rotate", now)?;
    Ok(created)
}

/// The rotation schedule: replace keys older than `keys.rotate_after_days`
/// (audited with the actor `schedule`); the kids created.
pub fn rotate_scheduled(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &KeyConfig,
    now: i64,
) -> Result<Vec<Kid>, KeyError> {
    let created = rotate_due(conn, mk, cfg, now)?;
    if !created.is_empty() {
        let ev = crate::audit::Event::new("admin", "keys.rotate", "success")
            .actor("schedule")
            .detail(serde_json::json!({ "created": created }));
        crate::audit::record(conn, &ev, now)?;
    }
    Ok(created)
}

/// Retire `kid` now and stop publishing it (a leaked key): tokens it signed
/// stop verifying; an active key gets a replacement first.
pub fn retire(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &KeyConfig,
    actor: &Actor,
    kid: &Kid,
    now: i64,
) -> Result<Retired, KeyError> {
    let done = retire_now(conn, mk, cfg, kid, now)?;
    let ev = actor
        .event("keys.retire")
        .detail(serde_json::json!({ "kid": done.kid, "replacement": done.replacement }));
    crate::audit::record(conn, &ev, now)?;
    let what = format!("retire {}", done.kid);
    crate::auth::controls::keys_changed(conn, &actor.label, &what, now)?;
    Ok(done)
}

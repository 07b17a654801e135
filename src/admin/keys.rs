//! Signing keys as administrators see them (public parts only) and rotation.

use serde::Serialize;

use crate::app::AppState;
use crate::db::keys as repo;
use crate::db::DbConnection;
use crate::keys::{rotate as rotate_keys, KeyError};

use super::roles::Actor;

#[derive(Debug, Serialize)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    pub created_at: i64,
    /// `active`, `retired` (still published for verification) or `expired`.
    pub state: &'static str,
    pub retired_at: Option<i64>,
    pub published_until: Option<i64>,
}

pub fn list(conn: &mut DbConnection, now: i64) -> Result<Vec<KeyView>, crate::db::DbError> {
    Ok(repo::all(conn)?
        .into_iter()
        .map(|k| KeyView {
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
    state: &AppState,
    actor: &Actor,
    now: i64,
) -> Result<Vec<String>, KeyError> {
    let cfg = &state.config.keys;
    let created = rotate_keys(
        conn,
        &state.master_key,
        &cfg.algorithms,
        cfg.rsa_bits,
        cfg.retired_key_publish_seconds,
        now,
    )?;
    let ev = actor
        .event("keys.rotate")
        .detail(serde_json::json!({ "created": created }));
    crate::audit::record(conn, &ev, now)?;
    Ok(created)
}

//! Master key rotation (docs/operations.md "Master key rotation").
//!
//! `visage keys rotate-master` makes a new key and records the rotation with
//! each key sealed under the other, so that every server — given the old key
//! or already the new one — learns the key it lacks within
//! `controls::RELOAD_SECONDS` and from then on seals under the new key and
//! opens under both. After `SETTLE_SECONDS` (every server seals under the new
//! key) it re-seals every sealed field in batches, each batch one
//! transaction with the position reached, so that a rotation killed at any
//! point resumes where it stopped. When the last field is done the keys
//! sealed under each other are erased: the old key opens nothing any more.

use crate::auth::controls;
use crate::crypto::{CryptoError, KeyVersion, MasterKey, StableKey};
use crate::db::master_keys::{self as repo, RotationRow, SealedField, SealedRow};
use crate::db::{DbConnection, DbError};

/// How long a rotation waits, after it starts, before re-sealing: every
/// server has learnt the new key by then and seals nothing under the old one.
pub const SETTLE_SECONDS: i64 = 2 * controls::RELOAD_SECONDS;

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("this master key ({given}) was retired by the rotation to {current} finished at {at}: give this server the new key (docs/operations.md \"Master key rotation\")")]
    Retired {
        given: String,
        current: String,
        at: i64,
    },
    #[error("this master key ({given}) is neither the old ({old}) nor the new ({new}) key of the rotation in progress")]
    Foreign {
        given: String,
        old: String,
        new: String,
    },
    #[error("another master key rotation started at the same moment: run the command again to carry it on")]
    Busy,
    #[error("this master key ({given}) does not open the database's secrets: is it the deployment's key?")]
    WrongKey { given: String },
}

/// Bring `mk` in line with the database: the rotation in progress, if any,
/// and the stable keys (first start: stored, derived from the given key).
pub fn attach(conn: &mut DbConnection, mk: &MasterKey) -> Result<(), MasterKeyError> {
    learn(conn, mk)?;
    for which in StableKey::ALL {
        let aad = material_aad(which.name());
        let sealed = match repo::material(conn, which.name())? {
            Some(sealed) => sealed,
            None => {
                let sealed = mk.seal(&aad, &mk.derived(which))?;
                repo::insert_material(conn, which.name(), &sealed)?;
                // Another server's, if it stored one first.
                repo::material(conn, which.name())?.unwrap_or_default()
            }
        };
        let value: [u8; 32] = mk
            .open(&aad, &sealed)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| MasterKeyError::WrongKey {
                given: mk.given().id().to_owned(),
            })?;
        mk.set_stable(which, value);
    }
    Ok(())
}

fn material_aad(name: &str) -> String {
    format!("master_key_material/sealed/{name}")
}

/// Which keys to seal and open under, from the latest rotation.
pub fn learn(conn: &mut DbConnection, mk: &MasterKey) -> Result<(), MasterKeyError> {
    let Some(r) = repo::latest(conn)? else {
        return Ok(());
    };
    let given = mk.given();
    if r.finished_at.is_none() {
        // The key this server seals under (learnt at an earlier rotation
        // while it ran) or the one it was given: either side of this one.
        for known in [mk.in_use().0, given.clone()] {
            if known.id() == r.old_id {
                let new =
                    known.unwrap(&r.new_id, r.new_under_old.as_deref().unwrap_or_default())?;
                mk.use_keys(new, Some(known));
                return Ok(());
            }
            if known.id() == r.new_id {
                let old =
                    known.unwrap(&r.old_id, r.old_under_new.as_deref().unwrap_or_default())?;
                mk.use_keys(known, Some(old));
                return Ok(());
            }
        }
        return Err(MasterKeyError::Foreign {
            given: given.id().to_owned(),
            old: r.old_id,
            new: r.new_id,
        });
    }
    let (seals, _) = mk.in_use();
    if seals.id() == r.new_id {
        // Given the new key, or learnt it while the rotation ran.
        mk.use_keys(seals, None);
        return Ok(());
    }
    if given.id() == r.old_id {
        return Err(MasterKeyError::Retired {
            given: given.id().to_owned(),
            current: r.new_id,
            at: r.finished_at.unwrap_or_default(),
        });
    }
    // A key older than the last rotation's: the stable keys will not open.
    Ok(())
}

/// A rotation as its runner holds it.
pub struct Rotation {
    pub old: KeyVersion,
    pub new: KeyVersion,
    pub row: RotationRow,
}

/// The rotation in progress, or a new one to `fresh()` (recorded, and the
/// servers told); `mk` attached already (`app::build_state`).
pub fn begin(
    conn: &mut DbConnection,
    mk: &MasterKey,
    fresh: impl FnOnce() -> KeyVersion,
    actor: &str,
    now: i64,
) -> Result<Rotation, MasterKeyError> {
    learn(conn, mk)?;
    if let Some(r) = repo::latest(conn)?.filter(|r| r.finished_at.is_none()) {
        // Tell the servers again: a runner killed before it did leaves them
        // unaware of the rotation.
        controls::master_key_changed(
            conn,
            actor,
            &format!("rotation to {} resumed", r.new_id),
            now,
        )?;
        let (new, old) = mk.in_use();
        return Ok(Rotation {
            old: old.unwrap_or_else(|| new.clone()),
            new,
            row: r,
        });
    }
    let old = mk.in_use().0;
    let new = fresh();
    let row = RotationRow {
        new_id: new.id().to_owned(),
        old_id: old.id().to_owned(),
        new_under_old: Some(old.wrap(&new)?),
        old_under_new: Some(new.wrap(&old)?),
        running: Some(1),
        field: SealedField::ALL[0].name().to_owned(),
        after_id: String::new(),
        resealed: 0,
        actor: actor.to_owned(),
        started_at: now,
        finished_at: None,
    };
    if !repo::start(conn, &row)? {
        return Err(MasterKeyError::Busy);
    }
    conn.write_transaction(|c| {
        controls::master_key_changed(
            c,
            actor,
            &format!("rotation to {} started", row.new_id),
            now,
        )?;
        crate::audit::record(
            c,
            &crate::audit::Event::new("admin", "master_key.rotation_started", "ok")
                .actor(actor)
                .detail(serde_json::json!({ "old": row.old_id, "new": row.new_id })),
            now,
        )
    })?;
    mk.use_keys(new.clone(), Some(old.clone()));
    Ok(Rotation { old, new, row })
}

/// What one call of [`step`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Progress {
    pub field: &'static str,
    /// Rows of `field` looked at in this batch.
    pub looked_at: usize,
    /// Of those, re-sealed under the new key in this batch.
    pub resealed: usize,
    /// Rows that open under neither key (left as they are).
    pub unreadable: Vec<String>,
    /// Re-sealed so far in this rotation.
    pub total: i64,
    pub finished: bool,
}

/// Re-seal the next batch of up to `limit` rows (one transaction, with the
/// position reached); at the end of the last field, finish the rotation.
pub fn step(
    conn: &mut DbConnection,
    rot: &mut Rotation,
    limit: i64,
    now: i64,
) -> Result<Progress, MasterKeyError> {
    let field = SealedField::named(&rot.row.field).unwrap_or(SealedField::ALL[0]);
    let rows = repo::batch(conn, field, &rot.row.after_id, limit)?;
    let mut progress = Progress {
        field: field.name(),
        looked_at: rows.len(),
        resealed: 0,
        unreadable: Vec::new(),
        total: rot.row.resealed,
        finished: false,
    };
    let Some(last) = rows.last().map(|r| r.id.clone()) else {
        return next_field(conn, rot, field, now, progress);
    };
    let (old, new) = (&rot.old, &rot.new);
    let new_id = rot.row.new_id.clone();
    let (resealed, unreadable) = conn.write_transaction(|c| {
        let (mut n, mut bad) = (0usize, Vec::new());
        for row in &rows {
            let aad = aad_of(field, row);
            if new.open(&aad, &row.sealed).is_ok() {
                continue;
            }
            let Ok(plain) = old.open(&aad, &row.sealed) else {
                bad.push(row.id.clone());
                continue;
            };
            let sealed = new
                .seal(&aad, &plain)
                .map_err(|e| DbError::Corrupt(e.to_string()))?;
            // A row changed since it was read was written under the new key.
            if repo::replace(c, field, &row.id, &row.sealed, &sealed)? {
                n += 1;
            }
        }
        crash_point("master_key.batch");
        let total = rot.row.resealed + n as i64;
        repo::advance(c, &new_id, field.name(), &last, total)?;
        Ok::<_, DbError>((n, bad))
    })?;
    rot.row.after_id = last;
    rot.row.resealed += resealed as i64;
    progress.resealed = resealed;
    progress.unreadable = unreadable;
    progress.total = rot.row.resealed;
    Ok(progress)
}

fn next_field(
    conn: &mut DbConnection,
    rot: &mut Rotation,
    field: SealedField,
    now: i64,
    mut progress: Progress,
) -> Result<Progress, MasterKeyError> {
    let at = SealedField::ALL
        .iter()
        .position(|f| *f == field)
        .unwrap_or(0);
    if let Some(next) = SealedField::ALL.get(at + 1) {
        repo::advance(conn, &rot.row.new_id, next.name(), "", rot.row.resealed)?;
        rot.row.field = next.name().to_owned();
        rot.row.after_id.clear();
        return Ok(progress);
    }
    let row = rot.row.clone();
    conn.write_transaction(|c| {
        repo::finish(c, &row.new_id, now)?;
        controls::master_key_changed(
            c,
            &row.actor,
            &format!("rotation to {} finished", row.new_id),
            now,
        )?;
        crate::audit::record(
            c,
            &crate::audit::Event::new("admin", "master_key.rotation_finished", "ok")
                .actor(&row.actor)
                .detail(serde_json::json!({
                    "old": row.old_id, "new": row.new_id, "resealed": row.resealed
                })),
            now,
        )
    })?;
    rot.row.finished_at = Some(now);
    rot.row.running = None;
    progress.finished = true;
    Ok(progress)
}

/// The associated data each sealed column binds its values to.
fn aad_of(field: SealedField, row: &SealedRow) -> String {
    match field {
        SealedField::MasterKeyMaterial => material_aad(&row.id),
        SealedField::AuditDetails => crate::audit::detail_aad(row.id.parse().unwrap_or(-1)),
        SealedField::SigningKeys => crate::keys::sealed_key_aad(&row.id.as_str().into()),
        SealedField::FaceTemplates => {
            crate::biometrics::template::aad(&row.user_id.as_str().into(), &row.id, &row.model_id)
        }
        SealedField::RefreshGrace => crate::oidc::grant::refresh_token::grace_aad(&row.id),
    }
}

/// Debug builds only: `VISAGE_CRASH_AT=LABEL:N` aborts the process at the
/// Nth time it reaches `label` — `master_key.batch` inside a batch's
/// transaction, after its re-sealing and before its commit;
/// `master_key.files` after the rotation finished, before the key files move
/// (how the tests kill a rotation halfway).
pub fn crash_point(label: &str) {
    #[cfg(debug_assertions)]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static HITS: AtomicU64 = AtomicU64::new(0);
        let Some((at, n)) = std::env::var("VISAGE_CRASH_AT").ok().and_then(|v| {
            v.rsplit_once(':')
                .map(|(a, n)| (a.to_owned(), n.to_owned()))
        }) else {
            return;
        };
        if at == label && HITS.fetch_add(1, Ordering::SeqCst) + 1 == n.parse().unwrap_or(0) {
            std::process::abort();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = label;
}

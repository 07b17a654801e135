//! Face templates nobody uses expire (docs/face.md "Idle templates"): a
//! template not used for a successful face check in
//! `face.template_max_idle_days` is erased with the biometric consent, and
//! the person is mailed `TEMPLATE_EXPIRY_NOTICE_DAYS` before (a face check
//! in between keeps it). Run by the scheduled jobs, one server at a time.

use crate::config::face::TEMPLATE_EXPIRY_NOTICE_DAYS;
use crate::config::FaceConfig;
use crate::db::face_templates as repo;
use crate::db::{DbConnection, DbError};
use crate::ids::UserId;

const DAY: i64 = 86_400;

/// What one run did.
#[derive(Debug, Default)]
pub struct Expiry {
    /// People told, with the time their template goes.
    pub warned: Vec<(UserId, i64)>,
    pub erased: Vec<UserId>,
}

pub fn run(conn: &mut DbConnection, cfg: &FaceConfig, now: i64) -> Result<Expiry, DbError> {
    let mut out = Expiry::default();
    if cfg.template_max_idle_days <= 0 {
        return Ok(out);
    }
    let max = cfg.template_max_idle_days.saturating_mul(DAY);
    let notice = TEMPLATE_EXPIRY_NOTICE_DAYS * DAY;
    conn.write_transaction(|c| {
        // Idle for the whole time, and told at least the notice period ago.
        for uid in repo::idle_since(c, now - max, Some(now - notice))? {
            super::face::delete_all(c, &uid, "retention", now)?;
            out.erased.push(uid);
        }
        for uid in repo::idle_since(c, now - (max - notice), None)? {
            repo::mark_warned(c, &uid, now)?;
            out.warned.push((uid, now + notice));
        }
        Ok(out)
    })
}

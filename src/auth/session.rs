//! The browser's sign-on session at Visage: a random cookie value whose hash
//! keys a database row, so every instance sees it.

use crate::crypto;
use crate::db::sessions::{self as repo, SessionRow};
use crate::db::{DbConnection, DbError};

pub const COOKIE: &str = "visage_session";

#[derive(Debug, Clone)]
pub struct Session {
    pub sid: crate::ids::SessionId,
    pub user_id: crate::ids::UserId,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
}

impl Session {
    fn from_row(row: SessionRow) -> Result<Session, DbError> {
        Ok(Session {
            amr: row.amr.0,
            sid: row.sid,
            user_id: row.user_id,
            auth_time: row.auth_time,
            acr: row.acr,
        })
    }
}

/// Start a session; returns it and the cookie value (shown only to the browser).
pub fn start(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    acr: &str,
    amr: &[String],
    ttl: i64,
    now: i64,
) -> Result<(Session, String), DbError> {
    let cookie = crypto::random_token(32);
    let row = SessionRow {
        id_hash: crypto::token_hash(&cookie),
        sid: crate::ids::SessionId::from(crypto::random_token(16)),
        user_id: user_id.to_owned(),
        auth_time: now,
        acr: acr.to_owned(),
        amr: amr.into(),
        created_at: now,
        expires_at: now + ttl,
        ended_at: None,
    };
    repo::insert(conn, &row)?;
    Ok((Session::from_row(row)?, cookie))
}

/// The live session behind a cookie value, if any.
pub fn current(
    conn: &mut DbConnection,
    cookie: &str,
    now: i64,
) -> Result<Option<Session>, DbError> {
    let Some(row) = repo::find_live(conn, &crypto::token_hash(cookie), now)? else {
        return Ok(None);
    };
    // An incident action may have asked this person (or everyone) to sign in again.
    if !super::controls::sign_in_counts(conn, row.user_id.as_str(), row.auth_time)? {
        return Ok(None);
    }
    Session::from_row(row).map(Some)
}

/// End the session and revoke the access tokens issued under it.
pub fn end(conn: &mut DbConnection, sid: &crate::ids::SessionId, now: i64) -> Result<(), DbError> {
    repo::end(conn, sid, now)?;
    crate::db::tokens::revoke_session_access(conn, sid, now)?;
    Ok(())
}

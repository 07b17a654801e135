//! `login_transactions`: a validated authorization request waiting for the
//! person to sign in and consent. Stored server-side, keyed by a hash.

use diesel::prelude::*;

use super::schema::login_transactions::dsl as l;
use super::{DbConnection, DbError};

pub fn insert(
    conn: &mut DbConnection,
    id_hash: &str,
    request: &str,
    now: i64,
    expires: i64,
) -> Result<(), DbError> {
    diesel::insert_into(l::login_transactions)
        .values((
            l::id_hash.eq(id_hash),
            l::request.eq(request),
            l::created_at.eq(now),
            l::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_live(
    conn: &mut DbConnection,
    id_hash: &str,
    now: i64,
) -> Result<Option<String>, DbError> {
    Ok(l::login_transactions
        .filter(l::id_hash.eq(id_hash).and(l::expires_at.gt(now)))
        .select(l::request)
        .first(conn)
        .optional()?)
}

/// Remove the transaction; true if this call removed it (single use).
pub fn take(conn: &mut DbConnection, id_hash: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(l::login_transactions.filter(l::id_hash.eq(id_hash))).execute(conn)? > 0)
}

pub fn purge_expired(conn: &mut DbConnection, now: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(l::login_transactions.filter(l::expires_at.le(now))).execute(conn)?)
}

/// Remember that session `sid` signed in during the live transaction.
pub fn set_signed_in(
    conn: &mut DbConnection,
    id_hash: &str,
    sid: &crate::ids::SessionId,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        l::login_transactions.filter(l::id_hash.eq(id_hash).and(l::expires_at.gt(now))),
    )
    .set(l::signed_in_sid.eq(sid))
    .execute(conn)?
        > 0)
}

/// The session that signed in during the live transaction, if one did.
pub fn signed_in(
    conn: &mut DbConnection,
    id_hash: &str,
    now: i64,
) -> Result<Option<String>, DbError> {
    Ok(l::login_transactions
        .filter(l::id_hash.eq(id_hash).and(l::expires_at.gt(now)))
        .select(l::signed_in_sid)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

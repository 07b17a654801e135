//! `invitations` rows: single-use sign-up links created by an admin.

use diesel::prelude::*;

use super::schema::invitations::dsl as i;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::invitations)]
pub struct InvitationRow {
    pub id_hash: String,
    /// When set, only this address can use the invitation.
    pub email: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Administrator role given to the person who signs up with it.
    pub role: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &InvitationRow) -> Result<(), DbError> {
    diesel::insert_into(i::invitations)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find_open(
    conn: &mut DbConnection,
    id_hash: &str,
    now: i64,
) -> Result<Option<InvitationRow>, DbError> {
    Ok(i::invitations
        .filter(
            i::id_hash
                .eq(id_hash)
                .and(i::used_at.is_null())
                .and(i::expires_at.gt(now)),
        )
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id_hash: &str) -> Result<Option<InvitationRow>, DbError> {
    Ok(i::invitations
        .find(id_hash)
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Use the invitation; false when someone used it first.
pub fn consume(conn: &mut DbConnection, id_hash: &str, now: i64) -> Result<bool, DbError> {
    Ok(
        diesel::update(i::invitations.filter(i::id_hash.eq(id_hash).and(i::used_at.is_null())))
            .set(i::used_at.eq(now))
            .execute(conn)?
            > 0,
    )
}

/// Invitations not used and not expired, newest first.
pub fn pending(
    conn: &mut DbConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<InvitationRow>, DbError> {
    Ok(i::invitations
        .filter(i::used_at.is_null().and(i::expires_at.gt(now)))
        .order(i::created_at.desc())
        .limit(limit)
        .select(InvitationRow::as_select())
        .load(conn)?)
}

/// Give an open invitation a new token hash and expiry (the old link stops).
pub fn renew(
    conn: &mut DbConnection,
    id_hash: &str,
    new_hash: &str,
    expires_at: i64,
) -> Result<bool, DbError> {
    Ok(
        diesel::update(i::invitations.filter(i::id_hash.eq(id_hash).and(i::used_at.is_null())))
            .set((i::id_hash.eq(new_hash), i::expires_at.eq(expires_at)))
            .execute(conn)?
            > 0,
    )
}

/// Remove an unused invitation.
pub fn delete_open(conn: &mut DbConnection, id_hash: &str) -> Result<bool, DbError> {
    Ok(
        diesel::delete(i::invitations.filter(i::id_hash.eq(id_hash).and(i::used_at.is_null())))
            .execute(conn)?
            > 0,
    )
}

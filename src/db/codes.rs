//! `auth_codes`: authorization codes, stored by hash, single use.

use diesel::prelude::*;

use super::schema::auth_codes::dsl as a;
use super::{DbConnection, DbError, JsonList};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::auth_codes)]
pub struct CodeRow {
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: crate::ids::ClientId,
    pub user_id: crate::ids::UserId,
    pub sid: crate::ids::SessionId,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub claims: Option<String>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: JsonList,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &CodeRow) -> Result<(), DbError> {
    diesel::insert_into(a::auth_codes)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, code_hash: &str) -> Result<Option<CodeRow>, DbError> {
    Ok(a::auth_codes
        .find(code_hash)
        .select(CodeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Mark used; true only for the first caller (guards concurrent redemption).
pub fn mark_used(conn: &mut DbConnection, code_hash: &str, now: i64) -> Result<bool, DbError> {
    Ok(
        diesel::update(a::auth_codes.filter(a::code_hash.eq(code_hash).and(a::used_at.is_null())))
            .set(a::used_at.eq(now))
            .execute(conn)?
            == 1,
    )
}

pub fn purge_expired(conn: &mut DbConnection, before: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(a::auth_codes.filter(a::expires_at.le(before))).execute(conn)?)
}

//! `tokens`: refresh tokens (by hash) and issued user access tokens (by jti),
//! grouped into grant families for revocation.

use diesel::prelude::*;

use super::schema::tokens::dsl as t;
use super::{DbConnection, DbError, JsonList};

pub const KIND_ACCESS: &str = "access";
pub const KIND_REFRESH: &str = "refresh";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::tokens)]
pub struct TokenRow {
    pub id: String,
    pub token_hash: Option<String>,
    pub kind: String,
    pub grant_id: String,
    pub client_id: crate::ids::ClientId,
    pub user_id: Option<crate::ids::UserId>,
    pub sid: Option<crate::ids::SessionId>,
    pub scope: String,
    pub claims: Option<String>,
    pub auth_time: Option<i64>,
    pub acr: Option<String>,
    pub amr: Option<JsonList>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub rotated_at: Option<i64>,
    pub grace_response: Option<Vec<u8>>,
}

pub fn insert(conn: &mut DbConnection, row: &TokenRow) -> Result<(), DbError> {
    diesel::insert_into(t::tokens)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<TokenRow>, DbError> {
    Ok(t::tokens
        .find(id)
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// A token's row and its person's, in one statement (`/userinfo`: one
/// database round trip per request). The person is None when the row has
/// none or it is gone.
pub fn find_with_user(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(TokenRow, Option<super::users::UserRow>)>, DbError> {
    use super::schema::users::dsl as u;
    Ok(t::tokens
        .left_join(u::users.on(t::user_id.eq(u::id.nullable())))
        .filter(t::id.eq(id))
        .select((
            TokenRow::as_select(),
            Option::<super::users::UserRow>::as_select(),
        ))
        .first(conn)
        .optional()?)
}

pub fn find_by_hash(conn: &mut DbConnection, hash: &str) -> Result<Option<TokenRow>, DbError> {
    Ok(t::tokens
        .filter(t::token_hash.eq(hash))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn revoke(conn: &mut DbConnection, id: &str, now: i64) -> Result<bool, DbError> {
    Ok(
        diesel::update(t::tokens.filter(t::id.eq(id).and(t::revoked_at.is_null())))
            .set(t::revoked_at.eq(now))
            .execute(conn)?
            > 0,
    )
}

/// Revoke every token of a grant family; returns how many were live.
/// The person a grant (token family) was issued for, if any.
pub fn user_of_grant(
    conn: &mut DbConnection,
    grant_id: &str,
) -> Result<Option<crate::ids::UserId>, DbError> {
    Ok(t::tokens
        .filter(t::grant_id.eq(grant_id))
        .select(t::user_id)
        .first::<Option<crate::ids::UserId>>(conn)
        .optional()?
        .flatten())
}

pub fn revoke_grant(conn: &mut DbConnection, grant_id: &str, now: i64) -> Result<usize, DbError> {
    Ok(
        diesel::update(t::tokens.filter(t::grant_id.eq(grant_id).and(t::revoked_at.is_null())))
            .set(t::revoked_at.eq(now))
            .execute(conn)?,
    )
}

/// Revoke the access tokens bound to a browser session (logout).
pub fn revoke_session_access(
    conn: &mut DbConnection,
    sid: &crate::ids::SessionId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        t::tokens.filter(
            t::sid
                .eq(sid)
                .and(t::kind.eq(KIND_ACCESS))
                .and(t::revoked_at.is_null()),
        ),
    )
    .set(t::revoked_at.eq(now))
    .execute(conn)?)
}

/// Claim a live refresh token of `client_id` for rotation, as the first
/// statement of the request's transaction (a write first takes SQLite's
/// write lock before any snapshot, and PostgreSQL's row lock): of two
/// concurrent refreshes exactly one claims it, the other then sees it rotated.
pub fn claim_refresh(
    conn: &mut DbConnection,
    hash: &str,
    client_id: &crate::ids::ClientId,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        t::tokens.filter(
            t::token_hash
                .eq(hash)
                .and(t::kind.eq("refresh"))
                .and(t::client_id.eq(client_id))
                .and(t::rotated_at.is_null())
                .and(t::revoked_at.is_null())
                .and(t::expires_at.gt(now)),
        ),
    )
    .set(t::rotated_at.eq(now))
    .execute(conn)?
        == 1)
}

/// Give a claimed token back (the refresh did not rotate it after all).
pub fn unclaim(conn: &mut DbConnection, id: &str) -> Result<(), DbError> {
    diesel::update(t::tokens.find(id))
        .set(t::rotated_at.eq(None::<i64>))
        .execute(conn)?;
    Ok(())
}

/// Store the answer a concurrent retry within the grace window gets.
pub fn set_grace_response(
    conn: &mut DbConnection,
    id: &str,
    sealed_response: &[u8],
) -> Result<(), DbError> {
    diesel::update(t::tokens.find(id))
        .set(t::grace_response.eq(sealed_response))
        .execute(conn)?;
    Ok(())
}

pub fn purge_expired(conn: &mut DbConnection, before: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(t::tokens.filter(t::expires_at.le(before))).execute(conn)?)
}

/// Revoke every token issued for the person; returns how many were live.
pub fn revoke_for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(
        diesel::update(t::tokens.filter(t::user_id.eq(user_id).and(t::revoked_at.is_null())))
            .set(t::revoked_at.eq(now))
            .execute(conn)?,
    )
}

/// Revoke every token the person's sign-ins gave `client_id`; how many.
pub fn revoke_for_user_and_client(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    client_id: &crate::ids::ClientId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        t::tokens.filter(
            t::user_id
                .eq(user_id)
                .and(t::client_id.eq(client_id))
                .and(t::revoked_at.is_null()),
        ),
    )
    .set(t::revoked_at.eq(now))
    .execute(conn)?)
}

/// The person's live (unrevoked, unexpired) tokens.
pub fn live_for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    now: i64,
) -> Result<Vec<TokenRow>, DbError> {
    Ok(t::tokens
        .filter(
            t::user_id
                .eq(user_id)
                .and(t::revoked_at.is_null())
                .and(t::expires_at.gt(now)),
        )
        .select(TokenRow::as_select())
        .load(conn)?)
}

/// The live tokens issued to a client for people (not its own client-credentials tokens).
pub fn live_for_client(
    conn: &mut DbConnection,
    client_id: &crate::ids::ClientId,
    now: i64,
) -> Result<Vec<TokenRow>, DbError> {
    Ok(t::tokens
        .filter(
            t::client_id
                .eq(client_id)
                .and(t::user_id.is_not_null())
                .and(t::revoked_at.is_null())
                .and(t::expires_at.gt(now)),
        )
        .order(t::expires_at.desc())
        .select(TokenRow::as_select())
        .load(conn)?)
}

/// Revoke every live token issued to `client_id`; how many.
pub fn revoke_for_client(
    conn: &mut DbConnection,
    client_id: &crate::ids::ClientId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(
        diesel::update(t::tokens.filter(t::client_id.eq(client_id).and(t::revoked_at.is_null())))
            .set(t::revoked_at.eq(now))
            .execute(conn)?,
    )
}

/// Revoke every live token issued for a person's sign-in (not the tokens
/// clients got for themselves); how many.
pub fn revoke_all_of_people(conn: &mut DbConnection, now: i64) -> Result<usize, DbError> {
    Ok(
        diesel::update(t::tokens.filter(t::user_id.is_not_null().and(t::revoked_at.is_null())))
            .set(t::revoked_at.eq(now))
            .execute(conn)?,
    )
}

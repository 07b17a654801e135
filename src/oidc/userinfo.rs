//! `/userinfo` (OIDC Core §5.3) with RFC 6750 bearer errors.

use serde_json::{Map, Value};

use crate::db::tokens::{self, TokenRow};
use crate::db::users::UserRow;
use crate::db::DbConnection;
use crate::keys::KeyRing;

use super::access_token::{AccessClaims, VerifiedCache};
use super::claims;
use super::error::{ErrorCode, OAuthError};
use super::row_cache::RowCache;
use super::types::split_scope;

pub fn claims_for(
    conn: &mut DbConnection,
    cache: &VerifiedCache,
    rows: &RowCache,
    ring: &KeyRing,
    issuer: &str,
    token: &str,
    now: i64,
) -> Result<Map<String, Value>, OAuthError> {
    let at = persons_token(cache, ring, issuer, token, now)?;
    let stamp = rows.stamp();
    let found = tokens::find_with_user(conn, &at.jti)?;
    if let Some((row, user)) = &found {
        rows.keep_token(stamp, row);
        if let Some(u) = user {
            rows.keep_user(stamp, u);
        }
    }
    let (row, user) = found.ok_or_else(revoked)?;
    decide(&at, &row, user.as_ref())
}

/// The claims from memory alone, when the token's row and its person's are
/// kept there (`RowCache`); None: ask the database (which gives any error).
pub fn from_memory(
    cache: &VerifiedCache,
    rows: &RowCache,
    ring: &KeyRing,
    issuer: &str,
    token: &str,
    now: i64,
) -> Option<Map<String, Value>> {
    let at = persons_token(cache, ring, issuer, token, now).ok()?;
    let row = rows.token(&at.jti)?;
    let user = rows.user(row.user_id.as_ref()?)?;
    decide(&at, &row, Some(&user)).ok()
}

/// The token verified, and one a person's client was given.
fn persons_token(
    cache: &VerifiedCache,
    ring: &KeyRing,
    issuer: &str,
    token: &str,
    now: i64,
) -> Result<AccessClaims, OAuthError> {
    let at = cache
        .verify(ring, issuer, token, now)
        .ok_or_else(|| OAuthError::invalid_token("the access token is invalid or expired"))?;
    if at.is_client_token() {
        return Err(OAuthError::invalid_token(
            "the access token does not belong to a person",
        ));
    }
    Ok(at)
}

fn revoked() -> OAuthError {
    OAuthError::invalid_token("the access token has been revoked")
}

/// The claims a verified token's row and its person's allow.
fn decide(
    at: &AccessClaims,
    row: &TokenRow,
    user: Option<&UserRow>,
) -> Result<Map<String, Value>, OAuthError> {
    if row.revoked_at.is_some() {
        return Err(revoked());
    }
    if !at.has_scope("openid") {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "the access token lacks the openid scope",
        ));
    }
    let user = user
        .filter(|u| !u.disabled && u.id.as_str() == at.sub)
        .ok_or_else(|| OAuthError::invalid_token("the account is no longer active"))?;
    let requested: Option<Value> = row
        .claims
        .as_deref()
        .and_then(|c| serde_json::from_str::<Value>(c).ok());
    Ok(claims::for_user(
        user,
        &split_scope(&at.scope),
        requested.as_ref().and_then(|c| c.get("userinfo")),
    ))
}

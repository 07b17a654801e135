//! `/userinfo` (OIDC Core §5.3) with RFC 6750 bearer errors.

use serde_json::{Map, Value};

use crate::db::{tokens, DbConnection};
use crate::keys::KeyRing;

use super::access_token::VerifiedCache;
use super::claims;
use super::error::{ErrorCode, OAuthError};
use super::types::split_scope;

pub fn claims_for(
    conn: &mut DbConnection,
    cache: &VerifiedCache,
    ring: &KeyRing,
    issuer: &str,
    token: &str,
    now: i64,
) -> Result<Map<String, Value>, OAuthError> {
    let at = cache
        .verify(ring, issuer, token, now)
        .ok_or_else(|| OAuthError::invalid_token("the access token is invalid or expired"))?;
    if at.is_client_token() {
        return Err(OAuthError::invalid_token(
            "the access token does not belong to a person",
        ));
    }
    let (row, user) = tokens::find_with_user(conn, &at.jti)?
        .filter(|(r, _)| r.revoked_at.is_none())
        .ok_or_else(|| OAuthError::invalid_token("the access token has been revoked"))?;
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
        &user,
        &split_scope(&at.scope),
        requested.as_ref().and_then(|c| c.get("userinfo")),
    ))
}

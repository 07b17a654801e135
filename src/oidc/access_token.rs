//! Checking a JWT access token we issued: signature, type, issuer, expiry,
//! and the store (revocation, ended grant).

use serde_json::{Map, Value};

use crate::db::tokens::{self, TokenRow, KIND_ACCESS};
use crate::db::DbConnection;
use crate::keys::KeyRing;

use super::error::OAuthError;

#[derive(Debug, Clone)]
pub struct AccessClaims {
    pub claims: Map<String, Value>,
    pub jti: String,
    pub sub: String,
    pub client_id: crate::ids::ClientId,
    pub scope: String,
    pub exp: i64,
}

impl AccessClaims {
    /// A token a client obtained for itself (client_credentials).
    pub fn is_client_token(&self) -> bool {
        self.client_id == self.sub.as_str() && !self.claims.contains_key("sid")
    }
    pub fn has_scope(&self, s: &str) -> bool {
        self.scope.split(' ').any(|x| x == s)
    }
}

/// Signature, `typ`, `iss` and `exp`; `None` for anything else.
pub fn verify(ring: &KeyRing, issuer: &str, token: &str, now: i64) -> Option<AccessClaims> {
    if token.len() > 8192 {
        return None;
    }
    let v = ring.verify(token).ok()?;
    let typ = v.header.token_type()?;
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return None;
    }
    let claims: Map<String, Value> = serde_json::from_slice(&v.payload).ok()?;
    let s = |k: &str| claims.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    if s("iss").as_deref() != Some(issuer) {
        return None;
    }
    let exp = claims.get("exp")?.as_i64()?;
    if exp <= now {
        return None;
    }
    Some(AccessClaims {
        jti: s("jti")?,
        sub: s("sub")?,
        client_id: s("client_id")?.into(),
        scope: s("scope").unwrap_or_default(),
        exp,
        claims,
    })
}

/// Tokens whose signature already verified, so that a resource server
/// polling userinfo or introspection with the same token does not pay for a
/// signature check each time. Expiry is still checked on every use, and the
/// store is still consulted for revocation. Bounded: cleared when full.
pub struct VerifiedCache {
    map: std::sync::Mutex<std::collections::HashMap<String, AccessClaims>>,
    capacity: usize,
}

impl VerifiedCache {
    pub fn new(capacity: usize) -> VerifiedCache {
        VerifiedCache {
            map: std::sync::Mutex::new(std::collections::HashMap::new()),
            capacity,
        }
    }

    /// Forget every remembered token (the key ring changed: a retired key's
    /// tokens must be checked again, and fail).
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }

    /// Like [`verify`], remembering successes.
    pub fn verify(
        &self,
        ring: &KeyRing,
        issuer: &str,
        token: &str,
        now: i64,
    ) -> Option<AccessClaims> {
        let key = crate::crypto::token_hash(token);
        if let Ok(map) = self.map.lock() {
            if let Some(hit) = map.get(&key) {
                return (hit.exp > now).then(|| hit.clone());
            }
        }
        let claims = verify(ring, issuer, token, now)?;
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= self.capacity {
                map.clear();
            }
            map.insert(key, claims.clone());
        }
        Some(claims)
    }
}

/// Is a verified token still live in the store? User tokens must have a
/// live row; client tokens are live unless a revocation row exists.
pub fn is_live(conn: &mut DbConnection, at: &AccessClaims) -> Result<bool, OAuthError> {
    Ok(is_live_row(at, tokens::find_by_id(conn, &at.jti)?.as_ref()))
}

/// [`is_live`], given the token's row (None: it has none).
pub fn is_live_row(at: &AccessClaims, row: Option<&TokenRow>) -> bool {
    match row {
        Some(row) => row.revoked_at.is_none() && row.kind == KIND_ACCESS && row.id == at.jti,
        None => at.is_client_token(),
    }
}

/// Revoke one access token (recording a row for client tokens, which have none).
pub fn revoke(conn: &mut DbConnection, at: &AccessClaims, now: i64) -> Result<(), OAuthError> {
    if tokens::find_by_id(conn, &at.jti)?.is_some() {
        tokens::revoke(conn, &at.jti, now)?;
    } else {
        tokens::insert(
            conn,
            &TokenRow {
                id: at.jti.clone(),
                token_hash: None,
                kind: KIND_ACCESS.into(),
                grant_id: at.jti.clone(),
                client_id: at.client_id.clone(),
                user_id: None,
                sid: None,
                scope: at.scope.clone(),
                claims: None,
                auth_time: None,
                acr: None,
                amr: None,
                expires_at: at.exp,
                revoked_at: Some(now),
                rotated_at: None,
                grace_response: None,
            },
        )?;
    }
    Ok(())
}

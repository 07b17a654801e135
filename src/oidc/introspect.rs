//! `/introspect` (RFC 7662). A confidential client (a resource server) may
//! introspect any access token; public clients and refresh tokens: own only.

use serde_json::{json, Map, Value};

use crate::crypto;
use crate::db::tokens::{self, KIND_REFRESH};
use crate::db::DbConnection;
use crate::keys::KeyRing;

use super::access_token::{self, VerifiedCache};
use super::client::Client;
use super::error::OAuthError;

fn inactive() -> Value {
    json!({ "active": false })
}

pub fn introspect(
    conn: &mut DbConnection,
    cache: &VerifiedCache,
    ring: &KeyRing,
    issuer: &str,
    caller: &Client,
    token: &str,
    now: i64,
) -> Result<Value, OAuthError> {
    if token.contains('.') {
        let Some(at) = cache.verify(ring, issuer, token, now) else {
            return Ok(inactive());
        };
        // A public client can only learn about its own tokens.
        if (caller.is_public() && at.client_id != caller.id) || !access_token::is_live(conn, &at)? {
            return Ok(inactive());
        }
        let mut out: Map<String, Value> = at.claims.clone();
        out.insert("active".into(), json!(true));
        out.insert("token_type".into(), json!("Bearer"));
        return Ok(Value::Object(out));
    }
    let Some(row) = tokens::find_by_hash(conn, &crypto::token_hash(token))? else {
        return Ok(inactive());
    };
    if row.kind != KIND_REFRESH
        || row.client_id != caller.id
        || row.revoked_at.is_some()
        || row.rotated_at.is_some()
        || row.expires_at <= now
    {
        return Ok(inactive());
    }
    Ok(json!({
        "active": true,
        "token_type": "refresh_token",
        "client_id": row.client_id,
        "sub": row.user_id,
        "scope": row.scope,
        "exp": row.expires_at,
        "iss": issuer,
    }))
}

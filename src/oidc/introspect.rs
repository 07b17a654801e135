//! `/introspect` (RFC 7662). A confidential client (a resource server) may
//! introspect any access token; public clients and refresh tokens: own only.

use serde_json::{json, Map, Value};

use crate::crypto;
use crate::db::clients;
use crate::db::tokens::{self, TokenRow, KIND_REFRESH};
use crate::db::DbConnection;
use crate::ids::ClientId;
use crate::keys::KeyRing;

use super::access_token::{self, AccessClaims, VerifiedCache};
use super::client::Client;
use super::error::OAuthError;
use super::row_cache::RowCache;

fn inactive() -> Value {
    json!({ "active": false })
}

/// The `jti` a JWT says it has, before anything is verified: the token's
/// row can then be read with the caller's (one statement); the signature is
/// checked after the caller is authenticated, and the row is used only for
/// the verified `jti`.
pub fn claimed_jti(token: &str) -> Option<String> {
    use base64::Engine;
    if token.len() > 8192 {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    claims.get("jti")?.as_str().map(str::to_owned)
}

/// A token's row read beforehand: the `jti` looked up and what was found.
pub type LookedUp = (String, Option<TokenRow>);

/// A client [`Loader`](super::client_auth::Loader) that reads the row of
/// token `jti` in the same statement as the client's and leaves it in
/// `found` (one database round trip for the whole introspection).
pub fn with_token_row<'a>(
    jti: &'a str,
    found: &'a mut Option<LookedUp>,
) -> impl FnMut(&mut DbConnection, &ClientId) -> Result<Option<Client>, OAuthError> + 'a {
    move |c, id| {
        let Some((client, row)) = clients::find_with_token(c, id, jti)? else {
            return Ok(None);
        };
        *found = Some((jti.to_owned(), row));
        Ok(Some(Client::from_row(client)?))
    }
}

/// A public client can only learn about its own tokens.
fn may_see(caller: &Client, at: &AccessClaims) -> bool {
    !caller.is_public() || at.client_id == caller.id
}

/// What introspection says of a verified access token.
fn about(at: &AccessClaims, live: bool) -> Value {
    if !live {
        return inactive();
    }
    let mut out: Map<String, Value> = at.claims.clone();
    out.insert("active".into(), json!(true));
    out.insert("token_type".into(), json!("Bearer"));
    Value::Object(out)
}

/// The answer from memory alone, for a JWT whose row is kept there
/// (`RowCache`); None: ask the database.
pub fn from_memory(
    rows: &RowCache,
    cache: &VerifiedCache,
    ring: &KeyRing,
    issuer: &str,
    caller: &Client,
    token: &str,
    now: i64,
) -> Option<Value> {
    let at = cache.verify(ring, issuer, token, now)?;
    if !may_see(caller, &at) {
        return Some(inactive());
    }
    let row = rows.token(&at.jti)?;
    Some(about(&at, access_token::is_live_row(&at, Some(&row))))
}

#[allow(clippy::too_many_arguments)]
pub fn introspect(
    conn: &mut DbConnection,
    cache: &VerifiedCache,
    ring: &KeyRing,
    issuer: &str,
    caller: &Client,
    token: &str,
    looked_up: Option<LookedUp>,
    now: i64,
) -> Result<Value, OAuthError> {
    if token.contains('.') {
        let Some(at) = cache.verify(ring, issuer, token, now) else {
            return Ok(inactive());
        };
        if !may_see(caller, &at) {
            return Ok(inactive());
        }
        let live = match looked_up {
            Some((jti, row)) if jti == at.jti => access_token::is_live_row(&at, row.as_ref()),
            _ => access_token::is_live(conn, &at)?,
        };
        return Ok(about(&at, live));
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

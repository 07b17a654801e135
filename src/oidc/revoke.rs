//! `/revoke` (RFC 7009). Unknown tokens and other clients' tokens are
//! answered with 200 and left alone; a refresh token takes its family along.

use crate::crypto;
use crate::db::tokens::{self, KIND_REFRESH};
use crate::db::DbConnection;
use crate::keys::KeyRing;

use super::access_token;
use super::client::Client;
use super::error::{ErrorCode, OAuthError};

pub fn revoke(
    conn: &mut DbConnection,
    ring: &KeyRing,
    issuer: &str,
    caller: &Client,
    token: &str,
    hint: Option<&str>,
    now: i64,
) -> Result<(), OAuthError> {
    if let Some(h) = hint {
        if h != "access_token" && h != "refresh_token" {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedTokenType,
                format!("token_type_hint '{h}' is not supported"),
            ));
        }
    }
    if token.contains('.') {
        // An expired or foreign token needs no revocation.
        if let Some(at) = access_token::verify(ring, issuer, token, now) {
            if at.client_id == caller.id {
                access_token::revoke(conn, &at, now)?;
            }
        }
        return Ok(());
    }
    if let Some(row) = tokens::find_by_hash(conn, &crypto::token_hash(token))? {
        if row.kind == KIND_REFRESH && row.client_id == caller.id {
            tokens::revoke_grant(conn, &row.grant_id, now)?;
        }
    }
    Ok(())
}

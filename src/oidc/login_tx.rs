//! Login transactions: a validated request parked while the person signs in
//! and consents, then turned into a single-use authorization code.

use crate::auth::session::Session;
use crate::crypto;
use crate::db::codes::{self, CodeRow};
use crate::db::{login_tx as repo, DbConnection};

use super::authorize::AuthRequest;
use super::error::OAuthError;

/// Park `req`; returns the transaction id for the browser (stored hashed).
pub fn begin(
    conn: &mut DbConnection,
    req: &AuthRequest,
    ttl: i64,
    now: i64,
) -> Result<String, OAuthError> {
    let id = crypto::random_token(24);
    let json = serde_json::to_string(req).map_err(|e| OAuthError::server_error(&e))?;
    repo::purge_expired(conn, now)?;
    repo::insert(conn, &crypto::token_hash(&id), &json, now, now + ttl)?;
    Ok(id)
}

/// The parked request, if the transaction is still open.
pub fn load(
    conn: &mut DbConnection,
    id: &str,
    now: i64,
) -> Result<Option<AuthRequest>, OAuthError> {
    match repo::find_live(conn, &crypto::token_hash(id), now)? {
        Some(json) => Ok(serde_json::from_str(&json).ok()),
        None => Ok(None),
    }
}

/// Remember that session `sid` signed in during transaction `id`.
pub fn mark_signed_in(
    conn: &mut DbConnection,
    id: &str,
    sid: &crate::ids::SessionId,
    now: i64,
) -> Result<(), OAuthError> {
    repo::set_signed_in(conn, &crypto::token_hash(id), sid, now)?;
    Ok(())
}

/// Whether `session` is the one that signed in during transaction `id`
/// (an older session, even of the same person, is not).
pub fn signed_in_by(
    conn: &mut DbConnection,
    id: &str,
    session: &Session,
    now: i64,
) -> Result<bool, OAuthError> {
    Ok(
        repo::signed_in(conn, &crypto::token_hash(id), now)?.as_deref()
            == Some(session.sid.as_str()),
    )
}

/// Close the transaction (single use) and mint the authorization code.
/// Returns `None` when the transaction was already used.
pub fn finish(
    conn: &mut DbConnection,
    tx_id: Option<&str>,
    req: &AuthRequest,
    session: &Session,
    code_ttl: i64,
    now: i64,
) -> Result<Option<String>, OAuthError> {
    if let Some(id) = tx_id {
        if !repo::take(conn, &crypto::token_hash(id))? {
            return Ok(None);
        }
    }
    let code = crypto::random_token(32);
    codes::purge_expired(conn, now - 3600)?;
    codes::insert(
        conn,
        &CodeRow {
            code_hash: crypto::token_hash(&code),
            grant_id: crypto::random_token(16),
            client_id: req.client_id.clone(),
            user_id: session.user_id.clone(),
            sid: session.sid.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.join(" "),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            code_challenge_method: req.code_challenge_method.map(|m| m.as_str().to_owned()),
            claims: req.claims.as_ref().map(|c| c.to_string()),
            auth_time: session.auth_time,
            acr: session.acr.clone(),
            amr: session.amr.as_slice().into(),
            expires_at: now + code_ttl,
            used_at: None,
        },
    )?;
    Ok(Some(code))
}

/// Drop the transaction after an error was reported to the client.
pub fn abandon(conn: &mut DbConnection, tx_id: &str) -> Result<(), OAuthError> {
    repo::take(conn, &crypto::token_hash(tx_id))?;
    Ok(())
}

//! Pending sign-up invitations as administrators manage them: list, send
//! again with a new link (the old one stops working), revoke.

use serde::Serialize;

use crate::crypto;
use crate::db::invitations as repo;
use crate::db::{DbConnection, DbError};

use super::roles::Actor;

/// An unused invitation (never its token: only the hash is stored, and the
/// hash is its id).
#[derive(Debug, Serialize)]
pub struct InvitationView {
    pub id: String,
    pub email: Option<String>,
    pub role: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("no open invitation '{0}' (used, expired or revoked)")]
    NotFound(String),
    #[error("this invitation is for anyone, so there is no address to send it to: create a new one for an address")]
    NoAddress,
    #[error("this invitation gives an administrator role: only an owner (admin:roles) may send or revoke it")]
    CarriesRole,
    #[error(transparent)]
    Db(#[from] DbError),
}

pub fn pending(conn: &mut DbConnection, now: i64) -> Result<Vec<InvitationView>, DbError> {
    Ok(repo::pending(conn, now, 200)?
        .into_iter()
        .map(|r| InvitationView {
            id: r.id_hash,
            email: r.email,
            role: r.role,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
        .collect())
}

/// A new link for the open invitation `id`, valid for `ttl` again; returns
/// (token, address) for the mail. The previous link stops working.
pub fn renew(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    ttl: i64,
    now: i64,
) -> Result<(String, String), InvitationError> {
    let row = repo::find(conn, id)?
        .filter(|r| r.used_at.is_none() && r.expires_at > now)
        .ok_or_else(|| InvitationError::NotFound(id.to_owned()))?;
    if row.role.is_some() && !actor.may(super::roles::ROLES) {
        return Err(InvitationError::CarriesRole);
    }
    let email = row.email.ok_or(InvitationError::NoAddress)?;
    let token = crypto::random_token(24);
    if !repo::renew(conn, id, &crypto::token_hash(&token), now + ttl)? {
        return Err(InvitationError::NotFound(id.to_owned()));
    }
    crate::audit::record(conn, &actor.event("invitation.resend"), now)?;
    Ok((token, email))
}

pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: i64,
) -> Result<(), InvitationError> {
    if repo::find(conn, id)?.is_some_and(|r| r.role.is_some()) && !actor.may(super::roles::ROLES) {
        return Err(InvitationError::CarriesRole);
    }
    if !repo::delete_open(conn, id)? {
        return Err(InvitationError::NotFound(id.to_owned()));
    }
    crate::audit::record(conn, &actor.event("invitation.revoke"), now)?;
    Ok(())
}

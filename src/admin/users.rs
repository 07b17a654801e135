//! Accounts as administrators see them: search, profile, credentials (never
//! biometric data), sessions; disable, force sign-in, revoke, erase.

use serde::Serialize;

use crate::auth::face;
use crate::db::users::{self as repo, UserRow};
use crate::db::{passkeys, sessions, tokens, DbConnection, DbError};

use super::roles::Actor;

#[derive(Debug, Serialize)]
pub struct UserSummary {
    pub id: crate::ids::UserId,
    pub email: String,
    pub name: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
}

impl From<UserRow> for UserSummary {
    fn from(u: UserRow) -> Self {
        UserSummary {
            id: u.id,
            email: u.email,
            name: u.name,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Serialize)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct SessionInfo {
    pub sid: crate::ids::SessionId,
    pub acr: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

#[derive(Debug, Serialize)]
pub struct TokenInfo {
    pub client_id: crate::ids::ClientId,
    pub kind: String,
    pub grant_id: String,
    pub expires_at: i64,
}

/// Everything an administrator may see about one account.
#[derive(Debug, Serialize)]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: UserSummary,
    pub email_verified: bool,
    pub has_password: bool,
    pub passkeys: Vec<PasskeyInfo>,
    /// Whether a face template exists (never the template).
    pub face_enrolled: bool,
    pub face_consent: bool,
    pub sessions: Vec<SessionInfo>,
    pub tokens: Vec<TokenInfo>,
    pub role: Option<super::roles::Role>,
    /// Flagged by the `face_rejections` alert rule until the alert is resolved.
    pub security_review: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UserAdminError {
    #[error("no account with id '{0}'")]
    NotFound(String),
    #[error(
        "this account is an administrator: acting on it needs the admin:roles scope (an owner)"
    )]
    Administrator,
    #[error("this account is the last owner: make another owner first")]
    LastOwner,
    #[error("this account's sign-up waits for approval: approve or reject its registration instead (Alerts, or /admin/api/registrations)")]
    AwaitingApproval,
    #[error(transparent)]
    Db(#[from] DbError),
}

pub const MAX_PER_PAGE: i64 = 100;

pub fn search(
    conn: &mut DbConnection,
    q: &str,
    page: i64,
    per_page: i64,
) -> Result<Page<UserSummary>, DbError> {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let page = page.max(1);
    let (rows, total) = repo::search(conn, q.trim(), per_page, (page - 1) * per_page)?;
    Ok(Page {
        items: rows.into_iter().map(UserSummary::from).collect(),
        total,
        page,
        per_page,
    })
}

pub fn detail(
    conn: &mut DbConnection,
    id: &crate::ids::UserId,
    now: i64,
) -> Result<UserDetail, UserAdminError> {
    let user = repo::find(conn, id)?.ok_or_else(|| UserAdminError::NotFound(id.to_string()))?;
    let (face_consent, template) = face::status(conn, id)?;
    let passkeys = passkeys::for_user(conn, id)?
        .into_iter()
        .map(|p| PasskeyInfo {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
        .collect();
    let sessions = sessions::live_for_user(conn, id, now)?
        .into_iter()
        .map(|s| SessionInfo {
            sid: s.sid,
            acr: s.acr,
            auth_time: s.auth_time,
            expires_at: s.expires_at,
        })
        .collect();
    let tokens = tokens::live_for_user(conn, id, now)?
        .into_iter()
        .map(|t| TokenInfo {
            client_id: t.client_id,
            kind: t.kind,
            grant_id: t.grant_id,
            expires_at: t.expires_at,
        })
        .collect();
    Ok(UserDetail {
        email_verified: user.email_verified,
        has_password: user.password_hash.is_some(),
        role: super::roles::role_of(conn, id.as_str())?,
        security_review: crate::auth::alerts::under_review(conn, id)?,
        user: user.into(),
        passkeys,
        face_enrolled: template.is_some(),
        face_consent,
        sessions,
        tokens,
    })
}

/// Acting on an administrator needs `admin:roles` (an owner), whatever the
/// action; `removes` (disable, erase) also keeps the last owner.
pub fn may_act_on(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &crate::ids::UserId,
    removes: bool,
) -> Result<(), UserAdminError> {
    if super::roles::role_of(conn, id.as_str())?.is_none() {
        return Ok(());
    }
    if !actor.may(super::roles::ROLES) {
        return Err(UserAdminError::Administrator);
    }
    if removes && super::roles::is_last_owner(conn, id.as_str())? {
        return Err(UserAdminError::LastOwner);
    }
    Ok(())
}

pub(crate) fn exists(
    conn: &mut DbConnection,
    id: &crate::ids::UserId,
) -> Result<(), UserAdminError> {
    match repo::find(conn, id)? {
        Some(_) => Ok(()),
        None => Err(UserAdminError::NotFound(id.to_string())),
    }
}

/// End every session and revoke every token: the person signs in again.
pub fn sign_out_everywhere(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &crate::ids::UserId,
    now: i64,
) -> Result<(usize, usize), UserAdminError> {
    exists(conn, id)?;
    may_act_on(conn, actor, id, false)?;
    let ended = sessions::end_all_for_user(conn, id, now)?;
    let revoked = tokens::revoke_for_user(conn, id, now)?;
    let ev = actor
        .event("user.revoke_all")
        .user(id)
        .detail(serde_json::json!({ "sessions": ended, "tokens": revoked }));
    crate::audit::record(conn, &ev, now)?;
    Ok((ended, revoked))
}

/// Disable (sessions end, tokens revoked, sign-in refused) or enable.
pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &crate::ids::UserId,
    disabled: bool,
    now: i64,
) -> Result<(), UserAdminError> {
    conn.write_transaction(|c| {
        may_act_on(c, actor, id, disabled)?;
        if !disabled && crate::db::registration_approvals::sign_up_waits(c, id)? {
            return Err(UserAdminError::AwaitingApproval);
        }
        if !repo::set_disabled(c, id, disabled, now)? {
            return Err(UserAdminError::NotFound(id.to_string()));
        }
        if disabled {
            sessions::end_all_for_user(c, id, now)?;
            tokens::revoke_for_user(c, id, now)?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        crate::audit::record(c, &actor.event(action).user(id), now)?;
        Ok(())
    })
}

/// Erase the person's face template and biometric consent (for someone
/// whose face no longer matches, so who cannot confirm it to erase it
/// themselves); their sessions end so the face level is gone everywhere.
pub fn erase_face(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &crate::ids::UserId,
    now: i64,
) -> Result<usize, UserAdminError> {
    conn.write_transaction(|c| {
        exists(c, id)?;
        may_act_on(c, actor, id, false)?;
        let gone = face::delete_all(c, id, &actor.label, now)?;
        sessions::end_all_for_user(c, id, now)?;
        crate::audit::record(
            c,
            &actor
                .event("user.face_erase")
                .user(id)
                .detail(serde_json::json!({ "templates": gone })),
            now,
        )?;
        Ok(gone)
    })
}

/// GDPR erasure: the account row and everything keyed to it (passkeys, face
/// template and consent, recovery codes, sessions, tokens, role) go at once.
pub fn erase(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &crate::ids::UserId,
    now: i64,
) -> Result<(), UserAdminError> {
    conn.write_transaction(|c| {
        exists(c, id)?;
        may_act_on(c, actor, id, true)?;
        crate::auth::my_data::erase(c, id, &actor.label, now)?;
        crate::audit::record(c, &actor.event("user.delete").user(id), now)?;
        Ok(())
    })
}

impl From<diesel::result::Error> for UserAdminError {
    fn from(e: diesel::result::Error) -> Self {
        UserAdminError::Db(e.into())
    }
}

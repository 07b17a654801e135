//! `grant_type=refresh_token` (RFC 6749 §6) with rotation, family revocation
//! on reuse, and a short grace window for a concurrent retry.

use super::TokenContext;
use crate::crypto;
use crate::db::tokens::{self, TokenRow, KIND_REFRESH};
use crate::db::{users, DbConnection};
use crate::oidc::client::Client;
use crate::oidc::error::OAuthError;
use crate::oidc::issue::{TokenResponse, UserGrant};
use crate::oidc::params::Params;
use crate::oidc::types::split_scope;

pub(crate) fn grace_aad(id: &str) -> String {
    format!("tokens/grace_response/{id}")
}

fn replay_within_grace(ctx: &TokenContext<'_>, row: &TokenRow) -> Option<TokenResponse> {
    let rotated = row.rotated_at?;
    // `refresh_grace_seconds = 0`: no grace at all, even within the second.
    if ctx.now - rotated >= ctx.refresh_grace {
        return None;
    }
    let sealed = row.grace_response.as_deref()?;
    let plain = ctx.master_key.open(&grace_aad(&row.id), sealed).ok()?;
    serde_json::from_slice(&plain).ok()
}

fn reuse_detected(
    conn: &mut DbConnection,
    ctx: &TokenContext<'_>,
    row: &TokenRow,
) -> Result<OAuthError, OAuthError> {
    let n = tokens::revoke_grant(conn, &row.grant_id, ctx.now)?;
    crate::audit::record(
        conn,
        &crate::audit::Event::new("token", "refresh.reuse", "denied")
            .client(&row.client_id)
            .detail(serde_json::json!({ "revoked_tokens": n })),
        ctx.now,
    )?;
    Ok(OAuthError::invalid_grant(
        "the refresh token was already used; the token family is revoked",
    ))
}

pub fn exchange(
    conn: &mut DbConnection,
    ctx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.require("refresh_token")?;
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let hash = crypto::token_hash(presented);
    // Claim first, then read: see `tokens::claim_refresh`.
    let claimed = tokens::claim_refresh(conn, &hash, &client.id, ctx.now)?;
    let row = tokens::find_by_hash(conn, &hash)?
        .filter(|r| r.kind == KIND_REFRESH)
        .ok_or_else(invalid)?;
    if !claimed {
        if row.client_id != client.id {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if row.rotated_at.is_some() && row.revoked_at.is_none() {
            if let Some(resp) = replay_within_grace(ctx, &row) {
                return Ok(resp);
            }
        }
        if row.rotated_at.is_some() {
            return Err(reuse_detected(conn, ctx, &row)?);
        }
        return Err(invalid());
    }
    // From here the token is ours; any refusal gives it back.
    let give_back = |conn: &mut DbConnection, e: OAuthError| -> OAuthError {
        match tokens::unclaim(conn, &row.id) {
            Ok(()) => e,
            Err(db) => db.into(),
        }
    };
    let granted = split_scope(&row.scope);
    let scope = match params.get("scope")? {
        None => granted.clone(),
        Some(s) => {
            let asked = split_scope(s);
            if let Some(extra) = asked.iter().find(|a| !granted.contains(a)) {
                let e = OAuthError::invalid_scope(format!(
                    "scope '{extra}' was not granted originally"
                ));
                return Err(give_back(conn, e));
            }
            asked
        }
    };
    let user_id = row.user_id.as_ref().ok_or_else(invalid)?;
    let user = users::find(conn, user_id)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("the account is no longer active"))?;
    let since = row.auth_time.unwrap_or(0);
    if !crate::auth::controls::sign_in_counts(conn, user_id.as_str(), since)? {
        return Err(give_back(
            conn,
            OAuthError::invalid_grant(super::SIGN_IN_AGAIN),
        ));
    }
    let amr = row.amr.clone().unwrap_or_default().0;
    let claims: Option<serde_json::Value> = row
        .claims
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok());
    let acr = row.acr.clone().unwrap_or_default();
    // A grant stored before sessions were recorded has none: the claim is empty.
    let sid = row
        .sid
        .clone()
        .unwrap_or_else(|| crate::ids::SessionId::from(""));
    let grant = UserGrant {
        grant_id: &row.grant_id,
        client,
        user: &user,
        sid: &sid,
        scope: &scope,
        auth_time: row.auth_time.unwrap_or(ctx.now),
        acr: &acr,
        amr: &amr,
        nonce: None,
        claims: claims.as_ref(),
    };
    let mut resp = ctx
        .minter
        .for_user(conn, ctx.ring, &grant, false, ctx.now)?;
    if resp.refresh_token.is_none() {
        // A narrowed scope without offline_access keeps the original refresh token alive.
        tokens::unclaim(conn, &row.id)?;
        resp.scope = scope.join(" ");
        return Ok(resp);
    }
    let sealed = ctx.master_key.seal(
        &grace_aad(&row.id),
        &serde_json::to_vec(&resp).map_err(|e| OAuthError::server_error(&e))?,
    )?;
    tokens::set_grace_response(conn, &row.id, &sealed)?;
    Ok(resp)
}

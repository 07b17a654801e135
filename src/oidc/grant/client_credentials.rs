//! `grant_type=client_credentials` (RFC 6749 §4.4). The JWT access token is
//! not stored: it is valid until it expires unless revoked (RFC 7009), which
//! records its jti.

use serde_json::Map;

use super::TokenContext;
use crate::auth::roles;
use crate::db::DbConnection;
use crate::oidc::client::Client;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::issue::TokenResponse;
use crate::oidc::params::Params;
use crate::oidc::types::{split_scope, valid_scope_token, USER_SCOPES};

pub fn exchange(
    conn: &mut DbConnection,
    ctx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let scope = asked(client, params)?;
    // Admin API scopes only for clients given an administrator role.
    roles::check_client_scopes(conn, &client.id, &scope)?.map_err(OAuthError::invalid_scope)?;
    issue(ctx, client, params, scope)
}

/// [`exchange`] without the database, for a client whose row is at hand:
/// None when a scope asked for needs the client's role (`admin:`).
pub fn exchange_in_memory(
    ctx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
) -> Option<Result<TokenResponse, OAuthError>> {
    let scope = match asked(client, params) {
        Ok(scope) => scope,
        Err(e) => return Some(Err(e)),
    };
    if scope.iter().any(|s| s.starts_with("admin:")) {
        return None;
    }
    Some(issue(ctx, client, params, scope))
}

/// The scopes asked for, if a client acting for itself may ask for them.
fn asked(client: &Client, params: &Params) -> Result<Vec<String>, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    let scope = split_scope(params.get("scope")?.unwrap_or(""));
    if let Some(bad) = scope
        .iter()
        .find(|s| !valid_scope_token(s) || USER_SCOPES.contains(&s.as_str()))
    {
        return Err(OAuthError::invalid_scope(format!(
            "scope '{bad}' cannot be granted to a client acting for itself"
        )));
    }
    Ok(scope)
}

/// Any scope besides the admin API's only if registered for this client.
fn issue(
    ctx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
    scope: Vec<String>,
) -> Result<TokenResponse, OAuthError> {
    let admin = scope.iter().any(|s| s.starts_with("admin:"));
    if let Some(bad) = scope
        .iter()
        .find(|s| !s.starts_with("admin:") && !client.service_scopes.contains(s))
    {
        return Err(OAuthError::invalid_scope(format!(
            "this client may not obtain the scope '{bad}' (not among its service scopes)"
        )));
    }
    // RFC 8707: a resource the client is registered for becomes the `aud`;
    // admin scopes are for Visage itself and name no other resource.
    let mut extra = Map::new();
    if let Some(resource) = params.get("resource")? {
        if admin || !client.audiences.iter().any(|a| a == resource) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("this client may not obtain tokens for '{resource}'"),
            ));
        }
        extra.insert("aud".into(), serde_json::json!(resource));
    }
    let scope = scope.join(" ");
    let (access_token, _) = ctx.minter.access_token(
        ctx.ring,
        &client.id,
        client.id.as_str(),
        &scope,
        extra,
        ctx.now,
    )?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: ctx.minter.access_ttl,
        refresh_token: None,
        id_token: None,
        scope,
    })
}

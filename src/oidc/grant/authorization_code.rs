//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6).

use super::{TokenContext, SIGN_IN_AGAIN};
use crate::crypto;
use crate::db::{codes, tokens, users, DbConnection};
use crate::oidc::client::Client;
use crate::oidc::error::OAuthError;
use crate::oidc::issue::{TokenResponse, UserGrant};
use crate::oidc::params::Params;
use crate::oidc::types::{split_scope, CodeChallengeMethod};

pub fn exchange(
    conn: &mut DbConnection,
    ctx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let code = params.require("code")?;
    let redirect_uri = params.get("redirect_uri")?;
    let verifier = params.get("code_verifier")?;
    let hash = crypto::token_hash(code);
    let row = codes::find(conn, &hash)?
        .ok_or_else(|| OAuthError::invalid_grant("the authorization code is invalid"))?;
    if row.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if redirect_uri != Some(row.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&row.code_challenge, verifier) {
        (Some(challenge), Some(v)) => {
            if v.len() < 43
                || v.len() > 128
                || !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
            {
                return Err(OAuthError::invalid_grant(
                    "code_verifier must be 43 to 128 unreserved characters",
                ));
            }
            let method = row.code_challenge_method.as_deref().unwrap_or("plain");
            let computed = if method == CodeChallengeMethod::S256.as_str() {
                let pkce = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
                    &oauth2::PkceCodeVerifier::new(v.to_owned()),
                );
                pkce.as_str().to_owned()
            } else {
                v.to_owned()
            };
            if !crypto::ct_eq(&computed, challenge) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required (PKCE)",
            ))
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier given but no code_challenge was sent",
            ))
        }
        (None, None) => {}
    }
    // Checked first, consumed after: a wrong verifier or redirect_uri (an
    // attacker holding a stolen code) neither burns the code nor revokes
    // the tokens of the client that owns it.
    if row.used_at.is_some() || !codes::mark_used(conn, &hash, ctx.now)? {
        // RFC 6749 §4.1.2: a reused code revokes what it produced.
        let n = tokens::revoke_grant(conn, &row.grant_id, ctx.now)?;
        crate::audit::record(
            conn,
            &crate::audit::Event::new("token", "code.reuse", "denied")
                .client(&client.id)
                .user(&row.user_id)
                .detail(serde_json::json!({ "revoked_tokens": n })),
            ctx.now,
        )?;
        return Err(OAuthError::invalid_grant(
            "the authorization code was already used; its tokens are revoked",
        ));
    }
    if row.expires_at <= ctx.now {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    let user = users::find(conn, &row.user_id)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("the account is no longer active"))?;
    if !crate::auth::controls::sign_in_counts(conn, row.user_id.as_str(), row.auth_time)? {
        return Err(OAuthError::invalid_grant(SIGN_IN_AGAIN));
    }
    let scope = split_scope(&row.scope);
    let amr = row.amr.0.clone();
    let claims: Option<serde_json::Value> = row
        .claims
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok());
    let grant = UserGrant {
        grant_id: &row.grant_id,
        client,
        user: &user,
        sid: &row.sid,
        scope: &scope,
        auth_time: row.auth_time,
        acr: &row.acr,
        amr: &amr,
        nonce: row.nonce.as_deref(),
        claims: claims.as_ref(),
    };
    ctx.minter.for_user(conn, ctx.ring, &grant, true, ctx.now)
}

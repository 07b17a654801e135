//! Minting tokens: RFC 9068 JWT access tokens, ID tokens, refresh tokens.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::config::Config;
use crate::crypto;
use crate::db::tokens::{self as repo, TokenRow, KIND_ACCESS, KIND_REFRESH};
use crate::db::users::UserRow;
use crate::db::DbConnection;
use crate::keys::{Alg, KeyRing};

use super::claims;
use super::client::Client;
use super::error::OAuthError;
use super::types::GrantType;

/// RFC 6749 §5.1 response body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// Settings for minting, taken from the config once.
#[derive(Debug, Clone)]
pub struct Minter {
    pub issuer: String,
    pub audience: String,
    pub access_ttl: i64,
    pub id_ttl: i64,
    pub refresh_ttl: i64,
    pub access_alg: Alg,
}

impl Minter {
    pub fn from_config(c: &Config) -> Minter {
        Minter {
            issuer: c.issuer.clone(),
            audience: c.access_token_audience(),
            access_ttl: c.tokens.access_token_ttl_seconds,
            id_ttl: c.tokens.id_token_ttl_seconds,
            refresh_ttl: c.tokens.refresh_token_ttl_seconds,
            access_alg: c.tokens.access_token_alg,
        }
    }
}

/// A person's grant being turned into tokens.
#[derive(Debug, Clone)]
pub struct UserGrant<'a> {
    pub grant_id: &'a str,
    pub client: &'a Client,
    pub user: &'a UserRow,
    pub sid: &'a crate::ids::SessionId,
    pub scope: &'a [String],
    pub auth_time: i64,
    pub acr: &'a str,
    pub amr: &'a [String],
    pub nonce: Option<&'a str>,
    pub claims: Option<&'a Value>,
}

fn sign_json(
    ring: &KeyRing,
    alg: Alg,
    typ: Option<&str>,
    claims: &Map<String, Value>,
) -> Result<String, OAuthError> {
    let payload = serde_json::to_vec(claims).map_err(|e| OAuthError::server_error(&e))?;
    Ok(ring.sign(alg, typ, &payload)?)
}

impl Minter {
    /// A signed RFC 9068 access token; returns (token, jti).
    pub fn access_token(
        &self,
        ring: &KeyRing,
        client_id: &crate::ids::ClientId,
        sub: &str,
        scope: &str,
        extra: Map<String, Value>,
        now: i64,
    ) -> Result<(String, String), OAuthError> {
        let jti = crypto::random_token(16);
        let mut c = Map::new();
        c.insert("iss".into(), json!(self.issuer));
        c.insert("sub".into(), json!(sub));
        c.insert("aud".into(), json!(self.audience));
        c.insert("exp".into(), json!(now + self.access_ttl));
        c.insert("iat".into(), json!(now));
        c.insert("jti".into(), json!(jti));
        c.insert("client_id".into(), json!(client_id));
        c.insert("scope".into(), json!(scope));
        c.extend(extra);
        Ok((sign_json(ring, self.access_alg, Some("at+jwt"), &c)?, jti))
    }

    /// Access token, optional refresh token and ID token for a person's grant.
    pub fn for_user(
        &self,
        conn: &mut DbConnection,
        ring: &KeyRing,
        g: &UserGrant<'_>,
        with_nonce: bool,
        now: i64,
    ) -> Result<TokenResponse, OAuthError> {
        let scope = g.scope.join(" ");
        let mut extra = Map::new();
        extra.insert("auth_time".into(), json!(g.auth_time));
        extra.insert("acr".into(), json!(g.acr));
        extra.insert("amr".into(), json!(g.amr));
        extra.insert("sid".into(), json!(g.sid));
        let (access_token, jti) =
            self.access_token(ring, &g.client.id, g.user.id.as_str(), &scope, extra, now)?;
        let common = |id: String, kind: &str, hash: Option<String>, exp: i64| TokenRow {
            id,
            token_hash: hash,
            kind: kind.to_owned(),
            grant_id: g.grant_id.to_owned(),
            client_id: g.client.id.clone(),
            user_id: Some(g.user.id.clone()),
            sid: Some(g.sid.clone()),
            scope: scope.clone(),
            claims: g.claims.map(|c| c.to_string()),
            auth_time: Some(g.auth_time),
            acr: Some(g.acr.to_owned()),
            amr: Some(g.amr.into()),
            expires_at: exp,
            revoked_at: None,
            rotated_at: None,
            grace_response: None,
        };
        repo::insert(conn, &common(jti, KIND_ACCESS, None, now + self.access_ttl))?;
        let refresh_token = if g.scope.iter().any(|s| s == "offline_access")
            && g.client.allows(GrantType::RefreshToken)
        {
            let rt = crypto::random_token(32);
            repo::insert(
                conn,
                &common(
                    crypto::random_token(16),
                    KIND_REFRESH,
                    Some(crypto::token_hash(&rt)),
                    now + self.refresh_ttl,
                ),
            )?;
            Some(rt)
        } else {
            None
        };
        let id_token = if g.scope.iter().any(|s| s == "openid") {
            Some(self.id_token(ring, g, &access_token, with_nonce, now)?)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: self.access_ttl,
            refresh_token,
            id_token,
            scope,
        })
    }

    fn id_token(
        &self,
        ring: &KeyRing,
        g: &UserGrant<'_>,
        access_token: &str,
        with_nonce: bool,
        now: i64,
    ) -> Result<String, OAuthError> {
        let alg = g.client.id_token_alg;
        // Scope claims go to userinfo; the ID token carries those asked for
        // explicitly with claims.id_token (OIDC Core §5.4, §5.5).
        let requested = g.claims.and_then(|c| c.get("id_token"));
        let mut c = match requested {
            Some(r) => claims::for_user(g.user, &[], Some(r)),
            None => Map::new(),
        };
        c.insert("iss".into(), json!(self.issuer));
        c.insert("sub".into(), json!(g.user.id));
        c.insert("aud".into(), json!(g.client.id));
        c.insert("azp".into(), json!(g.client.id));
        c.insert("exp".into(), json!(now + self.id_ttl));
        c.insert("iat".into(), json!(now));
        c.insert("auth_time".into(), json!(g.auth_time));
        c.insert("acr".into(), json!(g.acr));
        c.insert("amr".into(), json!(g.amr));
        c.insert("sid".into(), json!(g.sid));
        c.insert("at_hash".into(), json!(alg.half_hash(access_token)));
        if with_nonce {
            if let Some(n) = g.nonce {
                c.insert("nonce".into(), json!(n));
            }
        }
        sign_json(ring, alg, None, &c)
    }
}

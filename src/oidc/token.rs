//! `/token`: dispatch by grant type (RFC 6749 §4, §5), one transaction per request.

use crate::db::DbConnection;

use super::client::Client;
use super::error::{ErrorCode, OAuthError};
use super::grant;
use super::issue::TokenResponse;
use super::params::Params;
use super::types::GrantType;

pub use super::grant::TokenContext;

/// Run `f` in a transaction. Protocol errors commit (a revoked token family
/// must stay revoked); server errors roll back so nothing is half-written.
pub fn in_transaction<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, OAuthError>,
) -> Result<T, OAuthError> {
    let mut out: Option<Result<T, OAuthError>> = None;
    let tx = conn.write_transaction::<(), diesel::result::Error, _>(|c| {
        let res = f(c);
        let rollback = matches!(&res, Err(e) if e.code == ErrorCode::ServerError);
        out = Some(res);
        if rollback {
            Err(diesel::result::Error::RollbackTransaction)
        } else {
            Ok(())
        }
    });
    match (tx, out) {
        (_, Some(Err(e))) => Err(e),
        (Ok(()), Some(ok)) => ok,
        (Err(e), _) => Err(OAuthError::server_error(&e)),
        (Ok(()), None) => Err(OAuthError::server_error(&"transaction produced no result")),
    }
}

pub fn exchange(
    conn: &mut DbConnection,
    ctx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let gt = params.require("grant_type")?;
    let grant_type: GrantType = gt.parse().map_err(|_| {
        OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant_type '{gt}' is not supported"),
        )
    })?;
    if !client.allows(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use {gt}"
        )));
    }
    in_transaction(conn, |c| match grant_type {
        GrantType::AuthorizationCode => grant::authorization_code::exchange(c, ctx, client, params),
        GrantType::RefreshToken => grant::refresh_token::exchange(c, ctx, client, params),
        GrantType::ClientCredentials => grant::client_credentials::exchange(c, ctx, client, params),
    })
}

/// [`exchange`] without the database, where the grant needs nothing from
/// it (client_credentials for scopes that need no role); None: use
/// [`exchange`], which also gives every refusal.
pub fn exchange_in_memory(
    ctx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
) -> Option<TokenResponse> {
    let grant_type: GrantType = params.require("grant_type").ok()?.parse().ok()?;
    if !matches!(grant_type, GrantType::ClientCredentials) || !client.allows(grant_type) {
        return None;
    }
    grant::client_credentials::exchange_in_memory(ctx, client, params)?.ok()
}

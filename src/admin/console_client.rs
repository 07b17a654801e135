//! The console is an ordinary OIDC client of this Visage: a public,
//! first-party client with PKCE, registered (or restored in full) when the
//! server starts; the admin API and the console cannot change it.

use crate::db::{DbConnection, DbError};
use crate::keys::Alg;
use crate::oidc::client::validate_redirect_uri;
use crate::oidc::client_admin::{self, ClientAdminError, NewClient};
use crate::oidc::types::{FacePolicy, GrantType, PasswordPolicy, RequiredAcr, TokenAuthMethod};

pub const CLIENT_ID: &str = client_admin::CONSOLE_CLIENT_ID;

pub fn redirect_uri(issuer: &str) -> String {
    format!("{issuer}/admin/callback")
}

/// Register the console client, or restore it in full (URIs after an issuer
/// change, and anything changed in the database by hand). `Ok(false)` when
/// the issuer cannot take a redirect URI (plain http on a non-loopback
/// host): the console is then unavailable.
pub fn ensure(conn: &mut DbConnection, issuer: &str, now: i64) -> Result<bool, DbError> {
    let redirect = redirect_uri(issuer);
    if validate_redirect_uri(&redirect).is_err() {
        return Ok(false);
    }
    let new = NewClient {
        id: Some(CLIENT_ID.into()),
        name: "Visage console".into(),
        redirect_uris: vec![redirect],
        post_logout_redirect_uris: vec![format!("{issuer}/admin")],
        grant_types: vec![GrantType::AuthorizationCode],
        auth_method: TokenAuthMethod::None,
        id_token_alg: Alg::Rs256,
        allow_plain_pkce: false,
        first_party: true,
        jwks: None,
        branding: Default::default(),
        face_policy: FacePolicy::Default,
        password_policy: PasswordPolicy::Off,
        required_acr: Some(RequiredAcr::Passkey),
        service_scopes: vec![],
        audiences: vec![],
        allowed_origins: vec![],
        allowed_networks: vec![],
    };
    match client_admin::restore(conn, &new, now) {
        Ok(true) => {
            tracing::warn!("the console client had been changed; it was restored");
            Ok(true)
        }
        Ok(false) => Ok(true),
        Err(ClientAdminError::Db(e)) => Err(e),
        Err(e) => {
            tracing::warn!("the admin console is unavailable: {e}");
            Ok(false)
        }
    }
}

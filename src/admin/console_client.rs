//! The console is an ordinary OIDC client of this Visage: a public,
//! first-party client with PKCE, registered (or re-pointed at the current
//! issuer) when the server starts.

use crate::crypto::MasterKey;
use crate::db::clients as repo;
use crate::db::{to_json_list, DbConnection, DbError};
use crate::keys::Alg;
use crate::oidc::client::validate_redirect_uri;
use crate::oidc::client_admin::{self, ClientAdminError, NewClient};
use crate::oidc::types::{FacePolicy, GrantType, PasswordPolicy, RequiredAcr, TokenAuthMethod};

pub const CLIENT_ID: &str = "visage-console";

pub fn redirect_uri(issuer: &str) -> String {
    format!("{issuer}/admin/callback")
}

/// Register the console client, or fix its URIs after an issuer change.
/// `Ok(false)` when the issuer cannot take a redirect URI (plain http on a
/// non-loopback host): the console is then unavailable.
pub fn ensure(
    conn: &mut DbConnection,
    mk: &MasterKey,
    issuer: &str,
    now: i64,
) -> Result<bool, DbError> {
    let redirect = redirect_uri(issuer);
    let home = format!("{issuer}/admin");
    if validate_redirect_uri(&redirect).is_err() {
        return Ok(false);
    }
    match repo::find(conn, CLIENT_ID)? {
        Some(row) if row.redirect_uris == to_json_list(std::slice::from_ref(&redirect)) => Ok(true),
        Some(_) => {
            repo::set_uris(
                conn,
                CLIENT_ID,
                &to_json_list(&[redirect]),
                &to_json_list(&[home]),
            )?;
            Ok(true)
        }
        None => {
            let new = NewClient {
                id: Some(CLIENT_ID.to_owned()),
                name: "Visage console".into(),
                redirect_uris: vec![redirect],
                post_logout_redirect_uris: vec![home],
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
            };
            match client_admin::register(conn, mk, new, "system", now) {
                Ok(_) | Err(ClientAdminError::Duplicate(_)) => Ok(true),
                Err(ClientAdminError::Db(e)) => Err(e),
                Err(e) => {
                    tracing::warn!("the admin console is unavailable: {e}");
                    Ok(false)
                }
            }
        }
    }
}

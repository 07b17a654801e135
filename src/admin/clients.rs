//! Client registration as the admin API and the console send it (JSON or a
//! form), turned into the one `NewClient` the CLI builds too.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::keys::Alg;
use crate::oidc::branding::Branding;
use crate::oidc::client::Client;
use crate::oidc::client_admin::NewClient;
use crate::oidc::types::{FacePolicy, GrantType, PasswordPolicy, RequiredAcr, TokenAuthMethod};

/// A client as the admin API accepts it (RFC 7591 names where there is one).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    pub client_id: Option<String>,
    pub client_name: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Default: authorization_code + refresh_token (+ client_credentials when confidential).
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// Default client_secret_basic.
    pub token_endpoint_auth_method: Option<String>,
    /// Default RS256.
    pub id_token_signed_response_alg: Option<String>,
    #[serde(default)]
    pub first_party: bool,
    #[serde(default)]
    pub allow_plain_pkce: bool,
    pub jwks: Option<serde_json::Value>,
    #[serde(default)]
    pub branding: Branding,
    pub face_policy: Option<String>,
    pub password_policy: Option<String>,
    /// `password`, `passkey` or `passkey_face`; none = the request decides.
    pub required_acr: Option<String>,
    /// Scopes the client may ask for itself (client_credentials).
    #[serde(default)]
    pub service_scopes: Vec<String>,
    /// Audiences (`resource`) its client_credentials tokens may name.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Web origins whose pages may call /token and /userinfo (CORS).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Address ranges (CIDR) its calls to /token, /introspect, /revoke may
    /// come from; none: anywhere.
    #[serde(default)]
    pub allowed_networks: Vec<String>,
}

fn parse<T: FromStr<Err = String>>(v: Option<&str>, default: T) -> Result<T, String> {
    v.map(T::from_str).transpose().map(|o| o.unwrap_or(default))
}

impl ClientInput {
    pub fn into_new(self) -> Result<NewClient, String> {
        let auth_method = parse(
            self.token_endpoint_auth_method.as_deref(),
            TokenAuthMethod::ClientSecretBasic,
        )?;
        let grant_types = if self.grant_types.is_empty() {
            let mut v = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
            if auth_method != TokenAuthMethod::None {
                v.push(GrantType::ClientCredentials);
            }
            v
        } else {
            self.grant_types
                .iter()
                .map(|g| GrantType::from_str(g))
                .collect::<Result<_, _>>()?
        };
        Ok(NewClient {
            id: self.client_id.filter(|i| !i.is_empty()).map(Into::into),
            name: self.client_name,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            grant_types,
            auth_method,
            id_token_alg: parse(self.id_token_signed_response_alg.as_deref(), Alg::Rs256)?,
            allow_plain_pkce: self.allow_plain_pkce,
            first_party: self.first_party,
            jwks: self.jwks.map(|j| j.to_string()),
            branding: self.branding,
            face_policy: parse(self.face_policy.as_deref(), FacePolicy::Default)?,
            password_policy: parse(self.password_policy.as_deref(), PasswordPolicy::Default)?,
            required_acr: self
                .required_acr
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(RequiredAcr::from_str)
                .transpose()?,
            service_scopes: self.service_scopes,
            audiences: self.audiences,
            allowed_origins: self.allowed_origins,
            allowed_networks: self.allowed_networks,
        })
    }
}

/// A client as administrators see it (never its secret or secret hash).
#[derive(Debug, Serialize)]
pub struct ClientView {
    pub client_id: crate::ids::ClientId,
    pub client_name: String,
    pub confidential: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<&'static str>,
    pub token_endpoint_auth_method: &'static str,
    pub id_token_signed_response_alg: &'static str,
    pub first_party: bool,
    pub disabled: bool,
    pub branding: Branding,
    pub face_policy: &'static str,
    pub password_policy: &'static str,
    pub required_acr: Option<&'static str>,
    pub service_scopes: Vec<String>,
    pub audiences: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_networks: Vec<String>,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        ClientView {
            client_id: c.id.clone(),
            client_name: c.name.clone(),
            confidential: !c.is_public(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.iter().map(|g| g.as_str()).collect(),
            token_endpoint_auth_method: c.auth_method.as_str(),
            id_token_signed_response_alg: c.id_token_alg.as_str(),
            first_party: c.first_party,
            disabled: c.disabled,
            branding: c.branding.clone(),
            face_policy: c.face_policy.as_str(),
            password_policy: c.password_policy.as_str(),
            required_acr: c.required_acr.map(RequiredAcr::as_str),
            service_scopes: c.service_scopes.clone(),
            audiences: c.audiences.clone(),
            allowed_origins: c.allowed_origins.clone(),
            allowed_networks: c.allowed_networks.iter().map(|n| n.to_string()).collect(),
        }
    }
}

/// A client with an administrator role is an administrator: changing it
/// (its settings, its secret, disabling or deleting it) needs `admin:roles`,
/// or an admin could take an owner client's secret.
pub fn may_act_on(
    conn: &mut crate::db::DbConnection,
    actor: &crate::admin::roles::Actor,
    id: &crate::ids::ClientId,
) -> Result<(), crate::oidc::client_admin::ClientAdminError> {
    let admin =
        crate::db::admin_roles::find(conn, id.as_str())?.is_some_and(|r| r.kind == "client");
    if admin && !actor.may(crate::admin::roles::ROLES) {
        return Err(crate::oidc::client_admin::ClientAdminError::Administrator(
            id.to_string(),
        ));
    }
    Ok(())
}

/// Clients whose id or name contains `q` (case-insensitive).
pub fn matching<'a>(all: &'a [Client], q: &str) -> Vec<&'a Client> {
    let q = q.trim().to_lowercase();
    all.iter()
        .filter(|c| {
            q.is_empty()
                || c.id.as_str().to_lowercase().contains(&q)
                || c.name.to_lowercase().contains(&q)
        })
        .collect()
}

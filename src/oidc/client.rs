//! A registered relying party, validated from its stored row.

use std::str::FromStr;

use url::Url;

use crate::db::clients::ClientRow;
use crate::db::DbError;
use crate::keys::Alg;

use super::branding::Branding;
use super::types::{FacePolicy, GrantType, PasswordPolicy, RequiredAcr, TokenAuthMethod};
use crate::auth::acr::Level;

#[derive(Debug, Clone)]
pub struct Client {
    pub id: crate::ids::ClientId,
    pub name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub auth_method: TokenAuthMethod,
    pub id_token_alg: Alg,
    pub allow_plain_pkce: bool,
    pub first_party: bool,
    pub jwks: Option<String>,
    pub disabled: bool,
    pub branding: Branding,
    pub face_policy: FacePolicy,
    pub password_policy: PasswordPolicy,
    pub required_acr: Option<RequiredAcr>,
    /// Scopes this client may ask for itself (client_credentials).
    pub service_scopes: Vec<String>,
    /// Audiences (`resource`) its client_credentials tokens may name.
    pub audiences: Vec<String>,
    /// Web origins whose pages may call `/token` and `/userinfo` for it
    /// from a browser (CORS).
    pub allowed_origins: Vec<String>,
    /// Address ranges its calls to `/token`, `/introspect` and `/revoke`
    /// may come from; empty: anywhere.
    pub allowed_networks: Vec<ipnet::IpNet>,
}

impl Client {
    /// The level every sign-in to this client must reach: its required acr,
    /// or passkey + face when its face policy requires the face.
    pub fn floor(&self) -> Option<Level> {
        let face = (self.face_policy == FacePolicy::Require).then_some(Level::PasskeyFace);
        face.max(self.required_acr.map(RequiredAcr::level))
    }

    pub fn from_row(row: ClientRow) -> Result<Client, DbError> {
        let bad =
            |what: &str, e: String| DbError::Corrupt(format!("client {}: {what}: {e}", row.id));
        let grant_types = row
            .grant_types
            .0
            .iter()
            .map(|g| GrantType::from_str(g))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad("grant_types", e))?;
        let face_policy =
            FacePolicy::from_str(&row.face_policy).map_err(|e| bad("face_policy", e))?;
        let password_policy = PasswordPolicy::from_str(&row.password_policy)
            .map_err(|e| bad("password_policy", e))?;
        let required_acr = row
            .required_acr
            .as_deref()
            .map(RequiredAcr::from_str)
            .transpose()
            .map_err(|e| bad("required_acr", e))?;
        Ok(Client {
            required_acr,
            service_scopes: row.service_scopes.0,
            audiences: row.audiences.0,
            allowed_origins: row.allowed_origins.0,
            allowed_networks: row
                .allowed_networks
                .0
                .iter()
                .map(|n| n.parse::<ipnet::IpNet>())
                .collect::<Result<_, _>>()
                .map_err(|e| bad("allowed_networks", e.to_string()))?,
            face_policy,
            password_policy,
            redirect_uris: row.redirect_uris.0,
            post_logout_redirect_uris: row.post_logout_redirect_uris.0,
            grant_types,
            auth_method: TokenAuthMethod::from_str(&row.token_endpoint_auth_method)
                .map_err(|e| bad("auth", e))?,
            id_token_alg: Alg::from_str(&row.id_token_alg).map_err(|e| bad("alg", e))?,
            id: row.id,
            name: row.name,
            secret_hash: row.secret_hash,
            allow_plain_pkce: row.allow_plain_pkce,
            first_party: row.first_party,
            jwks: row.jwks,
            disabled: row.disabled,
            branding: Branding::from_column(row.branding.as_deref()),
        })
    }

    /// The registered client `id`, if any.
    pub fn find(
        conn: &mut crate::db::DbConnection,
        id: &crate::ids::ClientId,
    ) -> Result<Option<Client>, DbError> {
        crate::db::clients::find(conn, id)?
            .map(Client::from_row)
            .transpose()
    }

    /// Whether a page at `origin` (an `Origin` header) may call this
    /// client's endpoints from a browser.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }

    /// Whether a call from `ip` may use this client (no list: from anywhere;
    /// a list and no known address: no).
    pub fn allows_address(&self, ip: Option<std::net::IpAddr>) -> bool {
        self.allowed_networks.is_empty()
            || ip.is_some_and(|ip| self.allowed_networks.iter().any(|n| n.contains(&ip)))
    }

    pub fn is_public(&self) -> bool {
        self.auth_method == TokenAuthMethod::None
    }

    pub fn allows(&self, g: GrantType) -> bool {
        self.grant_types.contains(&g)
    }

    /// Exact string comparison (OIDC Core §3.1.2.1).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }

    pub fn has_post_logout_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|r| r == uri)
    }
}

/// A redirect URI a client may register: absolute, no fragment; https, or
/// http on a loopback host, or a private-use scheme for native apps.
pub fn validate_redirect_uri(uri: &str) -> Result<Url, String> {
    let url = Url::parse(uri).map_err(|e| format!("'{uri}' is not an absolute URL: {e}"))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(format!("'{uri}' must not contain a fragment"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" => match url.host() {
            Some(url::Host::Domain("localhost")) => Ok(url),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(url),
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(url),
            _ => Err(format!(
                "'{uri}' must use https (http is allowed only for loopback hosts)"
            )),
        },
        "javascript" | "data" | "file" | "vbscript" => {
            Err(format!("'{uri}' uses a forbidden scheme"))
        }
        s if s.contains('.') => Ok(url),
        _ => Err(format!(
            "'{uri}' must use https, loopback http, or a reverse-domain private-use scheme"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::validate_redirect_uri;

    #[test]
    fn redirect_uri_rules() {
        assert!(validate_redirect_uri("https://app.example.com/cb").is_ok());
        assert!(validate_redirect_uri("http://127.0.0.1:8765/cb").is_ok());
        assert!(validate_redirect_uri("http://localhost/cb").is_ok());
        assert!(validate_redirect_uri("com.example.app:/cb").is_ok());
        assert!(validate_redirect_uri("http://app.example.com/cb").is_err());
        assert!(validate_redirect_uri("https://app.example.com/cb#x").is_err());
        assert!(validate_redirect_uri("javascript:alert(1)").is_err());
        assert!(validate_redirect_uri("/relative").is_err());
    }
}

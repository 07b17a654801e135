//! Registering and managing clients (used by the CLI; the admin API later).

use serde::Serialize;

use crate::crypto::{self, MasterKey};
use crate::db::clients::{self as repo, ClientRow};
use crate::db::{DbConnection, DbError, JsonList};
use crate::keys::Alg;

use super::branding::Branding;
use super::client::{validate_redirect_uri, Client};
use super::types::{
    valid_scope_token, FacePolicy, GrantType, PasswordPolicy, RequiredAcr, TokenAuthMethod,
    USER_SCOPES,
};

#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: Option<crate::ids::ClientId>,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub auth_method: TokenAuthMethod,
    pub id_token_alg: Alg,
    pub allow_plain_pkce: bool,
    pub first_party: bool,
    /// Public JWK Set (JSON) for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Logo, links and colours shown on the hosted pages.
    pub branding: Branding,
    /// Whether sign-ins to this client include the face step.
    pub face_policy: FacePolicy,
    /// Whether sign-ins to this client may use a password (and a second code).
    pub password_policy: PasswordPolicy,
    /// The lowest level every sign-in to this client must reach.
    pub required_acr: Option<RequiredAcr>,
    /// Scopes the client may ask for itself with client_credentials (not
    /// user scopes, not admin scopes: those follow its role).
    pub service_scopes: Vec<String>,
    /// Absolute URIs its client_credentials tokens may name as `aud`
    /// (`resource`, RFC 8707).
    pub audiences: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_networks: Vec<String>,
}

/// What registration returns; the secret is shown once and never stored.
#[derive(Debug, Serialize)]
pub struct Registered {
    pub client_id: crate::ids::ClientId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub token_endpoint_auth_method: String,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub id_token_signed_response_alg: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientAdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "client '{0}' is Visage's own console: it is managed by the server and cannot be changed"
    )]
    Protected(String),
    #[error("client '{0}' has an administrator role: changing it needs admin:roles (an owner)")]
    Administrator(String),
    #[error("a client with id '{0}' already exists")]
    Duplicate(String),
    #[error("no client with id '{0}'")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ClientAdminError {
    fn from(e: diesel::result::Error) -> Self {
        ClientAdminError::Db(e.into())
    }
}

/// Visage's own console client: first-party, its tokens carry the signed-in
/// administrator's role, so only the server sets it (at every start).
pub const CONSOLE_CLIENT_ID: &str = "visage-console";

fn not_protected(id: &crate::ids::ClientId) -> Result<(), ClientAdminError> {
    if id == CONSOLE_CLIENT_ID {
        return Err(ClientAdminError::Protected(id.to_string()));
    }
    Ok(())
}

fn check(new: &NewClient) -> Result<(), ClientAdminError> {
    let invalid = |m: String| Err(ClientAdminError::Invalid(m));
    if new.name.trim().is_empty() || new.name.len() > 200 {
        return invalid("name must be 1 to 200 characters".into());
    }
    if let Some(id) = new.id.as_ref().map(|i| i.as_str()) {
        if id.is_empty()
            || id.len() > 128
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return invalid("client id must be 1 to 128 characters of A-Z a-z 0-9 - _ .".into());
        }
    }
    let uris = new.redirect_uris.len() + new.post_logout_redirect_uris.len();
    if uris > 20 {
        return invalid(format!(
            "at most 20 redirect and post-logout URIs ({uris} given)"
        ));
    }
    if let Some(long) = new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
        .find(|u| u.len() > 2000)
    {
        return invalid(format!(
            "redirect URIs are at most 2000 characters ('{}…' has {})",
            long.chars().take(40).collect::<String>(),
            long.len()
        ));
    }
    if new.jwks.as_ref().is_some_and(|j| j.len() > 20_000) {
        return invalid("the JWK Set is at most 20000 characters".into());
    }
    if let Some(r) = new.required_acr {
        if r.level() >= crate::auth::acr::Level::Passkey
            && new.password_policy == PasswordPolicy::EmailCode
        {
            return invalid(format!("required_acr {} leaves no use for password_policy email_code (a password sign-in never reaches it)", r.as_str()));
        }
        if r == RequiredAcr::PasskeyFace && new.face_policy == FacePolicy::Off {
            return invalid("required_acr passkey_face contradicts face_policy off".into());
        }
    }
    if new.grant_types.is_empty() {
        return invalid("at least one grant type is required".into());
    }
    let public = new.auth_method == TokenAuthMethod::None;
    if new.grant_types.contains(&GrantType::AuthorizationCode) && new.redirect_uris.is_empty() {
        return invalid("authorization_code clients need at least one --redirect-uri".into());
    }
    if public && new.grant_types.contains(&GrantType::ClientCredentials) {
        return invalid("a public client cannot use client_credentials".into());
    }
    for u in new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
    {
        validate_redirect_uri(u).map_err(ClientAdminError::Invalid)?;
    }
    new.branding.validate().map_err(ClientAdminError::Invalid)?;
    for s in &new.service_scopes {
        let admin = s.starts_with("admin:");
        if !valid_scope_token(s) || USER_SCOPES.contains(&s.as_str()) || admin {
            return invalid(format!(
                "service scope '{s}' is not allowed (user scopes are granted by people, admin scopes by roles)"
            ));
        }
    }
    for a in &new.audiences {
        if url::Url::parse(a).is_err() {
            return invalid(format!("audience '{a}' is not an absolute URI"));
        }
    }
    for n in &new.allowed_networks {
        if n.parse::<ipnet::IpNet>().is_err() {
            return invalid(format!(
                "allowed network '{n}' must be an address range like 192.0.2.0/24 or 2001:db8::/32"
            ));
        }
    }
    for o in &new.allowed_origins {
        if !is_web_origin(o) {
            return invalid(format!(
                "allowed origin '{o}' must be exactly scheme://host[:port] (https, or http on localhost), \
                 e.g. https://app.example"
            ));
        }
    }
    if new.auth_method == TokenAuthMethod::PrivateKeyJwt {
        let jwks = new.jwks.as_deref().unwrap_or("");
        let parsed = josekit::jwk::JwkSet::from_bytes(jwks.as_bytes()).map_err(|e| {
            ClientAdminError::Invalid(format!("private_key_jwt needs a JWK Set: {e}"))
        })?;
        if parsed.keys().is_empty() {
            return invalid("the JWK Set has no keys".into());
        }
    }
    Ok(())
}

fn to_row(
    id: &crate::ids::ClientId,
    new: &NewClient,
    secret_hash: Option<String>,
    disabled: bool,
    created_at: i64,
) -> ClientRow {
    ClientRow {
        id: id.clone(),
        name: new.name.trim().to_owned(),
        secret_hash,
        redirect_uris: new.redirect_uris.as_slice().into(),
        post_logout_redirect_uris: new.post_logout_redirect_uris.as_slice().into(),
        grant_types: JsonList(
            new.grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
        ),
        token_endpoint_auth_method: new.auth_method.as_str().to_owned(),
        id_token_alg: new.id_token_alg.as_str().to_owned(),
        allow_plain_pkce: new.allow_plain_pkce,
        first_party: new.first_party,
        jwks: new.jwks.clone(),
        disabled,
        created_at,
        branding: new.branding.to_column(),
        face_policy: new.face_policy.as_str().to_owned(),
        password_policy: new.password_policy.as_str().to_owned(),
        required_acr: new.required_acr.map(|r| r.as_str().to_owned()),
        service_scopes: new.service_scopes.as_slice().into(),
        audiences: new.audiences.as_slice().into(),
        allowed_origins: new.allowed_origins.as_slice().into(),
        allowed_networks: JsonList(
            new.allowed_networks
                .iter()
                .filter_map(|n| n.parse::<ipnet::IpNet>().ok())
                .map(|n| n.trunc().to_string())
                .collect(),
        ),
    }
}

/// `https://host[:port]` (or `http://` on a loopback host), written as a
/// browser writes it in an `Origin` header.
fn is_web_origin(o: &str) -> bool {
    let Ok(u) = url::Url::parse(o) else {
        return false;
    };
    let local = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && local);
    scheme_ok && u.origin().ascii_serialization() == o
}

fn uses_secret(m: TokenAuthMethod) -> bool {
    matches!(
        m,
        TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost
    )
}

/// Change a client's settings (everything but its id, secret, state and
/// creation time). Moving between secret and no-secret methods is refused:
/// register a new client, or rotate the secret, instead.
pub fn update(
    conn: &mut DbConnection,
    id: &crate::ids::ClientId,
    mut new: NewClient,
    actor: &str,
    now: i64,
) -> Result<(), ClientAdminError> {
    if new.id.as_ref().is_some_and(|i| i != id) {
        return Err(ClientAdminError::Invalid(
            "the client id cannot change".into(),
        ));
    }
    not_protected(id)?;
    new.id = Some(id.clone());
    check(&new)?;
    let old = repo::find(conn, id)?.ok_or_else(|| ClientAdminError::NotFound(id.to_string()))?;
    let old_method: TokenAuthMethod = old
        .token_endpoint_auth_method
        .parse()
        .map_err(ClientAdminError::Invalid)?;
    if uses_secret(old_method) != uses_secret(new.auth_method) {
        return Err(ClientAdminError::Invalid(format!(
            "client '{id}' cannot move from {old_method} to {}: register a new client",
            new.auth_method
        )));
    }
    let row = to_row(id, &new, old.secret_hash, old.disabled, old.created_at);
    repo::replace(conn, &row)?;
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", "client.update", "success")
            .client(id)
            .actor(actor),
        now,
    )?;
    Ok(())
}

/// Put a server-managed client (the console) back to exactly `new`, enabled
/// and without a secret, keeping its creation time; true when it changed.
pub fn restore(
    conn: &mut DbConnection,
    new: &NewClient,
    now: i64,
) -> Result<bool, ClientAdminError> {
    check(new)?;
    let id = new
        .id
        .clone()
        .ok_or_else(|| ClientAdminError::Invalid("no client id".into()))?;
    let old = repo::find(conn, &id)?;
    let row = to_row(
        &id,
        new,
        None,
        false,
        old.as_ref().map_or(now, |o| o.created_at),
    );
    let changed = match &old {
        Some(o) if format!("{o:?}") == format!("{row:?}") => return Ok(false),
        Some(_) => {
            repo::replace(conn, &row)?;
            true
        }
        None => {
            repo::insert(conn, &row)?;
            false
        }
    };
    let action = if changed {
        "client.restore"
    } else {
        "client.create"
    };
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", action, "success")
            .client(&id)
            .actor("system"),
        now,
    )?;
    Ok(changed)
}

pub fn register(
    conn: &mut DbConnection,
    mk: &MasterKey,
    new: NewClient,
    actor: &str,
    now: i64,
) -> Result<Registered, ClientAdminError> {
    check(&new)?;
    let id = new
        .id
        .clone()
        .unwrap_or_else(|| crate::ids::ClientId::from(crypto::random_token(16)));
    let secret = uses_secret(new.auth_method).then(|| crypto::random_token(32));
    let secret_hash = secret.as_deref().map(|s| mk.hash_client_secret(s));
    let row = to_row(&id, &new, secret_hash, false, now);
    match repo::insert(conn, &row) {
        Err(e) if e.is_unique_violation() => {
            return Err(ClientAdminError::Duplicate(id.into_string()))
        }
        other => other?,
    }
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", "client.create", "success")
            .client(&id)
            .actor(actor),
        now,
    )?;
    Ok(Registered {
        client_id: id,
        client_secret: secret,
        token_endpoint_auth_method: new.auth_method.as_str().to_owned(),
        redirect_uris: new.redirect_uris,
        grant_types: new
            .grant_types
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect(),
        id_token_signed_response_alg: new.id_token_alg.as_str().to_owned(),
    })
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Client>, ClientAdminError> {
    Ok(repo::list(conn)?
        .into_iter()
        .map(Client::from_row)
        .collect::<Result<_, _>>()?)
}

pub fn remove(
    conn: &mut DbConnection,
    id: &crate::ids::ClientId,
    actor: &str,
    now: i64,
) -> Result<(), ClientAdminError> {
    not_protected(id)?;
    if !repo::delete(conn, id)? {
        return Err(ClientAdminError::NotFound(id.to_string()));
    }
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", "client.delete", "success")
            .client(id)
            .actor(actor),
        now,
    )?;
    Ok(())
}

/// New secret (shown once); the old one stops working at once.
pub fn rotate_secret(
    conn: &mut DbConnection,
    mk: &MasterKey,
    id: &crate::ids::ClientId,
    actor: &str,
    now: i64,
) -> Result<String, ClientAdminError> {
    not_protected(id)?;
    let client = repo::find(conn, id)?.ok_or_else(|| ClientAdminError::NotFound(id.to_string()))?;
    if client.secret_hash.is_none() {
        return Err(ClientAdminError::Invalid(format!(
            "client '{id}' does not authenticate with a secret"
        )));
    }
    let secret = crypto::random_token(32);
    repo::set_secret_hash(conn, id, &mk.hash_client_secret(&secret))?;
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", "client.rotate_secret", "success")
            .client(id)
            .actor(actor),
        now,
    )?;
    Ok(secret)
}

pub fn set_disabled(
    conn: &mut DbConnection,
    id: &crate::ids::ClientId,
    disabled: bool,
    actor: &str,
    now: i64,
) -> Result<(), ClientAdminError> {
    not_protected(id)?;
    if !repo::set_disabled(conn, id, disabled)? {
        return Err(ClientAdminError::NotFound(id.to_string()));
    }
    let action = if disabled {
        "client.disable"
    } else {
        "client.enable"
    };
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", action, "success")
            .client(id)
            .actor(actor),
        now,
    )?;
    Ok(())
}

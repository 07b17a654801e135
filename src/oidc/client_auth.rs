//! Client authentication at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3, RFC 7523 `private_key_jwt`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::crypto::{self, MasterKey};
use crate::db::{jtis, DbConnection};
use crate::keys::Alg;

use super::client::Client;
use super::error::OAuthError;
use super::params::Params;
use super::types::TokenAuthMethod;

use crate::ids::ClientId;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What the request presented.
#[derive(Clone)]
pub enum Credentials {
    Basic {
        id: ClientId,
        secret: String,
    },
    Post {
        id: ClientId,
        secret: String,
    },
    Assertion {
        id: Option<ClientId>,
        assertion: String,
    },
    PublicId(ClientId),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { id, .. } => write!(f, "Basic({id}, <redacted>)"),
            Credentials::Post { id, .. } => write!(f, "Post({id}, <redacted>)"),
            Credentials::Assertion { id, .. } => write!(f, "Assertion({id:?}, <redacted>)"),
            Credentials::PublicId(id) => write!(f, "PublicId({id})"),
        }
    }
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Pick the one authentication method the request used; more than one is an error.
pub fn extract(authorization: Option<&str>, params: &Params) -> Result<Credentials, OAuthError> {
    let basic = match authorization {
        Some(h) if h.len() > 6 && h[..6].eq_ignore_ascii_case("basic ") => {
            let raw = STANDARD
                .decode(h[6..].trim())
                .map_err(|_| OAuthError::invalid_client("malformed Basic authorization header"))?;
            let text = String::from_utf8(raw)
                .map_err(|_| OAuthError::invalid_client("malformed Basic authorization header"))?;
            let (id, secret) = text.split_once(':').ok_or_else(|| {
                OAuthError::invalid_client("malformed Basic authorization header")
            })?;
            Some(Credentials::Basic {
                id: form_decode(id).into(),
                secret: form_decode(secret),
            })
        }
        _ => None,
    };
    let body_id = params.get("client_id")?;
    let body_secret = params.get("client_secret")?;
    let assertion = params.get("client_assertion")?;
    let used = [basic.is_some(), body_secret.is_some(), assertion.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if used > 1 {
        return Err(OAuthError::invalid_request(
            "use exactly one client authentication method",
        ));
    }
    if let Some(b) = basic {
        if let (Credentials::Basic { id, .. }, Some(bid)) = (&b, body_id) {
            if id != bid {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the authenticated client",
                ));
            }
        }
        return Ok(b);
    }
    if let Some(a) = assertion {
        if params.get("client_assertion_type")? != Some(JWT_BEARER) {
            return Err(OAuthError::invalid_client(format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
        return Ok(Credentials::Assertion {
            id: body_id.map(ClientId::from),
            assertion: a.to_owned(),
        });
    }
    match (body_id, body_secret) {
        (Some(id), Some(secret)) => Ok(Credentials::Post {
            id: id.into(),
            secret: secret.to_owned(),
        }),
        (Some(id), None) => Ok(Credentials::PublicId(id.into())),
        (None, _) => Err(OAuthError::invalid_client(
            "client authentication is required",
        )),
    }
}

/// Where a client assertion may be addressed.
#[derive(Debug)]
pub struct Audience<'a> {
    pub issuer: &'a str,
    pub endpoint: &'a str,
}

/// How a client's row is read: by id, or with more in the same statement.
pub type Loader<'a> =
    &'a mut dyn FnMut(&mut DbConnection, &ClientId) -> Result<Option<Client>, OAuthError>;

/// The plain [`Loader`]: the client's row by its id.
pub fn by_id(conn: &mut DbConnection, id: &ClientId) -> Result<Option<Client>, OAuthError> {
    Ok(Client::find(conn, id)?)
}

/// The client the credentials name, if they hold; its row read by `loader`.
pub fn authenticate(
    conn: &mut DbConnection,
    mk: &MasterKey,
    creds: &Credentials,
    aud: &Audience<'_>,
    now: i64,
    loader: Loader<'_>,
) -> Result<Client, OAuthError> {
    let failed = || OAuthError::invalid_client("client authentication failed");
    let mut load = |conn: &mut DbConnection, id: &ClientId| -> Result<Client, OAuthError> {
        loader(conn, id)?.filter(|c| !c.disabled).ok_or_else(failed)
    };
    match creds {
        Credentials::Basic { id, secret } | Credentials::Post { id, secret } => {
            let client = load(conn, id)?;
            if secret_holds(&client, secret, mk) {
                Ok(client)
            } else {
                Err(failed())
            }
        }
        Credentials::PublicId(id) => {
            let client = load(conn, id)?;
            if client.is_public() {
                Ok(client)
            } else {
                Err(failed())
            }
        }
        Credentials::Assertion { id, assertion } => {
            let claims = unverified_claims(assertion).ok_or_else(failed)?;
            let sub = claims
                .get("sub")
                .and_then(|v| v.as_str())
                .ok_or_else(failed)?;
            if id.as_ref().is_some_and(|i| i != sub) {
                return Err(failed());
            }
            let client = load(conn, &ClientId::from(sub))?;
            if client.auth_method != TokenAuthMethod::PrivateKeyJwt {
                return Err(failed());
            }
            let verified = verify_assertion(&client, assertion).ok_or_else(failed)?;
            check_assertion_claims(&verified, &client.id, aud, now)
                .map_err(OAuthError::invalid_client)?;
            let jti = verified
                .get("jti")
                .and_then(|v| v.as_str())
                .ok_or_else(|| OAuthError::invalid_client("client assertion has no jti"))?;
            let exp = verified.get("exp").and_then(|v| v.as_i64()).unwrap_or(now);
            if !jtis::record(conn, &client.id, jti, exp, now)? {
                return Err(OAuthError::invalid_client(
                    "client assertion was already used (jti replay)",
                ));
            }
            Ok(client)
        }
    }
}

/// Whether `secret` is the secret of `client`, which authenticates with one.
pub fn secret_holds(client: &Client, secret: &str, mk: &MasterKey) -> bool {
    let method_ok = matches!(
        client.auth_method,
        TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost
    );
    let presented = mk.hash_client_secret(secret);
    let matches = client
        .secret_hash
        .as_deref()
        .is_some_and(|h| crypto::ct_eq(h, &presented));
    method_ok && matches
}

fn unverified_claims(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn verify_assertion(
    client: &Client,
    jwt: &str,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let set = josekit::jwk::JwkSet::from_bytes(client.jwks.as_deref()?.as_bytes()).ok()?;
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').next()?).ok()?).ok()?;
    let alg: Alg = header.get("alg")?.as_str()?.parse().ok()?;
    let key = match header.get("kid").and_then(|k| k.as_str()) {
        Some(kid) => set.get(kid).into_iter().next(),
        None => set.keys().into_iter().next(),
    }?;
    let verifier = alg.verifier(key).ok()?;
    let (payload, _) = josekit::jws::deserialize_compact(jwt, verifier.as_ref()).ok()?;
    serde_json::from_slice(&payload).ok()
}

fn check_assertion_claims(
    c: &serde_json::Map<String, serde_json::Value>,
    client_id: &ClientId,
    aud: &Audience<'_>,
    now: i64,
) -> Result<(), String> {
    let s = |k: &str| c.get(k).and_then(|v| v.as_str());
    if s("iss") != Some(client_id.as_str()) || s("sub") != Some(client_id.as_str()) {
        return Err("client assertion iss and sub must be the client_id".into());
    }
    let audiences: Vec<&str> = match c.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => vec![],
    };
    if !audiences
        .iter()
        .any(|a| *a == aud.issuer || *a == aud.endpoint)
    {
        return Err("client assertion aud must be the issuer or the endpoint URL".into());
    }
    let exp = c
        .get("exp")
        .and_then(|v| v.as_i64())
        .ok_or("client assertion has no exp")?;
    if exp <= now {
        return Err("client assertion has expired".into());
    }
    if exp > now + 3600 {
        return Err("client assertion lifetime is too long (max 1 hour)".into());
    }
    if c.get("nbf")
        .and_then(|v| v.as_i64())
        .is_some_and(|nbf| nbf > now + 60)
    {
        return Err("client assertion is not valid yet".into());
    }
    Ok(())
}

//! RP-Initiated Logout 1.0: validate the request; the web layer confirms
//! and ends the session.

use url::Url;

use crate::keys::KeyRing;

use super::client::Client;
use super::params::Params;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LogoutRequest {
    /// Where to send the browser afterwards (already carrying `state`).
    pub redirect: Option<String>,
    pub client_name: Option<String>,
}

/// The claims of an ID token we signed, ignoring its expiry.
pub fn id_token_claims(
    ring: &KeyRing,
    issuer: &str,
    token: &str,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let v = ring.verify(token).ok()?;
    // Only an ID token: no `typ` or `JWT` (access tokens are `at+jwt`, logout
    // tokens `logout+jwt`), issued by us to a client (an `aud` that is not
    // the issuer, as access tokens for Visage's own APIs have).
    if v.header
        .token_type()
        .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return None;
    }
    let claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&v.payload).ok()?;
    let auds: Vec<&str> = match claims.get("aud")? {
        serde_json::Value::String(a) => vec![a.as_str()],
        serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => return None,
    };
    let to_client = !auds.is_empty() && auds.iter().all(|a| *a != issuer);
    let ours = claims.get("iss").and_then(|i| i.as_str()) == Some(issuer);
    (ours && to_client && claims.get("sub").is_some_and(|s| s.is_string())).then_some(claims)
}

/// The client the request names, by `client_id` and/or the audience of
/// `id_token_hint` (which must agree). An `Err` is shown as an error page.
pub fn requested_client_id(
    params: &Params,
    ring: &KeyRing,
    issuer: &str,
) -> Result<Option<crate::ids::ClientId>, String> {
    let get = |n: &str| params.get(n).map_err(|e| e.description);
    let hint_aud = match get("id_token_hint")? {
        None => None,
        Some(t) => {
            let claims = id_token_claims(ring, issuer, t)
                .ok_or("The id_token_hint was not issued by this provider.")?;
            let aud = match claims.get("aud") {
                Some(serde_json::Value::String(a)) => Some(a.clone()),
                Some(serde_json::Value::Array(a)) => {
                    a.first().and_then(|v| v.as_str()).map(str::to_owned)
                }
                _ => None,
            };
            Some(aud.ok_or("The id_token_hint has no audience.")?)
        }
    };
    match (get("client_id")?, hint_aud) {
        (Some(c), Some(a)) if c != a => Err("client_id does not match the id_token_hint.".into()),
        (Some(c), _) => Ok(Some(c.into())),
        (None, a) => Ok(a.map(Into::into)),
    }
}

/// Validate against the requested client (looked up by the caller); an
/// `Err` is shown as an error page (never redirected).
pub fn validate(params: &Params, client: Option<Client>) -> Result<LogoutRequest, String> {
    let get = |n: &str| params.get(n).map_err(|e| e.description);
    let redirect = match get("post_logout_redirect_uri")? {
        None => None,
        Some(uri) => {
            let c = client
                .as_ref()
                .ok_or("post_logout_redirect_uri needs id_token_hint or client_id.")?;
            if !c.has_post_logout_uri(uri) {
                return Err(
                    "The post_logout_redirect_uri is not registered for this application.".into(),
                );
            }
            let mut url =
                Url::parse(uri).map_err(|_| "The post_logout_redirect_uri is not a URL.")?;
            if let Some(state) = get("state")? {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url.to_string())
        }
    };
    Ok(LogoutRequest {
        redirect,
        client_name: client.map(|c| c.name),
    })
}

//! `/authorize`: validate the request (OIDC Core §3.1.2.1–2) into an
//! `AuthRequest`, deciding whether errors may be redirected to the client.

use serde::{Deserialize, Serialize};

use super::client::Client;
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::types::{
    split_scope, valid_scope_token, CodeChallengeMethod, GrantType, Prompt, ResponseMode,
    USER_SCOPES,
};
use crate::auth::acr::{Ladder, Level, Requirement};

/// A validated authorization request, stored in the login transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: crate::ids::ClientId,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub scope: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<CodeChallengeMethod>,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub id_token_hint_sub: Option<String>,
    pub ui_locales: Option<String>,
    pub acr_values: Vec<String>,
    pub claims: Option<serde_json::Value>,
}

/// Where an error goes back to the client.
#[derive(Debug, Clone)]
pub struct RedirectTarget {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
}

#[derive(Debug)]
pub enum AuthorizeError {
    /// client_id or redirect_uri not trustworthy: show a page, never redirect.
    Page(String),
    /// Report to the client at its validated redirect URI.
    Redirect(RedirectTarget, OAuthError),
}

/// What the caller needs to look up the client and check an id_token_hint.
pub trait AuthorizeContext {
    fn client(&self, id: &str) -> Result<Option<Client>, OAuthError>;
    /// `sub` of an ID token we issued (expired allowed), or None if not ours.
    fn id_token_subject(&self, token: &str) -> Option<String>;
    /// The deployment's assurance ladder.
    fn ladder(&self) -> &Ladder;
}

pub fn validate(
    params: &Params,
    ctx: &dyn AuthorizeContext,
) -> Result<AuthRequest, AuthorizeError> {
    let page = |m: &str| AuthorizeError::Page(m.to_owned());
    let client_id = params
        .get("client_id")
        .map_err(|e| page(&e.description))?
        .ok_or_else(|| page("The request has no client_id."))?;
    let client = match ctx.client(client_id) {
        Ok(Some(c)) if !c.disabled => c,
        Ok(Some(_)) => return Err(page("This application has been disabled.")),
        Ok(None) => {
            return Err(page(
                "The application is not registered (unknown client_id).",
            ))
        }
        Err(e) => return Err(AuthorizeError::Page(e.description)),
    };
    let redirect_uri = params
        .get("redirect_uri")
        .map_err(|e| page(&e.description))?
        .ok_or_else(|| page("The request has no redirect_uri."))?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(page(
            "The redirect_uri is not registered for this application.",
        ));
    }
    // From here on, errors go back to the client.
    let mode_raw = params.first("response_mode");
    let response_mode = mode_raw
        .and_then(|m| m.parse().ok())
        .unwrap_or(ResponseMode::Query);
    let target = RedirectTarget {
        redirect_uri: redirect_uri.to_owned(),
        response_mode,
        state: params.first("state").map(str::to_owned),
    };
    let fail = |e: OAuthError| AuthorizeError::Redirect(target.clone(), e);
    let get = |name: &str| params.get(name).map_err(fail);

    get("state")?;
    if let Some(m) = get("response_mode")? {
        m.parse::<ResponseMode>().map_err(|_| {
            fail(OAuthError::invalid_request(format!(
                "unsupported response_mode '{m}'"
            )))
        })?;
    }
    if params.has("request") {
        return Err(fail(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        )));
    }
    if params.has("request_uri") {
        return Err(fail(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        )));
    }
    match get("response_type")? {
        None => {
            return Err(fail(OAuthError::invalid_request(
                "parameter 'response_type' is missing",
            )))
        }
        Some("code") => {}
        Some(other) => {
            return Err(fail(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!("response_type '{other}' is not supported (use 'code')"),
            )))
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(fail(OAuthError::unauthorized_client(
            "this client may not use the authorization code flow",
        )));
    }
    let scope = split_scope(get("scope")?.unwrap_or(""));
    if scope.is_empty() {
        return Err(fail(OAuthError::invalid_scope(
            "scope is required (include 'openid')",
        )));
    }
    if let Some(bad) = scope
        .iter()
        .find(|s| !valid_scope_token(s) || !USER_SCOPES.contains(&s.as_str()))
    {
        return Err(fail(OAuthError::invalid_scope(format!(
            "unknown scope '{bad}'"
        ))));
    }
    if !scope.iter().any(|s| s == "openid") {
        return Err(fail(OAuthError::invalid_scope(
            "scope must include 'openid'",
        )));
    }

    let code_challenge = get("code_challenge")?.map(str::to_owned);
    let method = match (get("code_challenge_method")?, &code_challenge) {
        (_, None) => None,
        (None, Some(_)) => Some(CodeChallengeMethod::Plain),
        (Some(m), Some(_)) => Some(m.parse::<CodeChallengeMethod>().map_err(|_| {
            fail(OAuthError::invalid_request(format!(
                "code_challenge_method '{m}' is not supported (use S256)"
            )))
        })?),
    };
    match (&code_challenge, method) {
        (None, _) if client.is_public() => {
            return Err(fail(OAuthError::invalid_request(
                "public clients must use PKCE (code_challenge with S256)",
            )))
        }
        (Some(_), Some(CodeChallengeMethod::Plain)) if !client.allow_plain_pkce => {
            return Err(fail(OAuthError::invalid_request(
                "code_challenge_method 'plain' is not allowed; use S256",
            )))
        }
        (Some(c), _)
            if c.len() < 43
                || c.len() > 128
                || !c
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-._~".contains(ch)) =>
        {
            return Err(fail(OAuthError::invalid_request(
                "code_challenge must be 43 to 128 unreserved characters",
            )))
        }
        _ => {}
    }

    let mut prompt = Vec::new();
    for p in get("prompt")?
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
    {
        let p: Prompt = p.parse().map_err(|_| {
            fail(OAuthError::invalid_request(format!(
                "unknown prompt value '{p}'"
            )))
        })?;
        if !prompt.contains(&p) {
            prompt.push(p);
        }
    }
    if prompt.contains(&Prompt::None) && prompt.len() > 1 {
        return Err(fail(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        )));
    }
    let max_age = match get("max_age")? {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            fail(OAuthError::invalid_request(
                "max_age must be a non-negative integer",
            ))
        })?),
    };
    let id_token_hint_sub = match get("id_token_hint")? {
        None => None,
        Some(t) => Some(ctx.id_token_subject(t).ok_or_else(|| {
            fail(OAuthError::invalid_request(
                "id_token_hint is not an ID token issued by this provider",
            ))
        })?),
    };
    let claims = match get("claims")? {
        None => None,
        Some(c) => {
            let v: serde_json::Value = serde_json::from_str(c)
                .map_err(|_| fail(OAuthError::invalid_request("claims is not valid JSON")))?;
            if !v.is_object() {
                return Err(fail(OAuthError::invalid_request(
                    "claims must be a JSON object",
                )));
            }
            Some(v)
        }
    };
    let acr_values = split_scope(get("acr_values")?.unwrap_or(""));
    if ctx
        .ladder()
        .requirement(essential_acr(claims.as_ref()).as_deref(), &acr_values)
        .is_err()
    {
        return Err(fail(OAuthError::new(
            ErrorCode::UnmetAuthenticationRequirements,
            "the essential acr requested cannot be satisfied",
        )));
    }
    let nonce = get("nonce")?.map(str::to_owned);
    Ok(AuthRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        response_mode,
        state: get("state")?.map(str::to_owned),
        scope,
        nonce,
        code_challenge,
        code_challenge_method: method,
        prompt,
        max_age,
        login_hint: get("login_hint")?.map(str::to_owned),
        id_token_hint_sub,
        ui_locales: get("ui_locales")?.map(str::to_owned),
        acr_values,
        claims,
    })
}

/// `claims.id_token.acr` marked essential: its allowed values.
fn essential_acr(claims: Option<&serde_json::Value>) -> Option<Vec<String>> {
    let acr = claims?.get("id_token")?.get("acr")?;
    if acr.get("essential")?.as_bool()? {
        let values = match (acr.get("value"), acr.get("values")) {
            (Some(v), _) => vec![v.as_str()?.to_owned()],
            (_, Some(vs)) => vs
                .as_array()?
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => return None,
        };
        Some(values)
    } else {
        None
    }
}

impl AuthRequest {
    /// The assurance level this request asks for (None: any); a client
    /// whose face policy is `require` makes the face level essential.
    /// What this request needs, given the client's floor (the level every
    /// sign-in to it must reach): the floor as essential, or the request's
    /// own essential level when that is higher.
    pub fn requirement(&self, ladder: &Ladder, floor: Option<Level>) -> Option<Requirement> {
        let asked = ladder
            .requirement(
                essential_acr(self.claims.as_ref()).as_deref(),
                &self.acr_values,
            )
            .ok()
            .flatten();
        match (floor, asked) {
            (Some(f), Some(a)) if a.level > f && a.essential => Some(a),
            (Some(level), _) => Some(Requirement {
                level,
                essential: true,
            }),
            (None, asked) => asked,
        }
    }

    pub fn target(&self) -> RedirectTarget {
        RedirectTarget {
            redirect_uri: self.redirect_uri.clone(),
            response_mode: self.response_mode,
            state: self.state.clone(),
        }
    }
}

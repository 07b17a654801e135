//! Who is calling the admin API or the console: a Visage access token (the
//! console's, or a client's from client credentials) whose subject has an
//! administrator role.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::admin::roles::{self, Actor};
use crate::app::AppState;
use crate::db::users;
use crate::oidc::client::Client;
use crate::oidc::{access_token, ErrorCode, OAuthError};
use crate::web::error;

use crate::admin::console_client::CLIENT_ID as CONSOLE_CLIENT;
use crate::oidc::access_token::AccessClaims;
/// The console's cookie: the access token from its sign-in.
pub const CONSOLE_COOKIE: &str = "visage_admin";

/// The bearer token of the request, if any.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, t) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The actor behind `token` and the token's claims, or the OAuth error.
pub async fn actor_of(
    state: &AppState,
    token: String,
) -> Result<(Actor, AccessClaims), OAuthError> {
    let ring = state.ring().await;
    let now = state.clock.now();
    let at = state
        .verified
        .verify(&ring, &state.config.issuer, &token, now)
        .ok_or_else(|| OAuthError::invalid_token("the access token is invalid or expired"))?;
    state
        .db
        .run(move |c| -> Result<(Actor, AccessClaims), OAuthError> {
            if !access_token::is_live(c, &at)? {
                return Err(OAuthError::invalid_token(
                    "the access token has been revoked",
                ));
            }
            let actor = if at.is_client_token() {
                let enabled = Client::find(c, &at.client_id)?.is_some_and(|k| !k.disabled);
                if enabled {
                    roles::actor(c, "client", at.client_id.as_str(), Some(&at.scope))?
                } else {
                    None
                }
            } else if at.client_id == CONSOLE_CLIENT {
                match users::find(c, &crate::ids::UserId::from(at.sub.as_str()))?
                    .filter(|u| !u.disabled)
                {
                    Some(u) => roles::actor(c, "user", &at.sub, None)?
                        .map(|a| Actor { name: u.email, ..a }),
                    None => None,
                }
            } else {
                None
            };
            match actor {
                Some(a) => Ok((a, at)),
                None => Err(OAuthError::new(
                    ErrorCode::InsufficientScope,
                    "this token does not belong to a Visage administrator",
                )),
            }
        })
        .await
}

/// The API caller allowed `scope`, or the RFC 6750 error response.
pub async fn api_actor(
    req: &HttpRequest,
    state: &AppState,
    scope: &str,
) -> Result<Actor, HttpResponse> {
    checked_actor(req, state, scope, false).await
}

/// As [`api_actor`], for dangerous actions (deleting, keys, roles, face
/// policy): a person's token also needs a fresh sign-in, as in the console
/// (RFC 9470 `insufficient_user_authentication` with `max_age` otherwise).
pub async fn api_actor_fresh(
    req: &HttpRequest,
    state: &AppState,
    scope: &str,
) -> Result<Actor, HttpResponse> {
    checked_actor(req, state, scope, true).await
}

async fn checked_actor(
    req: &HttpRequest,
    state: &AppState,
    scope: &str,
    dangerous: bool,
) -> Result<Actor, HttpResponse> {
    let Some(token) = bearer(req) else {
        return Err(error::bearer_missing());
    };
    let (actor, claims) = actor_of(state, token)
        .await
        .map_err(|e| error::bearer(&e))?;
    let person = !claims.is_client_token();
    if dangerous && person && !super::console_auth::fresh_sign_in(state, &claims) {
        let max_age = state.config.admin.step_up_seconds;
        let e = OAuthError::new(
            ErrorCode::InsufficientUserAuthentication,
            format!("this action needs a passkey sign-in at most {max_age} seconds old"),
        );
        let mut resp = error::bearer(&e);
        if let Some(v) = resp.headers().get(header::WWW_AUTHENTICATE).cloned() {
            let with_age = format!("{}, max_age={max_age}", v.to_str().unwrap_or_default());
            if let Ok(h) = header::HeaderValue::from_str(&with_age) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, h);
            }
        }
        return Err(resp);
    }
    if !actor.may(scope) {
        let e = OAuthError::new(
            ErrorCode::InsufficientScope,
            format!(
                "this action needs the scope '{scope}' (role {})",
                actor.role.as_str()
            ),
        );
        return Err(error::bearer(&e));
    }
    Ok(actor)
}

/// What an admin API call needs: a scope, and for dangerous actions a fresh
/// sign-in when the token is a person's ([`api_actor_fresh`]).
pub trait ApiScope {
    const SCOPE: &'static str;
    const FRESH: bool;
}

macro_rules! api_scopes {
    ($($(#[$doc:meta])* $name:ident = $scope:expr, $fresh:expr;)+) => {
        $($(#[$doc])* pub struct $name;
        impl ApiScope for $name {
            const SCOPE: &'static str = $scope;
            const FRESH: bool = $fresh;
        })+
    };
}

api_scopes! {
    /// Reading (`admin:read`).
    Read = roles::READ, false;
    /// Changing people, clients and invitations (`admin:write`).
    Write = roles::WRITE, false;
    /// Deleting and the face policy: `admin:write` and a fresh sign-in.
    FreshWrite = roles::WRITE, true;
    /// Signing keys: `admin:keys` and a fresh sign-in.
    FreshKeys = roles::KEYS, true;
    /// Administrator roles: `admin:roles` and a fresh sign-in.
    FreshRoles = roles::ROLES, true;
}

/// The admin API caller, checked for `S` before the handler runs; refused
/// with the RFC 6750 answer otherwise.
pub struct ApiActor<S>(pub Actor, pub std::marker::PhantomData<S>);

impl<S: ApiScope> actix_web::FromRequest for ApiActor<S> {
    type Error = error::WebError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = crate::web::extract::state_of(&req)?;
            let actor = checked_actor(&req, &state, S::SCOPE, S::FRESH).await?;
            Ok(ApiActor(actor, std::marker::PhantomData))
        })
    }
}

/// An admin API call with a JSON body: the caller is checked for `S` first,
/// and only then is the body read, so a caller who may not make the call
/// learns nothing from how the body is refused (and costs no parsing).
pub struct ApiCall<S, T> {
    pub actor: Actor,
    pub body: T,
    scope: std::marker::PhantomData<S>,
}

impl<S: ApiScope, T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest
    for ApiCall<S, T>
{
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let state = crate::web::extract::state_of(&req)?;
            let actor = checked_actor(&req, &state, S::SCOPE, S::FRESH)
                .await
                .map_err(error::WebError::from)?;
            // Refused with the admin API's JSON error (its `JsonConfig`).
            let body = actix_web::web::Json::<T>::from_request(&req, &mut payload).await?;
            Ok(ApiCall {
                actor,
                body: body.into_inner(),
                scope: std::marker::PhantomData,
            })
        })
    }
}

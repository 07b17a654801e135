//! The console signs in like any relying party: authorization code + PKCE at
//! this Visage, an essential acr, and the access token kept in an HttpOnly
//! cookie scoped to `/admin`. Dangerous actions ask for a fresh sign-in.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::admin::console_client::{redirect_uri, CLIENT_ID};
use crate::admin::roles::Actor;
use crate::app::AppState;
use crate::auth::acr::Level;
use crate::crypto;
use crate::oidc::access_token::AccessClaims;
use crate::oidc::client::Client;
use crate::oidc::params::Params;
use crate::oidc::{access_token, token as tok, OAuthError};
use crate::web::cookies::{clear_step, step_cookie};
use crate::web::error::{self, WebError};
use crate::web::ui::{local_path, see_other};

use super::auth::{actor_of, CONSOLE_COOKIE};

const LOGIN_COOKIE: &str = "visage_admin_login";
const PATH: &str = "/admin";

/// A signed-in administrator in the console.
pub struct Console {
    pub actor: Actor,
    pub claims: AccessClaims,
}

impl Console {
    /// Whether the sign-in is fresh enough for a dangerous action.
    pub fn fresh(&self, state: &AppState) -> bool {
        fresh_sign_in(state, &self.claims)
    }
}

/// Whether a person's token comes from a sign-in at least at the passkey
/// level and at most `admin.step_up_seconds` old (dangerous actions).
pub fn fresh_sign_in(state: &AppState, claims: &AccessClaims) -> bool {
    let auth_time = claims.claims.get("auth_time").and_then(|v| v.as_i64());
    let recent =
        auth_time.is_some_and(|t| state.clock.now() - t <= state.config.admin.step_up_seconds);
    let level = claims
        .claims
        .get("acr")
        .and_then(|v| v.as_str())
        .and_then(|a| state.ladder.level_of(a));
    recent && level >= Some(Level::Passkey)
}

fn console_level(state: &AppState) -> Level {
    if state.config.admin.console_level == "passkey_face" {
        Level::PasskeyFace
    } else {
        Level::Passkey
    }
}

fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// Ask for a fresh sign-in (step-up before a dangerous action).
    fresh: Option<String>,
}

/// `GET /admin/login`: off to this Visage's `/authorize`.
pub async fn login(state: web::Data<AppState>, q: web::Query<LoginQuery>) -> HttpResponse {
    let (st, verifier, nonce) = (
        crypto::random_token(16),
        crypto::random_token(32),
        crypto::random_token(16),
    );
    let next = local_path(q.next.as_deref().unwrap_or(PATH)).to_owned();
    let level = console_level(&state);
    let claims = serde_json::json!({ "id_token": { "acr": { "essential": true, "values": [state.ladder.uri(level)] } } });
    let (redirect, challenge, claims) = (
        redirect_uri(&state.config.issuer),
        pkce_challenge(&verifier),
        claims.to_string(),
    );
    let mut pairs = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", redirect.as_str()),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", st.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("claims", claims.as_str()),
    ];
    if q.fresh.is_some() {
        // Fresh passkey, plus the face for those who set it up.
        pairs.push(("max_age", "0"));
        pairs.push(("acr_values", state.ladder.uri(Level::PasskeyFace)));
    }
    let mut resp = see_other(&super::link("/authorize", &pairs));
    let value = format!("{st}.{verifier}.{nonce}.{next}");
    let _ = resp.add_cookie(&step_cookie(
        LOGIN_COOKIE,
        &value,
        PATH,
        state.config.secure_cookies(),
        600,
    ));
    resp
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /admin/callback`: check state, exchange the code, check the nonce
/// and the role, keep the access token.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<CallbackQuery>,
) -> HttpResponse {
    let secure = state.config.secure_cookies();
    let saved = req
        .cookie(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let mut parts = saved.splitn(4, '.');
    let (st, verifier, nonce, next) = (parts.next(), parts.next(), parts.next(), parts.next());
    let (Some(st), Some(verifier), Some(nonce), Some(next)) = (st, verifier, nonce, next) else {
        return error::page(
            Reply::Invalid,
            "This console sign-in expired. Open /admin again.",
        );
    };
    if q.state.as_deref() != Some(st) {
        return error::page(
            Reply::Invalid,
            "This console sign-in does not match this browser. Open /admin again.",
        );
    }
    if let Some(e) = &q.error {
        let why = q.error_description.as_deref().unwrap_or(e);
        return error::page(
            Reply::Forbidden,
            &format!("The console sign-in did not complete: {why}"),
        );
    }
    let Some(code) = q.code.clone() else {
        return error::page(Reply::Invalid, "The console sign-in returned no code.");
    };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", &redirect_uri(&state.config.issuer))
        .append_pair("code_verifier", verifier)
        .append_pair("client_id", CLIENT_ID)
        .finish();
    let ring = state.ring().await;
    let st2 = state.clone();
    let res = state
        .db
        .run(move |c| {
            let client = Client::find(c, &CLIENT_ID.into())?
                .ok_or_else(|| OAuthError::invalid_request("the console client is missing"))?;
            let ctx = tok::TokenContext {
                master_key: &st2.master_key,
                ring: &ring,
                minter: &st2.minter,
                refresh_grace: st2.config.tokens.refresh_grace_seconds,
                now: st2.clock.now(),
            };
            tok::exchange(c, &ctx, &client, &Params::parse(body.as_bytes())?)
        })
        .await;
    let tokens = match res {
        Ok(t) => t,
        Err(e) => {
            return error::page(
                Reply::Invalid,
                &format!("The console sign-in failed: {}", e.description),
            )
        }
    };
    let ring = state.ring().await;
    let nonce_ok = tokens
        .id_token
        .as_deref()
        .and_then(|t| ring.verify(t).ok())
        .and_then(|v| serde_json::from_slice::<serde_json::Value>(&v.payload).ok())
        .is_some_and(|c| {
            c.get("nonce").and_then(|n| n.as_str()) == Some(nonce)
                && c.get("aud").and_then(|a| a.as_str()) == Some(CLIENT_ID)
        });
    if !nonce_ok {
        return error::page(
            Reply::Invalid,
            "The console sign-in returned an unexpected ID token.",
        );
    }
    if actor_of(&state, tokens.access_token.clone()).await.is_err() {
        return error::page(
            Reply::Forbidden,
            "Your account is not a Visage administrator. Ask an owner for a role.",
        );
    }
    let mut resp = see_other(local_path(next));
    let cookie = step_cookie(
        CONSOLE_COOKIE,
        &tokens.access_token,
        PATH,
        secure,
        tokens.expires_in,
    );
    let _ = resp.add_cookie(&cookie);
    let _ = resp.add_cookie(&clear_step(LOGIN_COOKIE, PATH, secure));
    resp
}

/// The console's administrator, or a redirect to sign in (back to this page).
pub async fn required(req: &HttpRequest, state: &AppState) -> Result<Console, WebError> {
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(PATH)
        .to_owned();
    let to_login = || WebError::SeeOther(super::link("/admin/login", &[("next", &here)]));
    let Some(token) = req.cookie(CONSOLE_COOKIE).map(|c| c.value().to_owned()) else {
        return Err(to_login());
    };
    match actor_of(state, token).await {
        Ok((actor, claims)) => Ok(Console { actor, claims }),
        Err(e) if e.code == crate::oidc::ErrorCode::ServerError => {
            Err(WebError::internal_page(&e.description))
        }
        Err(_) => Err(to_login()),
    }
}

/// `POST /admin/logout`: revoke the console's token and forget it.
pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Ok(c) = required(&req, &state).await {
        let now = state.clock.now();
        let _ = state
            .db
            .run(move |db| access_token::revoke(db, &c.claims, now))
            .await;
    }
    let mut resp = see_other("/admin/signed-out");
    let _ = resp.add_cookie(&clear_step(
        CONSOLE_COOKIE,
        PATH,
        state.config.secure_cookies(),
    ));
    resp
}

/// The administrator behind a console page request; otherwise off to the
/// console's sign-in, back to this page.
impl actix_web::FromRequest for Console {
    type Error = WebError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Console, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = crate::web::extract::state_of(&req)?;
            required(&req, &state).await
        })
    }
}

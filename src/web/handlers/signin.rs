//! The web side of signing in: the cookie, the client address, and where to
//! go next; the bookkeeping itself (session, failures, lockouts, audit) is
//! `auth::signin`, one transaction per operation.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::auth::{session, signin};
use crate::oidc::{flow, OAuthError};
use crate::web::error::WebError;
use crate::web::ui::see_other;
use crate::web::{cookies, error, rate_limit};

use super::outcome::respond;

/// Where to go after signing in.
pub enum After {
    /// Continue this login transaction (consent, then back to the client).
    Flow(String),
    /// A local page.
    Go(String),
    /// A further step of this login transaction (the face step, registering
    /// a passkey after recovery): the new session is its sign-in.
    Step { path: String, tx: String },
}

pub use crate::auth::signin::SignIn;

/// Start the session (and continue the transaction) in one transaction.
pub async fn complete(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    s: SignIn,
    after: After,
) -> HttpResponse {
    let ring = state.ring().await;
    let st = state.clone();
    let ip = rate_limit::client_ip(req).map(|i| i.to_string());
    let (device_token, device) = cookies::device_of(req);
    let now = state.clock.now();
    let (uid, browser, at) = (s.user_id.clone(), device.browser.clone(), ip.clone());
    let result = state
        .db
        .run(move |c| {
            c.write_transaction(|c| {
                let ttl = st.config.session.ttl_seconds;
                let started = signin::start(c, &st.ladder, ttl, &s, (ip.as_deref(), &device), now)?;
                let sess = &started.session;
                let outcome = match after {
                    After::Flow(tx) => {
                        Ok(flow::after_login(c, &st.flow_env(&ring, now), &tx, sess)?)
                    }
                    After::Go(path) => Err(path),
                    After::Step { path, tx } => {
                        crate::oidc::login_tx::mark_signed_in(c, &tx, &sess.sid, now)?;
                        Err(path)
                    }
                };
                Ok::<_, OAuthError>((outcome, started.cookie, started.seen))
            })
        })
        .await;
    let (outcome, cookie, seen) = match result {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
    if seen == crate::auth::devices::Seen::New && state.config.login.new_device_notice {
        let network = at.as_deref().and_then(crate::auth::my_data::network_of);
        crate::mail::alerts::new_browser(&state.outbox(), &uid, &browser, network.as_deref()).await;
    }
    let mut resp = match outcome {
        Ok(o) => respond(o),
        Err(path) => see_other(&path),
    };
    let _ = resp.add_cookie(&cookies::session_cookie(
        &cookie,
        state.config.secure_cookies(),
        state.config.session.ttl_seconds,
    ));
    let _ = resp.add_cookie(&cookies::fresh_csrf(state.config.secure_cookies()));
    let _ = resp.add_cookie(&cookies::device_cookie(
        &device_token,
        state.config.secure_cookies(),
    ));
    resp
}

/// Record a failed guess (password, recovery or emailed code): counted
/// against the address and the account (see `auth::signin::failed`).
pub async fn failed(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    action: &'static str,
    user_id: Option<crate::ids::UserId>,
    reason: &'static str,
) {
    record_failure(req, state, action, user_id, reason, true).await
}

/// Record a failure that is not a guess (a passkey answer that did not
/// verify): audited, counted against nobody.
pub async fn noted(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    action: &'static str,
    user_id: Option<crate::ids::UserId>,
    reason: &'static str,
) {
    record_failure(req, state, action, user_id, reason, false).await
}

async fn record_failure(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    action: &'static str,
    user_id: Option<crate::ids::UserId>,
    reason: &'static str,
    guess: bool,
) {
    let ip = rate_limit::client_ip(req).map(|i| i.to_string());
    let now = state.clock.now();
    let rules = state.config.lockout.clone();
    let res = state
        .db
        .run(move |c| {
            signin::failed(
                c,
                &rules,
                action,
                user_id.as_ref(),
                ip.as_deref(),
                reason,
                guess,
                now,
            )
        })
        .await;
    if let Err(e) = res {
        tracing::error!("recording a failed sign-in: {e}");
    }
}

/// Whether guessing is blocked for this address or this account.
pub async fn locked(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user_id: Option<crate::ids::UserId>,
) -> bool {
    let ip = rate_limit::client_ip(req).map(|i| i.to_string());
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| signin::locked(c, ip.as_deref(), user_id.as_ref(), now))
        .await;
    res.unwrap_or_else(|e| {
        tracing::error!("reading lockouts: {e}");
        true
    })
}

/// The live session behind the request's cookie.
pub async fn current(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<Option<session::Session>, crate::db::DbError> {
    let Some(cookie) = cookies::session_value(req) else {
        return Ok(None);
    };
    let now = state.clock.now();
    state
        .db
        .run(move |c| session::current(c, &cookie, now))
        .await
}

/// The live session, or a redirect to sign in (back to `tx` when there is one).
pub async fn required(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tx: Option<&str>,
) -> Result<session::Session, WebError> {
    match current(req, state).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(WebError::SeeOther(crate::web::ui::with_tx("/login", tx))),
        Err(e) => Err(WebError::internal_page(&e)),
    }
}

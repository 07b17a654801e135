//! What every successful sign-in does: start the session, audit, clear the
//! failure counter, then continue the parked authorization or go on.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::acr::Level;
use crate::auth::{lockout, session};
use crate::oidc::{flow, OAuthError};
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

pub struct SignIn {
    pub user_id: String,
    pub level: Level,
    pub amr: Vec<String>,
    /// Audit action, e.g. `login.passkey`.
    pub action: &'static str,
}

pub async fn complete(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    s: SignIn,
    after: After,
) -> HttpResponse {
    let ring = state.ring().await;
    let st = state.clone();
    let ip = rate_limit::client_ip(req).map(|i| i.to_string());
    let now = state.clock.now();
    let result = state
        .db
        .run(move |c| {
            let acr = st.ladder.uri(s.level).to_owned();
            let (sess, cookie) = session::start(
                c,
                &s.user_id,
                &acr,
                &s.amr,
                st.config.session.ttl_seconds,
                now,
            )?;
            lockout::clear(c, &lockout::account_key(&s.user_id))?;
            audit::record(
                c,
                &Event::new("auth", s.action, "success")
                    .user(&s.user_id)
                    .ip(ip)
                    .detail(serde_json::json!({ "acr": acr, "amr": s.amr })),
                now,
            )?;
            let outcome = match after {
                After::Flow(tx) => Ok(flow::after_login(c, &st.flow_env(&ring, now), &tx, &sess)?),
                After::Go(path) => Err(path),
                After::Step { path, tx } => {
                    crate::oidc::login_tx::mark_signed_in(c, &tx, &sess.sid, now)?;
                    Err(path)
                }
            };
            Ok::<_, OAuthError>((outcome, cookie))
        })
        .await;
    let (outcome, cookie) = match result {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
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
    resp
}

/// Record a failed guess (password, recovery or emailed code): audit it and
/// count it against the address and the account (one guessing budget per
/// account for every guessable secret); a started lockout is audited too.
pub async fn failed(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    action: &'static str,
    user_id: Option<String>,
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
    user_id: Option<String>,
    reason: &'static str,
) {
    record_failure(req, state, action, user_id, reason, false).await
}

async fn record_failure(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    action: &'static str,
    user_id: Option<String>,
    reason: &'static str,
    counts: bool,
) {
    let ip = rate_limit::client_ip(req).map(|i| i.to_string());
    let now = state.clock.now();
    let rules = state.config.lockout.clone();
    let res = state
        .db
        .run(move |c| -> Result<(), crate::db::DbError> {
            let mut ev = Event::new("auth", action, "failure")
                .ip(ip.clone())
                .detail(serde_json::json!({ "reason": reason }));
            if let Some(u) = &user_id {
                ev = ev.user(u);
            }
            audit::record(c, &ev, now)?;
            if !counts {
                return Ok(());
            }
            let mut keys = vec![];
            if let Some(ip) = &ip {
                keys.push((lockout::ip_key(ip), rules.ip));
            }
            if let Some(u) = &user_id {
                keys.push((lockout::account_key(u), rules.account));
            }
            for (key, rule) in keys {
                if let Some(until) = lockout::hit(c, &key, rule, now)? {
                    let mut ev = Event::new("auth", "lockout", "blocked")
                        .ip(ip.clone())
                        .detail(
                            serde_json::json!({ "key": key.split(':').nth(1), "until": until }),
                        );
                    if let Some(u) = &user_id {
                        ev = ev.user(u);
                    }
                    audit::record(c, &ev, now)?;
                }
            }
            Ok(())
        })
        .await;
    if let Err(e) = res {
        tracing::error!("recording a failed sign-in: {e}");
    }
}

/// Whether sign-in is blocked for this IP or this account.
pub async fn locked(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    user_id: Option<String>,
) -> bool {
    let ip = rate_limit::client_ip(req).map(|i| i.to_string());
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| -> Result<bool, crate::db::DbError> {
            if let Some(ip) = &ip {
                if lockout::blocked_until(c, &lockout::ip_key(ip), now)?.is_some() {
                    return Ok(true);
                }
            }
            match &user_id {
                Some(u) => Ok(lockout::blocked_until(c, &lockout::account_key(u), now)?.is_some()),
                None => Ok(false),
            }
        })
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
) -> Result<session::Session, HttpResponse> {
    match current(req, state).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(see_other(&crate::web::ui::with_tx("/login", tx))),
        Err(e) => Err(error::page_internal(&e)),
    }
}

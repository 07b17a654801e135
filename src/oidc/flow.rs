//! The authorization flow across pages: start, after sign-in, after consent.

use std::cell::RefCell;

use crate::auth::acr::{Ladder, Level};
use crate::auth::policy::{password_rule, PasswordRule};
use crate::auth::session::{self, Session};
use crate::db::{consents, DbConnection};
use crate::keys::KeyRing;

use super::authorize::{self, AuthRequest, AuthorizeContext, AuthorizeError};
use super::client::Client;
use super::end_session::id_token_claims;
use super::error::{ErrorCode, OAuthError};
use super::interaction::{decide, Next, Situation};
use super::login_tx;
use super::params::Params;
use super::response::{self, AuthResponse};

/// Settings and time for one request.
pub struct FlowEnv<'a> {
    pub ring: &'a KeyRing,
    pub ladder: &'a Ladder,
    pub issuer: &'a str,
    pub code_ttl: i64,
    pub tx_ttl: i64,
    /// Which password sign-ins each client accepts.
    pub login: &'a crate::config::LoginConfig,
    pub now: i64,
}

#[derive(Debug)]
pub enum Outcome {
    Respond(AuthResponse),
    Login {
        tx: String,
    },
    Consent {
        tx: String,
    },
    /// An error that must not be redirected (shown as a page).
    Page(String),
}

struct Ctx<'a, 'c> {
    conn: RefCell<&'c mut DbConnection>,
    env: &'a FlowEnv<'a>,
}

impl AuthorizeContext for Ctx<'_, '_> {
    fn client(&self, id: &str) -> Result<Option<Client>, OAuthError> {
        Ok(Client::find(&mut self.conn.borrow_mut(), &id.into())?)
    }
    fn id_token_subject(&self, token: &str) -> Option<String> {
        id_token_claims(self.env.ring, self.env.issuer, token)?
            .get("sub")?
            .as_str()
            .map(str::to_owned)
    }
    fn ladder(&self) -> &Ladder {
        self.env.ladder
    }
}

/// `/authorize` entry point.
pub fn start(
    conn: &mut DbConnection,
    env: &FlowEnv<'_>,
    params: &Params,
    cookie: Option<&str>,
) -> Result<Outcome, OAuthError> {
    let ctx = Ctx {
        conn: RefCell::new(conn),
        env,
    };
    let req = match authorize::validate(params, &ctx) {
        Ok(r) => r,
        Err(AuthorizeError::Page(m)) => return Ok(Outcome::Page(m)),
        Err(AuthorizeError::Redirect(t, e)) => {
            return Ok(Outcome::Respond(response::error(&t, env.issuer, &e)))
        }
    };
    let conn = ctx.conn.into_inner();
    let session = match cookie {
        Some(c) => session::current(conn, c, env.now)?,
        None => None,
    };
    proceed(conn, env, None, &req, session.as_ref(), false, false)
}

/// What the request needs next, judged without changing anything; `Err`
/// is a page (the client is gone).
fn judge(
    conn: &mut DbConnection,
    env: &FlowEnv<'_>,
    req: &AuthRequest,
    session: Option<&Session>,
    fresh_login: bool,
    fresh_consent: bool,
) -> Result<Result<Next, Outcome>, OAuthError> {
    let client = match Client::find(conn, &req.client_id)? {
        Some(c) if !c.disabled => c,
        _ => {
            return Ok(Err(Outcome::Page(
                "This application is no longer available.".into(),
            )))
        }
    };
    let granted = match session {
        Some(s) => consents::granted_scope(conn, &s.user_id, &client.id)?,
        None => None,
    };
    let rule = password_rule(env.login, Some(client.password_policy));
    Ok(Ok(decide(
        req,
        &Situation {
            session,
            fresh_login,
            fresh_consent,
            granted_scope: granted.as_deref(),
            first_party: client.first_party,
            now: env.now,
            required: req.requirement(env.ladder, client.floor()),
            session_level: session.and_then(|s| env.ladder.level_of(&s.acr)),
            method_refused: session.is_some_and(|s| !accepts(env.ladder, rule, s)),
        },
    )))
}

/// Whether a client with password `rule` accepts how `s` signed in: a
/// password session only where passwords are allowed, and with the emailed
/// code where the client asks for one. Other levels are judged by the ladder.
fn accepts(ladder: &Ladder, rule: PasswordRule, s: &Session) -> bool {
    match ladder.level_of(&s.acr) {
        Some(Level::Password) => match rule {
            PasswordRule::Off => false,
            PasswordRule::Alone => true,
            PasswordRule::WithCode => s.amr.iter().any(|m| m == "otp"),
        },
        _ => true,
    }
}

fn proceed(
    conn: &mut DbConnection,
    env: &FlowEnv<'_>,
    tx: Option<&str>,
    req: &AuthRequest,
    session: Option<&Session>,
    fresh_login: bool,
    fresh_consent: bool,
) -> Result<Outcome, OAuthError> {
    let next = match judge(conn, env, req, session, fresh_login, fresh_consent)? {
        Ok(n) => n,
        Err(page) => return Ok(page),
    };
    let park = |conn: &mut DbConnection| -> Result<String, OAuthError> {
        match tx {
            Some(t) => Ok(t.to_owned()),
            None => login_tx::begin(conn, req, env.tx_ttl, env.now),
        }
    };
    match (next, session) {
        (Next::Login, _) | (Next::Issue | Next::Consent, None) => Ok(Outcome::Login { tx: park(conn)? }),
        (Next::Consent, Some(_)) => Ok(Outcome::Consent { tx: park(conn)? }),
        (Next::Fail(e), _) => {
            if let Some(t) = tx {
                login_tx::abandon(conn, t)?;
            }
            Ok(Outcome::Respond(response::error(&req.target(), env.issuer, &e)))
        }
        (Next::Issue, Some(s)) => match login_tx::finish(conn, tx, req, s, env.code_ttl, env.now)? {
            Some(code) => Ok(Outcome::Respond(response::success(&req.target(), env.issuer, &code))),
            None => Ok(Outcome::Page("This sign-in request was already completed. Return to the application and try again.".into())),
        },
    }
}

/// The parked request, or a page saying it expired.
pub fn parked(
    conn: &mut DbConnection,
    tx: &str,
    now: i64,
) -> Result<Result<AuthRequest, String>, OAuthError> {
    Ok(login_tx::load(conn, tx, now)?
        .ok_or_else(|| "This sign-in request has expired or was already used. Return to the application and start again.".to_owned()))
}

/// After a successful sign-in in transaction `tx`.
pub fn after_login(
    conn: &mut DbConnection,
    env: &FlowEnv<'_>,
    tx: &str,
    session: &Session,
) -> Result<Outcome, OAuthError> {
    match parked(conn, tx, env.now)? {
        Ok(req) => {
            login_tx::mark_signed_in(conn, tx, &session.sid, env.now)?;
            proceed(conn, env, Some(tx), &req, Some(session), true, false)
        }
        Err(m) => Ok(Outcome::Page(m)),
    }
}

/// Continue `tx` with the current session. Only the session that signed in
/// during the transaction counts as its sign-in (so `prompt=login`,
/// `max_age` and a step-up still hold); any other is judged like at
/// `/authorize`.
pub fn resume(
    conn: &mut DbConnection,
    env: &FlowEnv<'_>,
    tx: &str,
    session: &Session,
) -> Result<Outcome, OAuthError> {
    let req = match parked(conn, tx, env.now)? {
        Ok(r) => r,
        Err(m) => return Ok(Outcome::Page(m)),
    };
    let fresh = login_tx::signed_in_by(conn, tx, session, env.now)?;
    proceed(conn, env, Some(tx), &req, Some(session), fresh, false)
}

/// After the consent screen: record the grant or report `access_denied`.
pub fn after_consent(
    conn: &mut DbConnection,
    env: &FlowEnv<'_>,
    tx: &str,
    session: &Session,
    approved: bool,
) -> Result<Outcome, OAuthError> {
    let req = match parked(conn, tx, env.now)? {
        Ok(r) => r,
        Err(m) => return Ok(Outcome::Page(m)),
    };
    // Consent answers only a transaction that waits for consent: one that
    // still waits for a sign-in (prompt=login, max_age, a step-up, a
    // client's floor) goes back to the sign-in, whatever the form says.
    let fresh = login_tx::signed_in_by(conn, tx, session, env.now)?;
    match judge(conn, env, &req, Some(session), fresh, true)? {
        Err(page) => return Ok(page),
        Ok(Next::Consent | Next::Issue) => {}
        Ok(Next::Login | Next::Fail(_)) => {
            return proceed(conn, env, Some(tx), &req, Some(session), fresh, false)
        }
    }
    if !approved {
        login_tx::abandon(conn, tx)?;
        let e = OAuthError::new(ErrorCode::AccessDenied, "the person declined the request");
        return Ok(Outcome::Respond(response::error(
            &req.target(),
            env.issuer,
            &e,
        )));
    }
    let mut scope = consents::granted_scope(conn, &session.user_id, &req.client_id)?
        .map(|s| s.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_default();
    for s in &req.scope {
        if !scope.contains(s) {
            scope.push(s.clone());
        }
    }
    consents::save(
        conn,
        &session.user_id,
        &req.client_id,
        &scope.join(" "),
        env.now,
    )?;
    proceed(conn, env, Some(tx), &req, Some(session), fresh, true)
}

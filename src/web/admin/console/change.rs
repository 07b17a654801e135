//! `ConsoleChange<S, F>`: what every change made in the console checks
//! before its handler runs — an administrator signed in, a role that allows
//! `S`, then the form and its CSRF token — so a caller who may not make the
//! change learns nothing from how its form would be refused. A dangerous
//! change also asks for a fresh sign-in ([`Console::fresh_or_sign_in`]),
//! in the handler, because whether it is dangerous can depend on the action.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::admin::roles::{KEYS, ROLES, WRITE};
use crate::app::AppState;
use crate::web::admin::console_auth::{required, Console};
use crate::web::error::WebError;
use crate::web::extract::{Csrf, CsrfField};

use super::{forbidden, tr_of};

/// The scope a change needs and how a refusal names it
/// (`admin.cannot.WHAT` in the catalogue).
pub trait ChangeScope {
    const SCOPE: &'static str;
    const WHAT: &'static str;
}

macro_rules! change_scopes {
    ($($(#[$doc:meta])* $name:ident = $scope:expr, $what:expr;)+) => {
        $($(#[$doc])* pub struct $name;
        impl ChangeScope for $name {
            const SCOPE: &'static str = $scope;
            const WHAT: &'static str = $what;
        })+
    };
}

change_scopes! {
    /// People, clients, invitations and the face policy (`admin:write`).
    Writes = WRITE, "write";
    /// Signing keys (`admin:keys`).
    SigningKeys = KEYS, "keys";
    /// Administrator roles (`admin:roles`).
    Administrators = ROLES, "roles";
}

/// A checked change: the administrator and the form.
pub struct ConsoleChange<S, F> {
    pub console: Console,
    pub form: F,
    scope: PhantomData<S>,
}

impl<S: ChangeScope, F: DeserializeOwned + CsrfField + 'static> FromRequest
    for ConsoleChange<S, F>
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let state = crate::web::extract::state_of(&req)?;
            let console = required(&req, &state).await?;
            console.may(&req, &state, S::SCOPE, S::WHAT)?;
            let Csrf(form) = Csrf::<F>::from_request(&req, &mut payload).await?;
            Ok(ConsoleChange {
                console,
                form,
                scope: PhantomData,
            })
        })
    }
}

impl Console {
    /// Refused (403 page) unless the role allows `scope`; `what` names the
    /// action in the refusal.
    pub fn may(
        &self,
        req: &HttpRequest,
        state: &AppState,
        scope: &str,
        what: &str,
    ) -> Result<(), WebError> {
        if self.actor.may(scope) {
            Ok(())
        } else {
            Err(forbidden(tr_of(req, state), &self.actor, what))
        }
    }

    /// A dangerous change needs a fresh sign-in: otherwise off to sign in
    /// again, and back to `back` afterwards.
    pub fn fresh_or_sign_in(&self, state: &AppState, back: &str) -> Result<(), WebError> {
        if self.fresh(state) {
            return Ok(());
        }
        let to = crate::web::admin::link("/admin/login", &[("fresh", "1"), ("next", back)]);
        Err(WebError::SeeOther(to))
    }
}

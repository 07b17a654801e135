//! `/admin/api/*`: the admin API (JSON). Each handler checks the caller's
//! scope, calls one admin function, and answers JSON. Shared here: the error
//! shape, the checks (`Check`), `act`; the handlers are in one module per area.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::admin::clients::{matching, ClientInput, ClientView};
use crate::admin::face_policy::{self, PolicyChange, PolicyError};
use crate::admin::invitations::{self, InvitationError};
use crate::admin::roles::{self, Actor, Role, RoleError, KEYS, READ, ROLES, WRITE};
use crate::admin::users::{self, UserAdminError};
use crate::admin::{audit_log, keys, sessions};
use crate::app::AppState;
use crate::db::DbError;
use crate::oidc::client_admin::{self, ClientAdminError};

use super::auth::api_actor;

mod clients;
mod ops;
mod people;

pub use clients::*;
pub use ops::*;
pub use people::*;

/// `{"error": code, "error_description": message}` with `status`.
pub fn api_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "error": code, "error_description": message }))
}

fn internal(e: &dyn std::fmt::Display) -> HttpResponse {
    let e = crate::oidc::OAuthError::server_error(e);
    api_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        &e.description,
    )
}

fn ok(status: StatusCode, body: impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

impl From<ClientAdminError> for HttpResponse {
    fn from(e: ClientAdminError) -> HttpResponse {
        match e {
            ClientAdminError::NotFound(_) => {
                api_error(StatusCode::NOT_FOUND, "not_found", &e.to_string())
            }
            ClientAdminError::Db(e) => internal(&e),
            ClientAdminError::Protected(_) | ClientAdminError::Administrator(_) => {
                api_error(StatusCode::FORBIDDEN, "forbidden", &e.to_string())
            }
            e => api_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
        }
    }
}

impl From<UserAdminError> for HttpResponse {
    fn from(e: UserAdminError) -> HttpResponse {
        match e {
            UserAdminError::NotFound(_) => {
                api_error(StatusCode::NOT_FOUND, "not_found", &e.to_string())
            }
            UserAdminError::Administrator => {
                api_error(StatusCode::FORBIDDEN, "insufficient_scope", &e.to_string())
            }
            UserAdminError::LastOwner => {
                api_error(StatusCode::CONFLICT, "conflict", &e.to_string())
            }
            UserAdminError::Db(e) => internal(&e),
        }
    }
}

impl From<RoleError> for HttpResponse {
    fn from(e: RoleError) -> HttpResponse {
        match e {
            RoleError::Db(e) => internal(&e),
            e => api_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
        }
    }
}

impl From<crate::keys::KeyError> for HttpResponse {
    fn from(e: crate::keys::KeyError) -> HttpResponse {
        use crate::keys::KeyError;
        match e {
            KeyError::UnknownKey(_) => {
                api_error(StatusCode::NOT_FOUND, "not_found", &e.to_string())
            }
            KeyError::AlreadyUnpublished(_) => {
                api_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string())
            }
            e => internal(&e),
        }
    }
}

impl From<PolicyError> for HttpResponse {
    fn from(e: PolicyError) -> HttpResponse {
        match e {
            PolicyError::Db(e) => internal(&e),
            e => api_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
        }
    }
}

impl From<InvitationError> for HttpResponse {
    fn from(e: InvitationError) -> HttpResponse {
        match e {
            InvitationError::NotFound(_) => {
                api_error(StatusCode::NOT_FOUND, "not_found", &e.to_string())
            }
            InvitationError::NoAddress => {
                api_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string())
            }
            InvitationError::CarriesRole => {
                api_error(StatusCode::FORBIDDEN, "insufficient_scope", &e.to_string())
            }
            InvitationError::Db(e) => internal(&e),
        }
    }
}

impl From<DbError> for HttpResponse {
    fn from(e: DbError) -> HttpResponse {
        internal(&e)
    }
}

/// Run `f` on the pool for an actor allowed `scope`; answer `status` + JSON.
impl From<&'static str> for Check {
    fn from(s: &'static str) -> Check {
        Check::Scope(s)
    }
}

/// How an API call is checked: the scope, and for dangerous actions also a
/// fresh sign-in when the token is a person's.
#[derive(Clone, Copy)]
enum Check {
    Scope(&'static str),
    Fresh(&'static str),
}

async fn checked(req: &HttpRequest, state: &AppState, check: Check) -> Result<Actor, HttpResponse> {
    match check {
        Check::Scope(s) => api_actor(req, state, s).await,
        Check::Fresh(s) => super::auth::api_actor_fresh(req, state, s).await,
    }
}

async fn act<T, E>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    scope: impl Into<Check>,
    status: StatusCode,
    f: impl FnOnce(&mut crate::db::DbConnection, &AppState, &Actor, i64) -> Result<T, E>
        + Send
        + 'static,
) -> HttpResponse
where
    T: Serialize + Send + 'static,
    E: Into<HttpResponse> + From<DbError> + Send + 'static,
{
    let actor = match checked(req, state, scope.into()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let st = state.clone();
    let now = state.clock.now();
    match state.db.run(move |c| f(c, &st, &actor, now)).await {
        Ok(v) => ok(status, v),
        Err(e) => e.into(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
    per_page: Option<i64>,
}

#[derive(Serialize)]
struct Page<T> {
    items: Vec<T>,
    total: i64,
    page: i64,
    per_page: i64,
}

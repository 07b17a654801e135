//! `/admin/api/*`: the admin API (JSON). Each handler takes its checked
//! caller (`ApiActor<Scope>`), calls one admin function through `act`, and
//! answers JSON; refusals are `web::error::ApiFailure`. The handlers are in
//! one module per area.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::admin::clients::{matching, ClientInput, ClientView};
use crate::admin::face_policy::{self, PolicyChange, PolicyError};
use crate::admin::invitations;
use crate::admin::roles::{self, Actor, Role, RoleError, ROLES};
use crate::admin::users::{self, UserAdminError};
use crate::admin::{audit_log, keys, sessions};
use crate::app::AppState;
use crate::db::DbError;
use crate::oidc::client_admin::{self, ClientAdminError};
use crate::web::error::{json_reply, ApiFailure, Reply, WebError};

use super::auth::{
    api_actor_fresh, ApiActor, ApiCall, FreshKeys, FreshRoles, FreshWrite, Read, Write,
};

mod alerts;
mod clients;
mod incidents;
mod ops;
mod people;
mod registrations;

pub use alerts::*;
pub use clients::*;
pub use incidents::*;
pub use ops::*;
pub use people::*;
pub use registrations::*;

/// A successful answer: 200 and the JSON body.
fn ok(body: impl Serialize) -> HttpResponse {
    json_reply(Reply::Shown, body)
}

/// 201 Created and the JSON body of what was made.
fn created(body: impl Serialize) -> HttpResponse {
    json_reply(Reply::Created, body)
}

/// Run `f` on the pool for a checked caller; its value is the JSON answer,
/// its error the API's error answer (`web::error::ApiFailure`).
async fn act<T, E>(
    actor: Actor,
    state: &web::Data<AppState>,
    f: impl FnOnce(&mut crate::db::DbConnection, &AppState, &Actor, i64) -> Result<T, E>
        + Send
        + 'static,
) -> Result<T, WebError>
where
    T: Send + 'static,
    E: Into<ApiFailure> + From<DbError> + Send + 'static,
{
    let st = state.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |c| f(c, &st, &actor, now))
        .await
        .map_err(|e| WebError::from(e.into()))
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

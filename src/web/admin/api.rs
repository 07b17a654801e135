//! `/admin/api/*`: the admin API (JSON). Each handler checks the caller's
//! scope, calls one admin function, and answers JSON.

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
            ClientAdminError::Protected(_) => {
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
async fn act<T, E>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    scope: &'static str,
    status: StatusCode,
    f: impl FnOnce(&mut crate::db::DbConnection, &AppState, &Actor, i64) -> Result<T, E>
        + Send
        + 'static,
) -> HttpResponse
where
    T: Serialize + Send + 'static,
    E: Into<HttpResponse> + From<DbError> + Send + 'static,
{
    let actor = match api_actor(req, state, scope).await {
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

pub async fn clients_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, _| {
        let all = client_admin::list(c)?;
        let found = matching(&all, &q.q);
        let per_page = q.per_page.unwrap_or(50).clamp(1, 100);
        let page = q.page.unwrap_or(1).max(1);
        let items = found
            .iter()
            .skip(((page - 1) * per_page) as usize)
            .take(per_page as usize)
            .map(|c| ClientView::from(*c))
            .collect();
        Ok::<_, ClientAdminError>(Page {
            items,
            total: found.len() as i64,
            page,
            per_page,
        })
    })
    .await
}

pub async fn clients_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, _| {
        match crate::oidc::client::Client::find(c, &id)? {
            Some(k) => Ok(ClientView::from(&k)),
            None => Err(ClientAdminError::NotFound(id)),
        }
    })
    .await
}

pub async fn clients_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<ClientInput>,
) -> HttpResponse {
    let input = body.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::CREATED,
        move |c, st, actor, now| {
            let new = input.into_new().map_err(ClientAdminError::Invalid)?;
            client_admin::register(c, &st.master_key, new, &actor.label, now)
        },
    )
    .await
}

pub async fn clients_update(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<ClientInput>,
) -> HttpResponse {
    let (id, input) = (id.into_inner(), body.into_inner());
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            let new = input.into_new().map_err(ClientAdminError::Invalid)?;
            client_admin::update(c, &id, new, &actor.label, now)?;
            match crate::oidc::client::Client::find(c, &id)? {
                Some(k) => Ok(ClientView::from(&k)),
                None => Err(ClientAdminError::NotFound(id)),
            }
        },
    )
    .await
}

pub async fn clients_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            client_admin::remove(c, &id, &actor.label, now)
                .map(|()| serde_json::json!({ "deleted": id }))
        },
    )
    .await
}

pub async fn clients_rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, st, actor, now| {
            client_admin::rotate_secret(c, &st.master_key, &id, &actor.label, now)
                .map(|s| serde_json::json!({ "client_id": id, "client_secret": s }))
        },
    )
    .await
}

/// `POST /clients/{id}/disable` or `/enable`.
pub async fn clients_set_disabled(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let disabled = action == "disable";
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            client_admin::set_disabled(c, &id, disabled, &actor.label, now)
                .map(|()| serde_json::json!({ "client_id": id, "disabled": disabled }))
        },
    )
    .await
}

pub async fn users_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, _| {
        users::search(c, &q.q, q.page.unwrap_or(1), q.per_page.unwrap_or(50))
    })
    .await
}

pub async fn users_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, now| {
        users::detail(c, &id, now)
    })
    .await
}

/// `POST /users/{id}/disable` or `/enable`.
pub async fn users_set_disabled(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let disabled = action == "disable";
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            users::set_disabled(c, actor, &id, disabled, now)
                .map(|()| serde_json::json!({ "id": id, "disabled": disabled }))
        },
    )
    .await
}

pub async fn users_sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            users::sign_out_everywhere(c, actor, &id, now)
                .map(|(s, t)| serde_json::json!({ "sessions_ended": s, "tokens_revoked": t }))
        },
    )
    .await
}

pub async fn users_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            users::erase(c, actor, &id, now).map(|()| serde_json::json!({ "deleted": id }))
        },
    )
    .await
}

pub async fn clients_families(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, now| {
        sessions::families_of_client(c, &id, now)
    })
    .await
}

pub async fn session_end(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (user, sid) = path.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| match sessions::end_session(c, actor, &user, &sid, now)? {
            true => Ok(serde_json::json!({ "ended": sid })),
            false => Err(UserAdminError::NotFound(format!("{user}/sessions/{sid}"))),
        },
    )
    .await
}

pub async fn family_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    grant: web::Path<String>,
) -> HttpResponse {
    let grant = grant.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            sessions::revoke_family(c, actor, &grant, now)
                .map(|n| serde_json::json!({ "grant_id": grant, "revoked": n }))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    email: Option<String>,
    role: Option<String>,
    /// Mail the link to `email` too.
    #[serde(default)]
    send: bool,
}

/// Mail the link of a new or renewed invitation; the answer names the link
/// either way, so a failed mail can be handed over by hand.
async fn mail_invitation(
    state: &AppState,
    status: StatusCode,
    email: &str,
    token: &str,
    ttl: i64,
) -> HttpResponse {
    let link = crate::auth::signup::invitation_url(&state.config.issuer, token);
    let until = state.clock.now() + ttl;
    match crate::mail::invitations::send(state, email, token, until).await {
        Ok(()) => ok(
            status,
            serde_json::json!({ "invitation_url": link, "expires_in": ttl, "sent_to": email }),
        ),
        Err(_) => {
            HttpResponse::build(StatusCode::BAD_GATEWAY).json(serde_json::json!({
                "error": "server_error",
                "error_description": format!("the mail to {email} could not be sent; give the link by hand"),
                "invitation_url": link,
            }))
        }
    }
}

pub async fn invitations_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<InvitationInput>,
) -> HttpResponse {
    let input = body.into_inner();
    let role = match input.role.as_deref().map(str::parse::<Role>).transpose() {
        Ok(r) => r,
        Err(m) => return api_error(StatusCode::BAD_REQUEST, "invalid_request", &m),
    };
    if input.send && input.email.is_none() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send needs an email address",
        );
    }
    // Inviting an administrator is managing administrators.
    let scope = if role.is_some() { ROLES } else { WRITE };
    let actor = match api_actor(&req, &state, scope).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (ttl, now) = (
        state.config.signup.invitation_ttl_seconds,
        state.clock.now(),
    );
    let email = input.email.clone();
    let res = state
        .db
        .run(move |c| {
            crate::auth::signup::invite(c, email.as_deref(), role, &actor.label, ttl, now)
        })
        .await;
    let token = match res {
        Ok(t) => t,
        Err(crate::auth::signup::SignupError::Db(e)) => return internal(&e),
        Err(e) => return api_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
    };
    match input.email.filter(|_| input.send) {
        Some(to) => mail_invitation(&state, StatusCode::CREATED, &to, &token, ttl).await,
        None => {
            let link = crate::auth::signup::invitation_url(&state.config.issuer, &token);
            ok(
                StatusCode::CREATED,
                serde_json::json!({ "invitation_url": link, "expires_in": ttl }),
            )
        }
    }
}

pub async fn invitations_list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, now| {
        invitations::pending(c, now)
    })
    .await
}

/// A new link for an invitation, mailed to its address (the old link stops).
pub async fn invitations_resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let actor = match api_actor(&req, &state, WRITE).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (id, ttl, now) = (
        id.into_inner(),
        state.config.signup.invitation_ttl_seconds,
        state.clock.now(),
    );
    match state
        .db
        .run(move |c| invitations::renew(c, &actor, &id, ttl, now))
        .await
    {
        Ok((token, email)) => mail_invitation(&state, StatusCode::OK, &email, &token, ttl).await,
        Err(e) => e.into(),
    }
}

pub async fn invitations_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, _, actor, now| {
            invitations::revoke(c, actor, &id, now).map(|()| serde_json::json!({ "done": true }))
        },
    )
    .await
}

pub async fn keys_list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    act(&req, &state, READ, StatusCode::OK, move |c, st, _, now| {
        keys::list(c, &st.config.keys, now)
    })
    .await
}

pub async fn keys_rotate(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let resp = act(
        &req,
        &state,
        KEYS,
        StatusCode::OK,
        move |c, st, actor, now| {
            keys::rotate(c, st, actor, now).map(|kids| serde_json::json!({ "created": kids }))
        },
    )
    .await;
    if resp.status().is_success() {
        state.reload_keys().await;
    }
    resp
}

pub async fn keys_retire(
    req: HttpRequest,
    state: web::Data<AppState>,
    kid: web::Path<String>,
) -> HttpResponse {
    let kid = kid.into_inner();
    let resp = act(
        &req,
        &state,
        KEYS,
        StatusCode::OK,
        move |c, st, actor, now| keys::retire(c, st, actor, &kid, now),
    )
    .await;
    if resp.status().is_success() {
        state.reload_keys().await;
    }
    resp
}

pub async fn face_policy_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    act(&req, &state, READ, StatusCode::OK, move |c, st, _, _| {
        face_policy::view(c, &st.config.face, st.face.as_deref())
    })
    .await
}

pub async fn face_policy_put(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<PolicyChange>,
) -> HttpResponse {
    let body = body.into_inner();
    act(
        &req,
        &state,
        WRITE,
        StatusCode::OK,
        move |c, st, actor, now| {
            face_policy::change(c, &st.config.face, actor, body, now)?;
            Ok::<_, PolicyError>(face_policy::view(c, &st.config.face, st.face.as_deref())?)
        },
    )
    .await
}

pub async fn audit_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<audit_log::AuditQuery>,
) -> HttpResponse {
    let q = q.into_inner();
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, _| {
        audit_log::search(c, &q)
    })
    .await
}

pub async fn stats(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, now| {
        audit_log::stats(c, now)
    })
    .await
}

pub async fn roles_list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    act(&req, &state, READ, StatusCode::OK, move |c, _, _, _| {
        roles::list(c).map(|rows| {
            rows.into_iter()
                .map(|r| serde_json::json!({ "subject": r.subject, "kind": r.kind, "role": r.role, "granted_by": r.granted_by, "granted_at": r.granted_at }))
                .collect::<Vec<_>>()
        })
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    kind: String,
    role: String,
}

pub async fn roles_put(
    req: HttpRequest,
    state: web::Data<AppState>,
    subject: web::Path<String>,
    body: web::Json<RoleInput>,
) -> HttpResponse {
    let (subject, input) = (subject.into_inner(), body.into_inner());
    act(
        &req,
        &state,
        ROLES,
        StatusCode::OK,
        move |c, _, actor, now| {
            let role: Role = input.role.parse().map_err(RoleError::Invalid)?;
            roles::grant(c, &input.kind, &subject, role, &actor.label, now).map(
                |()| serde_json::json!({ "subject": subject, "kind": input.kind, "role": role }),
            )
        },
    )
    .await
}

pub async fn roles_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    subject: web::Path<String>,
) -> HttpResponse {
    let subject = subject.into_inner();
    act(
        &req,
        &state,
        ROLES,
        StatusCode::OK,
        move |c, _, actor, now| {
            roles::remove(c, &subject, &actor.label, now)
                .map(|removed| serde_json::json!({ "removed": removed }))
        },
    )
    .await
}

//! Admin API: people, their sessions and token families, invitations.

use super::*;

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

pub async fn users_face_erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    act(
        &req,
        &state,
        Check::Fresh(WRITE),
        StatusCode::OK,
        move |c, _, actor, now| {
            users::erase_face(c, actor, &id, now)
                .map(|n| serde_json::json!({ "id": id, "templates_erased": n }))
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
        Check::Fresh(WRITE),
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
    match crate::mail::invitations::send(&state.outbox(), email, token, until).await {
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

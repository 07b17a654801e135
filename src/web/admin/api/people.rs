//! Admin API: people, their sessions and token families, invitations.

use super::*;

pub async fn users_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    act(actor, &state, move |c, _, _, _| {
        users::search(c, &q.q, q.page.unwrap_or(1), q.per_page.unwrap_or(50))
    })
    .await
    .map(ok)
}

pub async fn users_get(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::UserId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, _, now| {
        users::detail(c, &id, now)
    })
    .await
    .map(ok)
}

/// `POST /users/{id}/disable` or `/enable`.
pub async fn users_set_disabled(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    path: web::Path<(crate::ids::UserId, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let disabled = action == "disable";
    act(actor, &state, move |c, _, actor, now| {
        users::set_disabled(c, actor, &id, disabled, now)
            .map(|()| serde_json::json!({ "id": id, "disabled": disabled }))
    })
    .await
    .map(ok)
}

pub async fn users_sign_out(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::UserId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        users::sign_out_everywhere(c, actor, &id, now)
            .map(|(s, t)| serde_json::json!({ "sessions_ended": s, "tokens_revoked": t }))
    })
    .await
    .map(ok)
}

pub async fn users_face_erase(
    ApiActor(actor, _): ApiActor<FreshWrite>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::UserId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        users::erase_face(c, actor, &id, now)
            .map(|n| serde_json::json!({ "id": id, "templates_erased": n }))
    })
    .await
    .map(ok)
}

pub async fn users_delete(
    ApiActor(actor, _): ApiActor<FreshWrite>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::UserId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        users::erase(c, actor, &id, now).map(|()| serde_json::json!({ "deleted": id }))
    })
    .await
    .map(ok)
}

pub async fn clients_families(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, _, now| {
        sessions::families_of_client(c, &id, now)
    })
    .await
    .map(ok)
}

pub async fn session_end(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    path: web::Path<(crate::ids::UserId, crate::ids::SessionId)>,
) -> Result<HttpResponse, WebError> {
    let (user, sid) = path.into_inner();
    act(
        actor,
        &state,
        move |c, _, actor, now| match sessions::end_session(c, actor, &user, &sid, now)? {
            true => Ok(serde_json::json!({ "ended": sid })),
            false => Err(UserAdminError::NotFound(format!("{user}/sessions/{sid}"))),
        },
    )
    .await
    .map(ok)
}

pub async fn family_revoke(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    grant: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let grant = grant.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        sessions::revoke_family(c, actor, &grant, now)
            .map(|n| serde_json::json!({ "grant_id": grant, "revoked": n }))
    })
    .await
    .map(ok)
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
    email: &str,
    token: &str,
    ttl: i64,
) -> Result<serde_json::Value, WebError> {
    let link = crate::auth::signup::invitation_url(&state.config.issuer, token);
    let until = state.clock.now() + ttl;
    match crate::mail::invitations::send(&state.outbox(), email, token, until).await {
        Ok(()) => {
            Ok(serde_json::json!({ "invitation_url": link, "expires_in": ttl, "sent_to": email }))
        }
        Err(_) => Err(ApiFailure::mail_not_sent(email, link).into()),
    }
}

pub async fn invitations_create(
    req: HttpRequest,
    ApiCall {
        actor, body: input, ..
    }: ApiCall<Write, InvitationInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let role = input
        .role
        .as_deref()
        .map(str::parse::<Role>)
        .transpose()
        .map_err(ApiFailure::invalid_request)?;
    if input.send && input.email.is_none() {
        return Err(ApiFailure::invalid_request("send needs an email address").into());
    }
    // Inviting an administrator is managing administrators: as for
    // `PUT /roles`, admin:roles and (for a person) a fresh sign-in.
    let actor = match role {
        Some(_) => api_actor_fresh(&req, &state, ROLES).await?,
        None => actor,
    };
    let ttl = state.config.signup.invitation_ttl_seconds;
    let email = input.email.clone();
    let token = act(actor, &state, move |c, _, actor, now| {
        crate::auth::signup::invite(c, email.as_deref(), role, &actor.label, ttl, now)
    })
    .await?;
    match input.email.filter(|_| input.send) {
        Some(to) => mail_invitation(&state, &to, &token, ttl).await.map(created),
        None => {
            let link = crate::auth::signup::invitation_url(&state.config.issuer, &token);
            Ok(created(
                serde_json::json!({ "invitation_url": link, "expires_in": ttl }),
            ))
        }
    }
}

pub async fn invitations_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, _, _, now| {
        invitations::pending(c, now)
    })
    .await
    .map(ok)
}

/// A new link for an invitation, mailed to its address (the old link stops).
pub async fn invitations_resend(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (id, ttl) = (id.into_inner(), state.config.signup.invitation_ttl_seconds);
    let (token, email) = act(actor, &state, move |c, _, actor, now| {
        invitations::renew(c, actor, &id, ttl, now)
    })
    .await?;
    mail_invitation(&state, &email, &token, ttl).await.map(ok)
}

pub async fn invitations_revoke(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        invitations::revoke(c, actor, &id, now).map(|()| serde_json::json!({ "done": true }))
    })
    .await
    .map(ok)
}

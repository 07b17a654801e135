//! Admin API: incident actions (`/admin/api/incidents/*`). Reading needs
//! `admin:read`; every action `admin:write` and, for a person's token, a
//! fresh sign-in; each carries a reason.

use crate::admin::incidents::{self, BlockInput};

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Why {
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceSwitch {
    on: bool,
    reason: String,
}

pub async fn incidents_get(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, _, _, now| incidents::view(c, now))
        .await
        .map(ok)
}

pub async fn incident_client_tokens(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, Why>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        incidents::revoke_client_tokens(c, actor, &id, &body.reason, now)
            .map(|n| serde_json::json!({ "client_id": id, "tokens_revoked": n }))
    })
    .await
    .map(ok)
}

pub async fn incident_user_tokens(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, Why>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::UserId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        incidents::revoke_person_tokens(c, actor, &id, &body.reason, now)
            .map(|n| serde_json::json!({ "id": id, "tokens_revoked": n }))
    })
    .await
    .map(ok)
}

pub async fn incident_user_reauthenticate(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, Why>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::UserId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        incidents::reauthenticate_person(c, actor, &id, &body.reason, now)
    })
    .await
    .map(ok)
}

pub async fn incident_everyone_reauthenticate(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, Why>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, _, actor, now| {
        incidents::reauthenticate_everyone(c, actor, &body.reason, now)
    })
    .await
    .map(ok)
}

pub async fn incident_block(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, BlockInput>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, WebError> {
    let own = crate::web::rate_limit::client_ip(&req);
    let row = act(actor, &state, move |c, _, actor, now| {
        incidents::block_network(c, actor, &body, own, now)
    })
    .await?;
    state.reload_controls().await;
    Ok(created(row))
}

pub async fn incident_lift(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, Why>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let row = act(actor, &state, move |c, _, actor, now| {
        incidents::lift_block(c, actor, &id, &body.reason, now)
    })
    .await?;
    state.reload_controls().await;
    Ok(ok(row))
}

pub async fn incident_face(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, FaceSwitch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let view = act(actor, &state, move |c, _, actor, now| {
        incidents::set_face_sign_in(c, actor, body.on, &body.reason, now)?;
        Ok::<_, incidents::IncidentError>(incidents::view(c, now)?)
    })
    .await?;
    state.reload_controls().await;
    Ok(ok(view))
}

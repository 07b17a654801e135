//! Admin API: signing keys, face policy, audit log, statistics, roles.

use super::*;

pub async fn keys_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, st, _, now| {
        keys::list(c, &st.config.keys, now)
    })
    .await
    .map(ok)
}

pub async fn keys_rotate(
    ApiActor(actor, _): ApiActor<FreshKeys>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let resp = act(actor, &state, move |c, st, actor, now| {
        keys::rotate(c, &st.master_key, &st.config.keys, actor, now)
            .map(|kids| serde_json::json!({ "created": kids }))
    })
    .await?;
    state.reload_keys().await;
    Ok(ok(resp))
}

pub async fn keys_retire(
    ApiActor(actor, _): ApiActor<FreshKeys>,
    state: web::Data<AppState>,
    kid: web::Path<crate::ids::Kid>,
) -> Result<HttpResponse, WebError> {
    let kid = kid.into_inner();
    let resp = act(actor, &state, move |c, st, actor, now| {
        keys::retire(c, &st.master_key, &st.config.keys, actor, &kid, now)
    })
    .await?;
    state.reload_keys().await;
    Ok(ok(resp))
}

pub async fn face_policy_get(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, st, _, _| {
        face_policy::view(c, &st.config.face, st.face.as_deref())
    })
    .await
    .map(ok)
}

pub async fn face_policy_put(
    ApiCall { actor, body, .. }: ApiCall<FreshWrite, PolicyChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, st, actor, now| {
        face_policy::change(c, &st.config.face, actor, body, now)?;
        Ok::<_, PolicyError>(face_policy::view(c, &st.config.face, st.face.as_deref())?)
    })
    .await
    .map(ok)
}

pub async fn audit_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
    q: web::Query<audit_log::AuditQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    act(actor, &state, move |c, _, _, _| audit_log::search(c, &q))
        .await
        .map(ok)
}

pub async fn stats(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, _, _, now| audit_log::stats(c, now))
        .await
        .map(ok)
}

pub async fn roles_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, _, _, _| {
        roles::list(c).map(|rows| {
            rows.into_iter()
                .map(|r| serde_json::json!({ "subject": r.subject, "kind": r.kind, "role": r.role, "granted_by": r.granted_by, "granted_at": r.granted_at }))
                .collect::<Vec<_>>()
        })
    })
    .await
    .map(ok)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    kind: String,
    role: String,
}

pub async fn roles_put(
    ApiCall {
        actor, body: input, ..
    }: ApiCall<FreshRoles, RoleInput>,
    state: web::Data<AppState>,
    subject: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let subject = subject.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        let role: Role = input.role.parse().map_err(RoleError::Invalid)?;
        roles::grant(c, &input.kind, &subject, role, &actor.label, now)
            .map(|()| serde_json::json!({ "subject": subject, "kind": input.kind, "role": role }))
    })
    .await
    .map(ok)
}

pub async fn roles_delete(
    ApiActor(actor, _): ApiActor<FreshRoles>,
    state: web::Data<AppState>,
    subject: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let subject = subject.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        roles::remove(c, &subject, &actor.label, now)
            .map(|removed| serde_json::json!({ "removed": removed }))
    })
    .await
    .map(ok)
}

//! Admin API: signing keys, face policy, audit log, statistics, roles.

use super::*;

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
        Check::Fresh(KEYS),
        StatusCode::OK,
        move |c, st, actor, now| {
            keys::rotate(c, &st.master_key, &st.config.keys, actor, now)
                .map(|kids| serde_json::json!({ "created": kids }))
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
        Check::Fresh(KEYS),
        StatusCode::OK,
        move |c, st, actor, now| keys::retire(c, &st.master_key, &st.config.keys, actor, &kid, now),
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
        Check::Fresh(WRITE),
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
        Check::Fresh(ROLES),
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
        Check::Fresh(ROLES),
        StatusCode::OK,
        move |c, _, actor, now| {
            roles::remove(c, &subject, &actor.label, now)
                .map(|removed| serde_json::json!({ "removed": removed }))
        },
    )
    .await
}

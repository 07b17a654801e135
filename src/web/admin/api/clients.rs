//! Admin API: clients (list, get, create, edit, delete, secret, enable).

use super::*;

pub async fn clients_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    act(actor, &state, move |c, _, _, _| {
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
    .map(ok)
}

pub async fn clients_get(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(
        actor,
        &state,
        move |c, _, _, _| match crate::oidc::client::Client::find(c, &id)? {
            Some(k) => Ok(ClientView::from(&k)),
            None => Err(ClientAdminError::NotFound(id.into_string())),
        },
    )
    .await
    .map(ok)
}

pub async fn clients_create(
    ApiCall {
        actor, body: input, ..
    }: ApiCall<Write, ClientInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, st, actor, now| {
        let new = input.into_new().map_err(ClientAdminError::Invalid)?;
        st.themes
            .check(new.branding.theme.as_deref())
            .map_err(ClientAdminError::Invalid)?;
        client_admin::register(c, &st.master_key, new, &actor.label, now)
    })
    .await
    .map(created)
}

pub async fn clients_update(
    ApiCall {
        actor, body: input, ..
    }: ApiCall<Write, ClientInput>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, st, actor, now| {
        let new = input.into_new().map_err(ClientAdminError::Invalid)?;
        st.themes
            .check(new.branding.theme.as_deref())
            .map_err(ClientAdminError::Invalid)?;
        crate::admin::clients::may_act_on(c, actor, &id)?;
        client_admin::update(c, &id, new, &actor.label, now)?;
        match crate::oidc::client::Client::find(c, &id)? {
            Some(k) => Ok(ClientView::from(&k)),
            None => Err(ClientAdminError::NotFound(id.into_string())),
        }
    })
    .await
    .map(ok)
}

pub async fn clients_delete(
    ApiActor(actor, _): ApiActor<FreshWrite>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, _, actor, now| {
        crate::admin::clients::may_act_on(c, actor, &id)?;
        client_admin::remove(c, &id, &actor.label, now)
            .map(|()| serde_json::json!({ "deleted": id }))
    })
    .await
    .map(ok)
}

pub async fn clients_rotate(
    ApiActor(actor, _): ApiActor<FreshWrite>,
    state: web::Data<AppState>,
    id: web::Path<crate::ids::ClientId>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(actor, &state, move |c, st, actor, now| {
        crate::admin::clients::may_act_on(c, actor, &id)?;
        client_admin::rotate_secret(c, &st.master_key, &id, &actor.label, now)
            .map(|s| serde_json::json!({ "client_id": id, "client_secret": s }))
    })
    .await
    .map(ok)
}

/// `POST /clients/{id}/disable` or `/enable`.
pub async fn clients_set_disabled(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    path: web::Path<(crate::ids::ClientId, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let disabled = action == "disable";
    act(actor, &state, move |c, _, actor, now| {
        crate::admin::clients::may_act_on(c, actor, &id)?;
        client_admin::set_disabled(c, &id, disabled, &actor.label, now)
            .map(|()| serde_json::json!({ "client_id": id, "disabled": disabled }))
    })
    .await
    .map(ok)
}

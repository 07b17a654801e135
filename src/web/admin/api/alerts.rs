//! Admin API: alerts (`/admin/api/alerts`): list (`admin:read`),
//! acknowledge and resolve (`admin:write`).

use crate::admin::alerts;

use super::*;

#[derive(Debug, Deserialize)]
pub struct AlertQuery {
    state: Option<String>,
}

pub async fn alerts_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
    q: web::Query<AlertQuery>,
) -> Result<HttpResponse, WebError> {
    let filter = q.into_inner().state;
    act(actor, &state, move |c, _, _, _| {
        alerts::list(c, filter.as_deref())
    })
    .await
    .map(ok)
}

/// `POST /alerts/{id}/acknowledge` or `/resolve`.
pub async fn alerts_handle(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, what) = path.into_inner();
    let Some(resolve) = alerts::resolves(&what) else {
        return Err(ApiFailure::not_found(format!("no alert action '{what}'")).into());
    };
    act(actor, &state, move |c, _, actor, now| {
        alerts::handle(c, actor, &id, resolve, now)
    })
    .await
    .map(ok)
}

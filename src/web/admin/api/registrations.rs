//! Admin API: registrations waiting for approval
//! (`/admin/api/registrations`): list (`admin:read`), approve and reject
//! (`admin:write`); the person is mailed the decision.

use crate::admin::registrations::{self, Decision};

use super::*;

pub async fn registrations_list(
    ApiActor(actor, _): ApiActor<Read>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    act(actor, &state, move |c, _, _, _| registrations::list(c))
        .await
        .map(ok)
}

/// `POST /registrations/{id}/approve` or `/reject`.
pub async fn registrations_decide(
    ApiActor(actor, _): ApiActor<Write>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, what) = path.into_inner();
    let Some(decision) = Decision::parse(&what) else {
        return Err(ApiFailure::not_found(format!("no registration action '{what}'")).into());
    };
    let decided = act(actor, &state, move |c, _, actor, now| {
        registrations::decide(c, actor, &id, decision, now)
    })
    .await?;
    crate::mail::alerts::registration_decided(&state.outbox(), &decided).await;
    Ok(ok(serde_json::json!({
        "decision": what,
        "user_id": decided.user_id,
        "new_account": decided.new_account,
    })))
}

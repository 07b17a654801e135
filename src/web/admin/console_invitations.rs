//! Console actions on an open invitation: send it again with a new link, or revoke it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::admin::invitations::{self, InvitationError};
use crate::admin::roles::WRITE;
use crate::app::AppState;
use crate::web::error;
use crate::web::ui::see_other;

use super::console::{may_change, CsrfForm};

pub async fn invitation_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "manage invitations",
        None,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (ttl, now) = (
        state.config.signup.invitation_ttl_seconds,
        state.clock.now(),
    );
    let res = match action.as_str() {
        "resend" => {
            state
                .db
                .run(move |db| invitations::renew(db, &c.actor, &id, ttl, now).map(Some))
                .await
        }
        "revoke" => {
            state
                .db
                .run(move |db| invitations::revoke(db, &c.actor, &id, now).map(|()| None))
                .await
        }
        _ => return error::page(StatusCode::NOT_FOUND, "No such action."),
    };
    match res {
        Ok(Some((token, to))) => {
            match crate::mail::invitations::send(&state, &to, &token, now + ttl).await {
                Ok(()) => see_other("/admin/users?done=invitation_sent"),
                Err(e) => {
                    tracing::error!("invitation mail to {to} not sent: {e}");
                    let link = crate::auth::signup::invitation_url(&state.config.issuer, &token);
                    let m = format!(
                        "The mail to {to} could not be sent. Give this link by hand: {link}"
                    );
                    error::page(StatusCode::BAD_GATEWAY, &m)
                }
            }
        }
        Ok(None) => see_other("/admin/users?done=invitation_revoked"),
        Err(InvitationError::Db(e)) => error::page_internal(&e),
        Err(e) => error::page(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

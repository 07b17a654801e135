//! Refuses every request from an address range an administrator blocked
//! (an incident action), before any route runs: JSON in the OAuth error
//! shape for the protocol endpoints and the admin API, a page otherwise.
//! The health checks and static files stay open (load balancers, the
//! error page's own styles).

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::app::AppState;
use crate::oidc::discovery::paths;

const OPEN: [&str; 4] = ["/healthz", "/readyz", "/health", "/static/"];

/// Whether the refusal is JSON (the protocol endpoints, the admin API, a
/// caller that asks for JSON) rather than a page.
fn wants_json(req: &ServiceRequest) -> bool {
    let path = req.path();
    let api = [
        paths::TOKEN,
        paths::USERINFO,
        paths::INTROSPECT,
        paths::REVOKE,
        "/admin/api/",
    ];
    api.iter().any(|p| path.starts_with(p))
        || req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"))
}

pub async fn refuse_blocked(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let open = OPEN.iter().any(|p| req.path().starts_with(p));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let ip = (!open)
        .then(|| super::rate_limit::client_ip(req.request()))
        .flatten();
    if let (Some(state), Some(ip)) = (state, ip) {
        if state.controls().await.blocks(&ip) {
            let message = super::ui::Ui::new(req.request(), &state, None, None)
                .tr
                .t("blocked.network")
                .to_owned();
            let answer = super::error::blocked(wants_json(&req), &message);
            return Ok(req.into_response(answer).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

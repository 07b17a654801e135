//! `GET|POST /authorize`.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::oidc::flow;
use crate::oidc::params::Params;
use crate::web::{cookies, error};

use super::outcome::respond;

async fn handle(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Result<Params, String>,
) -> HttpResponse {
    let params = match params {
        Ok(p) => p,
        Err(m) => return error::page(Reply::Invalid, &m),
    };
    let ring = state.ring().await;
    let cookie = cookies::session_value(&req);
    let st = state.clone();
    let result = state
        .db
        .run(move |c| {
            let env = st.flow_env(&ring, st.clock.now());
            flow::start(c, &env, &params, cookie.as_deref())
        })
        .await;
    match result {
        Ok(outcome) => respond(outcome),
        Err(e) => error::page(Reply::Failed, &e.description),
    }
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = Params::parse(req.query_string().as_bytes()).map_err(|e| e.description);
    handle(req, state, params).await
}

pub async fn post(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let is_form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let params = if is_form {
        Params::parse(&body).map_err(|e| e.description)
    } else {
        Err("POST /authorize needs an application/x-www-form-urlencoded body.".to_owned())
    };
    handle(req, state, params).await
}

//! `POST /token`, `/introspect`, `/revoke`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::oidc::{introspect as intro, revoke as rev, token as tok, ErrorCode, OAuthError};
use crate::web::client_auth::ClientRequest;
use crate::web::{cors, error, rate_limit};

fn no_store_json(body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

fn limited(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
    (!rate_limit::allow(&state.limits.token, req)).then(|| {
        error::oauth_json(&OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "too many requests; slow down",
        ))
    })
}

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    cr: ClientRequest,
) -> HttpResponse {
    if let Some(r) = limited(&state, &req) {
        return r;
    }
    // A browser page: only from an origin this client allows, checked
    // before the grant is touched.
    let origin = cors::origin_of(&req);
    if let Err(e) = cors::check(&cr.client, origin.as_deref()) {
        return error::oauth_json(&e);
    }
    let ring = state.ring().await;
    let st = state.clone();
    let grant = cr
        .params
        .get("grant_type")
        .ok()
        .flatten()
        .unwrap_or("unknown")
        .to_owned();
    let res = state
        .db
        .run(move |c| {
            let ctx = tok::TokenContext {
                master_key: &st.master_key,
                ring: &ring,
                minter: &st.minter,
                refresh_grace: st.config.tokens.refresh_grace_seconds,
                now: st.clock.now(),
            };
            tok::exchange(c, &ctx, &cr.client, &cr.params)
        })
        .await;
    let resp = match res {
        Ok(body) => {
            crate::telemetry::tokens_issued(&grant);
            no_store_json(body)
        }
        Err(e) => error::oauth_json(&e),
    };
    cors::allow(resp, origin.as_deref())
}

pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    cr: ClientRequest,
) -> HttpResponse {
    if let Some(r) = limited(&state, &req) {
        return r;
    }
    let token = match cr.params.require("token") {
        Ok(t) => t.to_owned(),
        Err(e) => return error::oauth_json(&e),
    };
    let ring = state.ring().await;
    let st = state.clone();
    let res = state
        .db
        .run(move |c| {
            intro::introspect(
                c,
                &st.verified,
                &ring,
                &st.config.issuer,
                &cr.client,
                &token,
                st.clock.now(),
            )
        })
        .await;
    match res {
        Ok(body) => no_store_json(body),
        Err(e) => error::oauth_json(&e),
    }
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    cr: ClientRequest,
) -> HttpResponse {
    if let Some(r) = limited(&state, &req) {
        return r;
    }
    let (token, hint) = match (cr.params.require("token"), cr.params.get("token_type_hint")) {
        (Ok(t), Ok(h)) => (t.to_owned(), h.map(str::to_owned)),
        (Err(e), _) | (_, Err(e)) => return error::oauth_json(&e),
    };
    let ring = state.ring().await;
    let st = state.clone();
    let res = state
        .db
        .run(move |c| {
            rev::revoke(
                c,
                &ring,
                &st.config.issuer,
                &cr.client,
                &token,
                hint.as_deref(),
                st.clock.now(),
            )
        })
        .await;
    match res {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(e) => error::oauth_json(&e),
    }
}

//! Discovery document and JWKS.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::app::AppState;

pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(state.discovery.to_string())
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    let ring = state.ring().await;
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/jwk-set+json"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(ring.jwks_json().to_string())
}

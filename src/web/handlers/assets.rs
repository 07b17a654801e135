//! Static files (no CDN), health and the home page.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::web::pages;

const CSS: &str = include_str!("../../../static/visage.css");
const FORM_POST_JS: &str = include_str!("../../../static/form_post.js");

pub async fn file(name: web::Path<String>) -> HttpResponse {
    let (body, ct) = match name.as_str() {
        "visage.css" => (CSS, "text/css; charset=utf-8"),
        "form_post.js" => (FORM_POST_JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, ct))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    pages::render(
        StatusCode::OK,
        &pages::HomePage {
            issuer: &state.config.issuer,
        },
    )
}

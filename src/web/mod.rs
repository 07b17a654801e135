//! HTTP: routes, extractors, pages and middleware. The only module that knows actix.

pub mod client_auth;
pub mod cookies;
pub mod error;
pub mod handlers;
pub mod headers;
pub mod pages;
pub mod rate_limit;

use actix_web::web;

use crate::oidc::discovery::paths;

/// Every route of the provider.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.route(
        paths::DISCOVERY,
        web::get().to(discovery::openid_configuration),
    )
    .route(
        paths::OAUTH_METADATA,
        web::get().to(discovery::openid_configuration),
    )
    .route(paths::JWKS, web::get().to(discovery::jwks))
    .route(paths::AUTHORIZE, web::get().to(authorize::get))
    .route(paths::AUTHORIZE, web::post().to(authorize::post))
    .route("/login", web::get().to(login::show))
    .route("/login", web::post().to(login::submit))
    .route("/consent", web::get().to(consent::show))
    .route("/consent", web::post().to(consent::submit))
    .route(paths::TOKEN, web::post().to(token::token))
    .route(paths::INTROSPECT, web::post().to(token::introspect))
    .route(paths::REVOKE, web::post().to(token::revoke))
    .route(paths::USERINFO, web::get().to(userinfo::get))
    .route(paths::USERINFO, web::post().to(userinfo::post))
    .route(paths::END_SESSION, web::get().to(logout::start_get))
    .route(paths::END_SESSION, web::post().to(logout::start_post))
    .route("/logout/confirm", web::post().to(logout::confirm))
    .route("/static/{file}", web::get().to(assets::file))
    .route("/health", web::get().to(assets::health))
    .route("/", web::get().to(assets::home));
}

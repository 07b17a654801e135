//! HTTP: routes, extractors, pages and middleware. The only module that knows actix.
//!
//! How a handler is written: what it needs before it starts is a parameter
//! (`extract`: `SignedIn` for a signed-in person, `Csrf<Form>` for a form
//! from this site, `CsrfHeader` for a JSON call from this site's page,
//! `FaceOn` for the face engine, `admin::console_auth::Console` for an
//! administrator on a console page, `admin::auth::ApiActor<Scope>` for an
//! admin API caller); it returns `Result<HttpResponse, WebError>` and stops
//! with `?`. `error::WebError` turns a stop into its status and body (a
//! page, "form expired", a redirect to sign in, `{"error", "error_description"}` for the pages'
//! scripts, or the admin API's `{"error", "error_description"}` from
//! `error::ApiFailure`, into which the admin functions' errors convert);
//! unexpected failures are logged with an id and answered without their
//! detail. A handler says what an answer means (`error::Reply`), never a
//! status code: web/error.rs alone maps meanings to statuses. The protocol
//! endpoints (`/token`, `/userinfo`, the admin API's bearer checks) keep the
//! RFC 6749 / 6750 error shapes of `error::oauth_json` and `error::bearer`.

pub mod admin;
pub mod blocked;
pub mod client_auth;
pub mod cookies;
pub mod cors;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod headers;
pub mod pages;
pub mod rate_limit;
pub mod request_id;
pub mod ui;

use actix_web::http::Method;
use actix_web::web;

use crate::oidc::discovery::paths;

/// Largest face-frame upload (a few dozen JPEG frames as base64).
const FRAMES_LIMIT: usize = 12 * 1024 * 1024;

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
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route(paths::AUTHORIZE, web::get().to(authorize::get))
    .route(paths::AUTHORIZE, web::post().to(authorize::post))
    .route("/login", web::get().to(login::show))
    .route("/login", web::post().to(login::submit))
    .route(
        "/login/passkey/options",
        web::post().to(login::passkey_options),
    )
    .route("/login/passkey", web::post().to(login::passkey_finish))
    .route("/login/code", web::get().to(login_code::show))
    .route("/login/code", web::post().to(login_code::submit))
    .route("/continue", web::get().to(login::resume))
    .route("/signup", web::get().to(signup::show))
    .route("/signup", web::post().to(signup::submit))
    .route("/signup/verify", web::get().to(signup::verify_show))
    .route("/signup/verify", web::post().to(signup::verify_submit))
    .route("/signup/passkey", web::get().to(signup::passkey_show))
    .route(
        "/signup/passkey/options",
        web::post().to(signup::passkey_options),
    )
    .route("/signup/passkey", web::post().to(signup::passkey_finish))
    .route("/recover", web::get().to(recover::show))
    .route("/recover", web::post().to(recover::with_code))
    .route("/recover/email", web::post().to(recover::send_email))
    .route("/recover/email/verify", web::get().to(recover::verify_show))
    .route(
        "/recover/email/verify",
        web::post().to(recover::verify_submit),
    )
    .route("/account", web::get().to(account::show))
    .route("/account/passkeys/new", web::get().to(account::new_passkey))
    .route(
        "/account/passkeys/options",
        web::post().to(account::passkey_options),
    )
    .route("/account/passkeys", web::post().to(account::passkey_finish))
    .route(
        "/account/passkeys/{id}/rename",
        web::post().to(account::rename),
    )
    .route(
        "/account/passkeys/{id}/delete",
        web::post().to(account::remove),
    )
    .route(
        "/account/recovery-codes",
        web::post().to(account::new_codes),
    )
    .route("/face", web::get().to(face::step))
    .route("/face/enrol", web::get().to(face::enrol_page))
    .route("/face/consent", web::get().to(face::consent_page))
    .route("/face/consent", web::post().to(face::consent_submit))
    .route("/face/challenge", web::post().to(face_pace::start_verify))
    .route(
        "/face/enrol/challenge",
        web::post().to(face_pace::start_enrol),
    )
    .route("/face/step", web::post().to(face_pace::step_verify))
    .route("/face/enrol/step", web::post().to(face_pace::step_enrol))
    .service(
        web::resource("/face/frames")
            .app_data(web::JsonConfig::default().limit(FRAMES_LIMIT))
            .route(web::post().to(face::frames_verify)),
    )
    .service(
        web::resource("/face/enrol/frames")
            .app_data(web::JsonConfig::default().limit(FRAMES_LIMIT))
            .route(web::post().to(face::frames_enrol)),
    )
    .service(
        web::resource("/face/preview")
            .app_data(web::JsonConfig::default().limit(FRAMES_LIMIT))
            .route(web::post().to(face::preview)),
    )
    .route("/account/face/delete", web::post().to(face::delete))
    .route("/account/export", web::get().to(my_data::export))
    .route("/account/delete", web::get().to(my_data::delete_page))
    .route("/account/delete", web::post().to(my_data::delete))
    .route("/account/apps", web::get().to(my_data::apps))
    .route(
        "/account/apps/{client}/disconnect",
        web::post().to(my_data::disconnect),
    )
    .route("/lang", web::get().to(assets::set_lang))
    .route("/theme.css", web::get().to(assets::theme))
    .route("/themes/{name}/theme.css", web::get().to(assets::theme_css))
    .route(
        "/themes/{name}/files/{file}",
        web::get().to(assets::theme_file),
    )
    .route("/consent", web::get().to(consent::show))
    .route("/consent", web::post().to(consent::submit))
    .route(paths::TOKEN, web::post().to(token::token))
    .route(
        paths::TOKEN,
        web::method(Method::OPTIONS).to(cors::preflight),
    )
    .route(
        paths::USERINFO,
        web::method(Method::OPTIONS).to(cors::preflight),
    )
    .route(paths::INTROSPECT, web::post().to(token::introspect))
    .route(paths::REVOKE, web::post().to(token::revoke))
    .route(paths::USERINFO, web::get().to(userinfo::get))
    .route(paths::USERINFO, web::post().to(userinfo::post))
    .route(paths::END_SESSION, web::get().to(logout::start_get))
    .route(paths::END_SESSION, web::post().to(logout::start_post))
    .route("/logout/confirm", web::post().to(logout::confirm))
    .route("/static/{file}", web::get().to(assets::file))
    .route("/health", web::get().to(health::healthz))
    .route("/", web::get().to(assets::home));
}

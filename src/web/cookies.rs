//! Cookies Visage sets: the session and the CSRF token.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::crypto;

/// The CSRF cookie over plain http (loopback development).
pub const CSRF: &str = "visage_csrf";
/// Over https: the `__Host-` prefix makes browsers refuse the cookie unless
/// this host set it (Secure, `Path=/`, no `Domain`), so a sibling subdomain
/// cannot plant a known token (login CSRF by cookie tossing).
pub const CSRF_HOST: &str = "__Host-visage_csrf";

/// The CSRF cookie's name for this deployment.
pub fn csrf_name(secure: bool) -> &'static str {
    if secure {
        CSRF_HOST
    } else {
        CSRF
    }
}

fn secure_of(req: &HttpRequest) -> bool {
    req.app_data::<actix_web::web::Data<crate::app::AppState>>()
        .is_some_and(|s| s.config.secure_cookies())
}

/// The browser's CSRF cookie value (under the deployment's cookie name).
pub fn csrf_value(req: &HttpRequest) -> Option<String> {
    req.cookie(csrf_name(secure_of(req)))
        .map(|c| c.value().to_owned())
}

/// A new CSRF token, set when a session starts (a token planted before the
/// sign-in stops working with it).
pub fn fresh_csrf(secure: bool) -> Cookie<'static> {
    Cookie::build(csrf_name(secure), crypto::random_token(32))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

pub fn session_cookie(value: &str, secure: bool, max_age: i64) -> Cookie<'static> {
    Cookie::build(crate::auth::session::COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

/// This browser's device cookie value (a new random one when it has none
/// or a malformed one) and the browser it names (`auth::devices`).
pub fn device_of(req: &HttpRequest) -> (String, crate::auth::devices::Device) {
    let token = req
        .cookie(crate::auth::devices::COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| (16..=128).contains(&v.len()))
        .unwrap_or_else(|| crate::crypto::random_token(32));
    let ua = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let device = crate::auth::devices::Device::new(&token, ua);
    (token, device)
}

/// The device cookie, renewed at each sign-in.
pub fn device_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(crate::auth::devices::COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(
            crate::auth::devices::COOKIE_DAYS,
        ))
        .finish()
}

pub fn clear_session(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie("", secure, 0);
    c.make_removal();
    c
}

pub fn session_value(req: &HttpRequest) -> Option<String> {
    req.cookie(crate::auth::session::COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The CSRF token for this browser, and a cookie to set when it is new.
pub fn csrf_token(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(c) = req
        .cookie(csrf_name(secure))
        .filter(|c| c.value().len() == 43)
    {
        return (c.value().to_owned(), None);
    }
    let cookie = fresh_csrf(secure);
    (cookie.value().to_owned(), Some(cookie))
}

/// Double-submit check: the form field equals the cookie (constant time).
pub fn csrf_ok(req: &HttpRequest, submitted: Option<&str>) -> bool {
    match (csrf_value(req), submitted) {
        (Some(c), Some(s)) => !s.is_empty() && crypto::ct_eq(&c, s),
        _ => false,
    }
}

/// Double-submit check for `fetch` calls: the `X-CSRF-Token` header.
pub fn csrf_header_ok(req: &HttpRequest) -> bool {
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    csrf_ok(req, header)
}

/// A short-lived, HttpOnly cookie scoped to `path` (sign-up and recovery steps).
pub fn step_cookie(
    name: &'static str,
    value: &str,
    path: &'static str,
    secure: bool,
    max_age: i64,
) -> Cookie<'static> {
    Cookie::build(name, value.to_owned())
        .path(path)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

pub fn clear_step(name: &'static str, path: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = step_cookie(name, "", path, secure, 0);
    c.make_removal();
    c
}

//! Cookies Visage sets: the session and the CSRF token.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::crypto;

pub const CSRF: &str = "visage_csrf";

pub fn session_cookie(value: &str, secure: bool, max_age: i64) -> Cookie<'static> {
    Cookie::build(crate::auth::session::COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
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
    if let Some(c) = req.cookie(CSRF).filter(|c| c.value().len() == 43) {
        return (c.value().to_owned(), None);
    }
    let token = crypto::random_token(32);
    let cookie = Cookie::build(CSRF, token.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    (token, Some(cookie))
}

/// Double-submit check: the form field equals the cookie (constant time).
pub fn csrf_ok(req: &HttpRequest, submitted: Option<&str>) -> bool {
    match (req.cookie(CSRF), submitted) {
        (Some(c), Some(s)) => !s.is_empty() && crypto::ct_eq(c.value(), s),
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

//! HTTP status codes and bodies for every error, chosen here only.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use crate::oidc::{ErrorCode, OAuthError};

use super::pages;

fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient
        | ErrorCode::InvalidToken
        | ErrorCode::InsufficientUserAuthentication => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn quote(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// RFC 6749 §5.2 JSON error; `invalid_client` → 401 with `WWW-Authenticate`.
pub fn oauth_json(err: &OAuthError) -> HttpResponse {
    let mut resp = HttpResponse::build(status_for(err.code));
    resp.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if err.code == ErrorCode::InvalidClient {
        resp.insert_header((
            header::WWW_AUTHENTICATE,
            "Basic realm=\"visage\", charset=\"UTF-8\"",
        ));
    }
    resp.json(err.to_json())
}

/// RFC 6750 §3 error for a protected resource.
pub fn bearer(err: &OAuthError) -> HttpResponse {
    let challenge = format!(
        "Bearer realm=\"visage\", error=\"{}\", error_description=\"{}\"",
        err.code.as_str(),
        quote(&err.description)
    );
    let mut resp = HttpResponse::build(status_for(err.code));
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.insert_header((header::WWW_AUTHENTICATE, v));
    }
    resp.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(err.to_json())
}

/// 401 for a request with no token at all (RFC 6750 §3.1: no error code).
pub fn bearer_missing() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"visage\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "error": "invalid_request", "error_description": "no access token was sent" }))
}

/// A hosted error page (never a redirect).
pub fn page(status: StatusCode, message: &str) -> HttpResponse {
    pages::render(status, &pages::ErrorPage { message })
}

/// A form whose CSRF token did not match (an old tab, or another site).
pub fn form_expired() -> HttpResponse {
    page(
        StatusCode::FORBIDDEN,
        "The form expired. Go back, reload the page and try again.",
    )
}

/// An unexpected failure on a page.
pub fn page_internal(err: &dyn std::fmt::Display) -> HttpResponse {
    let e = OAuthError::server_error(err);
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!(
            "Something went wrong on our side ({}). Please try again.",
            e.description
        ),
    )
}

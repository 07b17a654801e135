//! CORS for the endpoints a browser app calls itself (`/token`,
//! `/userinfo`). A page at an origin that a client lists in its
//! `allowed_origins` may call them for that client and read the answer; a
//! call from any other origin is refused before it does anything (a code is
//! not spent, a token not read), and a call without `Origin` (a server) is
//! unaffected. A preflight is answered for an origin some enabled client
//! allows.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::oidc::client::Client;
use crate::oidc::OAuthError;

/// How long a browser may keep a preflight's answer.
const MAX_AGE_SECONDS: u32 = 600;

/// The page's origin, when a browser says it (not the opaque `null`).
pub fn origin_of(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|o| !o.is_empty() && *o != "null" && o.len() <= 512)
        .map(str::to_owned)
}

/// Refused unless `client` allows `origin` (no `Origin`: not a browser).
pub fn check(client: &Client, origin: Option<&str>) -> Result<(), OAuthError> {
    match origin {
        Some(o) if !client.allows_origin(o) => Err(OAuthError::invalid_request(format!(
            "a page at {o} may not call this endpoint for client {}",
            client.id
        ))),
        _ => Ok(()),
    }
}

/// Let the page at `origin` read `resp` (a client allowed it).
pub fn allow(mut resp: HttpResponse, origin: Option<&str>) -> HttpResponse {
    if let Some(o) = origin {
        let h = resp.headers_mut();
        if let Ok(v) = header::HeaderValue::from_str(o) {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        h.append(header::VARY, header::HeaderValue::from_static("Origin"));
    }
    resp
}

/// `OPTIONS /token`, `OPTIONS /userinfo`: the preflight of a browser call.
pub async fn preflight(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(origin) = origin_of(&req) else {
        return HttpResponse::BadRequest().finish();
    };
    let o = origin.clone();
    let allowed = state
        .db
        .run(move |c| crate::db::clients::any_allows_origin(c, &o))
        .await;
    match allowed {
        Ok(true) => allow(
            HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "authorization, content-type",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS.to_string()))
                .finish(),
            Some(&origin),
        ),
        Ok(false) => HttpResponse::Forbidden()
            .insert_header((header::VARY, "Origin"))
            .finish(),
        Err(e) => crate::web::error::page_internal(&e),
    }
}

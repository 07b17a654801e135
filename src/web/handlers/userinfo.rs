//! `GET|POST /userinfo` (bearer token in the header, or in a POST form body).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::oidc::{userinfo as ui, OAuthError};
use crate::web::client_auth::form_params;
use crate::web::error;

fn header_token(req: &HttpRequest) -> Result<Option<String>, OAuthError> {
    match req.headers().get(header::AUTHORIZATION) {
        None => Ok(None),
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| OAuthError::invalid_request("malformed Authorization header"))?;
            match v.split_once(' ') {
                Some((scheme, t))
                    if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() =>
                {
                    Ok(Some(t.trim().to_owned()))
                }
                _ => Err(OAuthError::invalid_request(
                    "the Authorization header must be 'Bearer <token>'",
                )),
            }
        }
    }
}

/// The claims for `token`; a browser page (`origin`) only when the token's
/// client allows it, checked before the claims are read.
async fn answer(state: web::Data<AppState>, token: String, origin: Option<String>) -> HttpResponse {
    let ring = state.ring().await;
    // A server's question about rows nothing has changed since: from memory.
    if origin.is_none() {
        let (verified, rows) = (&state.verified, &state.rows);
        let (issuer, now) = (&state.config.issuer, state.clock.now());
        if let Some(claims) = ui::from_memory(verified, rows, &ring, issuer, &token, now) {
            return claims_response(claims, None);
        }
    }
    let st = state.clone();
    let page = origin.clone();
    match state
        .db
        .run(move |c| {
            // A page: the token's client decides. An invalid token is refused
            // just below, as for a server (the cache verifies it once).
            let now = st.clock.now();
            let issuer = &st.config.issuer;
            if let (Some(o), Some(at)) = (
                page.as_deref(),
                st.verified.verify(&ring, issuer, &token, now),
            ) {
                match crate::oidc::client::Client::find(c, &at.client_id)? {
                    Some(k) => crate::web::cors::check(&k, Some(o))?,
                    None => {
                        return Err(OAuthError::invalid_token(
                            "the access token's client no longer exists",
                        ))
                    }
                }
            }
            ui::claims_for(c, &st.verified, &st.rows, &ring, issuer, &token, now)
        })
        .await
    {
        Ok(claims) => claims_response(claims, origin.as_deref()),
        Err(e) => error::bearer(&e),
    }
}

/// The claims, readable by a page (`origin`) only when its token's client
/// allows it.
fn claims_response(
    claims: serde_json::Map<String, serde_json::Value>,
    origin: Option<&str>,
) -> HttpResponse {
    crate::web::cors::allow(
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(claims),
        origin,
    )
}

pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match header_token(&req) {
        Ok(Some(t)) => answer(state, t, crate::web::cors::origin_of(&req)).await,
        Ok(None) => error::bearer_missing(),
        Err(e) => error::bearer(&e),
    }
}

pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let from_header = match header_token(&req) {
        Ok(t) => t,
        Err(e) => return error::bearer(&e),
    };
    let has_body = req.headers().get(header::CONTENT_TYPE).is_some();
    let from_body = if has_body {
        let mut pl: Payload = payload.into_inner();
        match form_params(&req, &mut pl)
            .await
            .and_then(|p| p.get("access_token").map(|t| t.map(str::to_owned)))
        {
            Ok(t) => t,
            Err(e) => return error::bearer(&e),
        }
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => error::bearer(&OAuthError::invalid_request(
            "send the access token in one place only",
        )),
        (Some(t), None) | (None, Some(t)) => {
            answer(state, t, crate::web::cors::origin_of(&req)).await
        }
        (None, None) => error::bearer_missing(),
    }
}

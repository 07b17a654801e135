//! `POST /token`, `/introspect`, `/revoke`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::oidc::{introspect as intro, revoke as rev, token as tok, ErrorCode, OAuthError};
use crate::web::client_auth::ClientCall;
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

pub async fn token(req: HttpRequest, state: web::Data<AppState>, call: ClientCall) -> HttpResponse {
    if let Some(r) = limited(&state, &req) {
        return r;
    }
    let origin = cors::origin_of(&req);
    let ring = state.ring().await;
    let st = state.clone();
    let grant = call
        .params
        .get("grant_type")
        .ok()
        .flatten()
        .unwrap_or("unknown")
        .to_owned();
    if let Some(issued) = in_memory(&state, &call, &ring, origin.as_deref()).await {
        crate::telemetry::tokens_issued(&grant);
        return cors::allow(no_store_json(issued), origin.as_deref());
    }
    let from = origin.clone();
    // Outer error: the client failed (no CORS header); inner: the grant did.
    let res = state
        .db
        .run(move |c| {
            let client = call.authenticate(c, &st)?;
            // A browser page: only from an origin this client allows,
            // checked before the grant is touched.
            cors::check(&client, from.as_deref())?;
            let ctx = context(&st, &ring);
            Ok::<_, OAuthError>(tok::exchange(c, &ctx, &client, &call.params))
        })
        .await;
    let resp = match res {
        Err(e) => return error::oauth_json(&e),
        Ok(Ok(body)) => {
            crate::telemetry::tokens_issued(&grant);
            no_store_json(body)
        }
        Ok(Err(e)) => error::oauth_json(&e),
    };
    cors::allow(resp, origin.as_deref())
}

/// What the grants need from the server.
fn context<'a>(st: &'a AppState, ring: &'a crate::keys::KeyRing) -> tok::TokenContext<'a> {
    tok::TokenContext {
        master_key: &st.master_key,
        ring,
        minter: &st.minter,
        refresh_grace: st.config.tokens.refresh_grace_seconds,
        now: st.clock.now(),
    }
}

/// A token issued without the database, for a client whose row is kept in
/// memory (`ClientCall::remembered`) and a grant that needs nothing else
/// from it; signing on the blocking threads (RSA takes a millisecond).
/// None: the database path, which also gives every refusal.
async fn in_memory(
    state: &web::Data<AppState>,
    call: &ClientCall,
    ring: &std::sync::Arc<crate::keys::KeyRing>,
    origin: Option<&str>,
) -> Option<crate::oidc::issue::TokenResponse> {
    if call.params.get("grant_type").ok().flatten() != Some("client_credentials") {
        return None;
    }
    let client = call.remembered(state)?;
    cors::check(&client, origin).ok()?;
    let (st, ring, params) = (state.clone(), ring.clone(), call.params.clone());
    web::block(move || tok::exchange_in_memory(&context(&st, &ring), &client, &params))
        .await
        .ok()
        .flatten()
}

pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    call: ClientCall,
) -> HttpResponse {
    if let Some(r) = limited(&state, &req) {
        return r;
    }
    let ring = state.ring().await;
    // A question asked before, about rows nothing has changed since: from memory.
    if let (Some(client), Ok(token)) = (call.remembered(&state), call.params.require("token")) {
        let now = state.clock.now();
        let (rows, verified, issuer) = (&state.rows, &state.verified, &state.config.issuer);
        if let Some(body) = intro::from_memory(rows, verified, &ring, issuer, &client, token, now) {
            return no_store_json(body);
        }
    }
    let st = state.clone();
    let res = state
        .db
        .run(move |c| {
            let token = call.params.require("token")?;
            let stamp = st.rows.stamp();
            // A JWT's row is read with the caller's client row: one
            // statement, one database round trip.
            let (client, looked_up) = match intro::claimed_jti(token) {
                Some(jti) => {
                    let mut found = None;
                    let client = call.authenticate_with(
                        c,
                        &st,
                        &mut intro::with_token_row(&jti, &mut found),
                    )?;
                    if let Some((_, Some(row))) = &found {
                        st.rows.keep_token(stamp, row);
                    }
                    (client, found)
                }
                None => (call.authenticate(c, &st)?, None),
            };
            intro::introspect(
                c,
                &st.verified,
                &ring,
                &st.config.issuer,
                &client,
                token,
                looked_up,
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
    call: ClientCall,
) -> HttpResponse {
    if let Some(r) = limited(&state, &req) {
        return r;
    }
    let ring = state.ring().await;
    let st = state.clone();
    let res = state
        .db
        .run(move |c| {
            let client = call.authenticate(c, &st)?;
            let token = call.params.require("token")?;
            let hint = call.params.get("token_type_hint")?;
            rev::revoke(
                c,
                &ring,
                &st.config.issuer,
                &client,
                token,
                hint,
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

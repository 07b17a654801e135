//! Extractor: a form-encoded request from an authenticated client.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::app::AppState;
use crate::oidc::client::Client;
use crate::oidc::client_auth::{authenticate, extract, Audience};
use crate::oidc::params::Params;
use crate::oidc::OAuthError;

/// The client that authenticated and the request's parameters.
pub struct ClientRequest {
    pub client: Client,
    pub params: Params,
}

#[derive(Debug)]
pub struct ClientAuthRejection(pub OAuthError);

impl std::fmt::Display for ClientAuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ClientAuthRejection {
    fn error_response(&self) -> HttpResponse {
        super::error::oauth_json(&self.0)
    }
}

/// Parse a form body, refusing other content types.
pub async fn form_params(req: &HttpRequest, payload: &mut Payload) -> Result<Params, OAuthError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body = web::Bytes::from_request(req, payload)
        .await
        .map_err(|_| OAuthError::invalid_request("the request body is too large or unreadable"))?;
    Params::parse(&body)
}

impl FromRequest for ClientRequest {
    type Error = ClientAuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ClientAuthRejection(OAuthError::server_error(&"state missing")))?;
            let params = form_params(&req, &mut payload)
                .await
                .map_err(ClientAuthRejection)?;
            let authz = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let creds = extract(authz.as_deref(), &params).map_err(ClientAuthRejection)?;
            let now = state.clock.now();
            let issuer = state.config.issuer.clone();
            let endpoint = format!("{issuer}{}", req.path());
            let st = state.clone();
            let client = state
                .db
                .run(move |c| {
                    authenticate(
                        c,
                        &st.master_key,
                        &creds,
                        &Audience {
                            issuer: &issuer,
                            endpoint: &endpoint,
                        },
                        now,
                    )
                })
                .await
                .map_err(ClientAuthRejection)?;
            // A client kept to address ranges: a call from elsewhere fails
            // like a wrong secret, and is audited.
            let ip = crate::web::rate_limit::client_ip(&req);
            if !client.allows_address(ip) {
                refused_from(&state, &client.id, ip).await;
                return Err(ClientAuthRejection(OAuthError::invalid_client(
                    "client authentication failed",
                )));
            }
            Ok(ClientRequest { client, params })
        })
    }
}

/// Audit a client's call from outside its allowed networks.
async fn refused_from(state: &AppState, id: &crate::ids::ClientId, ip: Option<std::net::IpAddr>) {
    let (id, now) = (id.clone(), state.clock.now());
    let ev = crate::audit::Event::new("auth", "client.network", "blocked")
        .client(&id)
        .ip(ip.map(|i| i.to_string()));
    if let Err(e) = state
        .db
        .run(move |c| crate::audit::record(c, &ev, now))
        .await
    {
        tracing::error!("audit of a refused client call: {e}");
    }
}

//! Extractor: a form-encoded request from a client, with its credentials
//! read. They are checked by `ClientCall::authenticate` on the database
//! thread the handler uses for its own work, so a token, introspection or
//! revocation request makes one trip to the database threads, not two.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::app::AppState;
use crate::db::DbConnection;
use crate::oidc::client::Client;
use crate::oidc::client_auth::{
    authenticate, by_id, extract, secret_holds, Audience, Credentials, Loader,
};
use crate::oidc::params::Params;
use crate::oidc::OAuthError;

/// A client's request: its parameters and the credentials it presented.
pub struct ClientCall {
    pub params: Params,
    creds: Credentials,
    endpoint: String,
    ip: Option<IpAddr>,
}

impl ClientCall {
    /// The client, once its credentials hold and the call comes from an
    /// address it allows (a call from elsewhere fails like a wrong secret,
    /// and is audited).
    pub fn authenticate(
        &self,
        conn: &mut DbConnection,
        state: &AppState,
    ) -> Result<Client, OAuthError> {
        self.authenticate_with(conn, state, &mut by_id)
    }

    /// The client from memory (`AppState::rows`), when its row is kept
    /// there and these credentials are its secret, presented from an
    /// address it allows. None: authenticate through the database, which
    /// also audits a refusal.
    pub fn remembered(&self, state: &AppState) -> Option<Arc<Client>> {
        let (Credentials::Basic { id, secret } | Credentials::Post { id, secret }) = &self.creds
        else {
            return None;
        };
        let client = state.rows.client(id)?;
        let holds = !client.disabled
            && secret_holds(&client, secret, &state.master_key)
            && client.allows_address(self.ip);
        holds.then_some(client)
    }

    /// [`ClientCall::authenticate`], the client's row read by `loader`
    /// (with more in the same statement).
    pub fn authenticate_with(
        &self,
        conn: &mut DbConnection,
        state: &AppState,
        loader: Loader<'_>,
    ) -> Result<Client, OAuthError> {
        let now = state.clock.now();
        let audience = Audience {
            issuer: &state.config.issuer,
            endpoint: &self.endpoint,
        };
        let stamp = state.rows.stamp();
        let client = authenticate(conn, &state.master_key, &self.creds, &audience, now, loader)?;
        if !client.allows_address(self.ip) {
            let ev = crate::audit::Event::new("auth", "client.network", "blocked")
                .client(&client.id)
                .ip(self.ip.map(|i| i.to_string()));
            if let Err(e) = crate::audit::record(conn, &ev, now) {
                tracing::error!("audit of a refused client call: {e}");
            }
            return Err(OAuthError::invalid_client("client authentication failed"));
        }
        state.rows.keep_client(stamp, &client);
        Ok(client)
    }
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

impl FromRequest for ClientCall {
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
                .and_then(|v| v.to_str().ok());
            let creds = extract(authz, &params).map_err(ClientAuthRejection)?;
            Ok(ClientCall {
                params,
                creds,
                endpoint: format!("{}{}", state.config.issuer, req.path()),
                ip: crate::web::rate_limit::client_ip(&req),
            })
        })
    }
}

//! RP-Initiated Logout: `GET|POST /logout` asks, `POST /logout/confirm` ends the session.

use actix_web::http::header;

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::session;
use crate::crypto;
use crate::db::login_tx;
use crate::oidc::client::Client;
use crate::oidc::end_session::{self, LogoutRequest};
use crate::oidc::params::Params;
use crate::oidc::OAuthError;
use crate::web::extract::Csrf;
use crate::web::ui::Ui;
use crate::web::{cookies, error, pages};

/// Logout requests are parked like login transactions (same table, tagged).
const TAG: &str = "logout:";

async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Result<Params, OAuthError>,
) -> HttpResponse {
    let params = match params {
        Ok(p) => p,
        Err(e) => return error::page(Reply::Invalid, &e.description),
    };
    let ring = state.ring().await;
    let st = state.clone();
    let res = state
        .db
        .run(
            move |c| -> Result<Result<(String, LogoutRequest), String>, OAuthError> {
                let now = st.clock.now();
                let client =
                    match end_session::requested_client_id(&params, &ring, &st.config.issuer) {
                        Ok(Some(id)) => Client::find(c, &id)?,
                        Ok(None) => None,
                        Err(m) => return Ok(Err(m)),
                    };
                let lr = match end_session::validate(&params, client) {
                    Ok(lr) => lr,
                    Err(m) => return Ok(Err(m)),
                };
                let id = crypto::random_token(24);
                let json = serde_json::to_string(&lr).map_err(|e| OAuthError::server_error(&e))?;
                login_tx::insert(
                    c,
                    &crypto::token_hash(&id),
                    &format!("{TAG}{json}"),
                    now,
                    now + st.config.session.login_transaction_ttl_seconds,
                )?;
                Ok(Ok((id, lr)))
            },
        )
        .await;
    let (id, lr) = match res {
        Ok(Ok(v)) => v,
        Ok(Err(m)) => return error::page(Reply::Invalid, &m),
        Err(e) => return error::page_internal(&e),
    };
    let (csrf, new_cookie) = cookies::csrf_token(&req, state.config.secure_cookies());
    let mut resp = pages::render(
        Reply::Shown,
        &pages::LogoutPage {
            id: &id,
            csrf: &csrf,
            client_name: lr.client_name.as_deref(),
        },
    );
    if let Some(c) = new_cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub async fn start_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = Params::parse(req.query_string().as_bytes());
    start(req, state, params).await
}

pub async fn start_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let params = Params::parse(&body);
    start(req, state, params).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    id: String,
    csrf: Option<String>,
}

pub async fn confirm(
    Csrf(form): Csrf<ConfirmForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let cookie = cookies::session_value(&req);
    let id = form.id.clone();
    let st = state.clone();
    let res = state
        .db
        .run(move |c| -> Result<Option<LogoutRequest>, OAuthError> {
            let now = st.clock.now();
            let hash = crypto::token_hash(&id);
            let Some(stored) = login_tx::find_live(c, &hash, now)? else {
                return Ok(None);
            };
            let Some(json) = stored.strip_prefix(TAG) else {
                return Ok(None);
            };
            let lr: LogoutRequest =
                serde_json::from_str(json).map_err(|e| OAuthError::server_error(&e))?;
            login_tx::take(c, &hash)?;
            if let Some(cookie) = cookie {
                if let Some(s) = session::current(c, &cookie, now)? {
                    session::end(c, &s.sid, now)?;
                    crate::audit::record(
                        c,
                        &crate::audit::Event::new("auth", "logout", "success").user(&s.user_id),
                        now,
                    )?;
                }
            }
            Ok(Some(lr))
        })
        .await;
    let clear = cookies::clear_session(state.config.secure_cookies());
    match res {
        Ok(Some(lr)) => {
            let mut resp = match lr.redirect {
                Some(url) => HttpResponse::Found()
                    .insert_header((header::LOCATION, url))
                    .finish(),
                None => pages::render(Reply::Shown, &pages::SignedOutPage),
            };
            let _ = resp.add_cookie(&clear);
            resp
        }
        Ok(None) => error::page(
            Reply::Invalid,
            Ui::new(&req, &state, None, None).tr.t("logout.expired"),
        ),
        Err(e) => error::page_internal(&e),
    }
}

crate::csrf_field!(ConfirmForm);

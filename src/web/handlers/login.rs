//! `GET|POST /login`: the password form of a login transaction.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::{password, session};
use crate::db::{clients, users};
use crate::oidc::flow;
use crate::oidc::types::ACR_PASSWORD;
use crate::oidc::OAuthError;
use crate::web::{cookies, error, pages, rate_limit};

use super::outcome::respond;

#[derive(Deserialize)]
pub struct TxQuery {
    tx: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    tx: String,
    csrf: Option<String>,
    email: String,
    password: String,
}

/// Client name and login hint of an open transaction, or the page to show.
async fn context(state: &web::Data<AppState>, tx: &str) -> Result<(String, String), HttpResponse> {
    let tx = tx.to_owned();
    let now = state.clock.now();
    let res = state
        .db
        .run(
            move |c| -> Result<Result<(String, String), String>, OAuthError> {
                let req = match flow::parked(c, &tx, now)? {
                    Ok(r) => r,
                    Err(m) => return Ok(Err(m)),
                };
                let name = clients::find(c, &req.client_id)?
                    .map(|r| r.name)
                    .unwrap_or_default();
                Ok(Ok((name, req.login_hint.unwrap_or_default())))
            },
        )
        .await;
    match res {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(m)) => Err(error::page(StatusCode::BAD_REQUEST, &m)),
        Err(e) => Err(error::page_internal(&e)),
    }
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    tx: &str,
    client: &str,
    email: &str,
    err: Option<&str>,
) -> HttpResponse {
    let (csrf, new_cookie) = cookies::csrf_token(req, state.config.secure_cookies());
    let page = pages::LoginPage {
        tx,
        csrf: &csrf,
        client_name: client,
        email,
        error: err,
        password_enabled: state.config.login.password_enabled,
    };
    let mut resp = pages::render(status, &page);
    if let Some(c) = new_cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TxQuery>,
) -> HttpResponse {
    let Some(tx) = q.tx.as_deref() else {
        return error::page(
            StatusCode::BAD_REQUEST,
            "Sign-in starts at the application you want to use.",
        );
    };
    match context(&state, tx).await {
        Ok((client, hint)) => render(&req, &state, StatusCode::OK, tx, &client, &hint, None),
        Err(page) => page,
    }
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !cookies::csrf_ok(&req, form.csrf.as_deref()) {
        return error::page(
            StatusCode::FORBIDDEN,
            "The form expired. Go back, reload the page and try again.",
        );
    }
    let (client, _) = match context(&state, &form.tx).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    if !state.config.login.password_enabled {
        return error::page(StatusCode::FORBIDDEN, "Password sign-in is turned off.");
    }
    let ip = rate_limit::client_ip(&req).map(|i| i.to_string());
    if !rate_limit::allow(&state.limits.login, &req) {
        let ev = Event::new("auth", "login.password", "rate_limited").ip(ip);
        let now = state.clock.now();
        let _ = state.db.run(move |c| audit::record(c, &ev, now)).await;
        return render(
            &req,
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &form.tx,
            &client,
            &form.email,
            Some("Too many attempts. Wait a minute and try again."),
        );
    }
    let email = form.email.clone();
    let user = match state.db.run(move |c| users::find_by_email(c, &email)).await {
        Ok(u) => u.filter(|u| !u.disabled),
        Err(e) => return error::page_internal(&e),
    };
    let pw = form.password.clone();
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = web::block(move || password::verify(&pw, stored.as_deref()))
        .await
        .unwrap_or(false);
    let now = state.clock.now();
    let Some(user) = user.filter(|u| ok && u.email_verified) else {
        let ev = Event::new("auth", "login.password", "failure")
            .ip(ip)
            .detail(serde_json::json!({ "reason": "bad_credentials" }));
        let _ = state.db.run(move |c| audit::record(c, &ev, now)).await;
        return render(
            &req,
            &state,
            StatusCode::OK,
            &form.tx,
            &client,
            &form.email,
            Some("The email or password is incorrect."),
        );
    };
    let ring = state.ring().await;
    let st = state.clone();
    let tx = form.tx.clone();
    let result = state
        .db
        .run(move |c| {
            let amr = vec!["pwd".to_owned()];
            let (sess, cookie) = session::start(
                c,
                &user.id,
                ACR_PASSWORD,
                &amr,
                st.config.session.ttl_seconds,
                now,
            )?;
            audit::record(
                c,
                &Event::new("auth", "login.password", "success")
                    .user(&user.id)
                    .ip(ip),
                now,
            )?;
            let env = st.flow_env(&ring, now);
            Ok::<_, OAuthError>((flow::after_login(c, &env, &tx, &sess)?, cookie))
        })
        .await;
    match result {
        Ok((outcome, cookie)) => {
            let mut resp = respond(outcome);
            let _ = resp.add_cookie(&cookies::session_cookie(
                &cookie,
                state.config.secure_cookies(),
                state.config.session.ttl_seconds,
            ));
            resp
        }
        Err(e) => error::page_internal(&e),
    }
}

//! `GET|POST /consent`.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::users;
use crate::oidc::flow;
use crate::oidc::OAuthError;
use crate::web::extract::Csrf;
use crate::web::ui::{Brand, Ui};
use crate::web::{error, pages};

use super::outcome::respond;

#[derive(Deserialize)]
pub struct TxQuery {
    tx: Option<String>,
}

#[derive(Deserialize)]
pub struct ConsentForm {
    tx: String,
    csrf: Option<String>,
    decision: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TxQuery>,
) -> HttpResponse {
    let Some(tx) = q.tx.clone() else {
        return error::page(
            Reply::Invalid,
            Ui::new(&req, &state, None, None).tr.t("consent.no_request"),
        );
    };
    let sess = match super::signin::current(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return HttpResponse::Found()
                .insert_header((
                    "Location",
                    format!(
                        "/login?tx={}",
                        url::form_urlencoded::byte_serialize(tx.as_bytes()).collect::<String>()
                    ),
                ))
                .finish()
        }
        Err(e) => return error::page_internal(&e),
    };
    let now = state.clock.now();
    let t = tx.clone();
    let loaded = state
        .db
        .run(move |c| -> Result<Result<_, String>, OAuthError> {
            let req = match flow::parked(c, &t, now)? {
                Ok(r) => r,
                Err(m) => return Ok(Err(m)),
            };
            let client = crate::oidc::client::Client::find(c, &req.client_id)?;
            let email = users::find(c, &sess.user_id)?
                .map(|u| u.email)
                .unwrap_or_default();
            Ok(Ok((req, client, email)))
        })
        .await;
    let (auth_req, client, email) = match loaded {
        Ok(Ok(v)) => v,
        Ok(Err(m)) => return error::page(Reply::Invalid, &m),
        Err(e) => return error::page_internal(&e),
    };
    let brand = client.as_ref().map(Brand::of);
    let client_name = brand
        .as_ref()
        .map(|b| b.client_name.clone())
        .unwrap_or_default();
    let ui = Ui::new(&req, &state, brand, auth_req.ui_locales.as_deref());
    let scopes = auth_req
        .scope
        .iter()
        .filter_map(|s| pages::scope_keys(s))
        .map(|(t, d)| (ui.tr.t(&t), ui.tr.t(&d)))
        .collect();
    let page = pages::ConsentPage {
        ui: &ui,
        tx: &tx,
        client_name: &client_name,
        user_email: &email,
        scopes,
    };
    ui.render(Reply::Shown, &page)
}

pub async fn submit(
    Csrf(form): Csrf<ConsentForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let sess = match super::signin::current(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return error::page(
                Reply::Invalid,
                Ui::new(&req, &state, None, None)
                    .tr
                    .t("consent.session_ended"),
            )
        }
        Err(e) => return error::page_internal(&e),
    };
    let approved = form.decision.as_deref() == Some("allow");
    let ring = state.ring().await;
    let st = state.clone();
    let result = state
        .db
        .run(move |c| {
            let env = st.flow_env(&ring, st.clock.now());
            flow::after_consent(c, &env, &form.tx, &sess, approved)
        })
        .await;
    match result {
        Ok(outcome) => respond(outcome),
        Err(e) => error::page_internal(&e),
    }
}

crate::csrf_field!(ConsentForm);

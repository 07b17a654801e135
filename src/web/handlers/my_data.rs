//! The person's own data (issue 17): `GET /account/export` (everything
//! Visage keeps about them, one JSON file) and `/account/apps` (the apps they
//! gave access to, each of which they can disconnect).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::my_data;
use crate::web::error::{Reply, WebError};
use crate::web::extract::{Csrf, SignedIn};
use crate::web::pages;
use crate::web::rate_limit::client_ip;
use crate::web::ui::{see_other, Ui};

use crate::web::extract::CsrfForm;

#[derive(Deserialize)]
pub struct AppsQuery {
    done: Option<String>,
}

/// `GET /account/export`: a download, never cached.
pub async fn export(
    state: web::Data<AppState>,
    SignedIn(sess): SignedIn,
) -> Result<HttpResponse, WebError> {
    let now = state.clock.now();
    let data = state
        .db
        .run(move |c| my_data::collect(c, &sess.user_id, now))
        .await
        .map_err(|e| WebError::internal_page(&e))?
        .ok_or_else(|| WebError::SeeOther("/login".into()))?;
    let day = chrono::DateTime::from_timestamp(now, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let mut resp = crate::web::error::json_reply(Reply::Shown, &data);
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_str(&format!(
            "attachment; filename=\"visage-my-data-{day}.json\""
        ))
        .map_err(|e| WebError::internal_page(&e))?,
    );
    Ok(resp)
}

/// `GET /account/apps`.
pub async fn apps(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AppsQuery>,
    SignedIn(sess): SignedIn,
) -> Result<HttpResponse, WebError> {
    let uid = sess.user_id.clone();
    let apps = state
        .db
        .run(move |c| my_data::apps(c, &uid))
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    let ui = Ui::new(&req, &state, None, None);
    let views = apps
        .into_iter()
        .map(|a| pages::AppView {
            granted: crate::clock::utc_minutes(a.granted_at),
            scopes: a.scopes.join(" "),
            client_id: a.client_id.to_string(),
            name: a.name,
        })
        .collect();
    let message = (q.done.as_deref() == Some("disconnected")).then(|| ui.tr.t("apps.disconnected"));
    Ok(ui.render(
        Reply::Shown,
        &pages::AppsPage {
            ui: &ui,
            apps: views,
            message,
        },
    ))
}

/// `POST /account/apps/{client}/disconnect`.
pub async fn disconnect(
    _: Csrf<CsrfForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    client: web::Path<crate::ids::ClientId>,
    SignedIn(sess): SignedIn,
) -> Result<HttpResponse, WebError> {
    let (now, ip) = (state.clock.now(), client_ip(&req).map(|i| i.to_string()));
    let client = client.into_inner();
    let had = state
        .db
        .run(move |c| my_data::disconnect(c, &sess.user_id, &client, ip, now))
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    if had {
        Ok(see_other("/account/apps?done=disconnected"))
    } else {
        let ui = Ui::new(&req, &state, None, None);
        Err(WebError::Page(
            Reply::Missing,
            ui.tr.t("apps.missing").into(),
        ))
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: Option<String>,
    confirm: Option<String>,
}

crate::csrf_field!(DeleteForm);

/// `GET /account/delete`: what goes, and the confirmation.
pub async fn delete_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn(_): SignedIn,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::new(&req, &state, None, None);
    Ok(ui.render(
        Reply::Shown,
        &pages::DeleteAccountPage {
            ui: &ui,
            error: None,
        },
    ))
}

/// `POST /account/delete`: with a fresh sign-in at the account's highest
/// level (passkey, and face when enrolled), erase everything at once; the
/// former address gets a notice.
pub async fn delete(
    Csrf(form): Csrf<DeleteForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let ui = Ui::new(&req, &state, None, None);
    if form.confirm.is_none() {
        let page = pages::DeleteAccountPage {
            ui: &ui,
            error: Some(ui.tr.t("delete.confirm_needed")),
        };
        return Ok(ui.render(Reply::Invalid, &page));
    }
    let sess = super::guard::changing(
        &req,
        &state,
        crate::auth::assurance::Change::DeleteAccount,
        super::guard::Answer::Page,
    )
    .await?;
    let (now, ip) = (state.clock.now(), client_ip(&req).map(|i| i.to_string()));
    let uid = sess.user_id.clone();
    let gone = state
        .db
        .run(move |c| Ok::<_, crate::db::DbError>(my_data::delete_account(c, &uid, ip, now)))
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    match gone {
        Ok(Some(d)) => {
            crate::mail::alerts::account_deleted(&state.outbox(), &d.email, d.locale.as_deref())
                .await;
            let mut resp = crate::web::error::page(Reply::Shown, ui.tr.t("delete.done"));
            let _ = resp.add_cookie(&crate::web::cookies::clear_session(
                state.config.secure_cookies(),
            ));
            Ok(resp)
        }
        Ok(None) => Err(WebError::SeeOther("/login".into())),
        Err(my_data::DeleteError::LastOwner) => Err(WebError::Page(
            Reply::Conflict,
            ui.tr.t("delete.last_owner").into(),
        )),
        Err(my_data::DeleteError::Db(e)) => Err(WebError::internal_page(&e)),
    }
}

//! Console alerts (`/admin/alerts`): the unresolved alerts first, the
//! registrations waiting for approval, then the latest resolved alerts;
//! acknowledge and resolve, approve and reject (`admin:write`).

use askama::Template;

use crate::admin::alerts::{self, AlertError};
use crate::admin::registrations::{self, Decision, RegistrationError, Waiting};
use crate::db::alerts::AlertRow;

use super::*;

#[derive(Template)]
#[template(path = "admin/alerts.html")]
pub struct AlertsPage<'a> {
    pub chrome: &'a Chrome<'a>,
    pub unresolved: Vec<AlertRow>,
    pub waiting: Vec<Waiting>,
    pub resolved: Vec<AlertRow>,
}

impl AlertsPage<'_> {
    fn at(&self, t: &i64) -> String {
        utc(*t)
    }

    fn about(&self, a: &AlertRow) -> String {
        match (&a.user_id, &a.address) {
            (Some(u), _) => u.to_string(),
            (None, Some(ip)) => ip.clone(),
            (None, None) => self.chrome.t("admin.alerts.deployment").to_owned(),
        }
    }
}

pub async fn alerts_page(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (unresolved, waiting, resolved) = state
        .db
        .run(|db| {
            let open = alerts::list(db, Some("unresolved"))?.items;
            let waiting = registrations::list(db)?.items;
            let mut done = alerts::list(db, Some("resolved"))?.items;
            done.truncate(20);
            Ok::<_, crate::db::DbError>((open, waiting, done))
        })
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    let (ch, cookie) = chrome(&req, &state, &c, "alerts");
    let page = AlertsPage {
        chrome: &ch,
        unresolved,
        waiting,
        resolved,
    };
    Ok(show(Reply::Shown, &page, cookie))
}

/// `POST /admin/alerts/{id}/acknowledge` or `/resolve`.
pub async fn alert_action(
    ConsoleChange { console: c, .. }: ConsoleChange<Writes, CsrfForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, what) = path.into_inner();
    let Some(resolve) = alerts::resolves(&what) else {
        return Err(WebError::Page(
            Reply::Invalid,
            format!("no alert action '{what}'"),
        ));
    };
    let now = state.clock.now();
    let res = state
        .db
        .run(move |db| alerts::handle(db, &c.actor, &id, resolve, now))
        .await;
    match res {
        Ok(_) => Ok(see_other("/admin/alerts?done=saved")),
        Err(AlertError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => Err(WebError::Page(Reply::Invalid, e.to_string())),
    }
}

/// `POST /admin/registrations/{id}/approve` or `/reject`; the person is
/// mailed the decision.
pub async fn registration_action(
    ConsoleChange { console: c, .. }: ConsoleChange<Writes, CsrfForm>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, what) = path.into_inner();
    let Some(decision) = Decision::parse(&what) else {
        return Err(WebError::Page(
            Reply::Invalid,
            format!("no registration action '{what}'"),
        ));
    };
    let now = state.clock.now();
    let res = state
        .db
        .run(move |db| registrations::decide(db, &c.actor, &id, decision, now))
        .await;
    match res {
        Ok(decided) => {
            crate::mail::alerts::registration_decided(&state.outbox(), &decided).await;
            Ok(see_other("/admin/alerts?done=saved"))
        }
        Err(RegistrationError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => Err(WebError::Page(Reply::Invalid, e.to_string())),
    }
}

//! Console alerts (`/admin/alerts`): the unresolved alerts first, then the
//! latest resolved ones; acknowledge and resolve (`admin:write`).

use askama::Template;

use crate::admin::alerts::{self, AlertError};
use crate::db::alerts::AlertRow;

use super::*;

#[derive(Template)]
#[template(path = "admin/alerts.html")]
pub struct AlertsPage<'a> {
    pub chrome: &'a Chrome<'a>,
    pub unresolved: Vec<AlertRow>,
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
    let (unresolved, resolved) = state
        .db
        .run(|db| {
            let open = alerts::list(db, Some("unresolved"))?.items;
            let mut done = alerts::list(db, Some("resolved"))?.items;
            done.truncate(20);
            Ok::<_, crate::db::DbError>((open, done))
        })
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    let (ch, cookie) = chrome(&req, &state, &c, "alerts");
    let page = AlertsPage {
        chrome: &ch,
        unresolved,
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

//! Console form that gives, changes or removes an administrator role of a
//! person or of a client (for the admin API); owners only, after a fresh sign-in.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::web::error::WebError;

use crate::admin::roles::{self, Role, RoleError};
use crate::app::AppState;
use crate::web::ui::see_other;

use super::change::{Administrators, ConsoleChange};
use super::tr_of;

#[derive(Deserialize)]
pub struct RoleForm {
    csrf: Option<String>,
    /// `owner`, `admin`, `auditor`, or empty to remove the role.
    #[serde(default)]
    role: String,
}

pub async fn set_role(
    ConsoleChange {
        console: c, form, ..
    }: ConsoleChange<Administrators, RoleForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (kind, subject) = path.into_inner();
    let back = match kind.as_str() {
        "user" => format!("/admin/users/{subject}"),
        "client" => format!("/admin/clients/{subject}"),
        _ => {
            return Err(WebError::Page(
                Reply::Missing,
                tr_of(&req, &state).t("admin.missing.kind").to_owned(),
            ))
        }
    };
    c.fresh_or_sign_in(&state, &back)?;
    let role = match Some(form.role.trim())
        .filter(|r| !r.is_empty())
        .map(str::parse::<Role>)
    {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(m)) => return Err(WebError::Page(Reply::Invalid, m.clone())),
    };
    let now = state.clock.now();
    let res = state
        .db
        .run(move |db| match role {
            Some(r) => roles::grant(db, &kind, &subject, r, &c.actor.label, now),
            None => roles::remove(db, &subject, &c.actor.label, now).map(|_| ()),
        })
        .await;
    match res {
        Ok(()) => Ok(see_other(&format!("{back}?done=saved"))),
        Err(RoleError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => Err(WebError::Page(Reply::Invalid, e.to_string())),
    }
}

crate::csrf_field!(RoleForm);

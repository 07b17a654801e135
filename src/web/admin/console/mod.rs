//! `/admin`: the console. This module holds what every page shares (the
//! chrome, the administrator, CSRF and freshness checks) and the overview;
//! each section's pages live in their own module. Handlers call the same
//! admin functions as the API and render a page.

mod alert_pages;
mod audit_pages;
mod change;
mod client_pages;
mod incident_pages;
mod invitation_pages;
mod key_pages;
mod policy_pages;
mod role_form;
mod user_pages;

pub use alert_pages::*;
pub use audit_pages::*;
pub use change::*;
pub use client_pages::*;
pub use incident_pages::*;
pub use invitation_pages::*;
pub use key_pages::*;
pub use policy_pages::*;
pub use role_form::*;
pub use user_pages::*;

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::admin::audit_log::{self, AuditQuery};
use crate::admin::clients::{matching, ClientInput, ClientView};
use crate::admin::roles::{Actor, Role, KEYS, ROLES, WRITE};
use crate::admin::{face_policy, invitations, keys, sessions, users};
use crate::app::AppState;
use crate::keys::KeyError;
use crate::oidc::branding::Branding;
use crate::oidc::client::Client;
use crate::oidc::client_admin::{self, ClientAdminError};
use crate::web::cookies::csrf_token;
use crate::web::error::WebError;
pub use crate::web::extract::CsrfForm;
use crate::web::ui::{local_path, see_other};
use crate::web::{error, pages};

use super::chart::Charts;
use super::console_auth::Console;
use super::policy_form::{PolicyForm, PolicyVersionView, PolicyView};
use super::views::*;
const PER_PAGE: i64 = 25;

/// The page chrome for `console` and the CSRF cookie to set, if new.
fn chrome<'s>(
    req: &HttpRequest,
    state: &'s AppState,
    c: &Console,
    section: &'static str,
) -> (Chrome<'s>, Option<actix_web::cookie::Cookie<'static>>) {
    let (csrf, cookie) = csrf_token(req, state.config.secure_cookies());
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
    let tr = tr_of(req, state);
    let chrome = Chrome {
        tr,
        here: crate::web::ui::here(req),
        who: c.actor.name.clone(),
        role: c.actor.role.as_str(),
        csrf,
        section,
        can_write: c.actor.may(WRITE),
        can_keys: c.actor.may(KEYS),
        can_roles: c.actor.may(ROLES),
        notice: q.get("done").map(|d| tr.t(done_key(d)).to_owned()),
        error: None,
        themes: state.themes.names().map(str::to_owned).collect(),
    };
    (chrome, cookie)
}

/// The console's strings in the reader's language (`?lang=`, the
/// language cookie, `Accept-Language`).
pub(super) fn tr_of<'s>(req: &HttpRequest, state: &'s AppState) -> crate::i18n::Tr<'s> {
    state.i18n.tr(crate::web::ui::negotiate(req, None))
}

/// The message after `?done=KEY`.
fn done_key(key: &str) -> &'static str {
    match key {
        "disabled" => "admin.done.disabled",
        "enabled" => "admin.done.enabled",
        "deleted" => "admin.done.deleted",
        "signed_out" => "admin.done.signed_out",
        "rotated" => "admin.done.rotated",
        "saved" => "admin.done.saved",
        "invitation_sent" => "admin.done.invitation_sent",
        "invitation_revoked" => "admin.done.invitation_revoked",
        "retired" => "admin.done.retired",
        "session_ended" => "admin.done.session_ended",
        "revoked" => "admin.done.revoked",
        "incident" => "admin.done.incident",
        _ => "admin.done.done",
    }
}

fn show(
    status: Reply,
    page: &dyn askama::DynTemplate,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    let mut resp = pages::render(status, page);
    if let Some(c) = cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

/// `what` names the action: `admin.cannot.WHAT` in the catalogue.
fn forbidden(tr: crate::i18n::Tr<'_>, actor: &Actor, what: &str) -> WebError {
    let action = tr.t(&format!("admin.cannot.{what}"));
    let text = tr.f(
        "admin.forbidden",
        &[("role", actor.role.as_str()), ("what", action)],
    );
    WebError::Page(Reply::Forbidden, text)
}

fn page_links(base: &str, q: &str, page: i64, pages: i64) -> (String, String) {
    let href = |p: i64| crate::web::admin::link(base, &[("q", q), ("page", &p.to_string())]);
    (href((page - 1).max(1)), href((page + 1).min(pages.max(1))))
}

pub async fn overview(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let now = state.clock.now();
    let res = state
        .db
        .run(move |db| -> Result<_, ClientAdminError> {
            let clients = client_admin::list(db)?.len();
            let users = users::search(db, "", 1, 1)?.total;
            Ok((clients, users, audit_log::stats(db, now)?))
        })
        .await;
    let (clients, users, stats) = match res {
        Ok(v) => v,
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    let (ch, cookie) = chrome(&req, &state, &c, "overview");
    let page = Overview {
        chrome: &ch,
        clients,
        users,
        lockouts: stats.lockouts,
        charts: Charts::of(&stats),
        discovery: format!("{}/.well-known/openid-configuration", state.config.issuer),
    };
    Ok(show(Reply::Shown, &page, cookie))
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

fn opt(s: String) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub async fn signed_out(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    Ok(pages::render(
        Reply::Shown,
        &SignedOut {
            tr: tr_of(&req, &state),
        },
    ))
}

//! `/admin`: the console's pages. Each handler checks the administrator
//! (and CSRF and freshness for changes), calls the same admin functions as
//! the API, and renders a page.

use actix_web::http::StatusCode;
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
use crate::web::cookies::{csrf_ok, csrf_token};
use crate::web::ui::{local_path, see_other};
use crate::web::{error, pages};

use super::chart::Charts;
use super::console_auth::{required, Console};
use super::policy_form::{PolicyForm, PolicyVersionView, PolicyView};
use super::views::*;

const PER_PAGE: i64 = 25;

/// The page chrome for `console` and the CSRF cookie to set, if new.
fn chrome(
    req: &HttpRequest,
    state: &AppState,
    c: &Console,
    section: &'static str,
) -> (Chrome, Option<actix_web::cookie::Cookie<'static>>) {
    let (csrf, cookie) = csrf_token(req, state.config.secure_cookies());
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
    let chrome = Chrome {
        who: c.actor.name.clone(),
        role: c.actor.role.as_str(),
        csrf,
        section,
        can_write: c.actor.may(WRITE),
        can_keys: c.actor.may(KEYS),
        can_roles: c.actor.may(ROLES),
        notice: q.get("done").map(|d| done_text(d).to_owned()),
        error: None,
    };
    (chrome, cookie)
}

fn done_text(key: &str) -> &'static str {
    match key {
        "disabled" => "Disabled.",
        "enabled" => "Enabled.",
        "deleted" => "Deleted.",
        "signed_out" => "Every session ended and every token was revoked.",
        "rotated" => {
            "New signing keys are in use; the old ones stay published until their tokens expire."
        }
        "saved" => "Settings saved.",
        "invitation_sent" => "The invitation link was mailed.",
        "invitation_revoked" => "The invitation was revoked; its link no longer works.",
        "retired" => "The key was retired and left /jwks: tokens it signed no longer verify.",
        "session_ended" => "The session ended; its access tokens were revoked.",
        "revoked" => "The token family was revoked.",
        _ => "Done.",
    }
}

fn show(
    status: StatusCode,
    page: &dyn askama::DynTemplate,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    let mut resp = pages::render(status, page);
    if let Some(c) = cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

fn forbidden(actor: &Actor, what: &str) -> HttpResponse {
    error::page(
        StatusCode::FORBIDDEN,
        &format!(
            "Your role ({}) cannot {what}. Ask an owner or an admin.",
            actor.role.as_str()
        ),
    )
}

/// Checks for a change: signed in, CSRF, the scope, and (for dangerous
/// actions) a fresh sign-in — otherwise off to sign in again, back to `back`.
pub async fn may_change(
    req: &HttpRequest,
    state: &AppState,
    csrf: Option<&str>,
    scope: &str,
    what: &str,
    dangerous: Option<&str>,
) -> Result<Console, HttpResponse> {
    let c = required(req, state).await?;
    if !csrf_ok(req, csrf) {
        return Err(error::form_expired());
    }
    if !c.actor.may(scope) {
        return Err(forbidden(&c.actor, what));
    }
    if let Some(back) = dangerous {
        if !c.fresh(state) {
            let to = super::link("/admin/login", &[("fresh", "1"), ("next", back)]);
            return Err(see_other(&to));
        }
    }
    Ok(c)
}

fn page_links(base: &str, q: &str, page: i64, pages: i64) -> (String, String) {
    let href = |p: i64| super::link(base, &[("q", q), ("page", &p.to_string())]);
    (href((page - 1).max(1)), href((page + 1).min(pages.max(1))))
}

pub async fn overview(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let c = match required(&req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
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
        Err(e) => return error::page_internal(&e),
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
    show(StatusCode::OK, &page, cookie)
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
}

pub async fn clients(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let c = match required(&req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let all = match state.db.run(client_admin::list).await {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
    let found = matching(&all, &q.q);
    let total = found.len();
    let pages = total.div_ceil(PER_PAGE as usize).max(1);
    let page = (q.page.unwrap_or(1).max(1) as usize).min(pages);
    let (prev_href, next_href) = page_links("/admin/clients", &q.q, page as i64, pages as i64);
    let (ch, cookie) = chrome(&req, &state, &c, "clients");
    let list = Clients {
        chrome: &ch,
        q: &q.q,
        clients: found
            .iter()
            .skip((page - 1) * PER_PAGE as usize)
            .take(PER_PAGE as usize)
            .map(|k| ClientView::from(*k))
            .collect(),
        total,
        page,
        pages,
        prev_href,
        next_href,
    };
    show(StatusCode::OK, &list, cookie)
}

async fn client_page(
    req: &HttpRequest,
    state: &AppState,
    c: &Console,
    id: String,
    secret: Option<String>,
) -> HttpResponse {
    let now = state.clock.now();
    let found = state
        .db
        .run(move |db| -> Result<_, crate::db::DbError> {
            let families = sessions::families_of_client(db, &id, now)?;
            let role = crate::db::admin_roles::find(db, &id)?.map(|r| r.role);
            Ok(Client::find(db, &id)?.map(|k| (k, families, role)))
        })
        .await;
    let (client, families, role) = match found {
        Ok(Some(v)) => v,
        Ok(None) => return error::page(StatusCode::NOT_FOUND, "No such client."),
        Err(e) => return error::page_internal(&e),
    };
    let (ch, cookie) = chrome(req, state, c, "clients");
    let page = ClientPage {
        chrome: &ch,
        c: ClientView::from(&client),
        secret,
        families,
        role,
        issuer: &state.config.issuer,
        discovery: format!("{}/.well-known/openid-configuration", state.config.issuer),
    };
    show(StatusCode::OK, &page, cookie)
}

pub async fn client(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    match required(&req, &state).await {
        Ok(c) => client_page(&req, &state, &c, id.into_inner(), None).await,
        Err(r) => r,
    }
}

/// The new-client form (textareas hold one URI per line).
#[derive(Deserialize)]
pub struct ClientForm {
    csrf: Option<String>,
    client_name: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    token_endpoint_auth_method: String,
    id_token_signed_response_alg: String,
    face_policy: String,
    password_policy: String,
    #[serde(default)]
    required_acr: String,
    #[serde(default)]
    logo_uri: String,
    #[serde(default)]
    accent_color: String,
    #[serde(default)]
    policy_uri: String,
    #[serde(default)]
    tos_uri: String,
    first_party: Option<String>,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt(s: String) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl ClientForm {
    fn input(self) -> ClientInput {
        ClientInput {
            client_id: opt(self.client_id),
            client_name: self.client_name,
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            token_endpoint_auth_method: Some(self.token_endpoint_auth_method),
            id_token_signed_response_alg: Some(self.id_token_signed_response_alg),
            first_party: self.first_party.is_some(),
            branding: Branding {
                logo_uri: opt(self.logo_uri),
                policy_uri: opt(self.policy_uri),
                tos_uri: opt(self.tos_uri),
                accent_color: opt(self.accent_color),
                background_color: None,
            },
            face_policy: Some(self.face_policy),
            password_policy: Some(self.password_policy),
            required_acr: opt(self.required_acr),
            ..ClientInput::default()
        }
    }
}

pub async fn client_create(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ClientForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "create clients",
        None,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (st, label, now) = (state.clone(), c.actor.label.clone(), state.clock.now());
    let input = form.input();
    let res = state
        .db
        .run(move |db| {
            let new = input.into_new().map_err(ClientAdminError::Invalid)?;
            client_admin::register(db, &st.master_key, new, &label, now)
        })
        .await;
    match res {
        Ok(reg) => client_page(&req, &state, &c, reg.client_id, reg.client_secret).await,
        Err(ClientAdminError::Db(e)) => error::page_internal(&e),
        Err(e) => error::page(
            StatusCode::BAD_REQUEST,
            &format!("The client was not created: {e}. Go back and correct it."),
        ),
    }
}

pub async fn client_edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ClientForm>,
) -> HttpResponse {
    let (id, form) = (id.into_inner(), form.into_inner());
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "change clients",
        None,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (label, now, key) = (c.actor.label.clone(), state.clock.now(), id.clone());
    let input = form.input();
    let res = state
        .db
        .run(move |db| {
            let new = input.into_new().map_err(ClientAdminError::Invalid)?;
            client_admin::update(db, &key, new, &label, now)
        })
        .await;
    match res {
        Ok(()) => see_other(&format!("/admin/clients/{id}?done=saved")),
        Err(ClientAdminError::NotFound(_)) => error::page(StatusCode::NOT_FOUND, "No such client."),
        Err(ClientAdminError::Db(e)) => error::page_internal(&e),
        Err(e) => error::page(
            StatusCode::BAD_REQUEST,
            &format!("The settings were not saved: {e}. Go back and correct them."),
        ),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

pub async fn client_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let back = format!("/admin/clients/{id}");
    let dangerous = (action == "delete").then_some(back.as_str());
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "change clients",
        dangerous,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (st, label, now, key) = (
        state.clone(),
        c.actor.label.clone(),
        state.clock.now(),
        id.clone(),
    );
    let res = state
        .db
        .run(move |db| match action.as_str() {
            "rotate" => {
                client_admin::rotate_secret(db, &st.master_key, &key, &label, now).map(Some)
            }
            "disable" => client_admin::set_disabled(db, &key, true, &label, now).map(|()| None),
            "enable" => client_admin::set_disabled(db, &key, false, &label, now).map(|()| None),
            "delete" => client_admin::remove(db, &key, &label, now).map(|()| None),
            other => Err(ClientAdminError::Invalid(format!(
                "unknown action '{other}'"
            ))),
        })
        .await;
    match res {
        Ok(Some(secret)) => client_page(&req, &state, &c, id, Some(secret)).await,
        Ok(None) => match req.path().rsplit('/').next() {
            Some("delete") => see_other("/admin/clients?done=deleted"),
            Some(a) => see_other(&format!("{back}?done={a}d")),
            None => see_other(&back),
        },
        Err(ClientAdminError::NotFound(_)) => error::page(StatusCode::NOT_FOUND, "No such client."),
        Err(ClientAdminError::Db(e)) => error::page_internal(&e),
        Err(e) => error::page(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

pub async fn users_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    users_render(req, state, q.into_inner(), None).await
}

async fn users_render(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: ListQuery,
    invitation: Option<String>,
) -> HttpResponse {
    let c = match required(&req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (text, page, now) = (q.q.clone(), q.page.unwrap_or(1), state.clock.now());
    let found = match state
        .db
        .run(move |db| {
            let found = users::search(db, &text, page, PER_PAGE)?;
            Ok::<_, crate::db::DbError>((found, invitations::pending(db, now)?))
        })
        .await
    {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
    let (found, pending) = found;
    let pages = (found.total + PER_PAGE - 1) / PER_PAGE;
    let (prev_href, next_href) = page_links("/admin/users", &q.q, found.page, pages);
    let (ch, cookie) = chrome(&req, &state, &c, "users");
    let list = Users {
        chrome: &ch,
        q: &q.q,
        users: found
            .items
            .into_iter()
            .map(|u| UserRowView {
                created: utc(u.created_at),
                id: u.id,
                email: u.email,
                name: u.name,
                disabled: u.disabled,
            })
            .collect(),
        total: found.total,
        page: found.page,
        pages: pages.max(1),
        prev_href,
        next_href,
        invitation,
        pending: pending.into_iter().map(InvitationRowView::from).collect(),
    };
    show(StatusCode::OK, &list, cookie)
}

pub async fn user(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let c = match required(&req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (id, now) = (id.into_inner(), state.clock.now());
    let detail = match state.db.run(move |db| users::detail(db, &id, now)).await {
        Ok(d) => d,
        Err(users::UserAdminError::NotFound(_)) => {
            return error::page(StatusCode::NOT_FOUND, "No such account.")
        }
        Err(users::UserAdminError::Db(e)) => return error::page_internal(&e),
    };
    let (ch, cookie) = chrome(&req, &state, &c, "users");
    show(
        StatusCode::OK,
        &UserPage {
            chrome: &ch,
            u: detail,
        },
        cookie,
    )
}

pub async fn user_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let back = format!("/admin/users/{id}");
    let dangerous = (action == "delete").then_some(back.as_str());
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "change accounts",
        dangerous,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let now = state.clock.now();
    let (actor, key, act) = (c.actor.clone(), id.clone(), action.clone());
    let res = state
        .db
        .run(move |db| match act.as_str() {
            "disable" => users::set_disabled(db, &actor, &key, true, now).map(|()| "disabled"),
            "enable" => users::set_disabled(db, &actor, &key, false, now).map(|()| "enabled"),
            "sign-out" => users::sign_out_everywhere(db, &actor, &key, now).map(|_| "signed_out"),
            "delete" => users::erase(db, &actor, &key, now).map(|()| "deleted"),
            _ => Err(users::UserAdminError::NotFound(format!("action {act}"))),
        })
        .await;
    match res {
        Ok("deleted") => see_other("/admin/users?done=deleted"),
        Ok(done) => see_other(&format!("{back}?done={done}")),
        Err(users::UserAdminError::NotFound(_)) => {
            error::page(StatusCode::NOT_FOUND, "No such account or action.")
        }
        Err(users::UserAdminError::Db(e)) => error::page_internal(&e),
    }
}

pub async fn session_end(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let (user, sid) = path.into_inner();
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "end sessions",
        None,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (now, uid) = (state.clock.now(), user.clone());
    match state
        .db
        .run(move |db| sessions::end_session(db, &c.actor, &uid, &sid, now))
        .await
    {
        Ok(true) => see_other(&format!("/admin/users/{user}?done=session_ended")),
        Ok(false) => error::page(StatusCode::NOT_FOUND, "That session already ended."),
        Err(e) => error::page_internal(&e),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: Option<String>,
    back: String,
}

pub async fn family_revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    grant: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "revoke tokens",
        None,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (now, grant) = (state.clock.now(), grant.into_inner());
    match state
        .db
        .run(move |db| sessions::revoke_family(db, &c.actor, &grant, now))
        .await
    {
        Ok(_) => see_other(&format!("{}?done=revoked", local_path(&form.back))),
        Err(e) => error::page_internal(&e),
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    /// Mail the link to the address as well.
    send: Option<String>,
}

pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<InviteForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let role: Option<Role> = match opt(form.role).map(|r| r.parse()).transpose() {
        Ok(r) => r,
        Err(m) => return error::page(StatusCode::BAD_REQUEST, &m),
    };
    let scope = if role.is_some() { ROLES } else { WRITE };
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        scope,
        "invite with this role",
        None,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (label, now, email) = (c.actor.label.clone(), state.clock.now(), opt(form.email));
    let ttl = state.config.signup.invitation_ttl_seconds;
    let to = email.clone().filter(|_| form.send.is_some());
    let res = state
        .db
        .run(move |db| crate::auth::signup::invite(db, email.as_deref(), role, &label, ttl, now))
        .await;
    match res {
        Ok(token) => {
            let link = crate::auth::signup::invitation_url(&state.config.issuer, &token);
            if let Some(to) = to {
                if let Err(e) = crate::mail::invitations::send(&state, &to, &token, now + ttl).await
                {
                    tracing::error!("invitation mail to {to} not sent: {e}");
                    let m = format!(
                        "The mail to {to} could not be sent. Give this link by hand: {link}"
                    );
                    return error::page(StatusCode::BAD_GATEWAY, &m);
                }
                return see_other("/admin/users?done=invitation_sent");
            }
            users_render(
                req,
                state,
                ListQuery {
                    q: String::new(),
                    page: None,
                },
                Some(link),
            )
            .await
        }
        Err(e) => error::page(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

pub async fn keys_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let c = match required(&req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (now, cfg) = (state.clock.now(), state.config.keys.clone());
    let list = match state.db.run(move |db| keys::list(db, &cfg, now)).await {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
    let (ch, cookie) = chrome(&req, &state, &c, "keys");
    let days = state.config.keys.rotate_after_days;
    show(
        StatusCode::OK,
        &Keys {
            chrome: &ch,
            keys: list.into_iter().map(KeyRowView::from).collect(),
            schedule: if days > 0 {
                format!("every {days} days")
            } else {
                "off (keys.rotate_after_days = 0)".into()
            },
        },
        cookie,
    )
}

pub async fn key_retire(
    req: HttpRequest,
    state: web::Data<AppState>,
    kid: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let kid = kid.into_inner();
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        KEYS,
        "retire a signing key",
        Some("/admin/keys"),
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (st, now) = (state.clone(), state.clock.now());
    match state
        .db
        .run(move |db| keys::retire(db, &st, &c.actor, &kid, now))
        .await
    {
        Ok(_) => {
            state.reload_keys().await;
            see_other("/admin/keys?done=retired")
        }
        Err(e @ (KeyError::UnknownKey(_) | KeyError::AlreadyUnpublished(_))) => {
            error::page(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Err(e) => error::page_internal(&e),
    }
}

pub async fn keys_rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        KEYS,
        "rotate keys",
        Some("/admin/keys"),
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (st, now) = (state.clone(), state.clock.now());
    match state
        .db
        .run(move |db| keys::rotate(db, &st, &c.actor, now))
        .await
    {
        Ok(_) => {
            state.reload_keys().await;
            see_other("/admin/keys?done=rotated")
        }
        Err(e) => error::page_internal(&e),
    }
}

#[derive(Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    outcome: String,
    hours: Option<i64>,
    page: Option<i64>,
}

pub async fn audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AuditForm>,
) -> HttpResponse {
    let c = match required(&req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = q.into_inner();
    let hours = q.hours.unwrap_or(24).clamp(1, 24 * 90);
    let now = state.clock.now();
    let query = AuditQuery {
        category: opt(q.category.clone()),
        action: opt(q.action.clone()),
        user: opt(q.user.clone()),
        client: opt(q.client.clone()),
        outcome: opt(q.outcome.clone()),
        since: Some(now - hours * 3600),
        until: None,
        page: q.page,
        per_page: Some(50),
    };
    let res = state
        .db
        .run(move |db| -> Result<_, crate::db::DbError> {
            let page = audit_log::search(db, &query)?;
            Ok((page, audit_log::stats(db, now)?))
        })
        .await;
    let (found, stats) = match res {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
    let href = |page: i64| {
        super::link(
            "/admin/audit",
            &[
                ("category", &q.category),
                ("action", &q.action),
                ("user", &q.user),
                ("client", &q.client),
                ("outcome", &q.outcome),
                ("hours", &hours.to_string()),
                ("page", &page.to_string()),
            ],
        )
    };
    let (ch, cookie) = chrome(&req, &state, &c, "audit");
    let page = Audit {
        chrome: &ch,
        filter: AuditFilterView {
            category: q.category.clone(),
            action: q.action.clone(),
            user: q.user.clone(),
            client: q.client.clone(),
            outcome: q.outcome.clone(),
            hours,
        },
        categories: ["", "auth", "account", "admin", "biometric", "token"],
        outcomes: ["", "success", "failure", "blocked", "rate_limited"],
        windows: [
            (1, "hour"),
            (24, "24 hours"),
            (24 * 7, "7 days"),
            (24 * 30, "30 days"),
        ],
        charts: Charts::of(&stats),
        more: found.page * found.per_page < found.total,
        prev_href: href(found.page - 1),
        next_href: href(found.page + 1),
        total: found.total,
        page: found.page,
        events: found.items.into_iter().map(AuditRowView::from).collect(),
    };
    show(StatusCode::OK, &page, cookie)
}

#[derive(Deserialize)]
pub struct PolicyQuery {
    edit: Option<String>,
}

pub async fn policy(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<PolicyQuery>,
) -> HttpResponse {
    let c = match required(&req, &state).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let edit = q.edit.is_some() && c.actor.may(WRITE);
    // The form opens only after a fresh sign-in, so nothing typed is lost to it.
    if edit && !c.fresh(&state) {
        let to = super::link(
            "/admin/login",
            &[("fresh", "1"), ("next", "/admin/policy?edit=1")],
        );
        return see_other(&to);
    }
    policy_page(&req, &state, &c, edit, None, None).await
}

/// The face policy page; `draft` (the rejected form) and `error` after a bad change.
async fn policy_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    c: &Console,
    edit: bool,
    draft: Option<PolicyForm>,
    error: Option<String>,
) -> HttpResponse {
    let (st, base) = (state.clone(), state.config.face.clone());
    let view = match state
        .db
        .run(move |db| face_policy::view(db, &base, st.face.as_deref()))
        .await
    {
        Ok(v) => v,
        Err(e) => return error::page_internal(&e),
    };
    let (mut ch, cookie) = chrome(req, state, c, "policy");
    ch.error = error;
    let f = &state.config.face;
    let form = draft.unwrap_or_else(|| PolicyForm::of(&view.settings));
    let page = Policy {
        chrome: &ch,
        engine: state.face.as_ref().map(|e| EngineView {
            set: e.model_set,
            match_threshold: e.match_threshold,
            live_threshold: e.live_threshold,
        }),
        in_force: PolicyView::of(&view),
        rates: view.measured,
        frames: format!(
            "{} every {} ms; blink burst {} every {} ms; {} analysed in full",
            f.frames, f.frame_interval_ms, f.blink_frames, f.blink_interval_ms, f.analysed_frames
        ),
        history: view.history.iter().map(PolicyVersionView::of).collect(),
        edit,
        form,
    };
    show(StatusCode::OK, &page, cookie)
}

pub async fn policy_change(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PolicyForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let c = match may_change(
        &req,
        &state,
        form.csrf.as_deref(),
        WRITE,
        "change the face policy",
        Some("/admin/policy?edit=1"),
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let change = match form.change() {
        Ok(ch) => ch,
        Err(m) => return policy_page(&req, &state, &c, true, Some(form), Some(m)).await,
    };
    let (st, now, actor) = (state.clone(), state.clock.now(), c.actor.clone());
    match state
        .db
        .run(move |db| face_policy::change(db, &st.config.face, &actor, change, now))
        .await
    {
        Ok(_) => see_other("/admin/policy?done=saved"),
        Err(face_policy::PolicyError::Invalid(m)) => {
            policy_page(&req, &state, &c, true, Some(form), Some(m)).await
        }
        Err(e) => error::page_internal(&e),
    }
}

pub async fn signed_out() -> HttpResponse {
    pages::render(StatusCode::OK, &SignedOut)
}

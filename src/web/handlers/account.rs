//! The account page: passkeys (add, rename, remove) and recovery codes.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::acr::Level;
use crate::auth::approvals;
use crate::auth::passkeys::{self, Owner, PasskeyError, RemoveError};
use crate::auth::recovery;
use crate::auth::session::Session;
use crate::db::{passkeys as repo, users, DbError};
use crate::oidc::discovery::paths;
use crate::web::error::WebError;
use crate::web::extract::{Csrf, CsrfForm, CsrfHeader, SignedIn};
use crate::web::pages;
use crate::web::rate_limit::client_ip;
use crate::web::ui::{see_other, with_tx, Ui};

use super::guard::{self, Answer};
use super::signin;
use crate::auth::assurance::Change;

#[derive(Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct RenameForm {
    csrf: Option<String>,
    name: String,
}

#[derive(Deserialize)]
pub struct RegisterForm {
    tx: Option<String>,
    csrf: Option<String>,
    ceremony: String,
    credential: String,
    name: String,
}

#[derive(Deserialize)]
pub struct NewQuery {
    tx: Option<String>,
}

crate::csrf_field!(RenameForm, RegisterForm);

fn recovered(state: &AppState, s: &Session) -> bool {
    state.ladder.level_of(&s.acr) == Some(Level::Recovery)
}

fn date(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AccountQuery>,
    SignedIn(sess): SignedIn,
) -> Result<HttpResponse, WebError> {
    let uid = sess.user_id.clone();
    let res = state
        .db
        .run(move |c| -> Result<_, DbError> {
            let user = users::find(c, &uid)?;
            let keys = repo::for_user(c, &uid)?;
            let left = recovery::remaining(c, &uid)?;
            let face = crate::auth::face::status(c, &uid)?.1;
            let waiting = crate::db::registration_approvals::waiting_for(c, &uid)?;
            Ok((user, keys, left, face, waiting))
        })
        .await;
    let (user, keys, left, face, waiting) = match res.map_err(|e| WebError::internal_page(&e))? {
        (Some(u), k, l, f, w) => (u, k, l, f, w),
        (None, ..) => return Err(WebError::SeeOther("/login".into())),
    };
    let ui = Ui::new(&req, &state, None, user.locale.as_deref());
    let message = match q.done.as_deref() {
        Some("added") => Some(ui.tr.t("account.added")),
        Some("held") => Some(ui.tr.t("account.held")),
        Some("removed") => Some(ui.tr.t("account.removed")),
        Some("renamed") => Some(ui.tr.t("account.renamed")),
        Some("face_enrolled") => Some(ui.tr.t("face.enrolled")),
        Some("face_deleted") => Some(ui.tr.t("face.deleted")),
        _ => None,
    };
    let err = (q.error.as_deref() == Some("only")).then(|| ui.tr.t("account.only_passkey"));
    let can_remove = keys.len() - waiting.len() > 1 || user.password_hash.is_some();
    let views = keys
        .into_iter()
        .map(|k| pages::PasskeyView {
            created: date(k.created_at),
            last_used: k.last_used_at.map(date),
            synced: k.backup_eligible,
            waiting: waiting.contains(&k.id),
            id: k.id,
            name: k.name,
        })
        .collect();
    let page = pages::AccountPage {
        ui: &ui,
        name: user.name.as_deref().unwrap_or(""),
        email: &user.email,
        passkeys: views,
        can_remove,
        recovery_left: left.to_string(),
        recovered: recovered(&state, &sess),
        message,
        error: err,
        logout_href: paths::END_SESSION,
        face_available: state.face_engine().await.is_some(),
        face_enrolled: face.map(date),
    };
    Ok(ui.render(Reply::Shown, &page))
}

fn register_page(
    req: &HttpRequest,
    state: &AppState,
    sess: &Session,
    tx: Option<&str>,
    status: Reply,
    err: Option<&str>,
) -> HttpResponse {
    let ui = Ui::new(req, state, None, None);
    let page = pages::RegisterPage {
        ui: &ui,
        action: "/account/passkeys",
        options_url: "/account/passkeys/options",
        tx: tx.unwrap_or(""),
        error: err.map(|k| ui.tr.t(k)),
        recovered: recovered(state, sess),
        cancel_href: Some("/account".into()),
    };
    ui.render(status, &page)
}

pub async fn new_passkey(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, WebError> {
    let s = guard::changing(&req, &state, Change::AddPasskey, Answer::Page).await?;
    Ok(register_page(
        &req,
        &state,
        &s,
        q.tx.as_deref(),
        Reply::Shown,
        None,
    ))
}

pub async fn passkey_options(
    _: CsrfHeader,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let sess = guard::changing(&req, &state, Change::AddPasskey, Answer::Json).await?;
    let st = state.clone();
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| {
            let user = users::find(c, &sess.user_id)?.ok_or(PasskeyError::Ceremony)?;
            st.passkey_service()?.start_registration(
                c,
                &Owner::User(user.id.clone()),
                &user.id,
                &user.email,
                user.name.as_deref().unwrap_or(&user.email),
                now,
            )
        })
        .await;
    Ok(super::ceremony_json(res))
}

pub async fn passkey_finish(
    Csrf(form): Csrf<RegisterForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let sess = guard::changing(&req, &state, Change::AddPasskey, Answer::Page).await?;
    let st = state.clone();
    let now = state.clock.now();
    let uid = sess.user_id.clone();
    let ip = client_ip(&req).map(|ip| ip.to_string());
    let (ceremony, credential, name) = (form.ceremony, form.credential, form.name);
    let res = state
        .db
        .run(move |c| {
            let p = st.passkey_service()?;
            let new =
                p.finish_registration(c, &Owner::User(uid.clone()), &ceremony, &credential, now)?;
            let hold = approvals::holding(c, ip.as_deref())?;
            let row = passkeys::save(c, &uid, new, &name, now)?;
            if let Some(hold) = &hold {
                approvals::hold(c, hold, &uid, &row.id, false, now)?;
            }
            p.registered(c, ip.as_deref(), now)?;
            audit::record(
                c,
                &Event::new("account", "passkey.add", "success")
                    .user(&uid)
                    .detail(
                        serde_json::json!({ "passkey": row.id, "synced": row.backup_eligible, "held": hold.is_some() }),
                    ),
                now,
            )?;
            Ok(hold.is_some())
        })
        .await;
    if res.is_ok() {
        guard::changed(&req, &state, &sess, Change::AddPasskey).await;
    }
    Ok(match res {
        Ok(true) => see_other("/account?done=held"),
        Ok(false) => match form.tx.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => see_other(&with_tx("/continue", Some(t))),
            None => see_other("/account?done=added"),
        },
        Err(PasskeyError::Db(e)) => return Err(WebError::internal_page(&e)),
        Err(e) => {
            tracing::info!("passkey registration refused: {e}");
            signin::noted(
                &req,
                &state,
                "passkey.add",
                Some(sess.user_id.clone()),
                e.reason(),
            )
            .await;
            let key = match e {
                PasskeyError::Duplicate => "register.duplicate",
                PasskeyError::Ceremony => "login.passkey_stale",
                _ => "register.failed",
            };
            register_page(
                &req,
                &state,
                &sess,
                form.tx.as_deref(),
                Reply::Invalid,
                Some(key),
            )
        }
    })
}

pub async fn rename(
    Csrf(form): Csrf<RenameForm>,
    SignedIn(sess): SignedIn,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let name = passkeys::clean_name(&form.name);
    let id = id.into_inner();
    let res = state
        .db
        .run(move |c| repo::rename(c, &sess.user_id, &id, &name))
        .await;
    match res.map_err(|e| WebError::internal_page(&e))? {
        true => Ok(see_other("/account?done=renamed")),
        false => Err(not_found(&req, &state)),
    }
}

fn not_found(req: &HttpRequest, state: &AppState) -> WebError {
    let ui = Ui::new(req, state, None, None);
    WebError::Page(Reply::Missing, ui.tr.t("account.passkey_missing").into())
}

pub async fn remove(
    _: Csrf<CsrfForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let sess = guard::changing(&req, &state, Change::RemovePasskey, Answer::Page).await?;
    let now = state.clock.now();
    let id = id.into_inner();
    let (uid, who) = (sess.user_id.clone(), sess.clone());
    let res = state
        .db
        .run(move |c| -> Result<Result<(), RemoveError>, DbError> {
            let r = passkeys::remove(c, &uid, &id);
            if let Err(RemoveError::Db(e)) = r {
                return Err(e);
            }
            let outcome = if r.is_ok() { "success" } else { "refused" };
            audit::record(
                c,
                &Event::new("account", "passkey.remove", outcome)
                    .user(&uid)
                    .detail(serde_json::json!({ "passkey": id })),
                now,
            )?;
            Ok(r)
        })
        .await;
    match res.map_err(|e| WebError::internal_page(&e))? {
        Ok(()) => {
            guard::changed(&req, &state, &who, Change::RemovePasskey).await;
            Ok(see_other("/account?done=removed"))
        }
        Err(RemoveError::LastCredential) => Ok(see_other("/account?error=only")),
        Err(_) => Err(not_found(&req, &state)),
    }
}

pub async fn new_codes(
    _: Csrf<CsrfForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let sess = guard::changing(&req, &state, Change::RecoveryCodes, Answer::Page).await?;
    let who = sess.clone();
    let st = state.clone();
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| -> Result<Vec<String>, DbError> {
            let codes = recovery::issue(
                c,
                &st.master_key,
                &sess.user_id,
                st.config.signup.recovery_codes,
                now,
            )?;
            audit::record(
                c,
                &Event::new("account", "recovery_codes.renew", "success").user(&sess.user_id),
                now,
            )?;
            Ok(codes)
        })
        .await;
    let codes = res.map_err(|e| WebError::internal_page(&e))?;
    guard::changed(&req, &state, &who, Change::RecoveryCodes).await;
    let ui = Ui::new(&req, &state, None, None);
    let page = pages::RecoveryCodesPage {
        held: false,
        ui: &ui,
        codes: &codes,
        next: "/account",
    };
    Ok(ui.render(Reply::Shown, &page))
}

//! The account page: passkeys (add, rename, remove) and recovery codes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::acr::Level;
use crate::auth::passkeys::{self, Owner, PasskeyError, RemoveError};
use crate::auth::recovery;
use crate::auth::session::Session;
use crate::db::{passkeys as repo, users, DbError};
use crate::oidc::discovery::paths;
use crate::web::ui::{see_other, with_tx, Ui};
use crate::web::{cookies, error, pages};

use super::guard::{self, Answer};
use super::signin;
use crate::auth::assurance::Change;

#[derive(Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
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
) -> HttpResponse {
    let sess = match signin::required(&req, &state, None).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let uid = sess.user_id.clone();
    let res = state
        .db
        .run(move |c| -> Result<_, DbError> {
            let user = users::find(c, &uid)?;
            let keys = repo::for_user(c, &uid)?;
            let left = recovery::remaining(c, &uid)?;
            let face = crate::auth::face::status(c, &uid)?.1;
            Ok((user, keys, left, face))
        })
        .await;
    let (user, keys, left, face) = match res {
        Ok((Some(u), k, l, f)) => (u, k, l, f),
        Ok((None, ..)) => return see_other("/login"),
        Err(e) => return error::page_internal(&e),
    };
    let ui = Ui::new(&req, &state, None, user.locale.as_deref());
    let message = match q.done.as_deref() {
        Some("added") => Some(ui.tr.t("account.added")),
        Some("removed") => Some(ui.tr.t("account.removed")),
        Some("renamed") => Some(ui.tr.t("account.renamed")),
        Some("face_enrolled") => Some(ui.tr.t("face.enrolled")),
        Some("face_deleted") => Some(ui.tr.t("face.deleted")),
        _ => None,
    };
    let err = (q.error.as_deref() == Some("only")).then(|| ui.tr.t("account.only_passkey"));
    let can_remove = keys.len() > 1 || user.password_hash.is_some();
    let views = keys
        .into_iter()
        .map(|k| pages::PasskeyView {
            created: date(k.created_at),
            last_used: k.last_used_at.map(date),
            synced: k.backup_eligible,
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
        face_available: state.face.is_some(),
        face_enrolled: face.map(date),
    };
    ui.render(StatusCode::OK, &page)
}

fn register_page(
    req: &HttpRequest,
    state: &AppState,
    sess: &Session,
    tx: Option<&str>,
    status: StatusCode,
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
) -> HttpResponse {
    match guard::changing(&req, &state, Change::AddPasskey, Answer::Page).await {
        Ok(s) => register_page(&req, &state, &s, q.tx.as_deref(), StatusCode::OK, None),
        Err(r) => r,
    }
}

pub async fn passkey_options(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !cookies::csrf_header_ok(&req) {
        return super::json_error(
            StatusCode::FORBIDDEN,
            "The page expired. Reload it and try again.",
        );
    }
    let sess = match guard::changing(&req, &state, Change::AddPasskey, Answer::Json).await {
        Ok(s) => s,
        Err(r) => return r,
    };
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
    super::ceremony_json(res)
}

pub async fn passkey_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<RegisterForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !cookies::csrf_ok(&req, form.csrf.as_deref()) {
        return error::form_expired();
    }
    let sess = match guard::changing(&req, &state, Change::AddPasskey, Answer::Page).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let st = state.clone();
    let now = state.clock.now();
    let uid = sess.user_id.clone();
    let (ceremony, credential, name) = (form.ceremony, form.credential, form.name);
    let res = state
        .db
        .run(move |c| {
            let p = st.passkey_service()?;
            let new =
                p.finish_registration(c, &Owner::User(uid.clone()), &ceremony, &credential, now)?;
            let row = passkeys::save(c, &uid, new, &name, now)?;
            audit::record(
                c,
                &Event::new("account", "passkey.add", "success")
                    .user(&uid)
                    .detail(
                        serde_json::json!({ "passkey": row.id, "synced": row.backup_eligible }),
                    ),
                now,
            )?;
            Ok(())
        })
        .await;
    if res.is_ok() {
        guard::changed(&req, &state, &sess, Change::AddPasskey).await;
    }
    match res {
        Ok(()) => match form.tx.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => see_other(&with_tx("/continue", Some(t))),
            None => see_other("/account?done=added"),
        },
        Err(PasskeyError::Db(e)) => error::page_internal(&e),
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
                StatusCode::BAD_REQUEST,
                Some(key),
            )
        }
    }
}

pub async fn rename(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<RenameForm>,
) -> HttpResponse {
    if !cookies::csrf_ok(&req, form.csrf.as_deref()) {
        return error::form_expired();
    }
    let sess = match signin::required(&req, &state, None).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let name = passkeys::clean_name(&form.name);
    let id = id.into_inner();
    let res = state
        .db
        .run(move |c| repo::rename(c, &sess.user_id, &id, &name))
        .await;
    match res {
        Ok(true) => see_other("/account?done=renamed"),
        Ok(false) => error::page(StatusCode::NOT_FOUND, "That passkey does not exist."),
        Err(e) => error::page_internal(&e),
    }
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !cookies::csrf_ok(&req, form.csrf.as_deref()) {
        return error::form_expired();
    }
    let sess = match guard::changing(&req, &state, Change::RemovePasskey, Answer::Page).await {
        Ok(s) => s,
        Err(r) => return r,
    };
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
    match res {
        Ok(Ok(())) => {
            guard::changed(&req, &state, &who, Change::RemovePasskey).await;
            see_other("/account?done=removed")
        }
        Ok(Err(RemoveError::LastCredential)) => see_other("/account?error=only"),
        Ok(Err(_)) => error::page(StatusCode::NOT_FOUND, "That passkey does not exist."),
        Err(e) => error::page_internal(&e),
    }
}

pub async fn new_codes(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if !cookies::csrf_ok(&req, form.csrf.as_deref()) {
        return error::form_expired();
    }
    let sess = match guard::changing(&req, &state, Change::RecoveryCodes, Answer::Page).await {
        Ok(s) => s,
        Err(r) => return r,
    };
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
    match res {
        Ok(codes) => {
            guard::changed(&req, &state, &who, Change::RecoveryCodes).await;
            let ui = Ui::new(&req, &state, None, None);
            let page = pages::RecoveryCodesPage {
                ui: &ui,
                codes: &codes,
                next: "/account",
            };
            ui.render(StatusCode::OK, &page)
        }
        Err(e) => error::page_internal(&e),
    }
}

//! Account recovery: a one-time recovery code, or a code sent by email. Both
//! sign in at the lowest level and lead straight to registering a passkey.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::acr::{otp_amr, Level};
use crate::auth::email_code::{self, CodeError};
use crate::auth::{lockout, recovery};
use crate::db::{users, DbError};
use crate::mail::messages::CodePurpose;
use crate::web::error::WebError;
use crate::web::extract::Csrf;
use crate::web::ui::{with_tx, Ui};
use crate::web::{pages, rate_limit};

use super::email_step::{start_again, Step};
use super::login::{context, LoginCtx, TxQuery};
use super::signin::{self, After, SignIn};

const STEP: Step = Step {
    cookie: "visage_recover",
    path: "/recover",
    purpose: email_code::RECOVERY,
    mail: CodePurpose::Recover,
    action: "/recover/email/verify",
};

#[derive(Deserialize)]
pub struct CodeForm {
    tx: Option<String>,
    csrf: Option<String>,
    email: String,
    code: String,
}

#[derive(Deserialize)]
pub struct EmailForm {
    tx: Option<String>,
    csrf: Option<String>,
    email: String,
}

#[derive(Deserialize)]
pub struct VerifyForm {
    csrf: Option<String>,
    code: String,
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    ctx: &LoginCtx,
    status: Reply,
    email: &str,
    err: Option<&str>,
) -> HttpResponse {
    let ui = Ui::new(req, state, ctx.brand.clone(), ctx.ui_locales.as_deref());
    let p = pages::RecoverPage {
        ui: &ui,
        tx: ctx.tx.as_deref().unwrap_or(""),
        email,
        error: err.map(|k| ui.tr.t(k)),
        back_href: with_tx("/login", ctx.tx.as_deref()),
    };
    ui.render(status, &p)
}

fn then_register(tx: Option<&str>) -> After {
    let path = with_tx("/account/passkeys/new", tx);
    match tx.filter(|t| !t.is_empty()) {
        Some(t) => After::Step {
            path,
            tx: t.to_owned(),
        },
        None => After::Go(path),
    }
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TxQuery>,
) -> HttpResponse {
    match context(&state, q.tx.as_deref()).await {
        Ok(ctx) => page(&req, &state, &ctx, Reply::Shown, "", None),
        Err(p) => p,
    }
}

/// `POST /recover`: email + recovery code.
pub async fn with_code(
    Csrf(form): Csrf<CodeForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let ctx = context(&state, form.tx.as_deref()).await?;
    let email = form.email.clone();
    let uid = match state.db.run(move |c| users::find_by_email(c, &email)).await {
        Ok(u) => u.map(|u| u.id),
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    if signin::locked(&req, &state, uid.clone()).await {
        signin::failed(&req, &state, "recovery.code", uid, "locked").await;
        return Ok(page(
            &req,
            &state,
            &ctx,
            Reply::TooMany,
            &form.email,
            Some("login.locked"),
        ));
    }
    let st = state.clone();
    let now = state.clock.now();
    let (email, code) = (form.email.clone(), form.code.clone());
    let res = state
        .db
        .run(move |c| recovery::redeem(c, &st.master_key, &email, &code, now))
        .await;
    match res {
        Ok(Some(user)) => {
            let s = SignIn {
                user_id: user.id,
                level: Level::Recovery,
                amr: otp_amr(),
                action: "recovery.code",
            };
            Ok(signin::complete(&req, &state, s, then_register(ctx.tx.as_deref())).await)
        }
        Ok(None) => {
            signin::failed(&req, &state, "recovery.code", uid, "bad_code").await;
            Ok(page(
                &req,
                &state,
                &ctx,
                Reply::Invalid,
                &form.email,
                Some("recover.bad_code"),
            ))
        }
        Err(e) => Err(WebError::internal_page(&e)),
    }
}

/// `POST /recover/email`: send a code if the address has an account (the
/// same answer either way).
pub async fn send_email(
    Csrf(form): Csrf<EmailForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let ctx = context(&state, form.tx.as_deref()).await?;
    if !crate::auth::users::valid_email(&form.email.trim().to_lowercase()) {
        return Ok(page(
            &req,
            &state,
            &ctx,
            Reply::Invalid,
            &form.email,
            Some("signup.bad_email"),
        ));
    }
    let ui = Ui::new(&req, &state, None, ctx.ui_locales.as_deref());
    let lang = ui.tr.code();
    let st = state.clone();
    let now = state.clock.now();
    let ip = rate_limit::client_ip(&req).map(|i| i.to_string());
    let (email, tx) = (form.email.clone(), ctx.tx.clone());
    let res = state
        .db
        .run(move |c| -> Result<_, DbError> {
            // No challenge is minted while the address, the account or the
            // client address is blocked: guesses need a live challenge.
            let key = lockout::email_key(&email);
            let uid = users::find_by_email(c, &email.trim().to_lowercase())?.map(|u| u.id);
            let blocked = lockout::blocked_until(c, &key, now)?.is_some()
                || crate::auth::signin::locked(c, ip.as_deref(), uid.as_ref(), now)?;
            let outcome = if blocked { "rate_limited" } else { "sent" };
            audit::record(
                c,
                &Event::new("auth", "recovery.email", outcome).ip(ip),
                now,
            )?;
            if blocked {
                return Ok(None);
            }
            let (token, code) = recovery::start_email(
                c,
                &st.master_key,
                &email,
                tx,
                lang,
                st.config.signup.code_ttl_seconds,
                now,
            )?;
            // Counted whether or not the address has an account (the answer
            // must not tell them apart).
            lockout::hit(c, &key, st.config.lockout.email, now)?;
            Ok(Some((token, code, email.trim().to_lowercase())))
        })
        .await;
    let (token, code, email) = match res {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Ok(page(
                &req,
                &state,
                &ctx,
                Reply::TooMany,
                &form.email,
                Some("login.locked"),
            ))
        }
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    if let Some(code) = code {
        if !STEP.send(&state, &ui.tr, &email, &code, &token).await {
            return Ok(page(
                &req,
                &state,
                &ctx,
                Reply::Unavailable,
                &email,
                Some("signup.mail_failed"),
            ));
        }
    }
    Ok(STEP.enter(&state, &token))
}

pub async fn verify_show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    STEP.show(&req, &state).await
}

pub async fn verify_submit(
    Csrf(form): Csrf<VerifyForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (token, row, ctx) = STEP.pending(&req, &state).await?;
    // Emailed codes share the account's guessing budget with passwords and
    // recovery codes: a blocked account (or address) has no code checked.
    let uid = Some(row.user_id.clone()).filter(|u| !u.is_nobody());
    let email = row.email;
    if signin::locked(&req, &state, uid.clone()).await {
        signin::failed(&req, &state, "recovery.email", uid, "locked").await;
        return Ok(STEP.page(
            &req,
            &state,
            &ctx,
            &email,
            Reply::TooMany,
            Some("login.locked"),
        ));
    }
    let st = state.clone();
    let now = state.clock.now();
    let code = form.code.clone();
    let res = state
        .db
        .run(move |c| {
            recovery::finish_email(
                c,
                &st.master_key,
                &token,
                &code,
                st.config.signup.max_code_attempts,
                now,
            )
        })
        .await;
    match res {
        Ok((user, tx)) => {
            let s = SignIn {
                user_id: user.id,
                level: Level::Recovery,
                amr: otp_amr(),
                action: "recovery.email",
            };
            let mut resp = signin::complete(&req, &state, s, then_register(tx.as_deref())).await;
            let _ = resp.add_cookie(&STEP.clear(&state));
            Ok(resp)
        }
        Err(CodeError::Wrong) => {
            signin::failed(&req, &state, "recovery.email", uid, "bad_code").await;
            Ok(STEP.page(
                &req,
                &state,
                &ctx,
                &email,
                Reply::Invalid,
                Some("verify.wrong"),
            ))
        }
        Err(CodeError::Expired) => {
            signin::failed(&req, &state, "recovery.email", uid, "expired").await;
            Ok(start_again(&req, &state))
        }
        Err(CodeError::Db(e)) => Err(WebError::internal_page(&e)),
    }
}

crate::csrf_field!(CodeForm, EmailForm, VerifyForm);

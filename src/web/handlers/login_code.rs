//! The second factor of a password sign-in where the client (or the
//! deployment) asks for it: a 6-digit code sent to the account's address.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::acr::Level;
use crate::auth::email_code::{self, CodeError, NewChallenge};
use crate::auth::lockout;
use crate::db::users::UserRow;
use crate::db::DbError;
use crate::mail::messages::CodePurpose;
use crate::web::error;
use crate::web::error::WebError;
use crate::web::extract::Csrf;
use crate::web::ui::Ui;

use super::email_step::{start_again, Step};
use super::login::{render, LoginCtx};
use super::signin::{self, After, SignIn};

const STEP: Step = Step {
    cookie: "visage_login_code",
    path: "/login/code",
    purpose: email_code::LOGIN,
    mail: CodePurpose::SignIn,
    action: "/login/code",
};

/// `amr` of a password followed by an emailed code (RFC 8176).
fn amr() -> Vec<String> {
    ["pwd", "otp", "mfa"].map(str::to_owned).to_vec()
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: String,
}

/// The password was right: email a code and go to the code page.
pub async fn start(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    ctx: &LoginCtx,
    user: UserRow,
) -> HttpResponse {
    let ui = Ui::new(req, state, None, ctx.ui_locales.as_deref());
    let lang = ui.tr.code();
    let st = state.clone();
    let now = state.clock.now();
    let (email, tx) = (user.email.clone(), ctx.tx.clone());
    let res = state
        .db
        .run(move |c| -> Result<_, DbError> {
            let key = lockout::email_key(&user.email);
            if lockout::blocked_until(c, &key, now)?.is_some() {
                return Ok(None);
            }
            lockout::hit(c, &key, st.config.lockout.email, now)?;
            let new = NewChallenge {
                user_id: user.id,
                email: user.email,
                tx,
                locale: Some(lang.to_owned()),
                ..Default::default()
            };
            let ttl = st.config.signup.code_ttl_seconds;
            email_code::issue(c, &st.master_key, email_code::LOGIN, new, ttl, now).map(Some)
        })
        .await;
    let (token, code) = match res {
        Ok(Some(v)) => v,
        Ok(None) => {
            let status = Reply::TooMany;
            return render(req, state, status, ctx, &email, Some("login.locked"));
        }
        Err(e) => return error::page_internal(&e),
    };
    if !STEP.send(state, &ui.tr, &email, &code, &token).await {
        let status = Reply::Unavailable;
        return render(req, state, status, ctx, &email, Some("signup.mail_failed"));
    }
    STEP.enter(state, &token)
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    STEP.show(&req, &state).await
}

/// `POST /login/code`: the emailed code completes the sign-in; wrong codes
/// count as failed sign-ins of the account.
pub async fn submit(
    Csrf(form): Csrf<CodeForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (token, row, ctx) = STEP.pending(&req, &state).await?;
    if signin::locked(&req, &state, Some(row.user_id.clone())).await {
        signin::failed(
            &req,
            &state,
            "login.password_code",
            Some(row.user_id),
            "locked",
        )
        .await;
        let status = Reply::TooMany;
        return Ok(STEP.page(&req, &state, &ctx, &row.email, status, Some("login.locked")));
    }
    let st = state.clone();
    let now = state.clock.now();
    let code = form.code.clone();
    let t = token.clone();
    let res = state
        .db
        .run(move |c| {
            let max = st.config.signup.max_code_attempts;
            let checked =
                email_code::check(c, &st.master_key, email_code::LOGIN, &t, &code, max, now)?;
            email_code::close(c, &t)?;
            Ok::<_, CodeError>(checked)
        })
        .await;
    match res {
        Ok(done) => {
            let s = SignIn {
                user_id: done.user_id,
                level: Level::Password,
                amr: amr(),
                action: "login.password_code",
            };
            let after = match done.tx {
                Some(tx) => After::Flow(tx),
                None => After::Go("/account".into()),
            };
            let mut resp = signin::complete(&req, &state, s, after).await;
            let _ = resp.add_cookie(&STEP.clear(&state));
            Ok(resp)
        }
        Err(CodeError::Wrong) => {
            signin::failed(
                &req,
                &state,
                "login.password_code",
                Some(row.user_id),
                "bad_code",
            )
            .await;
            let status = Reply::Invalid;
            Ok(STEP.page(&req, &state, &ctx, &row.email, status, Some("verify.wrong")))
        }
        Err(CodeError::Expired) => {
            signin::failed(
                &req,
                &state,
                "login.password_code",
                Some(row.user_id),
                "expired",
            )
            .await;
            Ok(start_again(&req, &state))
        }
        Err(CodeError::Db(e)) => Err(WebError::internal_page(&e)),
    }
}

crate::csrf_field!(CodeForm);

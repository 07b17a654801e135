//! Sign-up pages: email and name → emailed code → first passkey → recovery codes.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::acr::{passkey_amr, Level};
use crate::auth::email_code::{self, CodeError};
use crate::auth::lockout;
use crate::auth::passkeys::{Owner, PasskeyError};
use crate::auth::signup::{self, SignupError, SignupForm as Form};
use crate::config::Requirement;
use crate::db::DbError;
use crate::mail::messages::CodePurpose;
use crate::web::error::WebError;
use crate::web::extract::{Csrf, CsrfHeader};
use crate::web::rate_limit::client_ip;
use crate::web::ui::{see_other, with_tx, Ui};
use crate::web::{cookies, pages, rate_limit};

use super::email_step::{start_again, Step};
use super::login::{context, LoginCtx};

const STEP: Step = Step {
    cookie: "visage_signup",
    path: "/signup",
    purpose: email_code::SIGNUP,
    mail: CodePurpose::VerifyEmail,
    action: "/signup/verify",
};

#[derive(Deserialize)]
pub struct SignupQuery {
    tx: Option<String>,
    invitation: Option<String>,
}

#[derive(Deserialize)]
pub struct SignupForm {
    tx: Option<String>,
    csrf: Option<String>,
    email: String,
    name: String,
    invitation: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: String,
}

#[derive(Deserialize)]
pub struct RegisterForm {
    csrf: Option<String>,
    ceremony: String,
    credential: String,
    name: String,
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    req: &HttpRequest,
    state: &AppState,
    status: Reply,
    ctx: &LoginCtx,
    email: &str,
    name: &str,
    invitation: &str,
    err: Option<&str>,
) -> HttpResponse {
    let ui = Ui::new(req, state, ctx.brand.clone(), ctx.ui_locales.as_deref());
    let page = pages::SignupPage {
        ui: &ui,
        tx: ctx.tx.as_deref().unwrap_or(""),
        email,
        name,
        invitation,
        open: state.config.signup.open,
        error: err.map(|k| ui.tr.t(k)),
        signin_href: with_tx("/login", ctx.tx.as_deref()),
    };
    ui.render(status, &page)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<SignupQuery>,
) -> Result<HttpResponse, WebError> {
    let ctx = context(&state, q.tx.as_deref()).await?;
    let invitation = q.invitation.clone().unwrap_or_default();
    let err = (!state.config.signup.open && invitation.is_empty()).then_some("signup.closed");
    Ok(form_page(
        &req,
        &state,
        Reply::Shown,
        &ctx,
        "",
        "",
        &invitation,
        err,
    ))
}

enum Start {
    Flood,
    TooManyMails,
    Refused(SignupError),
    Started(signup::Started),
}

fn error_key(e: &SignupError) -> &'static str {
    match e {
        SignupError::Closed => "signup.closed",
        SignupError::BadInvitation => "signup.bad_invitation",
        SignupError::BadEmail => "signup.bad_email",
        SignupError::BadName => "signup.bad_name",
        SignupError::Taken => "signup.taken",
        SignupError::Expired => "verify.expired",
        SignupError::Passkey(PasskeyError::Duplicate) => "register.duplicate",
        SignupError::Passkey(PasskeyError::Ceremony) => "login.passkey_stale",
        SignupError::Passkey(_) | SignupError::Db(_) => "register.failed",
    }
}

pub async fn submit(
    Csrf(form): Csrf<SignupForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let ctx = context(&state, form.tx.as_deref()).await?;
    let invitation = form.invitation.clone().unwrap_or_default();
    let page = |status, key| {
        form_page(
            &req,
            &state,
            status,
            &ctx,
            &form.email,
            &form.name,
            &invitation,
            Some(key),
        )
    };
    if state.passkeys.is_none() {
        return Ok(page(Reply::Unavailable, "login.passkey_unavailable"));
    }
    let ip = rate_limit::client_ip(&req)
        .map(|i| i.to_string())
        .unwrap_or_default();
    let ui = Ui::new(&req, &state, None, ctx.ui_locales.as_deref());
    let lang = ui.tr.code().to_owned();
    let st = state.clone();
    let now = state.clock.now();
    let f = Form {
        email: form.email.clone(),
        name: form.name.clone(),
        invitation: form.invitation.clone(),
        tx: ctx.tx.clone(),
        locale: lang,
    };
    let res = state
        .db
        .run(move |c| -> Result<Start, DbError> {
            let rules = &st.config.lockout;
            let ip_key = lockout::signup_key(&ip);
            let mail_key = lockout::email_key(&f.email);
            if lockout::blocked_until(c, &ip_key, now)?.is_some() {
                audit::record(
                    c,
                    &Event::new("account", "signup.start", "rate_limited").ip(Some(ip)),
                    now,
                )?;
                return Ok(Start::Flood);
            }
            if let Some(until) = lockout::hit(c, &ip_key, rules.signup_ip, now)? {
                audit::record(
                    c,
                    &Event::new("account", "lockout", "blocked")
                        .ip(Some(ip.clone()))
                        .detail(serde_json::json!({ "key": "signup", "until": until })),
                    now,
                )?;
            }
            if lockout::blocked_until(c, &mail_key, now)?.is_some() {
                return Ok(Start::TooManyMails);
            }
            match signup::start(c, &st.master_key, &st.config.signup, &f, now) {
                Ok(s) => {
                    lockout::hit(c, &mail_key, rules.email, now)?;
                    audit::record(
                        c,
                        &Event::new("account", "signup.start", "success").ip(Some(ip)),
                        now,
                    )?;
                    Ok(Start::Started(s))
                }
                Err(SignupError::Db(e)) => Err(e),
                Err(e) => {
                    audit::record(
                        c,
                        &Event::new("account", "signup.start", "failure")
                            .ip(Some(ip))
                            .detail(serde_json::json!({ "reason": error_key(&e) })),
                        now,
                    )?;
                    Ok(Start::Refused(e))
                }
            }
        })
        .await;
    let started = match res {
        Ok(Start::Started(s)) => s,
        Ok(Start::Flood) => return Ok(page(Reply::TooMany, "signup.flood")),
        Ok(Start::TooManyMails) => return Ok(page(Reply::TooMany, "common.too_many")),
        Ok(Start::Refused(e)) => return Ok(page(Reply::Invalid, error_key(&e))),
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    if !STEP
        .send(
            &state,
            &ui.tr,
            &started.email,
            &started.code,
            &started.token,
        )
        .await
    {
        return Ok(page(Reply::Unavailable, "signup.mail_failed"));
    }
    Ok(STEP.enter(&state, &started.token))
}

pub async fn verify_show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    STEP.show(&req, &state).await
}

pub async fn verify_submit(
    Csrf(form): Csrf<CodeForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (token, row, ctx) = STEP.pending(&req, &state).await?;
    let st = state.clone();
    let now = state.clock.now();
    let code = form.code.clone();
    let res = state
        .db
        .run(move |c| signup::verify(c, &st.master_key, &st.config.signup, &token, &code, now))
        .await;
    match res {
        Ok(_) => Ok(see_other("/signup/passkey")),
        Err(CodeError::Wrong) => Ok(STEP.page(
            &req,
            &state,
            &ctx,
            &row.email,
            Reply::Invalid,
            Some("verify.wrong"),
        )),
        Err(CodeError::Expired) => Ok(start_again(&req, &state)),
        Err(CodeError::Db(e)) => Err(WebError::internal_page(&e)),
    }
}

pub async fn passkey_show(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (_, row, ctx) = STEP.pending(&req, &state).await?;
    if row.verified_at.is_none() {
        return Ok(see_other("/signup/verify"));
    }
    let ui = Ui::new(&req, &state, ctx.brand.clone(), ctx.ui_locales.as_deref());
    let page = pages::RegisterPage {
        ui: &ui,
        action: "/signup/passkey",
        options_url: "/signup/passkey/options",
        tx: "",
        error: None,
        recovered: false,
        cancel_href: None,
    };
    Ok(ui.render(Reply::Shown, &page))
}

pub async fn passkey_options(
    _: CsrfHeader,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(token) = STEP.token(&req) else {
        let ui = Ui::new(&req, &state, None, None);
        return super::json_error(Reply::Invalid, ui.tr.t("signup.expired"));
    };
    let st = state.clone();
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| {
            let row = signup::verified(c, &token, now).map_err(|_| PasskeyError::Ceremony)?;
            st.passkey_service()?.start_registration(
                c,
                &Owner::Signup(token.clone()),
                &row.user_id,
                &row.email,
                row.name.as_deref().unwrap_or(&row.email),
                now,
            )
        })
        .await;
    super::ceremony_json(res)
}

pub async fn passkey_finish(
    Csrf(form): Csrf<RegisterForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (token, _, ctx) = STEP.pending(&req, &state).await?;
    let st = state.clone();
    let now = state.clock.now();
    let ip = client_ip(&req).map(|ip| ip.to_string());
    let t = token.clone();
    let res = state
        .db
        .run(move |c| {
            let p = st.passkey_service()?;
            let new = p.finish_registration(
                c,
                &Owner::Signup(t.clone()),
                &form.ceremony,
                &form.credential,
                now,
            )?;
            let synced = new.backup_eligible;
            let first = signup::FirstPasskey {
                passkey: new,
                name: &form.name,
                hold: crate::auth::approvals::holding(c, ip.as_deref())?,
            };
            let created = signup::complete(c, &st.master_key, &st.config.signup, &t, first, now)?;
            p.registered(c, ip.as_deref(), now)?;
            Ok((created, synced))
        })
        .await;
    let (created, synced) = match res {
        Ok(v) => v,
        Err(SignupError::Db(e)) => return Err(WebError::internal_page(&e)),
        Err(e) => {
            tracing::info!("sign-up passkey refused: {e}");
            let reason = match &e {
                SignupError::Passkey(p) => p.reason(),
                _ => "signup",
            };
            super::signin::noted(&req, &state, "signup.passkey", None, reason).await;
            let ui = Ui::new(&req, &state, ctx.brand.clone(), ctx.ui_locales.as_deref());
            let page = pages::RegisterPage {
                ui: &ui,
                action: "/signup/passkey",
                options_url: "/signup/passkey/options",
                tx: "",
                error: Some(ui.tr.t(error_key(&e))),
                recovered: false,
                cancel_href: None,
            };
            return Ok(ui.render(Reply::Invalid, &page));
        }
    };
    // Signed in with the passkey just made: user verification was required to make it.
    let uv = state.config.passkeys.user_verification == Requirement::Required;
    let st = state.clone();
    let user_id = created.user.id.clone();
    let amr = passkey_amr(synced, uv);
    let tx = created.tx.clone();
    let held = created.held;
    let (device_token, device) = cookies::device_of(&req);
    let res = state
        .db
        .run(move |c| {
            // The browser the account was made in is its first.
            crate::auth::devices::remember(c, &user_id, &device, now)?;
            if held {
                // Disabled until an administrator approves it: no session.
                return Ok(None);
            }
            let (sess, cookie) = crate::auth::session::start(
                c,
                &user_id,
                st.ladder.uri(Level::Passkey),
                &amr,
                st.config.session.ttl_seconds,
                now,
            )?;
            // The new account's session is the sign-in of the transaction.
            if let Some(t) = &tx {
                crate::oidc::login_tx::mark_signed_in(c, t, &sess.sid, now)?;
            }
            Ok::<_, crate::oidc::OAuthError>(Some(cookie))
        })
        .await;
    let cookie = res.map_err(|e| WebError::internal_page(&e))?;
    let next = match (&created.tx, held) {
        (_, true) => "/login".to_owned(),
        (Some(t), false) => with_tx("/continue", Some(t)),
        (None, false) => "/account".to_owned(),
    };
    let ui = Ui::new(&req, &state, ctx.brand.clone(), ctx.ui_locales.as_deref());
    let page = pages::RecoveryCodesPage {
        ui: &ui,
        codes: &created.recovery_codes,
        next: &next,
        held,
    };
    let mut resp = ui.render(Reply::Shown, &page);
    let secure = state.config.secure_cookies();
    if let Some(cookie) = cookie {
        let _ = resp.add_cookie(&cookies::session_cookie(
            &cookie,
            secure,
            state.config.session.ttl_seconds,
        ));
    }
    let _ = resp.add_cookie(&STEP.clear(&state));
    let _ = resp.add_cookie(&cookies::fresh_csrf(secure));
    let _ = resp.add_cookie(&cookies::device_cookie(&device_token, secure));
    Ok(resp)
}

crate::csrf_field!(CodeForm, RegisterForm, SignupForm);

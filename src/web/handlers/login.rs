//! The sign-in page of a login transaction (or of the account page when
//! there is none): passkey first, password as a configurable fallback.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::acr::Level;
use crate::auth::face_settings::in_force;
use crate::auth::passkeys::{Owner, PasskeyError};
use crate::auth::password;
use crate::auth::policy::{password_rule, PasswordRule};
use crate::db::users;
use crate::oidc::client::Client;
use crate::oidc::types::FacePolicy;
use crate::oidc::{flow, OAuthError};
use crate::web::error::WebError;
use crate::web::extract::{Csrf, CsrfHeader};
use crate::web::ui::{with_tx, Brand, Ui};
use crate::web::{cookies, error, pages};

use super::outcome::respond;
use super::signin::{self, After, SignIn};

#[derive(Deserialize)]
pub struct TxQuery {
    pub tx: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    tx: Option<String>,
    csrf: Option<String>,
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub struct PasskeyForm {
    tx: Option<String>,
    csrf: Option<String>,
    ceremony: String,
    credential: String,
}

/// What the page needs to know about the transaction.
pub struct LoginCtx {
    pub tx: Option<String>,
    pub brand: Option<Brand>,
    pub ui_locales: Option<String>,
    pub hint: String,
    pub min_level: Option<Level>,
    pub essential: bool,
    /// The client's face policy.
    pub face_policy: FacePolicy,
    /// Whether a password may be used, and whether a code follows it.
    pub password: PasswordRule,
}

impl LoginCtx {
    /// Whether a password may start this sign-in: the policy allows one and
    /// the request (or the client's required level) does not need more.
    pub fn password_may_sign_in(&self) -> bool {
        self.password != PasswordRule::Off
            && !(self.essential && self.min_level.is_some_and(|l| l > Level::Password))
    }
}

fn nonempty(tx: Option<&str>) -> Option<&str> {
    tx.filter(|t| !t.is_empty())
}

/// Load the transaction behind `tx`; the error page when it expired.
pub async fn context(
    state: &web::Data<AppState>,
    tx: Option<&str>,
) -> Result<LoginCtx, HttpResponse> {
    let Some(tx) = nonempty(tx).map(str::to_owned) else {
        return Ok(LoginCtx {
            tx: None,
            brand: None,
            ui_locales: None,
            hint: String::new(),
            min_level: None,
            essential: false,
            face_policy: FacePolicy::Default,
            password: password_rule(&state.config.login, None),
        });
    };
    let now = state.clock.now();
    let st = state.clone();
    let res = state
        .db
        .run(move |c| -> Result<Result<LoginCtx, String>, OAuthError> {
            let req = match flow::parked(c, &tx, now)? {
                Ok(r) => r,
                Err(m) => return Ok(Err(m)),
            };
            let client = Client::find(c, &req.client_id)?;
            let policy = client
                .as_ref()
                .map(|c| c.face_policy)
                .unwrap_or(FacePolicy::Default);
            let need = req.requirement(&st.ladder, client.as_ref().and_then(Client::floor));
            let password =
                password_rule(&st.config.login, client.as_ref().map(|c| c.password_policy));
            Ok(Ok(LoginCtx {
                brand: client.as_ref().map(Brand::of),
                ui_locales: req.ui_locales.clone(),
                hint: req.login_hint.clone().unwrap_or_default(),
                min_level: need.map(|r| r.level),
                essential: need.is_some_and(|r| r.essential),
                face_policy: policy,
                password,
                tx: Some(tx),
            }))
        })
        .await;
    match res {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(m)) => Err(error::page(Reply::Invalid, &m)),
        Err(e) => Err(error::page_internal(&e)),
    }
}

/// The sign-in page, with an error message key when something failed.
pub fn render(
    req: &HttpRequest,
    state: &AppState,
    status: Reply,
    ctx: &LoginCtx,
    email: &str,
    err: Option<&str>,
) -> HttpResponse {
    let ui = Ui::new(req, state, ctx.brand.clone(), ctx.ui_locales.as_deref());
    let tx = ctx.tx.as_deref();
    let password_ok = ctx.password_may_sign_in();
    let message = err.map(|k| ui.tr.t(k));
    let page = pages::LoginPage {
        ui: &ui,
        tx: tx.unwrap_or(""),
        email: if email.is_empty() { &ctx.hint } else { email },
        error: message,
        passkeys: state.passkeys.is_some(),
        password: password_ok,
        signup: state.passkeys.is_some(),
        stronger: ctx.min_level.is_some_and(|l| l > Level::Password),
        signup_href: with_tx("/signup", tx),
        recover_href: with_tx("/recover", tx),
    };
    ui.render(status, &page)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TxQuery>,
) -> Result<HttpResponse, WebError> {
    let ctx = context(&state, q.tx.as_deref()).await?;
    // Step-up: a passkey session asked for the face level only needs the face.
    if ctx.min_level == Some(Level::PasskeyFace) {
        if let Ok(Some(s)) = signin::current(&req, &state).await {
            let level = state.ladder.level_of(&s.acr);
            if level >= Some(Level::Passkey)
                && level < Some(Level::PasskeyFace)
                && face_needed(&state, &s.user_id, &ctx).await
            {
                return Ok(crate::web::ui::see_other(&with_tx(
                    "/face",
                    ctx.tx.as_deref(),
                )));
            }
        }
    }
    Ok(render(&req, &state, Reply::Shown, &ctx, "", None))
}

/// Whether this sign-in continues with the face step: the person has a face
/// template, the engine is up, and the policy or the request asks for it.
async fn face_needed(
    state: &web::Data<AppState>,
    user_id: &crate::ids::UserId,
    ctx: &LoginCtx,
) -> bool {
    if ctx.tx.is_none() || state.face_engine().await.is_none() {
        return false;
    }
    let asked = ctx.min_level == Some(Level::PasskeyFace);
    let (uid, policy, base) = (
        user_id.to_owned(),
        ctx.face_policy,
        state.config.face.clone(),
    );
    state
        .db
        .run(move |c| {
            let wanted = match policy {
                FacePolicy::Off => asked,
                FacePolicy::Require => true,
                FacePolicy::Default => asked || in_force(c, &base)?.require_for_enrolled,
            };
            let (consent, enrolled) = crate::auth::face::status(c, &uid)?;
            Ok::<_, crate::db::DbError>(wanted && consent && enrolled.is_some())
        })
        .await
        .unwrap_or(false)
}

fn after(tx: Option<String>) -> After {
    match tx {
        Some(t) => After::Flow(t),
        None => After::Go("/account".into()),
    }
}

pub async fn submit(
    Csrf(form): Csrf<LoginForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let ctx = context(&state, form.tx.as_deref()).await?;
    if !ctx.password_may_sign_in() {
        let ui = Ui::new(&req, &state, None, None);
        return Err(WebError::Page(
            Reply::Forbidden,
            ui.tr.t("login.password_not_for_client").into(),
        ));
    }
    let email = form.email.clone();
    let user = match state.db.run(move |c| users::find_by_email(c, &email)).await {
        Ok(u) => u.filter(|u| !u.disabled),
        Err(e) => return Err(WebError::internal_page(&e)),
    };
    let uid = user.as_ref().map(|u| u.id.clone());
    // Only failures count against the address and the account: a busy
    // office behind one address signs in freely while nobody guesses.
    if signin::locked(&req, &state, uid.clone()).await {
        signin::failed(&req, &state, "login.password", uid, "locked").await;
        return Ok(render(
            &req,
            &state,
            Reply::TooMany,
            &ctx,
            &form.email,
            Some("login.locked"),
        ));
    }
    let pw = form.password.clone();
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = web::block(move || password::verify(&pw, stored.as_deref()))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|u| ok && u.email_verified) else {
        signin::failed(&req, &state, "login.password", uid, "bad_credentials").await;
        return Ok(render(
            &req,
            &state,
            Reply::Shown,
            &ctx,
            &form.email,
            Some("login.bad_password"),
        ));
    };
    if ctx.password == PasswordRule::WithCode {
        return Ok(super::login_code::start(&req, &state, &ctx, user).await);
    }
    let s = SignIn {
        user_id: user.id,
        level: Level::Password,
        amr: vec!["pwd".to_owned()],
        action: "login.password",
    };
    Ok(signin::complete(&req, &state, s, after(ctx.tx)).await)
}

#[derive(Deserialize)]
pub struct OptionsBody {
    tx: Option<String>,
}

/// The ceremony's owner: the login transaction, or this browser (CSRF cookie).
fn owner(req: &HttpRequest, tx: Option<&str>) -> Option<Owner> {
    match nonempty(tx) {
        Some(t) => Some(Owner::Login(t.to_owned())),
        None => cookies::csrf_value(req).map(|c| Owner::Login(format!("browser:{c}"))),
    }
}

/// `POST /login/passkey/options` (JSON): start a discoverable sign-in.
pub async fn passkey_options(
    _: CsrfHeader,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<OptionsBody>,
) -> HttpResponse {
    if state.passkeys.is_none() {
        let ui = Ui::new(&req, &state, None, None);
        return super::json_error(Reply::Missing, ui.tr.t("login.passkeys_off"));
    }
    if let Err(page) = context(&state, body.tx.as_deref()).await {
        let ui = Ui::new(&req, &state, None, None);
        let reply = if page.status().is_server_error() {
            Reply::Failed
        } else {
            Reply::Invalid
        };
        return super::json_error(reply, ui.tr.t("login.request_expired"));
    }
    let Some(owner) = owner(&req, body.tx.as_deref()) else {
        let ui = Ui::new(&req, &state, None, None);
        return super::json_error(Reply::Forbidden, ui.tr.t("common.page_expired"));
    };
    let st = state.clone();
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| st.passkey_service()?.start_authentication(c, &owner, now))
        .await;
    super::ceremony_json(res)
}

/// `POST /login/passkey`: the browser's signed answer.
pub async fn passkey_finish(
    Csrf(form): Csrf<PasskeyForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let ctx = context(&state, form.tx.as_deref()).await?;
    let Some(owner) = owner(&req, ctx.tx.as_deref()) else {
        return Ok(render(
            &req,
            &state,
            Reply::Invalid,
            &ctx,
            "",
            Some("login.passkey_stale"),
        ));
    };
    let st = state.clone();
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| {
            st.passkey_service()?.finish_authentication(
                c,
                &owner,
                &form.ceremony,
                &form.credential,
                now,
            )
        })
        .await;
    match res {
        // A passkey cannot be guessed: password and code lockouts of the
        // address or the account never refuse it.
        Ok(done) => {
            let next = match ctx.tx.clone() {
                Some(tx) if face_needed(&state, &done.user_id, &ctx).await => After::Step {
                    path: with_tx("/face", Some(&tx)),
                    tx,
                },
                _ => after(ctx.tx),
            };
            let s = SignIn {
                user_id: done.user_id,
                level: Level::Passkey,
                amr: done.amr,
                action: "login.passkey",
            };
            Ok(signin::complete(&req, &state, s, next).await)
        }
        Err(PasskeyError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => {
            tracing::info!("passkey sign-in refused: {e}");
            signin::noted(&req, &state, "login.passkey", None, e.reason()).await;
            let key = match e {
                PasskeyError::Ceremony => "login.passkey_stale",
                PasskeyError::UnknownCredential => "login.passkey_unknown",
                PasskeyError::AwaitingApproval => "login.passkey_waiting",
                _ => "login.passkey_failed",
            };
            Ok(render(&req, &state, Reply::Invalid, &ctx, "", Some(key)))
        }
    }
}

/// `GET /continue?tx=`: resume a transaction after sign-up or recovery, with
/// a session that started during it.
pub async fn resume(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TxQuery>,
) -> HttpResponse {
    let Some(tx) = q.tx.clone().filter(|t| !t.is_empty()) else {
        return crate::web::ui::see_other("/account");
    };
    let sess = match signin::current(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => return crate::web::ui::see_other(&with_tx("/login", Some(&tx))),
        Err(e) => return error::page_internal(&e),
    };
    let ring = state.ring().await;
    let st = state.clone();
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| flow::resume(c, &st.flow_env(&ring, now), &tx, &sess))
        .await;
    match res {
        Ok(outcome) => respond(outcome),
        Err(e) => error::page_internal(&e),
    }
}

crate::csrf_field!(LoginForm, PasskeyForm);

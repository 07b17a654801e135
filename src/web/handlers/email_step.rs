//! The "type the code we emailed you" step shared by sign-up and recovery:
//! the step cookie, the pending challenge, the code page.

use crate::web::error::Reply;
use actix_web::cookie::Cookie;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::auth::email_code;
use crate::db::email_challenges::EmailChallengeRow;
use crate::i18n::Tr;
use crate::mail::messages::{code_mail, CodePurpose};
use crate::web::ui::{see_other, with_tx, Ui};
use crate::web::{cookies, error, pages};

use super::login::{context, LoginCtx};

/// One emailed-code step: its cookie (and the path it is scoped to), its
/// challenge purpose, its mail, its form action.
pub struct Step {
    pub cookie: &'static str,
    pub path: &'static str,
    pub purpose: &'static str,
    pub mail: CodePurpose,
    pub action: &'static str,
}

/// "The code expired; start again" in the person's language.
pub fn start_again(req: &HttpRequest, state: &AppState) -> HttpResponse {
    let ui = Ui::new(req, state, None, None);
    error::page(Reply::Invalid, ui.tr.t("verify.expired"))
}

impl Step {
    /// Email `code` for the challenge behind `token`; when sending fails the
    /// challenge is dropped (nothing half-done is left) and false is returned.
    pub async fn send(
        &self,
        state: &AppState,
        tr: &Tr<'_>,
        email: &str,
        code: &str,
        token: &str,
    ) -> bool {
        let sent = match code_mail(tr, self.mail, email, code) {
            Ok(mail) => state.mailer.send(mail).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!("{} mail not sent: {e}", self.purpose);
                let t = token.to_owned();
                let _ = state.db.run(move |c| email_code::close(c, &t)).await;
                false
            }
        }
    }

    /// Go to the code page, remembering the challenge in the step cookie.
    pub fn enter(&self, state: &AppState, token: &str) -> HttpResponse {
        let mut resp = see_other(self.action);
        let _ = resp.add_cookie(&cookies::step_cookie(
            self.cookie,
            token,
            self.path,
            state.config.secure_cookies(),
            state.config.signup.code_ttl_seconds,
        ));
        resp
    }

    /// Forget the step cookie (the step is over).
    pub fn clear(&self, state: &AppState) -> Cookie<'static> {
        cookies::clear_step(self.cookie, self.path, state.config.secure_cookies())
    }

    /// `GET` of the code page.
    pub async fn show(&self, req: &HttpRequest, state: &web::Data<AppState>) -> HttpResponse {
        match self.pending(req, state).await {
            Ok((_, row, ctx)) => self.page(req, state, &ctx, &row.email, Reply::Shown, None),
            Err(p) => p,
        }
    }

    pub fn token(&self, req: &HttpRequest) -> Option<String> {
        req.cookie(self.cookie)
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The open challenge behind the step cookie, and its transaction's page chrome.
    pub async fn pending(
        &self,
        req: &HttpRequest,
        state: &web::Data<AppState>,
    ) -> Result<(String, EmailChallengeRow, LoginCtx), HttpResponse> {
        let Some(token) = self.token(req) else {
            return Err(start_again(req, state));
        };
        let now = state.clock.now();
        let (t, purpose) = (token.clone(), self.purpose);
        let row = match state
            .db
            .run(move |c| email_code::find(c, purpose, &t, now))
            .await
        {
            Ok(Some(r)) => r,
            Ok(None) => return Err(start_again(req, state)),
            Err(e) => return Err(error::page_internal(&e)),
        };
        let ctx = context(state, row.tx.as_deref()).await?;
        Ok((token, row, ctx))
    }

    /// The code form, with an error message key when the last code was wrong.
    pub fn page(
        &self,
        req: &HttpRequest,
        state: &AppState,
        ctx: &LoginCtx,
        email: &str,
        status: Reply,
        err: Option<&str>,
    ) -> HttpResponse {
        let ui = Ui::new(req, state, ctx.brand.clone(), ctx.ui_locales.as_deref());
        let page = pages::CodePage {
            ui: &ui,
            action: self.action,
            email,
            error: err.map(|k| ui.tr.t(k)),
            back_href: with_tx("/login", ctx.tx.as_deref()),
        };
        ui.render(status, &page)
    }
}

//! The web side of `auth::assurance`: whether this browser's session may
//! change the account's authenticators, and what follows a change.

use crate::web::error::Reply;
use actix_web::{web, HttpRequest};

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::auth::assurance::{self, Change, Factors, Refusal};
use crate::auth::session::Session;
use crate::web::error::WebError;
use crate::web::rate_limit;
use crate::web::ui::Ui;

use super::signin;

/// How the refusal is answered: a page (redirect to sign in again) or JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Page,
    Json,
}

/// The session, when it may make `change`; otherwise the answer that sends
/// the person to sign in again (at the level the change needs).
pub async fn changing(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    change: Change,
    answer: Answer,
) -> Result<Session, WebError> {
    let ui = Ui::new(req, state, None, None);
    let internal = |e: &dyn std::fmt::Display| match answer {
        Answer::Json => WebError::internal_json(e),
        Answer::Page => WebError::internal_page(e),
    };
    let sess = match signin::current(req, state).await {
        Ok(Some(s)) => s,
        Ok(None) if answer == Answer::Json => {
            return Err(WebError::json(
                Reply::SignInNeeded,
                ui.tr.t("session.ended"),
            ))
        }
        Ok(None) => return Err(WebError::SeeOther("/login".into())),
        Err(e) => return Err(internal(&e)),
    };
    let uid = sess.user_id.clone();
    let factors = state
        .db
        .run(move |c| Factors::of(c, &uid))
        .await
        .map_err(|e| internal(&e))?;
    let refusal = match assurance::may_change(
        &state.ladder,
        &sess,
        factors,
        change,
        state.face_engine().await.is_some(),
        state.config.admin.step_up_seconds,
        state.clock.now(),
    ) {
        Ok(()) => return Ok(sess),
        Err(r) => r,
    };
    let (message, next) = match refusal {
        Refusal::RecoveryOnlyAddsPasskey => (ui.tr.t("assurance.recovery_only"), "/account"),
        Refusal::ConfirmFace => (ui.tr.t("assurance.face_again"), "/face"),
        Refusal::SignInAgain { .. } => (ui.tr.t("assurance.sign_in_again"), "/login"),
    };
    tracing::info!(user = %sess.user_id, change = change.as_str(), "authenticator change refused: {refusal:?}");
    Err(match (answer, refusal) {
        (Answer::Json, _) => refused_json(message, next),
        (Answer::Page, Refusal::RecoveryOnlyAddsPasskey) => {
            WebError::Page(Reply::Forbidden, message.into())
        }
        (Answer::Page, _) => WebError::SeeOther(next.into()),
    })
}

/// 403 JSON for a fetch call: the message and where to go (sign in, face).
pub fn refused_json(message: &str, next: &str) -> WebError {
    WebError::Json {
        status: Reply::Forbidden,
        message: message.into(),
        redirect: Some(next.into()),
    }
}

/// After a change: audit it, end the person's other sessions and tell the
/// account holder by mail (a failure to mail is logged, not shown).
pub async fn changed(req: &HttpRequest, state: &AppState, sess: &Session, change: Change) {
    let (uid, sid) = (sess.user_id.clone(), sess.sid.clone());
    let ip = rate_limit::client_ip(req).map(|i| i.to_string());
    let now = state.clock.now();
    let res = state
        .db
        .run(move |c| -> Result<usize, crate::db::DbError> {
            let ended = assurance::end_other_sessions(c, &uid, &sid, now)?;
            audit::record(
                c,
                &Event::new("account", "sessions.ended_after_change", "success")
                    .user(&uid)
                    .ip(ip)
                    .detail(serde_json::json!({ "change": change.as_str(), "ended": ended })),
                now,
            )?;
            Ok(ended)
        })
        .await;
    if let Err(e) = res {
        tracing::error!("ending other sessions after {}: {e}", change.as_str());
    }
    crate::mail::alerts::authenticator_changed(&state.outbox(), &sess.user_id, change.as_str())
        .await;
}

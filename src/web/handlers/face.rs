//! The face step: consent, enrolment and verification pages, and the JSON
//! endpoints their camera script calls (challenge and steps in
//! `face_pace`, then the frames here).

use crate::web::error::Reply;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::acr::Level;
use crate::auth::face::{self, FaceError, Upload, ENROL, VERIFY};
use crate::auth::face_settings;
use crate::auth::session::Session;
use crate::biometrics::quality::Hint;
use crate::mail::alerts;
use std::sync::Arc;

use crate::biometrics::FaceEngine;
use crate::web::error::WebError;
use crate::web::extract::{Csrf, CsrfHeader, FaceOn, SignedIn};
use crate::web::ui::{see_other, with_tx, Ui};
use crate::web::{cookies, pages, rate_limit};

use super::guard::{self, Answer};
use super::login::{context, TxQuery};
use super::signin;
use crate::auth::assurance::{self, Change};
use crate::auth::signin::UpgradeError;

#[derive(Deserialize)]
pub struct FrameIn {
    /// Capture time in milliseconds.
    t: i64,
    /// Base64 JPEG.
    jpeg: String,
}

#[derive(Deserialize)]
pub struct VerifyBody {
    tx: Option<String>,
    nonce: String,
    frames: Vec<FrameIn>,
}

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf: Option<String>,
    decision: Option<String>,
}

crate::csrf_field!(ConsentForm);

fn tx_of(tx: &Option<String>) -> Option<&str> {
    tx.as_deref().filter(|t| !t.is_empty())
}

/// `GET /face?tx=`: the face step of a sign-in (after the passkey).
pub async fn step(
    SignedIn(sess): SignedIn,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<TxQuery>,
) -> Result<HttpResponse, WebError> {
    let tx = tx_of(&q.tx);
    let ctx = context(&state, tx).await?;
    let ui = Ui::new(&req, &state, ctx.brand.clone(), ctx.ui_locales.as_deref());
    if state.face_engine().await.is_none() || !assurance::face_may_upgrade(&state.ladder, &sess) {
        return Err(WebError::SeeOther(with_tx("/login", tx)));
    }
    let skip = !(ctx.essential && ctx.min_level == Some(Level::PasskeyFace));
    let other = skip.then(|| with_tx("/continue", tx));
    Ok(camera_page(
        &ui,
        VERIFY,
        tx,
        other,
        state.config.face.screen_light,
    ))
}

/// `GET /face/enrol`: set up face sign-in from the account page.
pub async fn enrol_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let sess = guard::changing(&req, &state, Change::FaceEnrol, Answer::Page).await?;
    if state.face_engine().await.is_none() {
        return Err(WebError::Page(
            Reply::Unavailable,
            Ui::new(&req, &state, None, None)
                .tr
                .t("face.unavailable")
                .into(),
        ));
    }
    let uid = sess.user_id.clone();
    let (consented, _) = state
        .db
        .run(move |c| face::status(c, &uid))
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    if !consented {
        return Ok(see_other("/face/consent"));
    }
    Ok(camera_page(
        &Ui::new(&req, &state, None, None),
        ENROL,
        None,
        Some("/account".into()),
        state.config.face.screen_light,
    ))
}

fn camera_page(
    ui: &Ui<'_>,
    purpose: &'static str,
    tx: Option<&str>,
    other_way: Option<String>,
    screen_light: bool,
) -> HttpResponse {
    let enrol = purpose == ENROL;
    let page = pages::FacePage {
        ui,
        enrol,
        tx: tx.unwrap_or(""),
        start_url: if enrol {
            "/face/enrol/challenge"
        } else {
            "/face/challenge"
        },
        step_url: if enrol {
            "/face/enrol/step"
        } else {
            "/face/step"
        },
        verify_url: if enrol {
            "/face/enrol/frames"
        } else {
            "/face/frames"
        },
        other_way,
        screen_light,
    };
    ui.render(Reply::Shown, &page)
}

/// `GET /face/consent`.
pub async fn consent_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    guard::changing(&req, &state, Change::FaceEnrol, Answer::Page).await?;
    let ui = Ui::new(&req, &state, None, None);
    let page = pages::FaceConsentPage {
        ui: &ui,
        version: &state.config.face.consent_version,
    };
    Ok(ui.render(Reply::Shown, &page))
}

/// `POST /face/consent`: record the consent (with the text version) or go back.
pub async fn consent_submit(
    Csrf(form): Csrf<ConsentForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let sess = guard::changing(&req, &state, Change::FaceEnrol, Answer::Page).await?;
    if form.decision.as_deref() != Some("agree") {
        return Ok(see_other("/account"));
    }
    let version = state.config.face.consent_version.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |c| face::record_consent(c, &sess.user_id, &version, now))
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    Ok(see_other("/face/enrol"))
}

/// `POST /account/face/delete`: erase the template and the consent.
pub async fn delete(
    _: Csrf<ConsentForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let sess = guard::changing(&req, &state, Change::FaceDelete, Answer::Page).await?;
    let now = state.clock.now();
    let uid = sess.user_id.clone();
    state
        .db
        .run(move |c| face::delete_all(c, &uid, "self", now))
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    guard::changed(&req, &state, &sess, Change::FaceDelete).await;
    Ok(see_other("/account?done=face_deleted"))
}

/// A failed check: the message for the page; when this failure locked the
/// face factor, the account holder is told by email.
pub(super) async fn refused(
    state: &AppState,
    ui: &Ui<'_>,
    user_id: &crate::ids::UserId,
    e: FaceError,
) -> WebError {
    if let FaceError::LockedNow(_, until) = &e {
        alerts::face_locked(&state.outbox(), user_id, *until).await;
    }
    let (status, msg) = face_message(ui, &e);
    WebError::json(status, msg)
}

fn locked_until(ui: &Ui<'_>, until: i64) -> String {
    ui.tr.f(
        "face.locked",
        &[("until", &crate::clock::utc_minutes(until))],
    )
}

pub(super) fn face_message(ui: &Ui<'_>, e: &FaceError) -> (Reply, String) {
    match e {
        FaceError::LockedNow(cause, until) => (
            Reply::TooMany,
            format!("{} {}", face_message(ui, cause).1, locked_until(ui, *until)),
        ),
        FaceError::NoConsent => (Reply::Forbidden, ui.tr.t("face.no_consent").into()),
        FaceError::NotEnrolled => (Reply::Invalid, ui.tr.t("face.not_enrolled").into()),
        FaceError::Locked(until) => (Reply::TooMany, locked_until(ui, *until)),
        FaceError::Busy(until) => (
            Reply::TooMany,
            ui.tr.f(
                "face.busy",
                &[("until", &crate::clock::utc_minutes(*until))],
            ),
        ),
        FaceError::Challenge => (Reply::Invalid, ui.tr.t("face.stale").into()),
        FaceError::Refused(reason) => (
            Reply::Invalid,
            format!("{} ({reason})", ui.tr.t("face.refused")),
        ),
        FaceError::Db(e) => (
            Reply::Failed,
            crate::oidc::OAuthError::server_error(e).description,
        ),
    }
}

/// The session a face endpoint works for: enrolment is an authenticator
/// change (a fresh passkey session, see `auth::assurance`); verification
/// upgrades only a passkey session.
pub(super) async fn face_session(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    purpose: &'static str,
) -> Result<Session, WebError> {
    if purpose == ENROL {
        return guard::changing(req, state, Change::FaceEnrol, Answer::Json).await;
    }
    let ui = Ui::new(req, state, None, None);
    match signin::current(req, state).await {
        Ok(Some(s)) if assurance::face_may_upgrade(&state.ladder, &s) => Ok(s),
        Ok(Some(_)) => Err(guard::refused_json(
            ui.tr.t("assurance.sign_in_again"),
            "/login",
        )),
        _ => Err(WebError::json(
            Reply::SignInNeeded,
            ui.tr.t("session.ended"),
        )),
    }
}

fn decode_frames(frames: &[FrameIn], max: usize, max_side: u32) -> Result<Vec<Upload>, String> {
    if frames.is_empty() || frames.len() > max {
        return Err(format!("send between 1 and {max} frames"));
    }
    frames
        .iter()
        .map(|f| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(f.jpeg.as_bytes())
                .map_err(|_| "a frame is not base64".to_owned())?;
            face::check_size(&bytes, max_side)?;
            Ok(Upload {
                timestamp_ms: f.t,
                bytes,
            })
        })
        .collect()
}

async fn frames(
    req: HttpRequest,
    state: web::Data<AppState>,
    engine: Arc<FaceEngine>,
    body: VerifyBody,
    purpose: &'static str,
) -> Result<HttpResponse, WebError> {
    let started = std::time::Instant::now();
    let sess = face_session(&req, &state, purpose).await?;
    let ui = Ui::new(&req, &state, None, None);
    let st = state.clone();
    let cfg = state
        .db
        .run(move |c| face_settings::in_force(c, &st.config.face))
        .await
        .map_err(|e| WebError::internal_json(&e))?;
    let mut uploads = decode_frames(
        &body.frames,
        face::max_frames(&cfg),
        state.config.face.max_image_side,
    )
    .map_err(|m| WebError::json(Reply::Invalid, m))?;
    let now = state.clock.now();
    let (uid, nonce) = (sess.user_id.clone(), body.nonce.clone());
    let (ch, cfg, uploads) = match state
        .db
        .run(move |c| {
            let ch = face::take(c, &uid, purpose, &nonce, &mut uploads, now);
            Ok((ch, cfg, uploads))
        })
        .await
    {
        Ok((Ok(ch), cfg, uploads)) => (ch, cfg, uploads),
        Err(e) | Ok((Err(FaceError::Db(e)), _, _)) => return Err(WebError::internal_json(&e)),
        Ok((Err(e), cfg, _)) => {
            let uid = sess.user_id.clone();
            let null = serde_json::Value::Null;
            let res = state
                .db
                .run(move |c| face::failed(c, &cfg, &uid, purpose, e, null, now))
                .await;
            return Err(match res {
                Ok(e) => refused(&state, &ui, &sess.user_id, e).await,
                Err(e) => WebError::internal_json(&e),
            });
        }
    };
    // Frames stay in memory on the blocking pool and are dropped after this.
    let analysed = if purpose == ENROL {
        state.config.face.analysed_frames.max(3)
    } else {
        state.config.face.analysed_frames
    };
    let eng = engine.clone();
    let thresholds = face::Thresholds {
        analysed,
        live: cfg.live_threshold.unwrap_or(engine.live_threshold),
        same_person: cfg
            .same_person_threshold
            .unwrap_or(engine.same_person_threshold),
        light_spill: cfg.screen_light_max_spill,
        room_shape: cfg.room_shape_max,
    };
    let evidence = web::block(move || face::examine(&eng, &ch, &uploads, thresholds, now)).await;
    let evidence = evidence.map_err(|e| WebError::internal_json(&e))?;
    let st = state.clone();
    let uid = sess.user_id.clone();
    let result = state
        .db
        .run(move |c| {
            face::conclude(
                c,
                &engine,
                &st.master_key,
                &cfg,
                &uid,
                purpose,
                evidence,
                now,
            )
        })
        .await;
    let mut resp = match result {
        Ok(Ok(())) if purpose == ENROL => {
            guard::changed(&req, &state, &sess, Change::FaceEnrol).await;
            ok_json("/account?done=face_enrolled", None)
        }
        Ok(Ok(())) => upgrade(&state, &sess, tx_of(&body.tx)).await?,
        Ok(Err(e)) => return Err(refused(&state, &ui, &sess.user_id, e).await),
        Err(e) => return Err(WebError::internal_json(&e)),
    };
    // Server time of the whole check, for load scripts and browser devtools.
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&format!("face;dur={ms:.1}")) {
        resp.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("server-timing"),
            v,
        );
    }
    Ok(resp)
}

fn ok_json(redirect: &str, cookie: Option<actix_web::cookie::Cookie<'static>>) -> HttpResponse {
    let mut resp = HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "redirect": redirect }));
    if let Some(c) = cookie {
        let _ = resp.add_cookie(&c);
    }
    resp
}

/// A passed face step: a new session at the top of the ladder, then on.
async fn upgrade(
    state: &web::Data<AppState>,
    sess: &Session,
    tx: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let st = state.clone();
    let now = state.clock.now();
    let (passkey, t) = (sess.clone(), tx.map(str::to_owned));
    let res = state
        .db
        .run(move |c| {
            c.write_transaction(|c| {
                let ttl = st.config.session.ttl_seconds;
                let up = crate::auth::signin::upgrade_with_face(c, &st.ladder, ttl, &passkey, now)
                    .map_err(|e| match e {
                        UpgradeError::Db(e) => e.into(),
                        e => crate::oidc::OAuthError::server_error(&e),
                    })?;
                // The face step is this transaction's sign-in.
                if let Some(t) = &t {
                    crate::oidc::login_tx::mark_signed_in(c, t, &up.session.sid, now)?;
                }
                Ok::<_, crate::oidc::OAuthError>((up.session, up.cookie))
            })
        })
        .await;
    match res {
        Ok((_, cookie)) => {
            let next = match tx {
                Some(t) => with_tx("/continue", Some(t)),
                None => "/account".to_owned(),
            };
            let c = cookies::session_cookie(
                &cookie,
                state.config.secure_cookies(),
                state.config.session.ttl_seconds,
            );
            let mut resp = ok_json(&next, Some(c));
            let _ = resp.add_cookie(&cookies::fresh_csrf(state.config.secure_cookies()));
            Ok(resp)
        }
        Err(e) => Err(WebError::internal_json(&e)),
    }
}

pub async fn frames_verify(
    _: CsrfHeader,
    FaceOn(engine): FaceOn,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<VerifyBody>,
) -> Result<HttpResponse, WebError> {
    frames(req, state, engine, body.into_inner(), VERIFY).await
}

pub async fn frames_enrol(
    _: CsrfHeader,
    FaceOn(engine): FaceOn,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<VerifyBody>,
) -> Result<HttpResponse, WebError> {
    frames(req, state, engine, body.into_inner(), ENROL).await
}

#[derive(Deserialize)]
pub struct PreviewBody {
    jpeg: String,
}

/// `POST /face/preview`: guidance for one camera frame before the check
/// ("move closer", "too dark", "one face only"); nothing is stored.
pub async fn preview(
    _: CsrfHeader,
    FaceOn(engine): FaceOn,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<PreviewBody>,
) -> Result<HttpResponse, WebError> {
    let sess = face_session(&req, &state, VERIFY).await?;
    // Cheap per-person and per-address pacing (the page asks once a second).
    if !rate_limit::allow_preview(&state.limits, &req, &sess.user_id) {
        let ui = Ui::new(&req, &state, None, None);
        return Err(WebError::json(Reply::TooMany, ui.tr.t("face.slow_down")));
    }
    let bad = |m: &str| WebError::json(Reply::Invalid, m);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.jpeg.as_bytes())
        .map_err(|_| bad("the frame is not base64"))?;
    face::check_size(&bytes, state.config.face.max_image_side).map_err(|m| bad(&m))?;
    let hint = web::block(move || face::preview(&engine, &bytes))
        .await
        .map_err(|e| WebError::internal_json(&e))?;
    let code = serde_json::to_value(hint)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let ui = Ui::new(&req, &state, None, None);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({
            "ok": hint == Hint::Good,
            "hint": code,
            "message": ui.tr.t(&format!("face.hint.{code}")),
        })))
}

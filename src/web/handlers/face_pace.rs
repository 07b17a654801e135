//! The face check, paced by the server (`biometrics::pace`): `POST
//! /face/challenge` issues a challenge and reveals its first step; `POST
//! /face/step` takes the page's commitment to a step's frame and reveals
//! the next one. The frames follow in one `POST /face/frames`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::auth::face::{self, FaceError, Paced, ENROL, VERIFY};
use crate::auth::face_settings;
use crate::biometrics::challenge::Challenge;
use crate::web::error::WebError;
use crate::web::extract::{CsrfHeader, FaceOn};
use crate::web::rate_limit;
use crate::web::ui::Ui;

use super::face::{face_message, face_session, refused};

/// Step `i` as the page shows it: the instruction, the wait before the
/// capture, the colour over the page.
fn step_json(ui: &Ui<'_>, ch: &Challenge, i: usize) -> Value {
    match ch.steps.get(i) {
        Some(s) => json!({
            "index": i,
            "action": s.action,
            "prompt": ui.tr.t(&format!("face.action.{}", s.action.as_str())),
            "wait_ms": s.wait_ms,
            "colour": s.colour.map(|c| c.css()),
        }),
        None => Value::Null,
    }
}

fn no_store(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    purpose: &'static str,
) -> Result<HttpResponse, WebError> {
    let sess = face_session(&req, &state, purpose).await?;
    let st = state.clone();
    let now_ms = state.clock.now_ms();
    let ip = rate_limit::client_ip(&req).map(|i| i.to_string());
    let res = state
        .db
        .run(move |c| {
            let cfg = face_settings::in_force(c, &st.config.face)?;
            face::start(c, &cfg, &sess.user_id, purpose, ip.as_deref(), now_ms)
        })
        .await;
    let ui = Ui::new(&req, &state, None, None);
    let ch = res.map_err(|e| {
        let (status, msg) = face_message(&ui, &e);
        WebError::json(status, msg)
    })?;
    Ok(no_store(json!({
        "nonce": ch.nonce,
        "frames": ch.steps.len(),
        "step": step_json(&ui, &ch, 0),
        "expires_in": ch.expires_at - now_ms.div_euclid(1000),
    })))
}

pub async fn start_verify(
    _: CsrfHeader,
    _: FaceOn,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    start(req, state, VERIFY).await
}

pub async fn start_enrol(
    _: CsrfHeader,
    _: FaceOn,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    start(req, state, ENROL).await
}

#[derive(Deserialize)]
pub struct StepBody {
    nonce: String,
    /// The step the frame was captured for.
    index: usize,
    /// SHA-256 (hex) of the frame's JPEG bytes, as they will be sent.
    sha256: String,
}

async fn step(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: StepBody,
    purpose: &'static str,
) -> Result<HttpResponse, WebError> {
    let sess = face_session(&req, &state, purpose).await?;
    let st = state.clone();
    let uid = sess.user_id.clone();
    let now_ms = state.clock.now_ms();
    let res = state
        .db
        .run(move |c| {
            let stepped = face::step(
                c,
                &uid,
                purpose,
                &body.nonce,
                (body.index, &body.sha256),
                now_ms,
            );
            match stepped {
                Err(e @ FaceError::Refused(_)) => {
                    let cfg = face_settings::in_force(c, &st.config.face)?;
                    let now = now_ms.div_euclid(1000);
                    Ok(Err(face::failed(
                        c,
                        &cfg,
                        &uid,
                        purpose,
                        e,
                        Value::Null,
                        now,
                    )?))
                }
                Err(FaceError::Db(e)) => Err(e),
                other => Ok(other),
            }
        })
        .await;
    let ui = Ui::new(&req, &state, None, None);
    match res.map_err(|e| WebError::internal_json(&e))? {
        Ok((Paced::Next(i), ch)) => Ok(no_store(json!({ "step": step_json(&ui, &ch, i) }))),
        Ok((Paced::Done, _)) => Ok(no_store(json!({ "done": true }))),
        Err(e) => Err(refused(&state, &ui, &sess.user_id, e).await),
    }
}

pub async fn step_verify(
    _: CsrfHeader,
    _: FaceOn,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<StepBody>,
) -> Result<HttpResponse, WebError> {
    step(req, state, body.into_inner(), VERIFY).await
}

pub async fn step_enrol(
    _: CsrfHeader,
    _: FaceOn,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<StepBody>,
) -> Result<HttpResponse, WebError> {
    step(req, state, body.into_inner(), ENROL).await
}

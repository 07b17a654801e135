//! The face check, paced by the server (`biometrics::pace`): `POST
//! /face/challenge` issues a challenge and reveals its first step; `POST
//! /face/step` takes the page's commitment to a step's frame and reveals
//! the next one. The frames follow in one `POST /face/frames`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::auth::face::{self, FaceError, Paced, ENROL, VERIFY};
use crate::auth::face_settings;
use crate::biometrics::challenge::Challenge;
use crate::web::ui::Ui;
use crate::web::{cookies, rate_limit};

use super::face::{face_message, face_session, refused};
use super::json_error;

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

/// The checks every face JSON call starts with: the CSRF header and an
/// engine. Some: the refusal to send.
fn refusal(req: &HttpRequest, state: &AppState) -> Option<HttpResponse> {
    if !cookies::csrf_header_ok(req) {
        return Some(json_error(
            StatusCode::FORBIDDEN,
            "The page expired. Reload it and try again.",
        ));
    }
    state.face.is_none().then(|| {
        json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Face sign-in is not available on this server.",
        )
    })
}

async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    purpose: &'static str,
) -> HttpResponse {
    if let Some(r) = refusal(&req, &state) {
        return r;
    }
    let sess = match face_session(&req, &state, purpose).await {
        Ok(s) => s,
        Err(r) => return r,
    };
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
    match res {
        Ok(ch) => no_store(json!({
            "nonce": ch.nonce,
            "frames": ch.steps.len(),
            "step": step_json(&ui, &ch, 0),
            "expires_in": ch.expires_at - now_ms.div_euclid(1000),
        })),
        Err(e) => {
            let (status, msg) = face_message(&ui, &e);
            json_error(status, &msg)
        }
    }
}

pub async fn start_verify(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    start(req, state, VERIFY).await
}

pub async fn start_enrol(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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
) -> HttpResponse {
    if let Some(r) = refusal(&req, &state) {
        return r;
    }
    let sess = match face_session(&req, &state, purpose).await {
        Ok(s) => s,
        Err(r) => return r,
    };
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
    match res {
        Ok(Ok((Paced::Next(i), ch))) => no_store(json!({ "step": step_json(&ui, &ch, i) })),
        Ok(Ok((Paced::Done, _))) => no_store(json!({ "done": true })),
        Ok(Err(e)) => refused(&state, &ui, &sess.user_id, e).await,
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &crate::oidc::OAuthError::server_error(&e).description,
        ),
    }
}

pub async fn step_verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<StepBody>,
) -> HttpResponse {
    step(req, state, body.into_inner(), VERIFY).await
}

pub async fn step_enrol(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<StepBody>,
) -> HttpResponse {
    step(req, state, body.into_inner(), ENROL).await
}

//! Health checks for load balancers and orchestrators, without
//! authentication and without detail beyond ok / failing per check:
//! `GET /healthz` — the process answers; `GET /readyz` — it can serve: the
//! database answers, a signing key is loaded, and the face engine is loaded
//! when the face factor is on. 503 with the failing checks otherwise.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::AppState;
use crate::web::error::{json_reply, Reply};

pub async fn healthz() -> HttpResponse {
    json_reply(Reply::Shown, json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.reachable().await;
    // The ring in memory: a database outage must not make it look empty.
    let keys = state.keys.current().can_sign();
    let face = !state.config.face.enabled || state.face.is_some();
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let checks = json!({
        "database": word(database),
        "signing_keys": word(keys),
        "face_engine": if state.config.face.enabled { word(face) } else { "off" },
    });
    if database && keys && face {
        json_reply(Reply::Shown, json!({ "status": "ready", "checks": checks }))
    } else {
        json_reply(
            Reply::Unavailable,
            json!({ "status": "not ready", "checks": checks }),
        )
    }
}

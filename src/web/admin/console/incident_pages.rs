//! Console incident actions (`/admin/incidents`): what is in force (face
//! sign-in, everyone's re-authentication floor, blocked ranges), a form per
//! action, each with its reason, and the latest actions from the audit log.
//! Every action needs `admin:write` and a fresh sign-in.

use askama::Template;

use crate::admin::incidents::{self, BlockInput, IncidentError, IncidentView};

use super::*;

#[derive(Template)]
#[template(path = "admin/incidents.html")]
pub struct IncidentsPage<'a> {
    pub chrome: &'a Chrome<'a>,
    pub view: IncidentView,
    pub recent: Vec<audit_log::AuditEntry>,
}

impl IncidentsPage<'_> {
    fn at(&self, t: &i64) -> String {
        utc(*t)
    }

    fn until(&self, t: &Option<i64>) -> String {
        t.map(utc)
            .unwrap_or_else(|| self.chrome.t("admin.incidents.until_lifted").to_owned())
    }

    fn reason_of(&self, e: &audit_log::AuditEntry) -> String {
        e.detail
            .get("reason")
            .and_then(|r| r.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

pub async fn incidents_page(
    c: Console,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let now = state.clock.now();
    let q = AuditQuery {
        category: Some("incident".into()),
        per_page: Some(20),
        ..AuditQuery::default()
    };
    let (view, recent) = state
        .db
        .run(move |db| {
            Ok::<_, crate::db::DbError>((incidents::view(db, now)?, audit_log::search(db, &q)?))
        })
        .await
        .map_err(|e| WebError::internal_page(&e))?;
    let (ch, cookie) = chrome(&req, &state, &c, "incidents");
    let page = IncidentsPage {
        chrome: &ch,
        view,
        recent: recent.items,
    };
    Ok(show(Reply::Shown, &page, cookie))
}

#[derive(Deserialize)]
pub struct IncidentForm {
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
    /// A client id, a person's id or email address, or a block's id.
    #[serde(default)]
    target: String,
    #[serde(default)]
    network: String,
    /// Hours until a block lifts itself; empty: until lifted.
    #[serde(default)]
    hours: String,
    /// `on` or `off` (face sign-in).
    #[serde(default)]
    face: String,
}

crate::csrf_field!(IncidentForm);

/// `POST /admin/incidents/{action}`.
pub async fn incident_action(
    ConsoleChange {
        console: c, form, ..
    }: ConsoleChange<Writes, IncidentForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    action: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    c.fresh_or_sign_in(&state, "/admin/incidents")?;
    let action = action.into_inner();
    let own = crate::web::rate_limit::client_ip(&req);
    let now = state.clock.now();
    let actor = c.actor.clone();
    let res = state
        .db
        .run(move |db| {
            let f = &form;
            match action.as_str() {
                "client-tokens" => incidents::revoke_client_tokens(
                    db,
                    &actor,
                    &f.target.trim().into(),
                    &f.reason,
                    now,
                )
                .map(drop),
                "person-tokens" => {
                    let id = incidents::find_person(db, &f.target)?;
                    incidents::revoke_person_tokens(db, &actor, &id, &f.reason, now).map(drop)
                }
                "person-reauth" => {
                    let id = incidents::find_person(db, &f.target)?;
                    incidents::reauthenticate_person(db, &actor, &id, &f.reason, now).map(drop)
                }
                "everyone-reauth" => {
                    incidents::reauthenticate_everyone(db, &actor, &f.reason, now).map(drop)
                }
                "block" => {
                    let hours = f.hours.trim();
                    let expires_in_seconds = match hours {
                        "" => None,
                        h => Some(
                            h.parse::<i64>()
                                .map_err(|_| {
                                    IncidentError::Invalid("hours must be a whole number".into())
                                })?
                                .saturating_mul(3600),
                        ),
                    };
                    let input = BlockInput {
                        network: f.network.clone(),
                        reason: f.reason.clone(),
                        expires_in_seconds,
                    };
                    incidents::block_network(db, &actor, &input, own, now).map(drop)
                }
                "lift" => {
                    incidents::lift_block(db, &actor, f.target.trim(), &f.reason, now).map(drop)
                }
                "face" => {
                    let on = match f.face.as_str() {
                        "on" => true,
                        "off" => false,
                        _ => {
                            return Err(IncidentError::Invalid("face must be 'on' or 'off'".into()))
                        }
                    };
                    incidents::set_face_sign_in(db, &actor, on, &f.reason, now)
                }
                other => Err(IncidentError::NotFound(format!(
                    "no incident action '{other}'"
                ))),
            }
        })
        .await;
    match res {
        Ok(()) => {
            state.reload_controls().await;
            Ok(see_other("/admin/incidents?done=incident"))
        }
        Err(IncidentError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(IncidentError::User(crate::admin::users::UserAdminError::Administrator)) => {
            Err(forbidden(tr_of(&req, &state), &c.actor, "roles"))
        }
        Err(e) => Err(WebError::Page(Reply::Invalid, e.to_string())),
    }
}

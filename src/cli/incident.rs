//! `visage incident …`: the incident actions from a shell on the server
//! (the same functions as the console and the admin API, audited as `cli`).
//! Running servers see a block or the face switch within
//! `auth::controls::RELOAD_SECONDS`; revocations and floors at once.

use anyhow::anyhow;

use crate::admin::incidents::{self, BlockInput};
use crate::admin::roles::Actor;

use super::commands::state;
use super::{Global, IncidentCmd};

pub fn run(g: &Global, cmd: IncidentCmd) -> anyhow::Result<()> {
    let s = state(g)?;
    let now = chrono::Utc::now().timestamp();
    let me = Actor::command_line();
    let out: serde_json::Value = s.db.run_sync(|c| -> anyhow::Result<serde_json::Value> {
        Ok(match cmd {
            IncidentCmd::Show => serde_json::to_value(incidents::view(c, now)?)?,
            IncidentCmd::RevokeClientTokens { client, reason } => {
                let n = incidents::revoke_client_tokens(c, &me, &client, &reason, now)?;
                serde_json::json!({ "client_id": client, "tokens_revoked": n })
            }
            IncidentCmd::RevokePersonTokens { email, reason } => {
                let id = incidents::find_person(c, &email)?;
                let n = incidents::revoke_person_tokens(c, &me, &id, &reason, now)?;
                serde_json::json!({ "id": id, "tokens_revoked": n })
            }
            IncidentCmd::Reauthenticate { email, reason } => {
                let id = incidents::find_person(c, &email)?;
                serde_json::to_value(incidents::reauthenticate_person(c, &me, &id, &reason, now)?)?
            }
            IncidentCmd::ReauthenticateEveryone { reason } => {
                serde_json::to_value(incidents::reauthenticate_everyone(c, &me, &reason, now)?)?
            }
            IncidentCmd::Block {
                network,
                reason,
                hours,
            } => {
                let input = BlockInput {
                    network,
                    reason,
                    expires_in_seconds: hours.map(|h| h.saturating_mul(3600)),
                };
                serde_json::to_value(incidents::block_network(c, &me, &input, None, now)?)?
            }
            IncidentCmd::Lift { id, reason } => {
                serde_json::to_value(incidents::lift_block(c, &me, &id, &reason, now)?)?
            }
            IncidentCmd::Face { state, reason } => {
                incidents::set_face_sign_in(c, &me, state == "on", &reason, now)?;
                serde_json::to_value(incidents::view(c, now)?)?
            }
        })
    })?;
    let text = if g.json {
        out.to_string()
    } else {
        serde_json::to_string_pretty(&out).map_err(|e| anyhow!(e))?
    };
    println!("{text}");
    Ok(())
}

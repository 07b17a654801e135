//! Alerts as administrators handle them (console, API): list, acknowledge
//! ("someone is on it"), resolve (done: a review flag or a registration
//! pause it caused ends). Each is audited.

use serde::Serialize;

use crate::db::alerts::{self as repo, AlertRow};
use crate::db::{DbConnection, DbError};

use super::roles::Actor;

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("no alert with id '{0}'")]
    NotFound(String),
    #[error("this alert is already {0}")]
    AlreadyDone(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AlertError {
    fn from(e: diesel::result::Error) -> Self {
        AlertError::Db(e.into())
    }
}

#[derive(Debug, Serialize)]
pub struct AlertList {
    pub items: Vec<AlertRow>,
    /// Open (not yet acknowledged) alerts.
    pub open: i64,
}

/// Newest first: `unresolved` (default), `open`, `acknowledged`,
/// `resolved` or `all`.
pub fn list(conn: &mut DbConnection, state: Option<&str>) -> Result<AlertList, DbError> {
    let filter = match state.unwrap_or("unresolved") {
        "all" => None,
        s => Some(s),
    };
    let items = repo::list(conn, filter, 200)?;
    let open = repo::count_open(conn)?;
    Ok(AlertList { items, open })
}

/// Whether an action's name (`acknowledge`, `resolve`) resolves; None for
/// another name.
pub fn resolves(action: &str) -> Option<bool> {
    match action {
        "resolve" => Some(true),
        "acknowledge" => Some(false),
        _ => None,
    }
}

/// Acknowledge (`resolve` false) or resolve an alert.
pub fn handle(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    resolve: bool,
    now: i64,
) -> Result<AlertRow, AlertError> {
    conn.write_transaction(|c| {
        let Some(before) = repo::find(c, id)? else {
            return Err(AlertError::NotFound(id.to_owned()));
        };
        let changed = if resolve {
            repo::resolve(c, id, &actor.label, now)?
        } else {
            repo::acknowledge(c, id, &actor.label, now)?
        };
        if !changed {
            return Err(AlertError::AlreadyDone(before.state));
        }
        let action = if resolve {
            "alert.resolve"
        } else {
            "alert.acknowledge"
        };
        let ev = actor
            .event(action)
            .detail(serde_json::json!({ "id": id, "rule": before.rule }));
        crate::audit::record(c, &ev, now)?;
        repo::find(c, id)?.ok_or_else(|| AlertError::NotFound(id.to_owned()))
    })
}

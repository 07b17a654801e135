//! Registrations waiting for approval, as administrators decide them
//! (console, API): while a `passkey_registrations` alert holds new
//! registrations, each new passkey waits here (`auth::approvals`).
//! Approving lets it sign in (and enables the account a sign-up made);
//! rejecting removes it (and erases the account a sign-up made). Each
//! decision is audited, taken once, and mailed to the person.

use serde::Serialize;

use crate::db::registration_approvals::{self as repo, ApprovalRow};
use crate::db::{passkeys, users, DbConnection, DbError};
use crate::ids::UserId;

use super::roles::Actor;
use super::users::{may_act_on, UserAdminError};

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("no registration '{0}' waits for approval (it was decided already, or removed)")]
    NotFound(String),
    #[error(transparent)]
    User(#[from] UserAdminError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RegistrationError {
    fn from(e: diesel::result::Error) -> Self {
        RegistrationError::Db(e.into())
    }
}

/// One registration waiting, with what an administrator needs to decide.
#[derive(Debug, Serialize)]
pub struct Waiting {
    /// The passkey's credential id: what approve and reject name.
    pub id: String,
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub passkey_name: String,
    /// A sign-up: the account is disabled until approved, erased if rejected.
    pub new_account: bool,
    pub address: Option<String>,
    /// The alert that held it.
    pub alert_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Serialize)]
pub struct WaitingList {
    /// Oldest first, at most 200.
    pub items: Vec<Waiting>,
    pub total: i64,
}

pub fn list(conn: &mut DbConnection) -> Result<WaitingList, DbError> {
    let mut items = Vec::new();
    for row in repo::list(conn, 200)? {
        let (Some(user), Some(key)) = (
            users::find(conn, &row.user_id)?,
            passkeys::find(conn, &row.passkey_id)?,
        ) else {
            continue;
        };
        items.push(Waiting {
            id: row.passkey_id,
            user_id: row.user_id,
            email: user.email,
            name: user.name,
            passkey_name: key.name,
            new_account: row.new_account,
            address: row.address,
            alert_id: row.alert_id,
            created_at: row.created_at,
        });
    }
    Ok(WaitingList {
        items,
        total: repo::count(conn)?,
    })
}

/// An administrator's decision on one registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    /// `approve` or `reject`; None for another name.
    pub fn parse(action: &str) -> Option<Decision> {
        match action {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// A decision taken, for the mail to the person.
#[derive(Debug)]
pub struct Decided {
    pub decision: Decision,
    pub user_id: UserId,
    pub email: String,
    pub locale: Option<String>,
    pub new_account: bool,
    pub registered_at: i64,
}

/// Approve or reject the registration of passkey `id`, once, in one
/// transaction; administrators' accounts need the `admin:roles` scope.
pub fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    decision: Decision,
    now: i64,
) -> Result<Decided, RegistrationError> {
    conn.write_transaction(|c| {
        let Some(row) = repo::find(c, id)? else {
            return Err(RegistrationError::NotFound(id.to_owned()));
        };
        let user = users::find(c, &row.user_id)?
            .ok_or_else(|| RegistrationError::NotFound(id.to_owned()))?;
        let erases = decision == Decision::Reject && row.new_account;
        may_act_on(c, actor, &row.user_id, erases)?;
        repo::delete(c, id)?;
        apply(c, &row, decision, &actor.label, now)?;
        let action = match decision {
            Decision::Approve => "registration.approve",
            Decision::Reject => "registration.reject",
        };
        let ev = actor
            .event(action)
            .user(&row.user_id)
            .detail(serde_json::json!({ "passkey": id, "new_account": row.new_account }));
        crate::audit::record(c, &ev, now)?;
        Ok(Decided {
            decision,
            user_id: row.user_id,
            email: user.email,
            locale: user.locale,
            new_account: row.new_account,
            registered_at: row.created_at,
        })
    })
}

fn apply(
    c: &mut DbConnection,
    row: &ApprovalRow,
    decision: Decision,
    by: &str,
    now: i64,
) -> Result<(), DbError> {
    match (decision, row.new_account) {
        (Decision::Approve, true) => users::set_disabled(c, &row.user_id, false, now).map(drop),
        (Decision::Approve, false) => Ok(()),
        (Decision::Reject, true) => crate::auth::my_data::erase(c, &row.user_id, by, now).map(drop),
        (Decision::Reject, false) => passkeys::delete(c, &row.user_id, &row.passkey_id).map(drop),
    }
}

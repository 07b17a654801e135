//! New passkeys held for an administrator's approval. While an unresolved
//! `passkey_registrations` alert covers the deployment or the address
//! (docs/operations.md "Alerts"), a passkey registered is stored but waits:
//! it cannot sign in until approved, and an account made by such a sign-up
//! stays disabled (no sign-in of any kind, no recovery) until then.
//! Administrators decide in `admin::registrations`.

use crate::audit::{self, Event};
use crate::db::registration_approvals::{self as repo, ApprovalRow};
use crate::db::{DbConnection, DbError};
use crate::ids::UserId;

/// What holds a registration from an address: the alert, and the address.
#[derive(Debug, Clone)]
pub struct Hold {
    pub alert_id: String,
    pub address: Option<String>,
}

/// The hold on a registration from `ip` now, if any.
pub fn holding(conn: &mut DbConnection, ip: Option<&str>) -> Result<Option<Hold>, DbError> {
    Ok(
        super::alerts::holding_registrations(conn, ip)?.map(|alert_id| Hold {
            alert_id,
            address: ip.map(str::to_owned),
        }),
    )
}

/// Record that the passkey `passkey_id` of `user_id` waits for approval
/// (`new_account`: made by a sign-up); audited as `registration.held`.
pub fn hold(
    conn: &mut DbConnection,
    hold: &Hold,
    user_id: &UserId,
    passkey_id: &str,
    new_account: bool,
    now: i64,
) -> Result<(), DbError> {
    repo::insert(
        conn,
        &ApprovalRow {
            passkey_id: passkey_id.to_owned(),
            user_id: user_id.clone(),
            new_account,
            address: hold.address.clone(),
            alert_id: Some(hold.alert_id.clone()),
            created_at: now,
        },
    )?;
    audit::record(
        conn,
        &Event::new("security", "registration.held", "success")
            .user(user_id)
            .ip(hold.address.clone())
            .detail(serde_json::json!({
                "passkey": passkey_id,
                "new_account": new_account,
                "alert": hold.alert_id,
            })),
        now,
    )
}

/// Whether the passkey waits for approval.
pub fn waiting(conn: &mut DbConnection, passkey_id: &str) -> Result<bool, DbError> {
    Ok(repo::find(conn, passkey_id)?.is_some())
}

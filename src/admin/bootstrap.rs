//! `visage admin bootstrap`: the first owner's one-time invitation.

use crate::auth::signup::{self, SignupError};
use crate::db::DbConnection;

use super::roles;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("an owner exists already; owners invite other administrators from the console")]
    HasOwner,
    #[error(transparent)]
    Signup(#[from] SignupError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// An invitation token (shown once) whose user becomes the owner; refused
/// once an owner exists.
pub fn bootstrap(conn: &mut DbConnection, ttl: i64, now: i64) -> Result<String, BootstrapError> {
    if roles::any_owner(conn)? {
        return Err(BootstrapError::HasOwner);
    }
    let role = Some(roles::Role::Owner);
    Ok(signup::invite(conn, None, role, "bootstrap", ttl, now)?)
}

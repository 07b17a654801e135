//! `used_jtis`: client-assertion JWT ids seen, to refuse replays (RFC 7523 §3).

use diesel::prelude::*;

use super::schema::used_jtis::dsl as j;
use super::{DbConnection, DbError};

/// Record a jti; false when it was already used by this client.
pub fn record(
    conn: &mut DbConnection,
    client_id: &crate::ids::ClientId,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool, DbError> {
    diesel::delete(j::used_jtis.filter(j::expires_at.le(now))).execute(conn)?;
    let res = diesel::insert_into(j::used_jtis)
        .values((
            j::client_id.eq(client_id),
            j::jti.eq(jti),
            j::expires_at.eq(expires_at),
        ))
        .execute(conn);
    match res {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

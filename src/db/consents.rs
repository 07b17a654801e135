//! `consents`: scopes a person granted to a client.

use diesel::prelude::*;

use super::schema::consents::dsl as c;
use super::{DbConnection, DbError};

pub fn granted_scope(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    client_id: &crate::ids::ClientId,
) -> Result<Option<String>, DbError> {
    Ok(c::consents
        .filter(c::user_id.eq(user_id).and(c::client_id.eq(client_id)))
        .select(c::scope)
        .first(conn)
        .optional()?)
}

/// Every app the person gave access to: (client id, scope, granted at).
pub fn for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<Vec<(crate::ids::ClientId, String, i64)>, DbError> {
    Ok(c::consents
        .filter(c::user_id.eq(user_id))
        .order(c::granted_at.desc())
        .select((c::client_id, c::scope, c::granted_at))
        .load(conn)?)
}

/// Forget the person's consent to `client_id`; whether there was one.
pub fn delete(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    client_id: &crate::ids::ClientId,
) -> Result<bool, DbError> {
    let n =
        diesel::delete(c::consents.filter(c::user_id.eq(user_id).and(c::client_id.eq(client_id))))
            .execute(conn)?;
    Ok(n > 0)
}

/// Record (replace) the granted scope.
pub fn save(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    client_id: &crate::ids::ClientId,
    scope: &str,
    now: i64,
) -> Result<(), DbError> {
    conn.write_transaction(|conn| {
        diesel::delete(c::consents.filter(c::user_id.eq(user_id).and(c::client_id.eq(client_id))))
            .execute(conn)?;
        diesel::insert_into(c::consents)
            .values((
                c::user_id.eq(user_id),
                c::client_id.eq(client_id),
                c::scope.eq(scope),
                c::granted_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}

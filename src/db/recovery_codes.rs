//! `recovery_codes` rows: keyed hashes of one-time recovery codes.

use diesel::prelude::*;

use super::schema::recovery_codes::dsl as r;
use super::{DbConnection, DbError};

/// Replace every code of `user_id` with `hashes`.
pub fn replace(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    hashes: &[String],
    now: i64,
) -> Result<(), DbError> {
    diesel::delete(r::recovery_codes.filter(r::user_id.eq(user_id))).execute(conn)?;
    for h in hashes {
        diesel::insert_into(r::recovery_codes)
            .values((
                r::user_id.eq(user_id),
                r::code_hash.eq(h),
                r::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Mark an unused code used; false when it does not exist or was used before.
pub fn consume(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        r::recovery_codes.filter(
            r::user_id
                .eq(user_id)
                .and(r::code_hash.eq(hash))
                .and(r::used_at.is_null()),
        ),
    )
    .set(r::used_at.eq(now))
    .execute(conn)?
        > 0)
}

pub fn remaining(conn: &mut DbConnection, user_id: &crate::ids::UserId) -> Result<i64, DbError> {
    Ok(r::recovery_codes
        .filter(r::user_id.eq(user_id).and(r::used_at.is_null()))
        .count()
        .get_result(conn)?)
}

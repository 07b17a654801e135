//! `face_challenges` rows: issued liveness challenges, taken once.

use diesel::prelude::*;

use super::schema::face_challenges::dsl as c;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::face_challenges)]
pub struct FaceChallengeRow {
    pub id_hash: String,
    pub user_id: crate::ids::UserId,
    pub purpose: String,
    pub challenge: String,
    pub expires_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &FaceChallengeRow, now: i64) -> Result<(), DbError> {
    diesel::delete(c::face_challenges.filter(c::expires_at.lt(now - 3600))).execute(conn)?;
    diesel::insert_into(c::face_challenges)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// Remove and return the challenge (a second answer finds nothing).
pub fn take(conn: &mut DbConnection, id_hash: &str) -> Result<Option<FaceChallengeRow>, DbError> {
    let row = c::face_challenges
        .find(id_hash)
        .select(FaceChallengeRow::as_select())
        .first(conn)
        .optional()?;
    if row.is_some() && diesel::delete(c::face_challenges.find(id_hash)).execute(conn)? == 0 {
        return Ok(None);
    }
    Ok(row)
}

/// The challenge, left in place (a paced step reads it).
pub fn get(conn: &mut DbConnection, id_hash: &str) -> Result<Option<FaceChallengeRow>, DbError> {
    Ok(c::face_challenges
        .find(id_hash)
        .select(FaceChallengeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replace the challenge text if it is still `old` (two requests for one
/// step: one wins). Returns whether it was replaced.
pub fn replace(
    conn: &mut DbConnection,
    id_hash: &str,
    old: &str,
    new: &str,
) -> Result<bool, DbError> {
    let n = diesel::update(
        c::face_challenges
            .find(id_hash)
            .filter(c::challenge.eq(old)),
    )
    .set(c::challenge.eq(new))
    .execute(conn)?;
    Ok(n == 1)
}

/// Remove the challenge (a paced step that failed ends it).
pub fn remove(conn: &mut DbConnection, id_hash: &str) -> Result<(), DbError> {
    diesel::delete(c::face_challenges.find(id_hash)).execute(conn)?;
    Ok(())
}

//! `face_light_history` rows: the colour sequences of the screen-light
//! challenges a person answered, newest first (`auth::face` draws each new
//! challenge unlike them).

use diesel::prelude::*;

use super::schema::face_light_history::dsl as h;
use super::{DbConnection, DbError};
use crate::ids::UserId;

/// Keep `colours` (a sequence's text) as answered by `user_id` at `now`,
/// and only the newest `keep` of theirs.
pub fn record(
    conn: &mut DbConnection,
    user_id: &UserId,
    colours: &str,
    now: i64,
    keep: i64,
) -> Result<(), DbError> {
    diesel::insert_into(h::face_light_history)
        .values((
            h::id.eq(crate::crypto::random_token(16)),
            h::user_id.eq(user_id),
            h::colours.eq(colours),
            h::answered_at.eq(now),
        ))
        .execute(conn)?;
    let older: Vec<String> = h::face_light_history
        .filter(h::user_id.eq(user_id))
        .order((h::answered_at.desc(), h::id.desc()))
        .offset(keep)
        .select(h::id)
        .load(conn)?;
    if !older.is_empty() {
        diesel::delete(h::face_light_history.filter(h::id.eq_any(older))).execute(conn)?;
    }
    Ok(())
}

/// The person's newest `limit` sequences' texts.
pub fn recent(
    conn: &mut DbConnection,
    user_id: &UserId,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    Ok(h::face_light_history
        .filter(h::user_id.eq(user_id))
        .order((h::answered_at.desc(), h::id.desc()))
        .limit(limit)
        .select(h::colours)
        .load(conn)?)
}

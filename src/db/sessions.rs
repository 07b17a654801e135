//! `sessions` rows: the browser's single sign-on session at Visage.

use diesel::prelude::*;

use super::schema::sessions::dsl as s;
use super::{DbConnection, DbError, JsonList};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::sessions)]
pub struct SessionRow {
    pub id_hash: String,
    pub sid: crate::ids::SessionId,
    pub user_id: crate::ids::UserId,
    pub auth_time: i64,
    pub acr: String,
    pub amr: JsonList,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &SessionRow) -> Result<(), DbError> {
    diesel::insert_into(s::sessions)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// A live (not ended, not expired) session by the hash of its cookie, of
/// an account that is not disabled.
pub fn find_live(
    conn: &mut DbConnection,
    id_hash: &str,
    now: i64,
) -> Result<Option<SessionRow>, DbError> {
    use super::schema::users::dsl as u;
    let enabled = u::users.filter(u::disabled.eq(false)).select(u::id);
    Ok(s::sessions
        .filter(
            s::id_hash
                .eq(id_hash)
                .and(s::ended_at.is_null())
                .and(s::expires_at.gt(now))
                .and(s::user_id.eq_any(enabled)),
        )
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn end(
    conn: &mut DbConnection,
    sid: &crate::ids::SessionId,
    now: i64,
) -> Result<bool, DbError> {
    Ok(
        diesel::update(s::sessions.filter(s::sid.eq(sid).and(s::ended_at.is_null())))
            .set(s::ended_at.eq(now))
            .execute(conn)?
            > 0,
    )
}

/// The person's live sessions, newest first.
pub fn live_for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    now: i64,
) -> Result<Vec<SessionRow>, DbError> {
    Ok(s::sessions
        .filter(
            s::user_id
                .eq(user_id)
                .and(s::ended_at.is_null())
                .and(s::expires_at.gt(now)),
        )
        .order(s::created_at.desc())
        .select(SessionRow::as_select())
        .load(conn)?)
}

/// End every session of the person; returns how many were live.
pub fn end_all_for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    now: i64,
) -> Result<usize, DbError> {
    Ok(
        diesel::update(s::sessions.filter(s::user_id.eq(user_id).and(s::ended_at.is_null())))
            .set(s::ended_at.eq(now))
            .execute(conn)?,
    )
}

/// End every live session of every person; how many.
pub fn end_all(conn: &mut DbConnection, now: i64) -> Result<usize, DbError> {
    Ok(diesel::update(s::sessions.filter(s::ended_at.is_null()))
        .set(s::ended_at.eq(now))
        .execute(conn)?)
}

//! `face_templates` rows: one sealed template per person.

use diesel::prelude::*;

use super::schema::face_templates::dsl as f;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::face_templates)]
pub struct FaceTemplateRow {
    pub id: String,
    pub user_id: crate::ids::UserId,
    pub model_id: String,
    pub sealed: Vec<u8>,
    pub frames: i64,
    pub created_at: i64,
}

pub fn for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<Option<FaceTemplateRow>, DbError> {
    Ok(f::face_templates
        .filter(f::user_id.eq(user_id))
        .select(FaceTemplateRow::as_select())
        .first(conn)
        .optional()?)
}

/// Store `row` as the person's only template (re-enrolment replaces it).
pub fn replace(conn: &mut DbConnection, row: &FaceTemplateRow) -> Result<(), DbError> {
    diesel::delete(f::face_templates.filter(f::user_id.eq(&row.user_id))).execute(conn)?;
    diesel::insert_into(f::face_templates)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// The same template sealed anew (a refresh after a confident match).
pub fn reseal(conn: &mut DbConnection, id: &str, sealed: &[u8]) -> Result<(), DbError> {
    diesel::update(f::face_templates.filter(f::id.eq(id)))
        .set(f::sealed.eq(sealed))
        .execute(conn)?;
    Ok(())
}

pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<usize, DbError> {
    Ok(diesel::delete(f::face_templates.filter(f::user_id.eq(user_id))).execute(conn)?)
}

/// A successful face check: the template is in use (and a pending expiry
/// notice no longer holds).
pub fn touch(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(f::face_templates.filter(f::user_id.eq(user_id)))
        .set((f::last_used_at.eq(now), f::expiry_warned_at.eq(None::<i64>)))
        .execute(conn)?;
    Ok(())
}

/// The people whose template was last used (or made, if never used) before
/// `before`; `warned`: only those already told (at or before that time), or
/// only those not told yet.
pub fn idle_since(
    conn: &mut DbConnection,
    before: i64,
    warned: Option<i64>,
) -> Result<Vec<crate::ids::UserId>, DbError> {
    let idle = f::last_used_at
        .lt(before)
        .or(f::last_used_at.is_null().and(f::created_at.lt(before)));
    let q = f::face_templates.filter(idle).into_boxed();
    let q = match warned {
        Some(at) => q.filter(f::expiry_warned_at.le(at)),
        None => q.filter(f::expiry_warned_at.is_null()),
    };
    Ok(q.select(f::user_id).load(conn)?)
}

pub fn mark_warned(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    now: i64,
) -> Result<(), DbError> {
    diesel::update(f::face_templates.filter(f::user_id.eq(user_id)))
        .set(f::expiry_warned_at.eq(now))
        .execute(conn)?;
    Ok(())
}

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

pub fn delete_for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<usize, DbError> {
    Ok(diesel::delete(f::face_templates.filter(f::user_id.eq(user_id))).execute(conn)?)
}

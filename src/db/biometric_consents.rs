//! `biometric_consents` rows: consent to face processing and its text version.

use diesel::prelude::*;

use super::schema::biometric_consents::dsl as b;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::biometric_consents)]
pub struct ConsentRow {
    pub user_id: crate::ids::UserId,
    pub text_version: String,
    pub granted_at: i64,
}

pub fn find(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<Option<ConsentRow>, DbError> {
    Ok(b::biometric_consents
        .find(user_id)
        .select(ConsentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn save(conn: &mut DbConnection, row: &ConsentRow) -> Result<(), DbError> {
    diesel::delete(b::biometric_consents.find(&row.user_id)).execute(conn)?;
    diesel::insert_into(b::biometric_consents)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, user_id: &crate::ids::UserId) -> Result<usize, DbError> {
    Ok(diesel::delete(b::biometric_consents.find(user_id)).execute(conn)?)
}

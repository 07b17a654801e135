//! `admin_roles` rows: who administers Visage, with which role.

use diesel::prelude::*;

use super::schema::admin_roles::dsl as r;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::admin_roles)]
pub struct AdminRoleRow {
    /// A user id or a client id.
    pub subject: String,
    /// `user` or `client`.
    pub kind: String,
    pub role: String,
    pub granted_by: String,
    pub granted_at: i64,
}

/// Insert or replace the role of `row.subject`.
pub fn upsert(conn: &mut DbConnection, row: &AdminRoleRow) -> Result<(), DbError> {
    diesel::delete(r::admin_roles.find(&row.subject)).execute(conn)?;
    diesel::insert_into(r::admin_roles)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, subject: &str) -> Result<Option<AdminRoleRow>, DbError> {
    Ok(r::admin_roles
        .find(subject)
        .select(AdminRoleRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<AdminRoleRow>, DbError> {
    Ok(r::admin_roles
        .order(r::granted_at.asc())
        .select(AdminRoleRow::as_select())
        .load(conn)?)
}

pub fn count_role(conn: &mut DbConnection, role: &str) -> Result<i64, DbError> {
    Ok(r::admin_roles
        .filter(r::role.eq(role))
        .count()
        .get_result(conn)?)
}

pub fn delete(conn: &mut DbConnection, subject: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(r::admin_roles.find(subject)).execute(conn)? > 0)
}

//! `users` rows.

use diesel::prelude::*;

use super::schema::users::dsl as u;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::users)]
pub struct UserRow {
    pub id: crate::ids::UserId,
    pub email: String,
    pub email_verified: bool,
    pub password_hash: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub address: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> Result<(), DbError> {
    diesel::insert_into(u::users)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &crate::ids::UserId) -> Result<Option<UserRow>, DbError> {
    Ok(u::users
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Emails are stored lower-cased; look up the same way.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<UserRow>, DbError> {
    Ok(u::users
        .filter(u::email.eq(email.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<UserRow>, DbError> {
    Ok(u::users
        .order(u::created_at.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn delete(conn: &mut DbConnection, id: &crate::ids::UserId) -> Result<bool, DbError> {
    Ok(diesel::delete(u::users.find(id)).execute(conn)? > 0)
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

/// One page of accounts whose email or name contains `q` (case-insensitive),
/// newest first, and how many match in all. A whole address is looked up
/// through the unique email index.
pub fn search(
    conn: &mut DbConnection,
    q: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserRow>, i64), DbError> {
    let q = q.to_lowercase();
    if crate::email::valid(&q) {
        let found = find_by_email(conn, &q)?;
        let total = i64::from(found.is_some());
        return Ok((found.into_iter().filter(|_| offset == 0).collect(), total));
    }
    let pattern = format!("%{}%", q.replace(['%', '_', '\\'], ""));
    let filter = u::email
        .like(pattern.clone())
        .or(lower(u::name).like(pattern.clone()));
    let total = u::users.filter(filter).count().get_result(conn)?;
    let filter = u::email
        .like(pattern.clone())
        .or(lower(u::name).like(pattern));
    let rows = u::users
        .filter(filter)
        .order((u::created_at.desc(), u::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn set_disabled(
    conn: &mut DbConnection,
    id: &crate::ids::UserId,
    disabled: bool,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(u::users.find(id))
        .set((u::disabled.eq(disabled), u::updated_at.eq(now)))
        .execute(conn)?
        > 0)
}

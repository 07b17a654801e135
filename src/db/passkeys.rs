//! `passkeys` rows: a person's WebAuthn credentials.

use diesel::prelude::*;

use super::schema::passkeys::dsl as p;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::passkeys)]
pub struct PasskeyRow {
    /// Credential id, base64url.
    pub id: String,
    pub user_id: crate::ids::UserId,
    pub name: String,
    /// Versioned `StoredPasskey` JSON.
    pub credential: String,
    pub backup_eligible: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &PasskeyRow) -> Result<(), DbError> {
    diesel::insert_into(p::passkeys)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<PasskeyRow>, DbError> {
    Ok(p::passkeys
        .find(id)
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<Vec<PasskeyRow>, DbError> {
    Ok(p::passkeys
        .filter(p::user_id.eq(user_id))
        .order(p::created_at.asc())
        .select(PasskeyRow::as_select())
        .load(conn)?)
}

pub fn count_for_user(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
) -> Result<i64, DbError> {
    Ok(p::passkeys
        .filter(p::user_id.eq(user_id))
        .count()
        .get_result(conn)?)
}

/// Store the updated credential (sign counter, backup state) after a sign-in.
pub fn touch(conn: &mut DbConnection, id: &str, credential: &str, now: i64) -> Result<(), DbError> {
    diesel::update(p::passkeys.find(id))
        .set((p::credential.eq(credential), p::last_used_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn rename(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    id: &str,
    name: &str,
) -> Result<bool, DbError> {
    Ok(
        diesel::update(p::passkeys.filter(p::id.eq(id).and(p::user_id.eq(user_id))))
            .set(p::name.eq(name))
            .execute(conn)?
            > 0,
    )
}

pub fn delete(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    id: &str,
) -> Result<bool, DbError> {
    Ok(
        diesel::delete(p::passkeys.filter(p::id.eq(id).and(p::user_id.eq(user_id))))
            .execute(conn)?
            > 0,
    )
}

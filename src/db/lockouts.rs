//! `lockouts` rows: failure counters per key (account, IP, address).

use diesel::prelude::*;

use super::schema::lockouts::dsl as l;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = super::schema::lockouts)]
#[diesel(treat_none_as_null = true)]
pub struct LockoutRow {
    pub key: String,
    pub failures: i64,
    pub window_start: i64,
    pub blocked_until: Option<i64>,
}

pub fn find(conn: &mut DbConnection, key: &str) -> Result<Option<LockoutRow>, DbError> {
    Ok(l::lockouts
        .find(key)
        .select(LockoutRow::as_select())
        .first(conn)
        .optional()?)
}

/// Insert or overwrite the row of `row.key`.
pub fn save(conn: &mut DbConnection, row: &LockoutRow) -> Result<(), DbError> {
    let updated = diesel::update(l::lockouts.find(&row.key))
        .set(row.clone())
        .execute(conn)?;
    if updated == 0 {
        match diesel::insert_into(l::lockouts)
            .values(row.clone())
            .execute(conn)
        {
            Ok(_) => {}
            Err(e) => {
                let e = DbError::from(e);
                if !e.is_unique_violation() {
                    return Err(e);
                }
                // A concurrent first failure: count on top of it.
                diesel::update(l::lockouts.find(&row.key))
                    .set(l::failures.eq(l::failures + 1))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    diesel::delete(l::lockouts.find(key)).execute(conn)?;
    Ok(())
}

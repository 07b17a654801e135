//! `known_devices` rows: the browsers that signed in to an account.

use diesel::prelude::*;

use super::schema::known_devices::dsl as d;
use super::{DbConnection, DbError};
use crate::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::known_devices)]
pub struct KnownDeviceRow {
    pub user_id: UserId,
    pub device_hash: String,
    pub browser: String,
    pub first_seen: i64,
    pub last_seen: i64,
}

pub fn insert(conn: &mut DbConnection, row: &KnownDeviceRow) -> Result<(), DbError> {
    diesel::insert_into(d::known_devices)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// Mark the browser seen now; whether the account knew it.
pub fn touch(
    conn: &mut DbConnection,
    user_id: &UserId,
    device_hash: &str,
    now: i64,
) -> Result<bool, DbError> {
    let n = diesel::update(
        d::known_devices.filter(d::user_id.eq(user_id).and(d::device_hash.eq(device_hash))),
    )
    .set(d::last_seen.eq(now))
    .execute(conn)?;
    Ok(n > 0)
}

/// The account's browsers, most recently used first.
pub fn for_user(conn: &mut DbConnection, user_id: &UserId) -> Result<Vec<KnownDeviceRow>, DbError> {
    Ok(d::known_devices
        .filter(d::user_id.eq(user_id))
        .order(d::last_seen.desc())
        .select(KnownDeviceRow::as_select())
        .load(conn)?)
}

pub fn delete(conn: &mut DbConnection, user_id: &UserId, device_hash: &str) -> Result<(), DbError> {
    diesel::delete(
        d::known_devices.filter(d::user_id.eq(user_id).and(d::device_hash.eq(device_hash))),
    )
    .execute(conn)?;
    Ok(())
}

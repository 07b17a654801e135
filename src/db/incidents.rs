//! Rows of the incident actions: blocked address ranges, re-authentication
//! floors and deployment-wide switches.

use diesel::prelude::*;

use super::schema::blocked_networks::dsl as b;
use super::schema::incident_switches::dsl as w;
use super::schema::reauth_floors::dsl as f;
use super::{DbConnection, DbError};

/// The subject of the floor that holds for everyone.
pub const EVERYONE: &str = "*";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = super::schema::blocked_networks)]
pub struct BlockRow {
    pub id: String,
    pub network: String,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub lifted_at: Option<i64>,
    pub lifted_by: Option<String>,
}

pub fn insert_block(conn: &mut DbConnection, row: &BlockRow) -> Result<(), DbError> {
    diesel::insert_into(b::blocked_networks)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// Blocks neither lifted nor expired, newest first.
pub fn live_blocks(conn: &mut DbConnection, now: i64) -> Result<Vec<BlockRow>, DbError> {
    Ok(b::blocked_networks
        .filter(
            b::lifted_at
                .is_null()
                .and(b::expires_at.is_null().or(b::expires_at.gt(now))),
        )
        .order(b::created_at.desc())
        .select(BlockRow::as_select())
        .load(conn)?)
}

/// Lift a live block; false when there is none with that id.
pub fn lift_block(
    conn: &mut DbConnection,
    id: &str,
    by: &str,
    now: i64,
) -> Result<Option<BlockRow>, DbError> {
    let n = diesel::update(b::blocked_networks.find(id).filter(b::lifted_at.is_null()))
        .set((b::lifted_at.eq(now), b::lifted_by.eq(by)))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(b::blocked_networks
        .find(id)
        .select(BlockRow::as_select())
        .first(conn)
        .optional()?)
}

/// Raise the floor of `subject` (a person's id or `EVERYONE`) to `after`.
pub fn raise_floor(
    conn: &mut DbConnection,
    subject: &str,
    after: i64,
    actor: &str,
    reason: &str,
) -> Result<(), DbError> {
    let n = diesel::update(f::reauth_floors.find(subject))
        .set((f::after.eq(after), f::actor.eq(actor), f::reason.eq(reason)))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(f::reauth_floors)
            .values((
                f::subject.eq(subject),
                f::after.eq(after),
                f::actor.eq(actor),
                f::reason.eq(reason),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The time before which a sign-in of `user_id` no longer counts (its own
/// floor or everyone's, whichever is later).
pub fn floor_for(conn: &mut DbConnection, user_id: &str) -> Result<Option<i64>, DbError> {
    Ok(f::reauth_floors
        .filter(f::subject.eq(user_id).or(f::subject.eq(EVERYONE)))
        .select(diesel::dsl::max(f::after))
        .first(conn)?)
}

/// Everyone's floor, if one was set.
pub fn everyone_floor(conn: &mut DbConnection) -> Result<Option<i64>, DbError> {
    Ok(f::reauth_floors
        .find(EVERYONE)
        .select(f::after)
        .first(conn)
        .optional()?)
}

/// Forget a person's floor (their account is erased).
pub fn forget_floor(conn: &mut DbConnection, user_id: &str) -> Result<(), DbError> {
    diesel::delete(f::reauth_floors.find(user_id)).execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = super::schema::incident_switches)]
pub struct SwitchRow {
    pub name: String,
    pub value: String,
    pub actor: String,
    pub reason: String,
    pub at: i64,
}

pub fn switch(conn: &mut DbConnection, name: &str) -> Result<Option<SwitchRow>, DbError> {
    Ok(w::incident_switches
        .find(name)
        .select(SwitchRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_switch(conn: &mut DbConnection, row: &SwitchRow) -> Result<(), DbError> {
    let n = diesel::update(w::incident_switches.find(&row.name))
        .set((
            w::value.eq(&row.value),
            w::actor.eq(&row.actor),
            w::reason.eq(&row.reason),
            w::at.eq(row.at),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(w::incident_switches)
            .values(row.clone())
            .execute(conn)?;
    }
    Ok(())
}

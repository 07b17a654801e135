//! `signing_keys` rows.

use diesel::prelude::*;

use super::schema::signing_keys::dsl as k;
use super::{DbConnection, DbError};
use crate::ids::Kid;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = super::schema::signing_keys)]
pub struct KeyRow {
    pub kid: Kid,
    pub alg: String,
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub expires_at: Option<i64>,
}

pub fn insert(
    conn: &mut DbConnection,
    kid: &Kid,
    alg: &str,
    private_key: &[u8],
    public_jwk: &str,
    now: i64,
) -> Result<(), DbError> {
    diesel::insert_into(k::signing_keys)
        .values((
            k::kid.eq(kid),
            k::alg.eq(alg),
            k::private_key.eq(private_key),
            k::public_jwk.eq(public_jwk),
            k::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn active_for_alg(conn: &mut DbConnection, alg: &str) -> Result<Option<KeyRow>, DbError> {
    Ok(k::signing_keys
        .filter(k::alg.eq(alg).and(k::retired_at.is_null()))
        .order(k::created_at.desc())
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn retire(conn: &mut DbConnection, kid: &Kid, now: i64, expires: i64) -> Result<(), DbError> {
    diesel::update(k::signing_keys.filter(k::kid.eq(kid)))
        .set((k::retired_at.eq(now), k::expires_at.eq(expires)))
        .execute(conn)?;
    Ok(())
}

/// Active keys and retired keys still inside their publication window, newest first.
pub fn published(conn: &mut DbConnection, now: i64) -> Result<Vec<KeyRow>, DbError> {
    Ok(k::signing_keys
        .filter(k::expires_at.is_null().or(k::expires_at.gt(now)))
        .order((k::created_at.desc(), k::kid.desc()))
        .select(KeyRow::as_select())
        .load(conn)?)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<KeyRow>, DbError> {
    Ok(k::signing_keys
        .order(k::created_at.desc())
        .select(KeyRow::as_select())
        .load(conn)?)
}

/// Retire `kid` if it is still active; false when another server (or an
/// administrator) got there first.
pub fn retire_if_active(
    conn: &mut DbConnection,
    kid: &Kid,
    now: i64,
    expires: i64,
) -> Result<bool, DbError> {
    Ok(
        diesel::update(k::signing_keys.filter(k::kid.eq(kid).and(k::retired_at.is_null())))
            .set((k::retired_at.eq(now), k::expires_at.eq(expires)))
            .execute(conn)?
            > 0,
    )
}

pub fn find(conn: &mut DbConnection, kid: &Kid) -> Result<Option<KeyRow>, DbError> {
    Ok(k::signing_keys
        .find(kid)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?)
}

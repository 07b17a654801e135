//! `ceremonies` rows: WebAuthn ceremony state kept server-side, taken once.

use diesel::prelude::*;

use super::schema::ceremonies::dsl as c;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::ceremonies)]
pub struct CeremonyRow {
    pub id_hash: String,
    pub kind: String,
    /// Whom the ceremony belongs to: `tx:<hash>`, `user:<id>` or `signup:<hash>`.
    pub owner: String,
    pub state: String,
    pub expires_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &CeremonyRow) -> Result<(), DbError> {
    diesel::delete(c::ceremonies.filter(c::expires_at.lt(row.expires_at - 3600))).execute(conn)?;
    diesel::insert_into(c::ceremonies)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// Remove and return the ceremony: whatever happens next, it cannot be used again.
pub fn take(conn: &mut DbConnection, id_hash: &str) -> Result<Option<CeremonyRow>, DbError> {
    let row = c::ceremonies
        .find(id_hash)
        .select(CeremonyRow::as_select())
        .first(conn)
        .optional()?;
    if row.is_some() {
        let gone = diesel::delete(c::ceremonies.find(id_hash)).execute(conn)?;
        if gone == 0 {
            // Another request took it first.
            return Ok(None);
        }
    }
    Ok(row)
}

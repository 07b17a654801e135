//! `audit_events`: append-only, each row hashing its predecessor.

use diesel::prelude::*;

use super::schema::audit_events::dsl as a;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::audit_events)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub category: String,
    pub action: String,
    pub outcome: String,
    pub actor: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

pub fn last(conn: &mut DbConnection) -> Result<Option<(i64, String)>, DbError> {
    Ok(a::audit_events
        .order(a::seq.desc())
        .select((a::seq, a::hash))
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> Result<(), DbError> {
    diesel::insert_into(a::audit_events)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<AuditRow>, DbError> {
    Ok(a::audit_events
        .order(a::seq.asc())
        .select(AuditRow::as_select())
        .load(conn)?)
}

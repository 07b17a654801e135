//! `face_policy_changes` rows: the face policy in force (newest) and its history.

use diesel::prelude::*;

use super::schema::face_policy_changes::dsl as f;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::face_policy_changes)]
pub struct FacePolicyChangeRow {
    /// A zero-padded sequence number: the newest change sorts last.
    pub id: String,
    pub at: i64,
    /// `user:ID`, `client:ID` or `cli`.
    pub actor: String,
    pub reason: String,
    /// The whole policy after the change (JSON).
    pub policy: String,
}

pub fn insert(conn: &mut DbConnection, row: &FacePolicyChangeRow) -> Result<(), DbError> {
    diesel::insert_into(f::face_policy_changes)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// The newest change (the policy in force), if any.
pub fn latest(conn: &mut DbConnection) -> Result<Option<FacePolicyChangeRow>, DbError> {
    Ok(f::face_policy_changes
        .order(f::id.desc())
        .select(FacePolicyChangeRow::as_select())
        .first(conn)
        .optional()?)
}

/// The newest `limit` changes, newest first.
pub fn history(conn: &mut DbConnection, limit: i64) -> Result<Vec<FacePolicyChangeRow>, DbError> {
    Ok(f::face_policy_changes
        .order(f::id.desc())
        .limit(limit)
        .select(FacePolicyChangeRow::as_select())
        .load(conn)?)
}

/// The id the next change gets (two concurrent changes collide on the key
/// rather than both claim to be newest).
pub fn next_id(conn: &mut DbConnection) -> Result<String, DbError> {
    let last: Option<String> = f::face_policy_changes
        .select(f::id)
        .order(f::id.desc())
        .first(conn)
        .optional()?;
    let n = last.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    Ok(format!("{:012}", n + 1))
}

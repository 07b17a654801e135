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
    /// Empty when `sealed_detail` holds it (every event since sealing began).
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
    pub sealed_detail: Option<Vec<u8>>,
}

/// The advisory lock that orders appends to the log on PostgreSQL
/// ("VISAUDIT" as a number).
const APPEND_LOCK: i64 = 0x5649_5341_5544_4954;

/// Wait for the log's tail: on PostgreSQL a transaction-scoped advisory
/// lock, held until the transaction that appends commits or rolls back, so
/// appenders take turns instead of racing for the next number (SQLite's
/// writers take turns already).
pub fn lock_tail(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(APPEND_LOCK)
            .execute(pg)?;
    }
    Ok(())
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

/// What the audit viewer filters on; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub category: Option<String>,
    pub action: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

fn filtered(
    f: &AuditFilter,
) -> super::schema::audit_events::BoxedQuery<'static, <DbConnection as Connection>::Backend> {
    let mut q = a::audit_events.into_boxed();
    if let Some(v) = f.category.clone() {
        q = q.filter(a::category.eq(v));
    }
    if let Some(v) = f.action.clone() {
        q = q.filter(a::action.eq(v));
    }
    if let Some(v) = f.user_id.clone() {
        q = q.filter(a::user_id.eq(v));
    }
    if let Some(v) = f.client_id.clone() {
        q = q.filter(a::client_id.eq(v));
    }
    if let Some(v) = f.outcome.clone() {
        q = q.filter(a::outcome.eq(v));
    }
    if let Some(v) = f.since {
        q = q.filter(a::at.ge(v));
    }
    if let Some(v) = f.until {
        q = q.filter(a::at.lt(v));
    }
    q
}

/// Newest first, one page, and the number of matching events.
pub fn search(
    conn: &mut DbConnection,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64), DbError> {
    let total = filtered(f).count().get_result(conn)?;
    let rows = filtered(f)
        .order(a::seq.desc())
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The person's events of `categories` since `since`, newest first (at
/// most `limit`).
pub fn for_user_since(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    categories: &[&str],
    since: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    Ok(a::audit_events
        .filter(a::user_id.eq(user_id))
        .filter(a::category.eq_any(categories))
        .filter(a::at.ge(since))
        .order(a::seq.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::audit_seals)]
pub struct SealRow {
    pub seq: i64,
    pub head: String,
    pub mac: String,
    pub at: i64,
}

pub fn last_seal(conn: &mut DbConnection) -> Result<Option<SealRow>, DbError> {
    use super::schema::audit_seals::dsl as s;
    Ok(s::audit_seals
        .order(s::seq.desc())
        .select(SealRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn seals(conn: &mut DbConnection) -> Result<Vec<SealRow>, DbError> {
    use super::schema::audit_seals::dsl as s;
    Ok(s::audit_seals
        .order(s::seq.asc())
        .select(SealRow::as_select())
        .load(conn)?)
}

pub fn insert_seal(conn: &mut DbConnection, row: &SealRow) -> Result<(), DbError> {
    use super::schema::audit_seals::dsl as s;
    diesel::insert_into(s::audit_seals)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// The newest event before `before` (Unix time).
pub fn last_before(conn: &mut DbConnection, before: i64) -> Result<Option<i64>, DbError> {
    Ok(a::audit_events
        .filter(a::at.lt(before))
        .select(diesel::dsl::max(a::seq))
        .first(conn)?)
}

/// The events up to `seq`, oldest first.
pub fn up_to(conn: &mut DbConnection, seq: i64) -> Result<Vec<AuditRow>, DbError> {
    Ok(a::audit_events
        .filter(a::seq.le(seq))
        .order(a::seq.asc())
        .select(AuditRow::as_select())
        .load(conn)?)
}

pub fn delete_seqs(conn: &mut DbConnection, seqs: &[i64]) -> Result<usize, DbError> {
    Ok(diesel::delete(a::audit_events.filter(a::seq.eq_any(seqs))).execute(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::audit_checkpoints)]
pub struct CheckpointRow {
    pub id: i64,
    pub upto_seq: i64,
    pub head_hash: String,
    pub kept_digest: String,
    pub kept: i64,
    pub at: i64,
    pub mac: String,
}

pub fn last_checkpoint(conn: &mut DbConnection) -> Result<Option<CheckpointRow>, DbError> {
    use super::schema::audit_checkpoints::dsl as k;
    Ok(k::audit_checkpoints
        .order(k::id.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_checkpoint(conn: &mut DbConnection, row: &CheckpointRow) -> Result<(), DbError> {
    use super::schema::audit_checkpoints::dsl as k;
    diesel::insert_into(k::audit_checkpoints)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

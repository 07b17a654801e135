//! `alerts` rows: what the alert rules raised, and where each one stands.

use diesel::prelude::*;

use super::schema::alerts::dsl as a;
use super::{DbConnection, DbError};
use crate::ids::UserId;

pub const OPEN: &str = "open";
pub const ACKNOWLEDGED: &str = "acknowledged";
pub const RESOLVED: &str = "resolved";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = super::schema::alerts)]
pub struct AlertRow {
    pub id: String,
    pub rule: String,
    /// `account`, `address` or `deployment`.
    pub subject: String,
    pub user_id: Option<UserId>,
    pub address: Option<String>,
    /// The threshold that was reached, in `window_seconds`.
    pub count: i64,
    pub window_seconds: i64,
    /// What Visage did about it (a block, registrations paused, a review flag).
    pub action: String,
    pub raised_at: i64,
    pub last_at: i64,
    /// How often the rule fired again while the alert was unresolved.
    pub repeats: i64,
    pub state: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    #[serde(skip)]
    pub notified_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &AlertRow) -> Result<(), DbError> {
    diesel::insert_into(a::alerts)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

/// The unresolved alert of `rule` about this subject, if any.
pub fn unresolved(
    conn: &mut DbConnection,
    rule: &str,
    user_id: Option<&UserId>,
    address: Option<&str>,
) -> Result<Option<AlertRow>, DbError> {
    let mut q = a::alerts
        .filter(a::rule.eq(rule).and(a::state.ne(RESOLVED)))
        .into_boxed();
    q = match user_id {
        Some(u) => q.filter(a::user_id.eq(u)),
        None => q.filter(a::user_id.is_null()),
    };
    q = match address {
        Some(ip) => q.filter(a::address.eq(ip)),
        None => q.filter(a::address.is_null()),
    };
    Ok(q.select(AlertRow::as_select()).first(conn).optional()?)
}

/// The rule fired again: count it on the unresolved alert.
pub fn repeat(conn: &mut DbConnection, id: &str, now: i64) -> Result<(), DbError> {
    diesel::update(a::alerts.find(id))
        .set((a::repeats.eq(a::repeats + 1), a::last_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Whether an unresolved alert of `rule` exists with any of these subjects
/// (`user_id`; `address`; the deployment when `deployment`).
pub fn any_unresolved(
    conn: &mut DbConnection,
    rule: &str,
    user_id: Option<&UserId>,
    address: Option<&str>,
) -> Result<bool, DbError> {
    Ok(covering(conn, rule, user_id, address)?.is_some())
}

/// The id of an unresolved alert of `rule` about the person, or about the
/// address or the whole deployment.
pub fn covering(
    conn: &mut DbConnection,
    rule: &str,
    user_id: Option<&UserId>,
    address: Option<&str>,
) -> Result<Option<String>, DbError> {
    let mut q = a::alerts
        .filter(a::rule.eq(rule).and(a::state.ne(RESOLVED)))
        .into_boxed();
    q = match (user_id, address) {
        (Some(u), _) => q.filter(a::user_id.eq(u)),
        (None, Some(ip)) => q.filter(a::address.eq(ip).or(a::subject.eq("deployment"))),
        (None, None) => q.filter(a::subject.eq("deployment")),
    };
    Ok(q.select(a::id).first::<String>(conn).optional()?)
}

/// Newest first; `state` filters (`open`, `acknowledged`, `resolved`,
/// `unresolved` for both of the first two).
pub fn list(
    conn: &mut DbConnection,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<AlertRow>, DbError> {
    let mut q = a::alerts.into_boxed();
    q = match state {
        Some("unresolved") => q.filter(a::state.ne(RESOLVED)),
        Some(s) => q.filter(a::state.eq(s.to_owned())),
        None => q,
    };
    Ok(q.order(a::raised_at.desc())
        .limit(limit)
        .select(AlertRow::as_select())
        .load(conn)?)
}

/// How many alerts nobody has acknowledged yet.
pub fn count_open(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(a::alerts
        .filter(a::state.eq(OPEN))
        .count()
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<AlertRow>, DbError> {
    Ok(a::alerts
        .find(id)
        .select(AlertRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn acknowledge(conn: &mut DbConnection, id: &str, by: &str, now: i64) -> Result<bool, DbError> {
    Ok(diesel::update(a::alerts.find(id).filter(a::state.eq(OPEN)))
        .set((
            a::state.eq(ACKNOWLEDGED),
            a::acknowledged_by.eq(by),
            a::acknowledged_at.eq(now),
        ))
        .execute(conn)?
        > 0)
}

pub fn resolve(conn: &mut DbConnection, id: &str, by: &str, now: i64) -> Result<bool, DbError> {
    Ok(
        diesel::update(a::alerts.find(id).filter(a::state.ne(RESOLVED)))
            .set((
                a::state.eq(RESOLVED),
                a::resolved_by.eq(by),
                a::resolved_at.eq(now),
            ))
            .execute(conn)?
            > 0,
    )
}

/// Alerts nobody was told of yet, oldest first.
pub fn unnotified(conn: &mut DbConnection, limit: i64) -> Result<Vec<AlertRow>, DbError> {
    Ok(a::alerts
        .filter(a::notified_at.is_null())
        .order(a::raised_at.asc())
        .limit(limit)
        .select(AlertRow::as_select())
        .load(conn)?)
}

/// Claim the telling of an alert: true for the one server that gets it.
pub fn claim_notice(conn: &mut DbConnection, id: &str, now: i64) -> Result<bool, DbError> {
    Ok(
        diesel::update(a::alerts.find(id).filter(a::notified_at.is_null()))
            .set(a::notified_at.eq(now))
            .execute(conn)?
            > 0,
    )
}

//! `registration_approvals` rows: passkeys waiting for an administrator's
//! approval (registered while a `passkey_registrations` alert held new
//! registrations).

use diesel::prelude::*;

use super::schema::registration_approvals::dsl as r;
use super::{DbConnection, DbError};
use crate::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::registration_approvals)]
pub struct ApprovalRow {
    pub passkey_id: String,
    pub user_id: UserId,
    /// Made by a sign-up: the account is disabled until approved.
    pub new_account: bool,
    pub address: Option<String>,
    /// The alert that held it.
    pub alert_id: Option<String>,
    pub created_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &ApprovalRow) -> Result<(), DbError> {
    diesel::insert_into(r::registration_approvals)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, passkey_id: &str) -> Result<Option<ApprovalRow>, DbError> {
    Ok(r::registration_approvals
        .find(passkey_id)
        .select(ApprovalRow::as_select())
        .first(conn)
        .optional()?)
}

/// Oldest first, at most `limit`.
pub fn list(conn: &mut DbConnection, limit: i64) -> Result<Vec<ApprovalRow>, DbError> {
    Ok(r::registration_approvals
        .order((r::created_at.asc(), r::passkey_id.asc()))
        .limit(limit)
        .select(ApprovalRow::as_select())
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(r::registration_approvals.count().get_result(conn)?)
}

/// The person's passkeys still waiting.
pub fn waiting_for(conn: &mut DbConnection, user_id: &UserId) -> Result<Vec<String>, DbError> {
    Ok(r::registration_approvals
        .filter(r::user_id.eq(user_id))
        .select(r::passkey_id)
        .load(conn)?)
}

/// Whether the account was made by a sign-up that still waits.
pub fn sign_up_waits(conn: &mut DbConnection, user_id: &UserId) -> Result<bool, DbError> {
    Ok(r::registration_approvals
        .filter(r::user_id.eq(user_id).and(r::new_account.eq(true)))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Remove the row; true when there was one (a decision is taken once).
pub fn delete(conn: &mut DbConnection, passkey_id: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(r::registration_approvals.find(passkey_id)).execute(conn)? > 0)
}

//! `email_challenges` rows: a code sent by email (sign-up or recovery).

use diesel::prelude::*;

use super::schema::email_challenges::dsl as e;
use super::{DbConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::email_challenges)]
pub struct EmailChallengeRow {
    pub id_hash: String,
    pub purpose: String,
    /// The account (recovery) or the id the new account will get (sign-up).
    pub user_id: crate::ids::UserId,
    pub email: String,
    pub name: Option<String>,
    pub code_hash: String,
    pub attempts: i64,
    pub verified_at: Option<i64>,
    pub tx: Option<String>,
    pub locale: Option<String>,
    /// Hash of the invitation that allowed a sign-up.
    pub invitation: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &EmailChallengeRow) -> Result<(), DbError> {
    diesel::delete(e::email_challenges.filter(e::expires_at.lt(row.created_at - 3600)))
        .execute(conn)?;
    diesel::insert_into(e::email_challenges)
        .values(row.clone())
        .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut DbConnection,
    id_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<EmailChallengeRow>, DbError> {
    Ok(e::email_challenges
        .filter(
            e::id_hash
                .eq(id_hash)
                .and(e::purpose.eq(purpose))
                .and(e::expires_at.gt(now)),
        )
        .select(EmailChallengeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Take one attempt of the challenge in a single conditional `UPDATE`, so
/// parallel guesses cannot exceed `max`; false when none is left.
pub fn claim_attempt(conn: &mut DbConnection, id_hash: &str, max: i64) -> Result<bool, DbError> {
    Ok(
        diesel::update(e::email_challenges.filter(e::id_hash.eq(id_hash).and(e::attempts.lt(max))))
            .set(e::attempts.eq(e::attempts + 1))
            .execute(conn)?
            == 1,
    )
}

pub fn mark_verified(conn: &mut DbConnection, id_hash: &str, now: i64) -> Result<(), DbError> {
    diesel::update(e::email_challenges.find(id_hash))
        .set(e::verified_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id_hash: &str) -> Result<bool, DbError> {
    Ok(diesel::delete(e::email_challenges.find(id_hash)).execute(conn)? > 0)
}

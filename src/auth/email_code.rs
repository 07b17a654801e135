//! Six-digit codes sent by email, stored as keyed hashes, with an attempt cap.

use rand::Rng;

use crate::crypto::{self, MasterKey};
use crate::db::email_challenges::{self as repo, EmailChallengeRow};
use crate::db::{DbConnection, DbError};

pub const SIGNUP: &str = "signup";
pub const RECOVERY: &str = "recovery";
/// The second factor after a password.
pub const LOGIN: &str = "login";

/// What a new challenge is about.
#[derive(Debug, Clone, Default)]
pub struct NewChallenge {
    pub user_id: crate::ids::UserId,
    pub email: String,
    pub name: Option<String>,
    pub tx: Option<String>,
    pub locale: Option<String>,
    pub invitation: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("the code is wrong")]
    Wrong,
    #[error("the code expired or was tried too many times")]
    Expired,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn six_digits() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Store a challenge; returns (browser token, code to send).
pub fn issue(
    conn: &mut DbConnection,
    mk: &MasterKey,
    purpose: &str,
    new: NewChallenge,
    ttl: i64,
    now: i64,
) -> Result<(String, String), DbError> {
    let token = crypto::random_token(32);
    let id_hash = crypto::token_hash(&token);
    let code = six_digits();
    repo::insert(
        conn,
        &EmailChallengeRow {
            code_hash: mk.hash_code(&id_hash, &code),
            id_hash,
            purpose: purpose.to_owned(),
            user_id: new.user_id,
            email: new.email,
            name: new.name,
            attempts: 0,
            verified_at: None,
            tx: new.tx,
            locale: new.locale,
            invitation: new.invitation,
            created_at: now,
            expires_at: now + ttl,
        },
    )?;
    Ok((token, code))
}

/// The open challenge behind a browser token.
pub fn find(
    conn: &mut DbConnection,
    purpose: &str,
    token: &str,
    now: i64,
) -> Result<Option<EmailChallengeRow>, DbError> {
    repo::find(conn, &crypto::token_hash(token), purpose, now)
}

/// Check a typed code; the challenge is void after `max_attempts` codes
/// (each check first takes an attempt atomically, then compares).
pub fn check(
    conn: &mut DbConnection,
    mk: &MasterKey,
    purpose: &str,
    token: &str,
    code: &str,
    max_attempts: i64,
    now: i64,
) -> Result<EmailChallengeRow, CodeError> {
    let row = find(conn, purpose, token, now)?.ok_or(CodeError::Expired)?;
    if !repo::claim_attempt(conn, &row.id_hash, max_attempts)? {
        repo::delete(conn, &row.id_hash)?;
        return Err(CodeError::Expired);
    }
    let typed: String = code.chars().filter(char::is_ascii_digit).collect();
    if typed.len() != 6 || !crypto::ct_eq(&mk.hash_code(&row.id_hash, &typed), &row.code_hash) {
        if row.attempts + 1 >= max_attempts {
            repo::delete(conn, &row.id_hash)?;
            return Err(CodeError::Expired);
        }
        return Err(CodeError::Wrong);
    }
    repo::mark_verified(conn, &row.id_hash, now)?;
    Ok(EmailChallengeRow {
        verified_at: Some(now),
        ..row
    })
}

/// Drop a finished challenge.
pub fn close(conn: &mut DbConnection, token: &str) -> Result<(), DbError> {
    repo::delete(conn, &crypto::token_hash(token)).map(|_| ())
}

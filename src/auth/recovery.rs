//! Getting back in without a passkey: one-time recovery codes (shown once,
//! stored as keyed hashes) or a code sent by email. Either gives a session
//! at the lowest assurance level (`amr` = `otp`), enough to add a passkey.

use rand::seq::SliceRandom;

use crate::crypto::MasterKey;
use crate::db::recovery_codes as repo;
use crate::db::users::{self, UserRow};
use crate::db::{DbConnection, DbError};

use super::email_code::{self, CodeError, NewChallenge, RECOVERY};

/// Crockford base32 without look-alikes.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn one_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..10)
        .map(|_| *ALPHABET.choose(&mut rng).unwrap_or(&b'A') as char)
        .collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// `abcde fghij` / `ABCDE-FGHIJ` → `ABCDEFGHIJ`.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn hash(mk: &MasterKey, user_id: &crate::ids::UserId, code: &str) -> String {
    mk.hash_code(&format!("recovery:{user_id}"), &normalise(code))
}

/// Replace the account's recovery codes with `n` new ones; returns them (shown once).
pub fn issue(
    conn: &mut DbConnection,
    mk: &MasterKey,
    user_id: &crate::ids::UserId,
    n: usize,
    now: i64,
) -> Result<Vec<String>, DbError> {
    let codes: Vec<String> = (0..n).map(|_| one_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| hash(mk, user_id, c)).collect();
    repo::replace(conn, user_id, &hashes, now)?;
    Ok(codes)
}

pub fn remaining(conn: &mut DbConnection, user_id: &crate::ids::UserId) -> Result<i64, DbError> {
    repo::remaining(conn, user_id)
}

/// The account whose unused recovery code this is (the code is then spent).
pub fn redeem(
    conn: &mut DbConnection,
    mk: &MasterKey,
    email: &str,
    code: &str,
    now: i64,
) -> Result<Option<UserRow>, DbError> {
    let Some(user) = users::find_by_email(conn, email)?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    if normalise(code).len() != 10 {
        return Ok(None);
    }
    Ok(repo::consume(conn, &user.id, &hash(mk, &user.id, code), now)?.then_some(user))
}

/// Start an email recovery. The challenge exists whether or not the address
/// has an account (same page either way); the code is returned only to mail
/// an existing account.
pub fn start_email(
    conn: &mut DbConnection,
    mk: &MasterKey,
    email: &str,
    tx: Option<String>,
    locale: &str,
    ttl: i64,
    now: i64,
) -> Result<(String, Option<String>), DbError> {
    let email = email.trim().to_lowercase();
    let user = users::find_by_email(conn, &email)?.filter(|u| !u.disabled);
    let (token, code) = email_code::issue(
        conn,
        mk,
        RECOVERY,
        NewChallenge {
            user_id: user.as_ref().map(|u| u.id.clone()).unwrap_or_default(),
            email,
            tx,
            locale: Some(locale.to_owned()),
            ..NewChallenge::default()
        },
        ttl,
        now,
    )?;
    Ok((token, user.map(|_| code)))
}

/// Check the emailed code; the account on success.
pub fn finish_email(
    conn: &mut DbConnection,
    mk: &MasterKey,
    token: &str,
    code: &str,
    max_attempts: i64,
    now: i64,
) -> Result<(UserRow, Option<String>), CodeError> {
    let row = email_code::check(conn, mk, RECOVERY, token, code, max_attempts, now)?;
    email_code::close(conn, token)?;
    let user = users::find(conn, &row.user_id)?
        .filter(|u| !u.disabled)
        .ok_or(CodeError::Wrong)?;
    Ok((user, row.tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalised() {
        let c = one_code();
        assert_eq!(c.len(), 11);
        assert_eq!(
            normalise(&c.to_lowercase().replace('-', " ")),
            c.replace('-', "")
        );
    }
}

//! Lockouts: count failures per key in the database (shared by every
//! instance); `max` within the window blocks the key for a while.

use crate::config::Rule;
use crate::db::lockouts::{self as repo, LockoutRow};
use crate::db::{DbConnection, DbError};

/// Keys of the counters.
pub fn account_key(user_id: &crate::ids::UserId) -> String {
    format!("signin:user:{user_id}")
}
pub fn ip_key(ip: &str) -> String {
    format!("signin:ip:{ip}")
}
pub fn signup_key(ip: &str) -> String {
    format!("signup:ip:{ip}")
}
pub fn email_key(email: &str) -> String {
    format!("mail:{}", email.trim().to_lowercase())
}

/// Until when `key` is blocked, if it is.
pub fn blocked_until(conn: &mut DbConnection, key: &str, now: i64) -> Result<Option<i64>, DbError> {
    Ok(repo::find(conn, key)?
        .and_then(|r| r.blocked_until)
        .filter(|until| *until > now))
}

/// Count one event; returns the block's end when this event starts a block.
pub fn hit(
    conn: &mut DbConnection,
    key: &str,
    rule: Rule,
    now: i64,
) -> Result<Option<i64>, DbError> {
    let mut row = match repo::find(conn, key)? {
        Some(r) if now - r.window_start < rule.window_seconds => r,
        _ => LockoutRow {
            key: key.to_owned(),
            failures: 0,
            window_start: now,
            blocked_until: None,
        },
    };
    row.failures += 1;
    let started = if row.failures >= rule.max {
        let until = now + rule.block_seconds;
        row.blocked_until = Some(until);
        row.failures = 0;
        row.window_start = now;
        Some(until)
    } else {
        None
    };
    repo::save(conn, &row)?;
    Ok(started)
}

/// Forget the failures of `key` (after a success).
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    repo::clear(conn, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    #[test]
    fn five_failures_block_then_the_block_ends() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = Db::open(
            &format!("sqlite://{}", dir.path().join("t.db").display()),
            1,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .with_master_key(crate::crypto::MasterKey::from_bytes(&[3u8; 32]));
        let rule = Rule {
            max: 5,
            window_seconds: 900,
            block_seconds: 600,
        };
        db.run_sync(|c| -> Result<(), DbError> {
            for i in 0..4 {
                assert_eq!(hit(c, "k", rule, 1000 + i)?, None);
            }
            assert_eq!(blocked_until(c, "k", 1004)?, None);
            assert_eq!(hit(c, "k", rule, 1005)?, Some(1605));
            assert_eq!(blocked_until(c, "k", 1200)?, Some(1605));
            assert_eq!(blocked_until(c, "k", 1605)?, None);
            // Failures outside the window do not add up.
            assert_eq!(hit(c, "j", rule, 0)?, None);
            for i in 0..4 {
                assert_eq!(hit(c, "j", rule, 2000 + i)?, None);
            }
            clear(c, "j")?;
            assert!(crate::db::lockouts::find(c, "j")?.is_none());
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

//! Sign-in bookkeeping, one transaction per operation: start a session at
//! the level that was proven (clear the account's failure count, audit),
//! upgrade a passkey session with the face, record a failure (audit, count
//! against the address and the account, audit a started lockout), and tell
//! whether guessing is blocked. The web layer only calls these.

use super::alerts::Subject;
use crate::audit::{self, Event};
use crate::config::LockoutConfig;
use crate::db::{DbConnection, DbError};

use super::acr::{Ladder, Level};
use super::assurance;
use super::devices::{self, Device, Seen};
use super::lockout;
use super::session::{self, Session};

/// A proven sign-in.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub user_id: crate::ids::UserId,
    pub level: Level,
    pub amr: Vec<String>,
    /// Audit action, e.g. `login.passkey`.
    pub action: &'static str,
}

/// A new session and the cookie value for the browser.
#[derive(Debug)]
pub struct Started {
    pub session: Session,
    pub cookie: String,
    /// Whether the account knew the browser (a new one: tell the person).
    pub seen: Seen,
}

/// Start the session at exactly the proven level, forget the account's
/// failures, remember the browser, audit the success with the browser's
/// name (within `conn`'s current transaction).
pub fn start(
    conn: &mut DbConnection,
    ladder: &Ladder,
    ttl: i64,
    s: &SignIn,
    (ip, device): (Option<&str>, &Device),
    now: i64,
) -> Result<Started, DbError> {
    let acr = ladder.uri(s.level).to_owned();
    let (session, cookie) = session::start(conn, &s.user_id, &acr, &s.amr, ttl, now)?;
    lockout::clear(conn, &lockout::account_key(&s.user_id))?;
    let seen = devices::remember(conn, &s.user_id, device, now)?;
    audit::record(
        conn,
        &Event::new("auth", s.action, "success")
            .user(&s.user_id)
            .ip(ip.map(str::to_owned))
            .detail(serde_json::json!({
                "acr": acr,
                "amr": s.amr,
                "browser": device.browser,
                "new_browser": seen == Seen::New,
            })),
        now,
    )?;
    crate::telemetry::sign_in(s.action, "success");
    Ok(Started {
        session,
        cookie,
        seen,
    })
}

/// Why the face cannot upgrade a session.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("only a passkey session can be upgraded with the face")]
    NotPasskey,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A passed face step: a new session at the face level for the same person,
/// its `amr` the passkey's plus `face`, audited.
pub fn upgrade_with_face(
    conn: &mut DbConnection,
    ladder: &Ladder,
    ttl: i64,
    passkey: &Session,
    now: i64,
) -> Result<Started, UpgradeError> {
    if !assurance::face_may_upgrade(ladder, passkey) {
        return Err(UpgradeError::NotPasskey);
    }
    let acr = ladder.uri(Level::PasskeyFace).to_owned();
    let amr = super::face::amr_with_face(&passkey.amr);
    let (session, cookie) = session::start(conn, &passkey.user_id, &acr, &amr, ttl, now)?;
    Ok(Started {
        session,
        cookie,
        seen: Seen::Known,
    })
}

/// Record a failed attempt. `guess`: a guessable secret (password, recovery
/// or emailed code) counts against the address and the account — one
/// budget per account for all of them; anything else (a passkey answer that
/// did not verify) is only audited.
#[allow(clippy::too_many_arguments)]
pub fn failed(
    conn: &mut DbConnection,
    rules: &LockoutConfig,
    action: &'static str,
    user_id: Option<&crate::ids::UserId>,
    ip: Option<&str>,
    reason: &'static str,
    guess: bool,
    now: i64,
) -> Result<(), DbError> {
    crate::telemetry::sign_in(action, "failure");
    conn.write_transaction(|c| {
        let mut ev = Event::new("auth", action, "failure")
            .ip(ip.map(str::to_owned))
            .detail(serde_json::json!({ "reason": reason }));
        if let Some(u) = user_id {
            ev = ev.user(u);
        }
        audit::record(c, &ev, now)?;
        if !guess {
            return Ok(());
        }
        let mut keys = vec![];
        if let Some(ip) = ip {
            keys.push((lockout::ip_key(ip), rules.ip, Subject::Address(ip)));
        }
        if let Some(u) = user_id {
            keys.push((lockout::account_key(u), rules.account, Subject::Account(u)));
        }
        for (key, rule, subject) in keys {
            if let Some(until) = lockout::hit(c, &key, rule, now)? {
                super::alerts::sign_ins_blocked(c, subject, rule, until, now)?;
                let mut ev = Event::new("auth", "lockout", "blocked")
                    .ip(ip.map(str::to_owned))
                    .detail(serde_json::json!({ "key": key.split(':').nth(1), "until": until }));
                if let Some(u) = user_id {
                    ev = ev.user(u);
                }
                audit::record(c, &ev, now)?;
            }
        }
        Ok(())
    })
}

/// Whether guessing is blocked for this address or this account.
pub fn locked(
    conn: &mut DbConnection,
    ip: Option<&str>,
    user_id: Option<&crate::ids::UserId>,
    now: i64,
) -> Result<bool, DbError> {
    if let Some(ip) = ip {
        if lockout::blocked_until(conn, &lockout::ip_key(ip), now)?.is_some() {
            return Ok(true);
        }
    }
    match user_id {
        Some(u) => Ok(lockout::blocked_until(conn, &lockout::account_key(u), now)?.is_some()),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AcrConfig;
    use crate::db::Db;

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Db::open(&url, 1)
            .unwrap_or_else(|e| panic!("{e}"))
            .with_master_key(crate::crypto::MasterKey::from_bytes(&[3u8; 32]));
        (dir, db)
    }

    #[test]
    fn failures_share_one_budget_per_account_and_passkey_failures_count_for_nobody() {
        let (_dir, db) = db();
        let rules = LockoutConfig::default();
        db.run_sync(|c| -> Result<(), DbError> {
            // A real account: the lockout it starts raises an alert about it.
            let u = crate::auth::users::create_with_password(
                c,
                "u@example.com",
                "pw pw pw pw",
                None,
                1,
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .id;
            for (i, action) in ["login.password", "recovery.code", "recovery.email"]
                .iter()
                .cycle()
                .take(rules.account.max as usize - 1)
                .enumerate()
            {
                failed(
                    c,
                    &rules,
                    action,
                    Some(&u),
                    Some("198.51.100.1"),
                    "bad",
                    true,
                    100,
                )?;
                assert!(!locked(c, None, Some(&u), 100)?, "after {}", i + 1);
            }
            for _ in 0..10 {
                failed(
                    c,
                    &rules,
                    "login.passkey",
                    Some(&u),
                    Some("198.51.100.1"),
                    "bad",
                    false,
                    100,
                )?;
            }
            assert!(
                !locked(c, None, Some(&u), 100)?,
                "passkey failures are not guesses"
            );
            failed(
                c,
                &rules,
                "login.password",
                Some(&u),
                None,
                "bad",
                true,
                100,
            )?;
            assert!(locked(c, None, Some(&u), 100)?);
            assert!(!locked(c, Some("198.51.100.2"), None, 100)?);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn the_face_upgrades_only_a_passkey_session() {
        let (_dir, db) = db();
        let ladder = Ladder::new(&AcrConfig::default(), true, true, true);
        db.run_sync(|c| -> Result<(), DbError> {
            let user = crate::auth::users::create_with_password(
                c,
                "a@example.com",
                "pw pw pw pw",
                None,
                1,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let pw = SignIn {
                user_id: user.id,
                level: Level::Password,
                amr: vec!["pwd".into()],
                action: "login.password",
            };
            let here = Device::new("browser-one-0123456789", None);
            let started = start(c, &ladder, 60, &pw, (None, &here), 100)?;
            assert_eq!(started.seen, Seen::First, "the account's first browser");
            assert!(matches!(
                upgrade_with_face(c, &ladder, 60, &started.session, 100),
                Err(UpgradeError::NotPasskey)
            ));
            let pk = SignIn {
                level: Level::Passkey,
                amr: vec!["hwk".into(), "user".into()],
                action: "login.passkey",
                ..pw
            };
            let started = start(c, &ladder, 60, &pk, (None, &here), 100)?;
            assert_eq!(started.seen, Seen::Known);
            let there = Device::new("browser-two-0123456789", None);
            assert_eq!(
                start(c, &ladder, 60, &pk, (None, &there), 100)?.seen,
                Seen::New
            );
            let up = upgrade_with_face(c, &ladder, 60, &started.session, 100)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(up.session.acr, ladder.uri(Level::PasskeyFace));
            assert_eq!(up.session.amr, ["hwk", "face", "user", "mfa"]);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

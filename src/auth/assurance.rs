//! What a session may do with the account's authenticators, and what a
//! change does to the person's other sessions.
//!
//! The rules (docs/assurance.md):
//! - a session's level is what was proven in it; enrolling a factor never
//!   raises the session that enrolled it;
//! - changing an authenticator (passkeys, face, recovery codes) needs a fresh
//!   sign-in (at most `admin.step_up_seconds` old) at the highest level the
//!   account already has; a password-only account may add its first passkey
//!   from a fresh password session; a recovery session may only register a
//!   passkey; face enrolment always needs a passkey session; erasing the
//!   face needs the face too (else a stolen passkey could swap in another
//!   face) — someone whose face no longer matches asks an administrator;
//! - the face step upgrades only a passkey session (of the person whose
//!   cookie it is, so in the same browser);
//! - each change ends the person's other sessions.

use crate::db::{passkeys, sessions, DbConnection, DbError};

use super::acr::{Ladder, Level};
use super::session::{self, Session};

/// A change to the account's authenticators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    AddPasskey,
    RemovePasskey,
    RecoveryCodes,
    /// Enrol (or replace) the face template.
    FaceEnrol,
    /// Erase the face template and consent.
    FaceDelete,
    /// Delete the whole account.
    DeleteAccount,
}

impl Change {
    /// The audit and mail name of the change.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::AddPasskey => "passkey.add",
            Change::RemovePasskey => "passkey.remove",
            Change::RecoveryCodes => "recovery_codes.renew",
            Change::FaceEnrol => "face.enrol",
            Change::FaceDelete => "face.delete",
            Change::DeleteAccount => "account.delete",
        }
    }
}

/// What the account has enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factors {
    pub passkeys: usize,
    pub face: bool,
}

impl Factors {
    pub fn of(conn: &mut DbConnection, user_id: &crate::ids::UserId) -> Result<Factors, DbError> {
        Ok(Factors {
            passkeys: passkeys::for_user(conn, user_id)?.len(),
            face: super::face::status(conn, user_id)?.1.is_some(),
        })
    }

    /// The highest level this account can sign in at (`face_available`: the
    /// face engine runs, so the face level can be reached).
    pub fn highest(self, face_available: bool) -> Level {
        match (self.passkeys > 0, self.face && face_available) {
            (true, true) => Level::PasskeyFace,
            (true, false) => Level::Passkey,
            (false, _) => Level::Password,
        }
    }
}

/// Why a change is refused: the person must sign in again at `level`
/// (or, from a recovery session, may only register a passkey).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SignInAgain {
        level: Level,
    },
    /// A fresh passkey session that only lacks the face: the face step.
    ConfirmFace,
    RecoveryOnlyAddsPasskey,
}

/// The session's level (unknown acr values count as the lowest).
pub fn level_of(ladder: &Ladder, s: &Session) -> Level {
    ladder.level_of(&s.acr).unwrap_or(Level::Recovery)
}

/// Whether `s` may make `change` to an account with `factors`.
pub fn may_change(
    ladder: &Ladder,
    s: &Session,
    factors: Factors,
    change: Change,
    face_available: bool,
    fresh_seconds: i64,
    now: i64,
) -> Result<(), Refusal> {
    let level = level_of(ladder, s);
    let highest = factors.highest(face_available);
    if level == Level::Recovery && change != Change::AddPasskey {
        return Err(Refusal::RecoveryOnlyAddsPasskey);
    }
    let needed = match change {
        Change::FaceEnrol => highest.max(Level::Passkey),
        // A password-only account adds its first passkey from a password
        // session; a recovery session may replace lost passkeys.
        Change::AddPasskey if level == Level::Recovery => Level::Recovery,
        _ => highest,
    };
    let fresh = now - s.auth_time <= fresh_seconds;
    if level < needed || !fresh {
        if fresh && needed == Level::PasskeyFace && face_may_upgrade(ladder, s) {
            return Err(Refusal::ConfirmFace);
        }
        return Err(Refusal::SignInAgain { level: needed });
    }
    Ok(())
}

/// Whether the face step may upgrade `s`: a passkey session (the face is a
/// second factor on top of a passkey, never on top of a password).
pub fn face_may_upgrade(ladder: &Ladder, s: &Session) -> bool {
    level_of(ladder, s) >= Level::Passkey && s.amr.iter().any(|m| m == "hwk" || m == "swk")
}

/// After a change: end every other session of the person (their tokens
/// bound to those sessions stop too); returns how many ended.
pub fn end_other_sessions(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    keep_sid: &crate::ids::SessionId,
    now: i64,
) -> Result<usize, DbError> {
    let mut ended = 0;
    for row in sessions::live_for_user(conn, user_id, now)? {
        if row.sid != keep_sid {
            session::end(conn, &row.sid, now)?;
            ended += 1;
        }
    }
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AcrConfig;

    fn ladder() -> Ladder {
        Ladder::new(&AcrConfig::default(), true, true, true)
    }

    fn sess(level: Level, amr: &[&str], auth_time: i64) -> Session {
        Session {
            sid: "s".into(),
            user_id: "u".into(),
            auth_time,
            acr: ladder().uri(level).to_owned(),
            amr: amr.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    const NONE: Factors = Factors {
        passkeys: 0,
        face: false,
    };
    const PASSKEY: Factors = Factors {
        passkeys: 1,
        face: false,
    };
    const FACE: Factors = Factors {
        passkeys: 1,
        face: true,
    };

    fn check(s: &Session, f: Factors, c: Change) -> Result<(), Refusal> {
        may_change(&ladder(), s, f, c, true, 300, 1000)
    }

    #[test]
    fn a_password_session_adds_only_the_first_passkey_and_never_a_face() {
        let pw = sess(Level::Password, &["pwd"], 990);
        assert_eq!(check(&pw, NONE, Change::AddPasskey), Ok(()));
        assert!(check(&pw, PASSKEY, Change::AddPasskey).is_err());
        assert!(check(&pw, PASSKEY, Change::RecoveryCodes).is_err());
        assert!(check(&pw, NONE, Change::FaceEnrol).is_err());
        assert!(check(&pw, PASSKEY, Change::RemovePasskey).is_err());
    }

    #[test]
    fn recovery_only_registers_a_passkey() {
        let rec = sess(Level::Recovery, &["otp"], 990);
        assert_eq!(check(&rec, FACE, Change::AddPasskey), Ok(()));
        for c in [
            Change::RemovePasskey,
            Change::RecoveryCodes,
            Change::FaceEnrol,
            Change::FaceDelete,
        ] {
            assert_eq!(check(&rec, FACE, c), Err(Refusal::RecoveryOnlyAddsPasskey));
        }
    }

    #[test]
    fn the_highest_level_and_a_fresh_sign_in_are_needed() {
        let pk = sess(Level::Passkey, &["hwk", "user"], 990);
        assert_eq!(check(&pk, PASSKEY, Change::FaceEnrol), Ok(()));
        assert_eq!(check(&pk, PASSKEY, Change::RecoveryCodes), Ok(()));
        assert_eq!(
            check(&pk, FACE, Change::FaceEnrol),
            Err(Refusal::ConfirmFace)
        );
        // Without the face engine the passkey is the highest level.
        assert_eq!(
            may_change(
                &ladder(),
                &pk,
                FACE,
                Change::RemovePasskey,
                false,
                300,
                1000
            ),
            Ok(())
        );
        assert_eq!(
            check(&pk, FACE, Change::FaceDelete),
            Err(Refusal::ConfirmFace)
        );
        let old = sess(Level::PasskeyFace, &["hwk", "face"], 600);
        assert_eq!(
            check(&old, FACE, Change::AddPasskey),
            Err(Refusal::SignInAgain {
                level: Level::PasskeyFace
            })
        );
    }

    #[test]
    fn only_a_passkey_session_is_upgraded_by_the_face() {
        assert!(face_may_upgrade(
            &ladder(),
            &sess(Level::Passkey, &["swk", "user"], 0)
        ));
        assert!(!face_may_upgrade(
            &ladder(),
            &sess(Level::Password, &["pwd"], 0)
        ));
        assert!(!face_may_upgrade(
            &ladder(),
            &sess(Level::Recovery, &["otp"], 0)
        ));
    }
}

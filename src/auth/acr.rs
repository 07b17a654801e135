//! The assurance ladder: which sign-in methods reach which `acr`, and the
//! RFC 8176 `amr` values each method produces.

use crate::config::AcrConfig;

/// Assurance levels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// A recovery code or an emailed code: enough to register a new passkey.
    Recovery,
    Password,
    Passkey,
    PasskeyFace,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Recovery,
        Level::Password,
        Level::Passkey,
        Level::PasskeyFace,
    ];
}

/// What the deployment can do, and the acr values it names its levels with.
#[derive(Debug, Clone)]
pub struct Ladder {
    uris: [String; 4],
    password: bool,
    passkey: bool,
    face: bool,
}

/// An essential acr no sign-in method of this deployment reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreachable;

/// What an authorization request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub level: Level,
    /// Essential: the request fails rather than get less.
    pub essential: bool,
}

impl Ladder {
    pub fn new(cfg: &AcrConfig, password: bool, passkey: bool, face: bool) -> Ladder {
        Ladder {
            uris: [
                cfg.recovery.clone(),
                cfg.password.clone(),
                cfg.passkey.clone(),
                cfg.passkey_face.clone(),
            ],
            password,
            passkey,
            face,
        }
    }

    pub fn uri(&self, level: Level) -> &str {
        self.uris.get(level as usize).map_or("", String::as_str)
    }

    pub fn level_of(&self, acr: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| self.uri(*l) == acr)
    }

    /// Whether some sign-in method of this deployment reaches `level`.
    pub fn reachable(&self, level: Level) -> bool {
        match level {
            Level::Recovery => true,
            Level::Password => self.password,
            Level::Passkey => self.passkey,
            Level::PasskeyFace => self.passkey && self.face,
        }
    }

    /// The acr values this deployment can issue, for discovery.
    pub fn supported(&self) -> Vec<String> {
        Level::ALL
            .into_iter()
            .filter(|l| self.reachable(*l))
            .map(|l| self.uri(l).to_owned())
            .collect()
    }

    /// The level a request asks for: the lowest reachable of the essential
    /// values (`Err` when none is reachable), else the lowest known `acr_values`.
    pub fn requirement(
        &self,
        essential: Option<&[String]>,
        acr_values: &[String],
    ) -> Result<Option<Requirement>, Unreachable> {
        if let Some(values) = essential {
            return values
                .iter()
                .filter_map(|v| self.level_of(v))
                .filter(|l| self.reachable(*l))
                .min()
                .map(|level| {
                    Some(Requirement {
                        level,
                        essential: true,
                    })
                })
                .ok_or(Unreachable);
        }
        Ok(acr_values
            .iter()
            .filter_map(|v| self.level_of(v))
            .filter(|l| self.reachable(*l))
            .min()
            .map(|level| Requirement {
                level,
                essential: false,
            }))
    }
}

/// `amr` of a passkey sign-in: `hwk` for a device-bound key, `swk` for a
/// synced (backup-eligible) one, plus `user` when the person was verified.
pub fn passkey_amr(backup_eligible: bool, user_verified: bool) -> Vec<String> {
    let mut amr = vec![if backup_eligible { "swk" } else { "hwk" }.to_owned()];
    if user_verified {
        amr.push("user".to_owned());
    }
    amr
}

/// `amr` of a one-time code (recovery code or emailed code).
pub fn otp_amr() -> Vec<String> {
    vec!["otp".to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ladder() -> Ladder {
        Ladder::new(&AcrConfig::default(), true, true, false)
    }

    #[test]
    fn essential_picks_the_lowest_reachable_value() {
        let l = ladder();
        let pk = l.uri(Level::Passkey).to_owned();
        let face = l.uri(Level::PasskeyFace).to_owned();
        let r = l.requirement(Some(&[face.clone(), pk]), &[]).ok().flatten();
        assert_eq!(r.map(|r| r.level), Some(Level::Passkey));
        assert!(l.requirement(Some(&[face]), &[]).is_err());
        assert!(l.requirement(Some(&["urn:other".into()]), &[]).is_err());
    }

    #[test]
    fn voluntary_values_are_best_effort() {
        let l = ladder();
        let r = l
            .requirement(None, &["urn:x".into(), l.uri(Level::Password).into()])
            .ok()
            .flatten();
        assert_eq!(
            r,
            Some(Requirement {
                level: Level::Password,
                essential: false
            })
        );
        assert_eq!(l.requirement(None, &[]), Ok(None));
        assert!(l.supported().len() == 3);
        assert!(Level::Password < Level::Passkey);
    }

    #[test]
    fn amr_follows_rfc8176() {
        assert_eq!(passkey_amr(false, true), ["hwk", "user"]);
        assert_eq!(passkey_amr(true, false), ["swk"]);
    }
}

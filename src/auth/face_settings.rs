//! The face settings in force: `visage.toml`'s `[face]` overlaid by the
//! newest change made in the console or the admin API (`face_policy_changes`).
//! Read per face check, so every server sees a change at once.

use serde::{Deserialize, Serialize};

use crate::biometrics::challenge::Action;
use crate::config::FaceConfig;
use crate::db::{face_policy_changes as repo, DbConnection, DbError};

/// What administrators may change at run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceSettings {
    /// Cosine similarity for a match; None = the measured default of the models in use.
    pub match_threshold: Option<f32>,
    /// Passive liveness score for "live"; None = the liveness model's default.
    pub live_threshold: Option<f32>,
    pub require_for_enrolled: bool,
    /// Empty = unpredictable (centre, left/right in random order, blink).
    pub challenge_actions: Vec<Action>,
    pub max_failures: i64,
    pub failure_window_seconds: i64,
    pub lock_seconds: i64,
}

impl FaceSettings {
    pub fn of(cfg: &FaceConfig) -> FaceSettings {
        FaceSettings {
            match_threshold: cfg.match_threshold,
            live_threshold: cfg.live_threshold,
            require_for_enrolled: cfg.require_for_enrolled,
            challenge_actions: cfg.challenge_actions.clone(),
            max_failures: cfg.max_failures,
            failure_window_seconds: cfg.failure_window_seconds,
            lock_seconds: cfg.lock_seconds,
        }
    }

    pub fn apply(&self, cfg: &mut FaceConfig) {
        cfg.match_threshold = self.match_threshold;
        cfg.live_threshold = self.live_threshold;
        cfg.require_for_enrolled = self.require_for_enrolled;
        cfg.challenge_actions = self.challenge_actions.clone();
        cfg.max_failures = self.max_failures;
        cfg.failure_window_seconds = self.failure_window_seconds;
        cfg.lock_seconds = self.lock_seconds;
    }

    /// Refuse settings that would switch the check off or lock people out
    /// for good; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        let in_range = |v: Option<f32>, lo: f32, hi: f32| v.is_none_or(|t| (lo..=hi).contains(&t));
        if !in_range(self.match_threshold, 0.30, 0.90) {
            return Err(
                "match_threshold must be between 0.30 and 0.90 (or empty for the measured default)"
                    .into(),
            );
        }
        if !in_range(self.live_threshold, 0.05, 0.99) {
            return Err(
                "live_threshold must be between 0.05 and 0.99 (or empty for the model's default)"
                    .into(),
            );
        }
        if self.challenge_actions.len() > 6 {
            return Err("challenge_actions: at most 6 actions".into());
        }
        if !(1..=20).contains(&self.max_failures) {
            return Err("max_failures must be between 1 and 20".into());
        }
        let day = 86_400;
        if !(60..=day).contains(&self.failure_window_seconds) {
            return Err("failure_window_seconds must be between 60 and 86400".into());
        }
        if !(60..=day).contains(&self.lock_seconds) {
            return Err("lock_seconds must be between 60 and 86400".into());
        }
        Ok(())
    }
}

/// The settings of the newest change, or None when nobody changed them.
pub fn changed(conn: &mut DbConnection) -> Result<Option<FaceSettings>, DbError> {
    repo::latest(conn)?
        .map(|row| serde_json::from_str(&row.policy).map_err(|e| DbError::Corrupt(e.to_string())))
        .transpose()
}

/// `base` with the newest change applied.
pub fn in_force(conn: &mut DbConnection, base: &FaceConfig) -> Result<FaceConfig, DbError> {
    let mut cfg = base.clone();
    if let Some(s) = changed(conn)? {
        s.apply(&mut cfg);
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_a_config() {
        let mut cfg = FaceConfig::default();
        let mut s = FaceSettings::of(&cfg);
        assert!(s.check().is_ok());
        s.match_threshold = Some(0.5);
        s.challenge_actions = vec![Action::Center, Action::Blink];
        s.apply(&mut cfg);
        assert_eq!(FaceSettings::of(&cfg), s);
    }

    #[test]
    fn out_of_range_settings_are_refused_by_name() {
        let base = FaceSettings::of(&FaceConfig::default());
        let cases = [
            (
                FaceSettings {
                    match_threshold: Some(0.1),
                    ..base.clone()
                },
                "match_threshold",
            ),
            (
                FaceSettings {
                    live_threshold: Some(1.5),
                    ..base.clone()
                },
                "live_threshold",
            ),
            (
                FaceSettings {
                    max_failures: 0,
                    ..base.clone()
                },
                "max_failures",
            ),
            (
                FaceSettings {
                    lock_seconds: 10,
                    ..base.clone()
                },
                "lock_seconds",
            ),
            (
                FaceSettings {
                    failure_window_seconds: 999_999,
                    ..base.clone()
                },
                "failure_window_seconds",
            ),
        ];
        for (s, field) in cases {
            assert!(s.check().unwrap_err().starts_with(field), "{field}");
        }
    }
}

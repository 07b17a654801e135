//! The face policy as administrators change it (thresholds, challenge,
//! lockout), its history, and the error rates `visage face eval` measured
//! that the console shows beside it (docs/face.md "Accuracy"; dev pairs for
//! calibration, test pairs for reporting — never tuned on test).

use serde::{Deserialize, Serialize};

use crate::auth::face_settings::{self, FaceSettings};
use crate::config::FaceConfig;
use crate::db::face_policy_changes::{self as repo, FacePolicyChangeRow};
use crate::db::{DbConnection, DbError};

use super::roles::Actor;

#[derive(Debug, Serialize)]
pub struct Rate {
    pub set: &'static str,
    pub split: &'static str,
    pub pairs: &'static str,
    pub threshold: &'static str,
    pub fmr: &'static str,
    pub fnmr: &'static str,
}

pub const MEASURED: [Rate; 4] = [
    Rate {
        set: "shared (YuNet-320)",
        split: "dev",
        pairs: "108 / 838",
        threshold: "0.41",
        fmr: "0 / 838",
        fnmr: "0 / 108",
    },
    Rate {
        set: "shared (YuNet-320)",
        split: "test",
        pairs: "32 / 104",
        threshold: "0.41",
        fmr: "0 / 104",
        fnmr: "1 / 32 (3.1 %)",
    },
    Rate {
        set: "registry (RetinaFace)",
        split: "dev",
        pairs: "108 / 838",
        threshold: "0.47",
        fmr: "0 / 838",
        fnmr: "2 / 108 (1.9 %)",
    },
    Rate {
        set: "registry (RetinaFace)",
        split: "test",
        pairs: "32 / 104",
        threshold: "0.47",
        fmr: "0 / 104",
        fnmr: "3 / 32 (9.4 %)",
    },
];

/// A change as the admin API and the console send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyChange {
    /// The whole new policy (a missing threshold = the models' default).
    pub settings: FaceSettings,
    /// Why (kept in the history); 1 to 500 characters.
    pub reason: String,
}

/// One entry of the history.
#[derive(Debug, Serialize)]
pub struct PolicyVersion {
    pub at: i64,
    pub actor: String,
    pub reason: String,
    pub settings: FaceSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for PolicyError {
    fn from(e: diesel::result::Error) -> Self {
        PolicyError::Db(e.into())
    }
}

/// Put `change` in force for every server at once, with the actor and the
/// reason in the history and the audit log (the old and new settings).
pub fn change(
    conn: &mut DbConnection,
    base: &FaceConfig,
    actor: &Actor,
    change: PolicyChange,
    now: i64,
) -> Result<FaceSettings, PolicyError> {
    let reason = change.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(PolicyError::Invalid(
            "reason must be 1 to 500 characters".into(),
        ));
    }
    change.settings.check().map_err(PolicyError::Invalid)?;
    conn.write_transaction(|c| {
        let before = FaceSettings::of(&face_settings::in_force(c, base)?);
        let row = FacePolicyChangeRow {
            id: repo::next_id(c)?,
            at: now,
            actor: actor.label.clone(),
            reason: reason.clone(),
            policy: serde_json::to_string(&change.settings)
                .map_err(|e| DbError::Corrupt(e.to_string()))?,
        };
        repo::insert(c, &row)?;
        let ev = actor.event("face_policy.change").detail(serde_json::json!({
            "before": before, "after": change.settings, "reason": reason,
        }));
        crate::audit::record(c, &ev, now)?;
        Ok(change.settings)
    })
}

/// The newest `limit` changes, newest first.
pub fn history(conn: &mut DbConnection, limit: i64) -> Result<Vec<PolicyVersion>, DbError> {
    repo::history(conn, limit)?
        .into_iter()
        .map(|r| {
            Ok(PolicyVersion {
                settings: serde_json::from_str(&r.policy)
                    .map_err(|e| DbError::Corrupt(e.to_string()))?,
                at: r.at,
                actor: r.actor,
                reason: r.reason,
            })
        })
        .collect()
}

/// The policy in force, where it comes from, the models' own thresholds,
/// the measured rates and the history: what the API and the console show.
#[derive(Debug, Serialize)]
pub struct PolicyView {
    pub settings: FaceSettings,
    /// `visage.toml` until somebody changes it, then `changed`.
    pub source: &'static str,
    /// The thresholds the loaded models use when the policy leaves them
    /// empty (None when the face engine is not loaded on this server).
    pub model_match_threshold: Option<f32>,
    pub model_live_threshold: Option<f32>,
    pub measured: &'static [Rate],
    pub history: Vec<PolicyVersion>,
}

pub fn view(
    conn: &mut DbConnection,
    base: &FaceConfig,
    engine: Option<&crate::biometrics::FaceEngine>,
) -> Result<PolicyView, DbError> {
    // The newest entry of the history is the change in force.
    let history = history(conn, 50)?;
    let changed = history.first().map(|v| v.settings.clone());
    Ok(PolicyView {
        source: if changed.is_some() {
            "changed"
        } else {
            "visage.toml"
        },
        settings: changed.unwrap_or_else(|| FaceSettings::of(base)),
        model_match_threshold: engine.map(|e| e.match_threshold),
        model_live_threshold: engine.map(|e| e.live_threshold),
        measured: &MEASURED,
        history,
    })
}

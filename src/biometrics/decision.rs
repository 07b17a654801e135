//! The liveness decision: passive PAD and the active challenge must both
//! pass; both scores are kept for the audit log.

use serde::Serialize;

use super::challenge::ChallengeResult;

#[derive(Debug, Clone, Serialize)]
pub struct LivenessDecision {
    pub live: bool,
    /// Lowest passive score over the analysed frames.
    pub passive_score: f32,
    pub passive_threshold: f32,
    pub active_passed: bool,
    pub blink_observed: Option<bool>,
    /// Lowest similarity of the checked frames to the answer's frontal
    /// face (one person throughout).
    pub same_person: Option<f32>,
    pub same_person_threshold: Option<f32>,
    /// How well the face's colour followed the screen-light sequence.
    pub screen_light: Option<f32>,
    /// The background's share of the screen's light (the face's is 1).
    pub screen_light_spill: Option<f32>,
    /// Least share of background pixels changed between consecutive
    /// frames (`sensor_noise`).
    pub background_changed: Option<f32>,
    /// Least share of the background's flattest part changed by a level
    /// or more between consecutive frames (`sensor_noise::flat_changed`).
    pub background_flat_changed: Option<f32>,
    /// Least share of background pixels still differing once the whole
    /// picture's shift between two frames is undone, over the pairs that
    /// moved (`moved_copy`); None where none did.
    pub background_after_motion: Option<f32>,
    /// Most the room behind the face turned in the picture's plane from
    /// the frontal frame, in degrees (`room_tilt`).
    pub room_turned: Option<f32>,
    /// Most the room behind the face changed shape from the frontal frame
    /// to a turned one, as a share of the limit (`room_swing`; above 1 the
    /// picture was swung); None where too little room could be followed.
    pub room_reshaped: Option<f32>,
    pub reason: Option<String>,
}

impl LivenessDecision {
    /// Fail the decision for `reason` (the first reason found is kept).
    pub fn refuse(&mut self, reason: &str) {
        if self.live || self.reason.is_none() {
            self.reason = Some(reason.to_owned());
        }
        self.live = false;
    }
}

pub fn decide(
    passive_scores: &[f32],
    passive_threshold: f32,
    active: &ChallengeResult,
) -> LivenessDecision {
    let passive_score = passive_scores.iter().cloned().fold(f32::INFINITY, f32::min);
    let passive_ok = !passive_scores.is_empty() && passive_score >= passive_threshold;
    let reason = match (passive_ok, active.passed) {
        (true, true) => None,
        (false, _) => Some("the camera image does not look like a live person".to_owned()),
        (true, false) => active
            .reason
            .clone()
            .or_else(|| Some("the requested movement was not seen".to_owned())),
    };
    LivenessDecision {
        live: passive_ok && active.passed,
        passive_score: if passive_scores.is_empty() {
            0.0
        } else {
            passive_score
        },
        passive_threshold,
        active_passed: active.passed,
        blink_observed: active.blink,
        same_person: None,
        same_person_threshold: None,
        screen_light: None,
        screen_light_spill: None,
        background_changed: None,
        background_flat_changed: None,
        background_after_motion: None,
        room_turned: None,
        room_reshaped: None,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(passed: bool) -> ChallengeResult {
        ChallengeResult {
            passed,
            yaw_track: vec![],
            blink: None,
            reason: (!passed).then(|| "x".into()),
        }
    }

    #[test]
    fn both_signals_are_required() {
        assert!(decide(&[0.9, 0.8], 0.65, &active(true)).live);
        let d = decide(&[0.9, 0.2], 0.65, &active(true));
        assert!(!d.live && (d.passive_score - 0.2).abs() < 1e-6);
        assert!(!decide(&[0.9], 0.65, &active(false)).live);
        assert!(!decide(&[], 0.65, &active(true)).live);
    }
}

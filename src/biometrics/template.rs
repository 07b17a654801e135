//! Face templates: enrolment from several frames (quality-weighted mean),
//! sealed with AES-256-GCM bound to user, template and model ids, and the
//! optional refresh after a confident match (`refreshed`: a small step
//! towards the new face, never far from the one enrolled).

use serde::{Deserialize, Serialize};

use super::challenge::Action;
use super::embed::{cosine, normalize, DIM};
use super::engine::Analysis;
use super::BiometricError;
use crate::crypto::MasterKey;

/// Versioned so the stored format can evolve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StoredTemplate {
    V1 {
        embedding: Vec<f32>,
        frames: usize,
        quality: f32,
    },
    /// With the enrolled embedding kept beside the (refreshed) one.
    V2 {
        embedding: Vec<f32>,
        enrolled: Vec<f32>,
        refreshes: u32,
        frames: usize,
        quality: f32,
    },
    /// With the enrolment's turned views: [`Template`] as it serialises (a
    /// change to its fields is a new version, not a change to this one).
    V3(Template),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Template {
    /// What checks are compared with.
    pub embedding: Vec<f32>,
    /// As enrolled: the anchor a refresh may not drift far from.
    pub enrolled: Vec<f32>,
    /// Refreshes since enrolment.
    pub refreshes: u32,
    pub frames: usize,
    pub quality: f32,
    /// The face turned left and right at enrolment (the mean of each
    /// turn's witness frames, as captured); none in templates enrolled
    /// before they were kept.
    pub left: Option<Vec<f32>>,
    pub right: Option<Vec<f32>>,
}

impl Template {
    /// The view a check's `action` is compared with: the enrolled turn of
    /// that side where there is one, else the frontal embedding.
    pub fn view(&self, action: Action) -> &[f32] {
        let turned = match action {
            Action::TurnLeft => self.left.as_deref(),
            Action::TurnRight => self.right.as_deref(),
            Action::Center | Action::Blink => None,
        };
        turned
            .filter(|v| v.len() == self.embedding.len())
            .unwrap_or(&self.embedding)
    }

    /// The lowest similarity of a check's actions (each one's mean
    /// embedding, `answer::Evidence::turns`) to the template's view of the
    /// same pose; None for a check without turns or blinks.
    pub fn turns_similarity(&self, turns: &[(Action, Vec<f32>)]) -> Option<f32> {
        turns
            .iter()
            .map(|(a, e)| cosine(self.view(*a), e))
            .reduce(f32::min)
    }
}

/// A refresh needs a match this far above the match threshold.
pub const REFRESH_MARGIN: f32 = 0.15;
/// Each refresh moves the template this share of the way to the check's face.
pub const REFRESH_STEP: f32 = 0.1;
/// A refreshed template stays at least this similar to the enrolled one
/// (cosine; about 26°): however many confident matches an impostor (or a
/// slowly changed look) gets, the template cannot be walked to another face.
pub const DRIFT_CAP: f32 = 0.9;

/// The template after a confident match of `probe` (similarity `score`,
/// match threshold `threshold`): a step of `REFRESH_STEP` towards it, so a
/// face that changes slowly (age, beard, glasses) keeps matching. None when
/// the match was not confident enough or the step would leave `DRIFT_CAP`.
pub fn refreshed(t: &Template, probe: &[f32], score: f32, threshold: f32) -> Option<Template> {
    if score < threshold + REFRESH_MARGIN || probe.len() != t.embedding.len() {
        return None;
    }
    let moved = normalize(
        t.embedding
            .iter()
            .zip(probe)
            .map(|(e, p)| (1.0 - REFRESH_STEP) * e + REFRESH_STEP * p)
            .collect(),
    );
    if cosine(&moved, &t.enrolled) < DRIFT_CAP {
        return None;
    }
    Some(Template {
        embedding: moved,
        refreshes: t.refreshes + 1,
        ..t.clone()
    })
}

fn weight(a: &Analysis) -> f32 {
    // Sharper, larger, more frontal faces count more.
    let q = &a.quality;
    (q.sharpness.min(400.0) / 400.0 + (q.face_px.min(300.0) / 300.0)) * (1.0 - q.yaw.abs().min(0.9))
}

/// Average the embeddings of good frames; refuses if fewer than
/// `min_frames` pass quality. `turns` (the answer's mean embedding of each
/// action) gives the turned views.
pub fn enrol(
    frames: &[Analysis],
    min_frames: usize,
    turns: &[(Action, Vec<f32>)],
) -> Result<Template, BiometricError> {
    let turned = |side: Action| {
        turns
            .iter()
            .find(|(a, e)| *a == side && e.len() == DIM)
            .map(|(_, e)| e.clone())
    };
    let good: Vec<&Analysis> = frames.iter().filter(|a| a.quality.ok()).collect();
    if good.len() < min_frames {
        return Err(BiometricError::Template(format!(
            "{} good frames, {min_frames} needed",
            good.len()
        )));
    }
    let (embedding, total) = weighted_mean(&good);
    Ok(Template {
        enrolled: embedding.clone(),
        embedding,
        refreshes: 0,
        frames: good.len(),
        quality: total / good.len() as f32,
        left: turned(Action::TurnLeft),
        right: turned(Action::TurnRight),
    })
}

/// The embedding a check compares with the template: the quality-weighted
/// mean of every analysed frame, like the template itself. One comparison,
/// not the best of several: a best-of-N gives a look-alike N tries (its
/// false-match rate grows with N), where the mean averages out each frame's
/// noise.
pub fn probe(frames: &[Analysis]) -> Vec<f32> {
    weighted_mean(&frames.iter().collect::<Vec<_>>()).0
}

fn weighted_mean(frames: &[&Analysis]) -> (Vec<f32>, f32) {
    let mut acc = vec![0.0f32; DIM];
    let mut total = 0.0;
    for a in frames {
        let w = weight(a).max(0.05);
        total += w;
        acc.iter_mut()
            .zip(&a.embedding)
            .for_each(|(s, e)| *s += w * e);
    }
    (normalize(acc), total)
}

pub(crate) fn aad(user_id: &crate::ids::UserId, template_id: &str, model_id: &str) -> String {
    format!("face_templates/{user_id}/{template_id}/{model_id}")
}

pub fn seal(
    mk: &MasterKey,
    user_id: &crate::ids::UserId,
    template_id: &str,
    model_id: &str,
    t: &Template,
) -> Result<Vec<u8>, BiometricError> {
    let stored = StoredTemplate::V3(t.clone());
    let bytes = serde_json::to_vec(&stored).map_err(|e| BiometricError::Template(e.to_string()))?;
    mk.seal(&aad(user_id, template_id, model_id), &bytes)
        .map_err(|e| BiometricError::Template(e.to_string()))
}

/// Open a sealed template; a different model id fails (re-enrolment needed).
pub fn open(
    mk: &MasterKey,
    user_id: &crate::ids::UserId,
    template_id: &str,
    model_id: &str,
    sealed: &[u8],
) -> Result<Template, BiometricError> {
    let bytes = mk
        .open(&aad(user_id, template_id, model_id), sealed)
        .map_err(|_| {
            BiometricError::Template(
                "template cannot be opened (other user, model or key); re-enrol".into(),
            )
        })?;
    match serde_json::from_slice(&bytes).map_err(|e| BiometricError::Template(e.to_string()))? {
        StoredTemplate::V1 {
            embedding,
            frames,
            quality,
        } => Ok(Template {
            enrolled: embedding.clone(),
            embedding,
            refreshes: 0,
            frames,
            quality,
            left: None,
            right: None,
        }),
        StoredTemplate::V2 {
            embedding,
            enrolled,
            refreshes,
            frames,
            quality,
        } => Ok(Template {
            embedding,
            enrolled,
            refreshes,
            frames,
            quality,
            left: None,
            right: None,
        }),
        StoredTemplate::V3(t) => Ok(t),
    }
}

pub fn similarity(t: &Template, probe: &[f32]) -> f32 {
    cosine(&t.embedding, probe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::detect::Face;
    use crate::biometrics::quality::Quality;
    use crate::biometrics::Point;

    fn frame(embedding: Vec<f32>) -> Analysis {
        let face = Face {
            bbox: [0.0, 0.0, 200.0, 200.0],
            landmarks: [Point { x: 0.0, y: 0.0 }; 5],
            score: 0.9,
        };
        Analysis {
            faces: vec![face.clone()],
            face,
            quality: Quality {
                face_px: 200.0,
                sharpness: 100.0,
                brightness: 120.0,
                yaw: 0.0,
                pitch: 0.5,
                failures: Vec::new(),
            },
            embedding: normalize(embedding),
            live_score: Some(0.9),
        }
    }

    fn axis(i: usize, j: usize, c: f32) -> Vec<f32> {
        let mut v = vec![0.0; DIM];
        v[i] = c;
        v[j] = (1.0 - c * c).sqrt();
        v
    }

    #[test]
    fn one_look_alike_frame_does_not_decide_a_check() {
        let t = enrol(&[frame(axis(0, 1, 1.0))], 1, &[]).unwrap();
        // One frame close to the template (0.55), two of someone else (0.05).
        let frames = [
            frame(axis(0, 2, 0.55)),
            frame(axis(0, 3, 0.05)),
            frame(axis(0, 4, 0.05)),
        ];
        let best = frames
            .iter()
            .map(|a| similarity(&t, &a.embedding))
            .fold(f32::MIN, f32::max);
        assert!(best > 0.54, "best of three would take the look-alike");
        let fused = similarity(&t, &probe(&frames));
        assert!(fused < 0.41, "the mean is not a match: {fused}");
        // The same person in every frame keeps a high score.
        let genuine = [frame(axis(0, 2, 0.7)), frame(axis(0, 3, 0.7))];
        assert!(similarity(&t, &probe(&genuine)) > 0.7);
    }

    #[test]
    fn a_confident_match_moves_the_template_a_step_towards_the_face() {
        let t = enrol(&[frame(axis(0, 1, 1.0))], 1, &[]).unwrap();
        let face = normalize(axis(0, 2, 0.8));
        let score = similarity(&t, &face);
        // Just above the threshold: a match, not a confident one.
        assert!(refreshed(&t, &face, 0.41 + REFRESH_MARGIN - 0.01, 0.41).is_none());
        let r = refreshed(&t, &face, score, 0.41).expect("0.8 is confident at 0.41");
        assert_eq!(r.refreshes, 1);
        assert!(similarity(&r, &face) > score, "closer to the new face");
        assert_eq!(r.enrolled, t.enrolled, "the anchor stays");
    }

    #[test]
    fn confident_matches_cannot_walk_the_template_to_another_face() {
        // Each check shows a face a little further from the enrolled one,
        // always a confident match for the template of the moment: the
        // walk of an impostor (or a slow morph) stops at the drift cap.
        let mut t = enrol(&[frame(axis(0, 1, 1.0))], 1, &[]).unwrap();
        let mut moved = 0;
        for _ in 0..500 {
            // 0.7 of the current template, 0.3 towards axis 2.
            let face = normalize(
                t.embedding
                    .iter()
                    .enumerate()
                    .map(|(i, e)| 0.7 * e + if i == 2 { 0.3 } else { 0.0 })
                    .collect(),
            );
            let score = similarity(&t, &face);
            assert!(score >= 0.41 + REFRESH_MARGIN);
            match refreshed(&t, &face, score, 0.41) {
                Some(next) => {
                    t = next;
                    moved += 1;
                }
                None => break,
            }
        }
        assert!(moved > 1, "a few steps are taken: {moved}");
        assert!(moved < 500, "then the cap stops them");
        assert!(cosine(&t.embedding, &t.enrolled) >= DRIFT_CAP);
    }

    #[test]
    fn a_template_stored_before_refreshes_existed_opens() {
        let mk = crate::crypto::MasterKey::from_bytes(&[3u8; 32]);
        let uid = crate::ids::UserId::from("u1");
        let v1 = StoredTemplate::V1 {
            embedding: normalize(axis(0, 1, 1.0)),
            frames: 3,
            quality: 1.0,
        };
        let sealed = mk
            .seal(&aad(&uid, "t1", "m1"), &serde_json::to_vec(&v1).unwrap())
            .unwrap();
        let t = open(&mk, &uid, "t1", "m1", &sealed).unwrap();
        assert_eq!((t.refreshes, t.frames), (0, 3));
        assert_eq!(t.enrolled, t.embedding);
        // Sealed again it is a V3 that opens the same.
        let again = open(
            &mk,
            &uid,
            "t1",
            "m1",
            &seal(&mk, &uid, "t1", "m1", &t).unwrap(),
        )
        .unwrap();
        assert_eq!(again.embedding, t.embedding);
        assert!(again.left.is_none() && again.right.is_none());
    }

    #[test]
    fn each_turn_of_a_check_is_held_to_the_enrolled_view_of_that_side() {
        let left = normalize(axis(0, 2, 0.6));
        let right = normalize(axis(0, 3, 0.6));
        let turns = [
            (Action::TurnLeft, left.clone()),
            (Action::TurnRight, right.clone()),
        ];
        let t = enrol(&[frame(axis(0, 1, 1.0))], 1, &turns).unwrap();
        // Kept through sealing.
        let mk = crate::crypto::MasterKey::from_bytes(&[3u8; 32]);
        let uid = crate::ids::UserId::from("u1");
        let t = open(&mk, &uid, "t", "m", &seal(&mk, &uid, "t", "m", &t).unwrap()).unwrap();
        assert_eq!(t.view(Action::TurnLeft), left.as_slice());
        assert_eq!(t.view(Action::TurnRight), right.as_slice());
        assert_eq!(t.view(Action::Blink), t.embedding.as_slice());
        // The same turns again: each matches its own side.
        let same = t.turns_similarity(&turns).unwrap();
        assert!(same > 0.99, "{same}");
        // Someone else's turn: the lowest decides.
        let other = [
            (Action::TurnLeft, left),
            (Action::TurnRight, normalize(axis(4, 5, 0.9))),
        ];
        let low = t.turns_similarity(&other).unwrap();
        assert!(low < 0.1, "{low}");
        assert!(t.turns_similarity(&[]).is_none());
        // A template without turned views holds turns to its frontal face.
        let old = enrol(&[frame(axis(0, 1, 1.0))], 1, &[]).unwrap();
        assert_eq!(old.view(Action::TurnLeft), old.embedding.as_slice());
    }
}

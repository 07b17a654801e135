//! Face templates: enrolment from several frames (quality-weighted mean),
//! sealed with AES-256-GCM bound to user, template and model ids.

use serde::{Deserialize, Serialize};

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
}

#[derive(Debug, Clone)]
pub struct Template {
    pub embedding: Vec<f32>,
    pub frames: usize,
    pub quality: f32,
}

fn weight(a: &Analysis) -> f32 {
    // Sharper, larger, more frontal faces count more.
    let q = &a.quality;
    (q.sharpness.min(400.0) / 400.0 + (q.face_px.min(300.0) / 300.0)) * (1.0 - q.yaw.abs().min(0.9))
}

/// Average the embeddings of good frames; refuses if fewer than `min_frames` pass quality.
pub fn enrol(frames: &[Analysis], min_frames: usize) -> Result<Template, BiometricError> {
    let good: Vec<&Analysis> = frames.iter().filter(|a| a.quality.ok()).collect();
    if good.len() < min_frames {
        return Err(BiometricError::Template(format!(
            "{} good frames, {min_frames} needed",
            good.len()
        )));
    }
    let (embedding, total) = weighted_mean(&good);
    Ok(Template {
        embedding,
        frames: good.len(),
        quality: total / good.len() as f32,
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
    let stored = StoredTemplate::V1 {
        embedding: t.embedding.clone(),
        frames: t.frames,
        quality: t.quality,
    };
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
            embedding,
            frames,
            quality,
        }),
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
        let t = enrol(&[frame(axis(0, 1, 1.0))], 1).unwrap();
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
}

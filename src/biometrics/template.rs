//! Face templates: enrolment from several frames (quality-weighted mean),
//! sealed with AES-256-GCM bound to user, template and model ids.

use serde::{Deserialize, Serialize};

use super::embed::{cosine, normalize, DIM};
use super::engine::Analysis;
use super::BiometricError;
use crate::crypto;

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
    let mut acc = vec![0.0f32; DIM];
    let mut total = 0.0;
    for a in &good {
        let w = weight(a).max(0.05);
        total += w;
        acc.iter_mut()
            .zip(&a.embedding)
            .for_each(|(s, e)| *s += w * e);
    }
    Ok(Template {
        embedding: normalize(acc),
        frames: good.len(),
        quality: total / good.len() as f32,
    })
}

fn aad(user_id: &str, template_id: &str, model_id: &str) -> String {
    format!("face_templates/{user_id}/{template_id}/{model_id}")
}

pub fn seal(
    key: &[u8; 32],
    user_id: &str,
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
    crypto::seal(key, &aad(user_id, template_id, model_id), &bytes)
        .map_err(|e| BiometricError::Template(e.to_string()))
}

/// Open a sealed template; a different model id fails (re-enrolment needed).
pub fn open(
    key: &[u8; 32],
    user_id: &str,
    template_id: &str,
    model_id: &str,
    sealed: &[u8],
) -> Result<Template, BiometricError> {
    let bytes = crypto::open(key, &aad(user_id, template_id, model_id), sealed).map_err(|_| {
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

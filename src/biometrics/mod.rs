//! Face engine: model manifest, ONNX Runtime sessions, detect → align →
//! embed, quality gates, passive PAD, active challenge, matching, templates.
//! Raw frames stay in memory: nothing here writes an image anywhere.

pub mod align;
pub mod answer;
pub mod attack;
pub mod challenge;
pub mod decision;
pub mod detect;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod forgery;
pub mod image_in;
pub mod jobs;
pub mod landmarks;
pub mod manifest;
pub mod moved_copy;
pub mod pace;
pub mod pad;
pub mod quality;
pub mod recapture;
pub mod resample;
pub mod room_swing;
pub mod room_tilt;
pub mod runtime;
pub mod screen_light;
pub mod sensor_noise;
pub mod stress;
pub mod template;

pub use engine::{Analysis, EngineConfig, FaceEngine};

#[derive(Debug, thiserror::Error)]
pub enum BiometricError {
    #[error("the image could not be decoded: {0}")]
    Decode(String),
    #[error("the image is too large: {0}")]
    TooLarge(String),
    #[error("no face was found")]
    NoFace,
    #[error("{0} faces were found; exactly one is required")]
    SeveralFaces(usize),
    #[error("face quality too low: {0}")]
    Quality(String),
    #[error("model setup: {0}")]
    Model(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("the challenge response is invalid: {0}")]
    Challenge(String),
    #[error("template: {0}")]
    Template(String),
}

impl BiometricError {
    /// A fixed name for metrics (the message may carry details).
    pub fn kind(&self) -> &'static str {
        match self {
            BiometricError::Decode(_) => "decode",
            BiometricError::TooLarge(_) => "too_large",
            BiometricError::NoFace => "no_face",
            BiometricError::SeveralFaces(_) => "several_faces",
            BiometricError::Quality(_) => "quality",
            BiometricError::Model(_) => "model",
            BiometricError::Inference(_) => "inference",
            BiometricError::Challenge(_) => "challenge",
            BiometricError::Template(_) => "template",
        }
    }
}

impl From<ort::Error> for BiometricError {
    fn from(e: ort::Error) -> Self {
        BiometricError::Inference(e.to_string())
    }
}

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

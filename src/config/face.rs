//! Configuration of the face step: models, challenge policy, attempt limits.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::biometrics::challenge::Action;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaceConfig {
    /// Load the face engine at start (the face step is offered only when it loads).
    pub enabled: bool,
    /// Folder with manifest.toml and the model files.
    pub models_dir: PathBuf,
    /// Cosine similarity at or above which two faces match; unset = the
    /// threshold measured for the models in use (docs/face.md "Accuracy").
    pub match_threshold: Option<f32>,
    /// ONNX Runtime graph optimization for every model: `auto` (each model
    /// timed at start-up under the three levels, the fastest kept and
    /// logged), `basic`, `extended` or `all`.
    pub graph_level: crate::biometrics::runtime::GraphLevel,
    /// Cosine at or above which a turned frame of one face check shows the
    /// person of its frontal frames; unset = the models' measured default.
    pub same_person_threshold: Option<f32>,
    /// Passive liveness score at or above which a face counts as live;
    /// unset = the liveness model's default.
    pub live_threshold: Option<f32>,
    /// People with a face template are asked for it after the passkey.
    pub require_for_enrolled: bool,
    /// The action sequence; empty = unpredictable (centre, then left and
    /// right in random order, then a blink).
    pub challenge_actions: Vec<Action>,
    /// A challenge must be answered within this time.
    pub challenge_ttl_seconds: i64,
    /// Frames the page captures per challenge, and the gap between them.
    pub frames: usize,
    pub frame_interval_ms: u64,
    /// During the blink instruction the page captures a faster burst instead
    /// (a blink closes the eyes for only 100–300 ms).
    pub blink_frames: usize,
    pub blink_interval_ms: u64,
    /// Screen-light challenge: the page shows a random colour sequence
    /// around the camera view while it captures, and the face's colour must
    /// follow it (frames recorded for another answer do not). Off only for a
    /// camera that cannot see the screen's light, such as a test's fake one.
    pub screen_light: bool,
    /// The most light of the screen the background may get, as a share of
    /// what the face gets (`biometrics::screen_light::MAX_SPILL`): a print or
    /// a screen held to the camera is lit as evenly as what is behind it.
    pub screen_light_max_spill: f32,
    /// How far past its built-in limits the room behind the face may
    /// change shape between the frontal frame and a turned one, as a share
    /// of them (`biometrics::room_swing`; 1 = the limits, 0.5–100): a
    /// photo swung in perspective squeezes its room across.
    pub room_shape_max: f32,
    /// Frames fully analysed (embedding + passive liveness) per challenge; the
    /// others only get detection (and eye landmarks for a blink).
    pub analysed_frames: usize,
    /// Failed face checks per person within the window before the face
    /// factor is locked for `lock_seconds`.
    pub max_failures: i64,
    pub failure_window_seconds: i64,
    pub lock_seconds: i64,
    /// Face checks and enrolments started from one address in 10 minutes
    /// (default [`STARTS_PER_ADDRESS`]); people behind one address (an
    /// office's proxy, a load test) need more.
    pub starts_per_address: i64,
    /// Version of the consent text shown (recorded with each consent).
    pub consent_version: String,
    /// Largest accepted side of an uploaded frame, in pixels, read from the
    /// image header before anything is decoded.
    pub max_image_side: u32,
    /// A template unused this many days is erased (the person is mailed
    /// `TEMPLATE_EXPIRY_NOTICE_DAYS` before); 0: never.
    pub template_max_idle_days: i64,
    /// After a confident match (`template::REFRESH_MARGIN` above the match
    /// threshold) the template moves a small step towards the face just
    /// seen, never far from the enrolled one (`template::DRIFT_CAP`).
    pub template_refresh: bool,
}

/// Face checks and enrolments one address may start in 10 minutes, unless
/// configured (`face.starts_per_address`).
pub const STARTS_PER_ADDRESS: i64 = 60;

/// How many days before an idle face template is erased the person is told.
pub const TEMPLATE_EXPIRY_NOTICE_DAYS: i64 = 14;

impl Default for FaceConfig {
    fn default() -> Self {
        FaceConfig {
            enabled: true,
            models_dir: PathBuf::from("models"),
            match_threshold: None,
            same_person_threshold: None,
            graph_level: crate::biometrics::runtime::GraphLevel::Auto,
            live_threshold: None,
            require_for_enrolled: true,
            challenge_actions: vec![],
            challenge_ttl_seconds: 150,
            frames: 8,
            frame_interval_ms: 300,
            blink_frames: 6,
            blink_interval_ms: 100,
            screen_light: true,
            screen_light_max_spill: crate::biometrics::screen_light::MAX_SPILL,
            room_shape_max: 1.0,
            analysed_frames: 2,
            max_failures: 3,
            starts_per_address: STARTS_PER_ADDRESS,
            failure_window_seconds: 1800,
            lock_seconds: 1800,
            consent_version: "2026-11-23".into(),
            template_max_idle_days: 365,
            template_refresh: false,
            max_image_side: 1920,
        }
    }
}

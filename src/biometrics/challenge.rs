//! Active liveness: a random, single-use, expiring challenge (a head-turn
//! sequence) and the check of a timed frame sequence against it.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::detect::Face;
use super::quality::pose;
use super::BiometricError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Turn so the nose moves towards the image's left / right.
    TurnLeft,
    TurnRight,
    /// Look straight at the camera.
    Center,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Challenge {
    pub nonce: String,
    pub actions: Vec<Action>,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// Yaw (nose offset / eye distance) beyond which a head counts as turned.
pub const TURN_YAW: f32 = 0.12;
/// Minimum and maximum span of the answer, in milliseconds.
pub const MIN_SPAN_MS: i64 = 600;
pub const MAX_SPAN_MS: i64 = 20_000;

/// A random sequence: centre, then both turns in random order, then centre.
pub fn issue(now: i64, ttl: i64) -> Challenge {
    let mut turns = vec![Action::TurnLeft, Action::TurnRight];
    turns.shuffle(&mut rand::thread_rng());
    let mut actions = vec![Action::Center];
    actions.extend(turns);
    Challenge {
        nonce: crate::crypto::random_token(16),
        actions,
        issued_at: now,
        expires_at: now + ttl,
    }
}

/// One analysed frame of the answer.
#[derive(Debug, Clone)]
pub struct Frame {
    pub nonce: String,
    pub timestamp_ms: i64,
    pub face: Face,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChallengeResult {
    pub passed: bool,
    pub yaw_track: Vec<f32>,
    pub reason: Option<String>,
}

fn classify(yaw: f32) -> Action {
    if yaw <= -TURN_YAW {
        Action::TurnLeft
    } else if yaw >= TURN_YAW {
        Action::TurnRight
    } else {
        Action::Center
    }
}

/// Check frames against the challenge. `used` is true if this nonce was
/// already answered (the caller keeps that state, single use).
pub fn verify(
    ch: &Challenge,
    frames: &[Frame],
    used: bool,
    now: i64,
) -> Result<ChallengeResult, BiometricError> {
    let fail = |m: &str| Err(BiometricError::Challenge(m.to_owned()));
    if used {
        return fail("this challenge was already answered");
    }
    if now > ch.expires_at {
        return fail("the challenge has expired");
    }
    if frames.len() < ch.actions.len() {
        return fail("too few frames for the challenge");
    }
    if frames.iter().any(|f| f.nonce != ch.nonce) {
        return fail("frames belong to another challenge");
    }
    if frames
        .windows(2)
        .any(|w| w[1].timestamp_ms <= w[0].timestamp_ms)
    {
        return fail("frame timestamps are out of order");
    }
    let span = frames.last().map(|f| f.timestamp_ms).unwrap_or(0)
        - frames.first().map(|f| f.timestamp_ms).unwrap_or(0);
    if span < MIN_SPAN_MS {
        return fail("the sequence is too short");
    }
    if span > MAX_SPAN_MS {
        return fail("the sequence is too slow");
    }
    let yaw_track: Vec<f32> = frames.iter().map(|f| pose(&f.face).0).collect();
    // The observed sequence of distinct poses must contain the actions in order.
    let mut want = ch.actions.iter().peekable();
    for y in &yaw_track {
        if want.peek().is_some_and(|a| **a == classify(*y)) {
            want.next();
        }
    }
    let passed = want.peek().is_none();
    let reason =
        (!passed).then(|| "the head movement did not follow the requested sequence".to_owned());
    Ok(ChallengeResult {
        passed,
        yaw_track,
        reason,
    })
}

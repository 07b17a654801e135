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
    /// Close and open the eyes.
    Blink,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::TurnLeft,
        Action::TurnRight,
        Action::Center,
        Action::Blink,
    ];

    /// The name used in JSON, configuration and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::TurnLeft => "turn_left",
            Action::TurnRight => "turn_right",
            Action::Center => "center",
            Action::Blink => "blink",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Challenge {
    pub nonce: String,
    pub actions: Vec<Action>,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The capture plan: one step per frame the page sends (empty: any
    /// number of frames, as challenges issued before plans existed).
    #[serde(default)]
    pub steps: Vec<Step>,
    /// When the step now asked for was revealed (server time, ms).
    #[serde(default)]
    pub revealed_at_ms: i64,
    /// The frames committed so far, one per step (`biometrics::pace`).
    #[serde(default)]
    pub commits: Vec<super::pace::Commit>,
}

/// One frame to capture: the instruction in force and the colour the page
/// shows around the camera view (None: no colour, as during a blink burst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: Action,
    pub colour: Option<Colour>,
    /// How long the page waits after revealing the step before it captures.
    #[serde(default)]
    pub wait_ms: i64,
}

/// The colours of the screen-light challenge: the six corners of the RGB
/// cube that are neither black nor white.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Red,
    Green,
    Blue,
    Yellow,
    Magenta,
    Cyan,
}

impl Colour {
    pub const ALL: [Colour; 6] = [
        Colour::Red,
        Colour::Green,
        Colour::Blue,
        Colour::Yellow,
        Colour::Magenta,
        Colour::Cyan,
    ];

    /// The light it adds, per channel (0 or 1).
    pub fn rgb(self) -> [f32; 3] {
        match self {
            Colour::Red => [1.0, 0.0, 0.0],
            Colour::Green => [0.0, 1.0, 0.0],
            Colour::Blue => [0.0, 0.0, 1.0],
            Colour::Yellow => [1.0, 1.0, 0.0],
            Colour::Magenta => [1.0, 0.0, 1.0],
            Colour::Cyan => [0.0, 1.0, 1.0],
        }
    }

    /// CSS colour for the page.
    pub fn css(self) -> &'static str {
        match self {
            Colour::Red => "#ff0000",
            Colour::Green => "#00ff00",
            Colour::Blue => "#0000ff",
            Colour::Yellow => "#ffff00",
            Colour::Magenta => "#ff00ff",
            Colour::Cyan => "#00ffff",
        }
    }
}

/// How many frames the page captures.
#[derive(Debug, Clone, Copy)]
pub struct Capture {
    /// Frames over the non-blink actions, shared out evenly.
    pub frames: usize,
    /// The fast burst for a blink.
    pub blink_frames: usize,
    /// Give every non-blink frame a random colour (screen-light challenge).
    pub screen_light: bool,
    /// The page's wait before each frame, and before each frame of a blink burst.
    pub frame_interval_ms: u64,
    pub blink_interval_ms: u64,
}

/// A random colour sequence: no colour twice in a row, at least three
/// different colours (so no two-colour flicker can stand in for it).
pub fn colours(n: usize) -> Vec<Colour> {
    colours_from(&mut rand::thread_rng(), n)
}

/// [`colours`] drawn from `rng` (a seeded one in tests).
pub fn colours_from(rng: &mut impl rand::Rng, n: usize) -> Vec<Colour> {
    loop {
        let mut out: Vec<Colour> = Vec::with_capacity(n);
        while out.len() < n {
            let c = *Colour::ALL.choose(rng).unwrap_or(&Colour::Red);
            if out.last() != Some(&c) {
                out.push(c);
            }
        }
        let mut distinct = out.clone();
        distinct.sort_by_key(|c| *c as u8);
        distinct.dedup();
        if distinct.len() >= 3.min(n) {
            return out;
        }
    }
}

impl Default for Capture {
    /// The configuration's defaults (`face.frames` … `face.blink_interval_ms`).
    fn default() -> Capture {
        Capture {
            frames: 8,
            blink_frames: 6,
            screen_light: true,
            frame_interval_ms: 300,
            blink_interval_ms: 100,
        }
    }
}

impl Capture {
    /// Frames a plan for `actions` asks for.
    pub fn len(&self, actions: &[Action]) -> usize {
        actions.iter().map(|a| self.frames_for(*a, actions)).sum()
    }

    /// Frames for one action of `actions`: the blink burst, or an equal
    /// share of `frames` among the non-blink actions.
    fn frames_for(&self, action: Action, actions: &[Action]) -> usize {
        if action == Action::Blink {
            return self.blink_frames;
        }
        let moves = actions.iter().filter(|a| **a != Action::Blink).count();
        self.frames.div_ceil(moves.max(1)).max(1)
    }
}

/// The actions of an unpredictable challenge (order aside).
pub const DEFAULT_ACTIONS: [Action; 4] = [
    Action::Center,
    Action::TurnLeft,
    Action::TurnRight,
    Action::Blink,
];

impl Challenge {
    /// Attach the capture plan: each non-blink action gets an equal share
    /// of `frames`, a blink gets the burst; with the screen light, every
    /// non-blink frame gets a colour.
    pub fn planned(self, c: Capture) -> Challenge {
        self.planned_lit(c, colours)
    }

    /// [`Challenge::planned`] with the lit steps' colours drawn by `draw`
    /// (given how many): `screen_light::unlike` draws them unlike the
    /// person's earlier answers.
    pub fn planned_lit(mut self, c: Capture, draw: impl FnOnce(usize) -> Vec<Colour>) -> Challenge {
        let mut steps = Vec::new();
        for a in &self.actions {
            let n = c.frames_for(*a, &self.actions);
            let wait = if *a == Action::Blink {
                c.blink_interval_ms
            } else {
                c.frame_interval_ms
            };
            steps.extend((0..n).map(|_| Step {
                action: *a,
                colour: None,
                wait_ms: i64::try_from(wait).unwrap_or(i64::MAX),
            }));
        }
        if c.screen_light {
            let lit: Vec<usize> = (0..steps.len())
                .filter(|i| steps.get(*i).is_some_and(|s| s.action != Action::Blink))
                .collect();
            for (i, colour) in lit.iter().zip(draw(lit.len())) {
                if let Some(s) = steps.get_mut(*i) {
                    s.colour = Some(colour);
                }
            }
        }
        self.steps = steps;
        self
    }

    /// The colours of the lit steps, in order.
    pub fn colours(&self) -> Vec<Colour> {
        self.steps.iter().filter_map(|s| s.colour).collect()
    }
}

/// Yaw (nose offset / eye distance) beyond which a head counts as turned.
pub const TURN_YAW: f32 = 0.12;
/// Minimum and maximum span of the answer, in milliseconds.
pub const MIN_SPAN_MS: i64 = 600;
pub const MAX_SPAN_MS: i64 = 20_000;

/// A challenge with a configured action sequence.
pub fn issue_with(now: i64, ttl: i64, actions: Vec<Action>) -> Challenge {
    Challenge {
        nonce: crate::crypto::random_token(16),
        actions,
        issued_at: now,
        expires_at: now + ttl,
        steps: vec![],
        revealed_at_ms: now * 1000,
        commits: vec![],
    }
}

/// A random sequence: centre, then both turns in random order; with
/// `blink`, a blink is also required somewhere in the sequence.
pub fn issue(now: i64, ttl: i64, blink: bool) -> Challenge {
    let mut turns = vec![Action::TurnLeft, Action::TurnRight];
    turns.shuffle(&mut rand::thread_rng());
    let mut actions = vec![Action::Center];
    actions.extend(turns);
    if blink {
        actions.push(Action::Blink);
    }
    Challenge {
        nonce: crate::crypto::random_token(16),
        actions,
        issued_at: now,
        expires_at: now + ttl,
        steps: vec![],
        revealed_at_ms: now * 1000,
        commits: vec![],
    }
}

/// One analysed frame of the answer.
#[derive(Debug, Clone)]
pub struct Frame {
    pub nonce: String,
    pub timestamp_ms: i64,
    pub face: Face,
    /// Eye aspect ratio (68-point landmarks), when measured.
    pub ear: Option<f32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChallengeResult {
    pub passed: bool,
    pub yaw_track: Vec<f32>,
    /// Whether a blink was seen (None when the challenge asked for none).
    pub blink: Option<bool>,
    pub reason: Option<String>,
}

/// A blink: the eye aspect ratio drops below this fraction of the
/// sequence's own open-eye baseline (its upper quartile), then recovers.
pub const BLINK_RATIO: f32 = 0.7;

/// Blink by a relative EAR drop against the sequence's own baseline.
pub fn blinked(ears: &[f32]) -> bool {
    if ears.len() < 3 {
        return false;
    }
    let mut sorted = ears.to_vec();
    sorted.sort_by(f32::total_cmp);
    let Some(baseline) = sorted.get((sorted.len() * 3) / 4).copied() else {
        return false;
    };
    let closed = |e: f32| e < baseline * BLINK_RATIO;
    match ears.iter().position(|e| closed(*e)) {
        Some(i) => i > 0 && ears.iter().skip(i).any(|e| *e >= baseline * 0.9),
        None => false,
    }
}

/// The pose a yaw shows: turned either way, or centred.
pub fn classify(yaw: f32) -> Action {
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
    let needed = ch.actions.iter().filter(|a| **a != Action::Blink).count();
    if used {
        return fail("this challenge was already answered");
    }
    if now > ch.expires_at {
        return fail("the challenge has expired");
    }
    if frames.len() < needed.max(2) {
        return fail("too few frames for the challenge");
    }
    if !ch.steps.is_empty() && frames.len() != ch.steps.len() {
        return fail("one frame per step of the challenge is needed");
    }
    if frames.iter().any(|f| f.nonce != ch.nonce) {
        return fail("frames belong to another challenge");
    }
    if frames
        .iter()
        .zip(frames.iter().skip(1))
        .any(|(a, b)| b.timestamp_ms <= a.timestamp_ms)
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
    let wants_blink = ch.actions.contains(&Action::Blink);
    let blink = if wants_blink {
        let ears: Vec<f32> = frames.iter().filter_map(|f| f.ear).collect();
        if ears.len() != frames.len() {
            return fail("eye measurements are missing for a blink challenge");
        }
        Some(blinked(&ears))
    } else {
        None
    };
    // The observed sequence of distinct poses must contain the turns in order.
    let mut want = ch
        .actions
        .iter()
        .filter(|a| **a != Action::Blink)
        .peekable();
    for y in &yaw_track {
        if want.peek().is_some_and(|a| **a == classify(*y)) {
            want.next();
        }
    }
    let turns_ok = want.peek().is_none();
    let passed = turns_ok && blink != Some(false);
    let reason = if !turns_ok {
        Some("the head movement did not follow the requested sequence".to_owned())
    } else if blink == Some(false) {
        Some("no blink was seen".to_owned())
    } else {
        None
    };
    Ok(ChallengeResult {
        passed,
        yaw_track,
        blink,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::blinked;

    #[test]
    fn blink_is_a_relative_drop_and_recovery() {
        assert!(blinked(&[0.30, 0.31, 0.29, 0.12, 0.28, 0.30]));
        assert!(
            !blinked(&[0.30, 0.31, 0.29, 0.30, 0.28, 0.30]),
            "eyes open throughout"
        );
        assert!(
            !blinked(&[0.30, 0.29, 0.12, 0.11, 0.10, 0.10]),
            "closed, never reopened"
        );
        assert!(
            !blinked(&[0.12, 0.30, 0.31, 0.30]),
            "starts closed: no baseline before the drop"
        );
        assert!(
            blinked(&[0.22, 0.21, 0.14, 0.22]),
            "works for narrow eyes: relative, not absolute"
        );
    }
}

#[cfg(test)]
mod action_names {
    use super::Action;

    #[test]
    fn names_are_the_serialized_ones() {
        for a in Action::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
    }
}

//! The server paces a face challenge: it reveals one step (instruction,
//! colour, wait) at a time, and the page commits to each step's frame — its
//! SHA-256 — as soon as it has captured it. The server stamps every
//! commitment on arrival and reveals the next step in its reply. The frames
//! themselves come together at the end (they never rest on the server) and
//! must be the committed ones; their times are the server's, not the
//! client's. So an answer cannot be prepared before its steps are known,
//! and the time between an instruction and its frame is measured by the
//! server: a frame that comes sooner than the page's own wait was not
//! captured by the page, and one that comes much later had time to be made.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::answer::Upload;
use super::challenge::Challenge;

/// A committed frame: its SHA-256 (hex) and the server's time of arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub sha256: String,
    pub at_ms: i64,
}

/// A step's frame may come this much before the step's wait is over (timer
/// granularity; a browser's timer never fires early).
pub const EARLY_MS: i64 = 20;
/// …and at most this long after it (the capture, the hash and the round
/// trip of a slow phone on a slow network). Longer: time to make a frame.
pub const MAX_LAG_MS: i64 = 4_000;

/// What the server says after a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paced {
    /// Reveal step `n`.
    Next(usize),
    /// Every step is committed: send the frames.
    Done,
}

/// Why a commitment was not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PaceError {
    /// Not what the page does: counts as a failed check.
    #[error("{0}")]
    Refused(&'static str),
    /// Too slow (a slow network, or time to make a frame): the check ends
    /// and may be started again; not counted.
    #[error("the answer came too slowly")]
    Slow,
}

fn refuse<T>(m: &'static str) -> Result<T, PaceError> {
    Err(PaceError::Refused(m))
}

/// Record the commitment to step `index`'s frame, received at `now_ms`.
pub fn commit(
    ch: &mut Challenge,
    index: usize,
    sha256: &str,
    now_ms: i64,
) -> Result<Paced, PaceError> {
    if index != ch.commits.len() {
        return refuse("the steps of the check came out of order");
    }
    let Some(step) = ch.steps.get(index) else {
        return refuse("the check has no such step");
    };
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return refuse("a step's frame digest is not a SHA-256");
    }
    let lag = now_ms - ch.revealed_at_ms;
    if lag < step.wait_ms - EARLY_MS {
        return refuse("the answer came faster than a person can follow the instructions");
    }
    if lag > step.wait_ms + MAX_LAG_MS {
        return Err(PaceError::Slow);
    }
    ch.commits.push(Commit {
        sha256: sha256.to_ascii_lowercase(),
        at_ms: now_ms,
    });
    ch.revealed_at_ms = now_ms;
    Ok(if ch.commits.len() == ch.steps.len() {
        Paced::Done
    } else {
        Paced::Next(ch.commits.len())
    })
}

/// SHA-256 of a frame's bytes, hex.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The frames must be the committed ones, one per step, in order; each
/// takes the server's time of its commitment.
pub fn bind(ch: &Challenge, uploads: &mut [Upload]) -> Result<(), PaceError> {
    if ch.steps.is_empty() || ch.commits.len() != ch.steps.len() {
        return refuse("the answer was not paced by the server; start the check again");
    }
    if uploads.len() != ch.commits.len() {
        return refuse("one frame per step of the challenge is needed");
    }
    for (u, c) in uploads.iter_mut().zip(&ch.commits) {
        if digest(&u.bytes) != c.sha256 {
            return refuse("a frame is not the one captured for its step");
        }
        u.timestamp_ms = c.at_ms;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::challenge::{issue_with, Action, Capture};

    fn challenge(at_ms: i64) -> Challenge {
        let mut ch = issue_with(at_ms / 1000, 150, vec![Action::Center, Action::TurnLeft]).planned(
            Capture {
                frames: 4,
                blink_frames: 0,
                screen_light: true,
                frame_interval_ms: 300,
                blink_interval_ms: 100,
            },
        );
        ch.revealed_at_ms = at_ms;
        ch
    }

    fn frame(i: u8) -> Upload {
        Upload {
            timestamp_ms: 0,
            bytes: vec![i; 10],
        }
    }

    #[test]
    fn a_step_at_a_time_in_the_pages_rhythm_binds_the_frames_to_server_times() {
        let mut ch = challenge(1_000_000);
        let mut t = 1_000_000;
        for i in 0..4u8 {
            t += 350;
            let next = commit(&mut ch, usize::from(i), &digest(&frame(i).bytes), t).unwrap();
            let want = if i == 3 {
                Paced::Done
            } else {
                Paced::Next(usize::from(i) + 1)
            };
            assert_eq!(next, want);
        }
        let mut ups: Vec<Upload> = (0..4).map(frame).collect();
        bind(&ch, &mut ups).unwrap();
        let times: Vec<i64> = ups.iter().map(|u| u.timestamp_ms).collect();
        assert_eq!(times, [1_000_350, 1_000_700, 1_001_050, 1_001_400]);
    }

    #[test]
    fn early_late_skipped_and_swapped_frames_are_refused() {
        let d = |i: u8| digest(&frame(i).bytes);
        let mut ch = challenge(0);
        assert!(commit(&mut ch, 0, &d(0), 100).is_err(), "before the wait");
        let late = commit(&mut ch, 0, &d(0), 300 + MAX_LAG_MS + 1);
        assert_eq!(late, Err(PaceError::Slow), "too late");
        assert!(commit(&mut ch, 1, &d(0), 300).is_err(), "skips a step");
        assert!(commit(&mut ch, 0, "zz", 300).is_err(), "not a digest");
        commit(&mut ch, 0, &d(0), 300).unwrap();
        assert!(
            commit(&mut ch, 0, &d(0), 600).is_err(),
            "the same step twice"
        );
        // Frames sent without every step committed, or not the committed ones.
        assert!(bind(&ch, &mut [frame(0)]).is_err());
        for (i, t) in [(1u8, 600), (2, 900), (3, 1200)] {
            commit(&mut ch, usize::from(i), &d(i), t).unwrap();
        }
        let mut swapped: Vec<Upload> = [1, 0, 2, 3].into_iter().map(frame).collect();
        assert!(bind(&ch, &mut swapped).is_err());
        let mut short: Vec<Upload> = (0..3).map(frame).collect();
        assert!(bind(&ch, &mut short).is_err());
    }
}

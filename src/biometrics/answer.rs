//! An answer to a liveness challenge, examined: every frame is tracked;
//! the most frontal ones get the embedding and the passive model; one frame
//! of every action is matched against them (one person throughout); the
//! face's colour must follow the screen-light sequence. Frames stay in
//! memory and are dropped when this returns.

use image::RgbImage;

use super::challenge::{self, Action, Challenge, Colour, Frame};
use super::decision::{self, LivenessDecision};
use super::detect::Face;
use super::engine::{Analysis, FaceEngine};
use super::{embed, screen_light, sensor_noise, BiometricError};

/// One uploaded frame: capture time (ms, the client's) and image bytes.
pub struct Upload {
    pub timestamp_ms: i64,
    pub bytes: Vec<u8>,
}

/// What the frames showed.
pub struct Evidence {
    pub liveness: LivenessDecision,
    /// The frontal frames, for enrolment and matching.
    pub analysed: Vec<Analysis>,
    pub yaw_track: Vec<f32>,
}

/// The thresholds an examination applies.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Frontal frames fully analysed.
    pub analysed: usize,
    pub live: f32,
    /// Cosine at or above which two frames show the same person.
    pub same_person: f32,
    /// Most light the background may get, as a share of the face's
    /// (`face.screen_light_max_spill`).
    pub light_spill: f32,
}

impl Thresholds {
    /// The engine's own thresholds, with `analysed` frontal frames.
    pub fn of(engine: &FaceEngine, analysed: usize) -> Thresholds {
        Thresholds {
            analysed,
            live: engine.live_threshold,
            same_person: engine.same_person_threshold,
            light_spill: screen_light::MAX_SPILL,
        }
    }
}

/// Between consecutive frames the face moves at most this many face widths
/// and changes size by at most this factor: a head moves, it does not jump.
pub const MAX_STEP_WIDTHS: f32 = 0.75;
pub const MAX_SIZE_CHANGE: f32 = 1.5;

struct Tracked {
    img: RgbImage,
    face: Face,
    ear: Option<f32>,
}

/// Decode and track the frames on two threads (the engine's gate caps
/// concurrent inference at the core count).
fn track_all(
    engine: &FaceEngine,
    uploads: &[Upload],
    blink: bool,
) -> Result<Vec<Tracked>, BiometricError> {
    let track = |u: &Upload| -> Result<Tracked, BiometricError> {
        let img = engine.decode(&u.bytes)?;
        let (face, ear) = engine.track(&img, blink)?;
        Ok(Tracked { img, face, ear })
    };
    let half = uploads.len().div_ceil(2);
    let (first, second) = uploads.split_at(half);
    let tracked: Vec<_> = std::thread::scope(|s| {
        let later = s.spawn(|| second.iter().map(track).collect::<Vec<_>>());
        let mut out: Vec<_> = first.iter().map(track).collect();
        out.extend(later.join().unwrap_or_default());
        out
    });
    if tracked.len() != uploads.len() {
        return Err(BiometricError::Inference(
            "a frame could not be processed".into(),
        ));
    }
    tracked.into_iter().collect()
}

/// Whether the face track jumps between two consecutive frames.
pub fn track_breaks(faces: &[Face]) -> bool {
    faces.iter().zip(faces.iter().skip(1)).any(|(fa, fb)| {
        let (a, b) = (fa.bbox, fb.bbox);
        let centre = |f: [f32; 4]| (f[0] + f[2] / 2.0, f[1] + f[3] / 2.0);
        let ((ax, ay), (bx, by)) = (centre(a), centre(b));
        let width = a[2].max(b[2]).max(1.0);
        let moved = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt() / width;
        let grew = (a[2] / b[2].max(1.0)).max(b[2] / a[2].max(1.0));
        moved > MAX_STEP_WIDTHS || grew > MAX_SIZE_CHANGE
    })
}

/// Frames of each action whose mean embedding is held to the frontal one.
pub const CANDIDATES: usize = 3;

/// For each action besides the centre, the frames that may show the
/// matched person doing it, best first: for a turn, its least-turned frames
/// that still show the turn; for a blink, the open-eyed frames of the burst.
fn witnesses(ch: &Challenge, yaw: &[f32], ears: &[Option<f32>]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for a in &ch.actions {
        let mut pick: Vec<usize> = match a {
            Action::TurnLeft | Action::TurnRight => {
                let mut v: Vec<usize> = (0..yaw.len())
                    .filter(|i| yaw.get(*i).is_some_and(|y| challenge::classify(*y) == *a))
                    .collect();
                let turn = |k: &usize| yaw.get(*k).map_or(f32::MAX, |y| y.abs());
                v.sort_by(|i, j| turn(i).total_cmp(&turn(j)));
                v
            }
            Action::Blink => {
                let ear = |k: &usize| ears.get(*k).copied().flatten().unwrap_or(0.0);
                let mut v: Vec<usize> = (0..ch.steps.len())
                    .filter(|i| ch.steps.get(*i).is_some_and(|s| s.action == Action::Blink))
                    .collect();
                v.sort_by(|i, j| ear(j).total_cmp(&ear(i)));
                v
            }
            Action::Center => continue,
        };
        pick.truncate(CANDIDATES);
        out.push(pick);
    }
    out
}

/// The mean of embeddings, normalised.
fn mean(embeddings: &[&[f32]]) -> Vec<f32> {
    let mut sum = vec![0.0f32; embeddings.first().map_or(0, |e| e.len())];
    for e in embeddings {
        for (m, v) in sum.iter_mut().zip(e.iter()) {
            *m += v;
        }
    }
    embed::normalize(sum)
}

/// One person throughout: the lowest similarity to the frontal frames'
/// mean, over the frontal frames and, for each action, the mean of its
/// candidate frames. The candidates must agree: an answer that shows
/// someone else in one of them pulls the action's mean away, where a
/// best-of-N would give a look-alike N tries.
fn same_person(
    engine: &FaceEngine,
    tracked: &[Tracked],
    frontal: &[Analysis],
    frontal_idx: &[usize],
    witnesses: &[Vec<usize>],
) -> Result<f32, BiometricError> {
    let reference = mean(
        &frontal
            .iter()
            .map(|a| a.embedding.as_slice())
            .collect::<Vec<_>>(),
    );
    let mut lowest = frontal
        .iter()
        .map(|a| embed::cosine(&reference, &a.embedding))
        .fold(1.0, f32::min);
    // The witnesses not analysed already, embedded in parallel.
    let mut pending: Vec<usize> = witnesses
        .iter()
        .flatten()
        .copied()
        .filter(|i| !frontal_idx.contains(i))
        .collect();
    pending.sort_unstable();
    pending.dedup();
    let embedded = in_parallel(tracked, &pending, |t| {
        engine.continuity_embedding(&t.img, &t.face)
    })?;
    for candidates in witnesses.iter().filter(|c| !c.is_empty()) {
        let embeddings: Vec<&[f32]> = candidates
            .iter()
            .filter_map(|i| match frontal_idx.iter().position(|k| k == i) {
                Some(k) => frontal.get(k).map(|a| a.embedding.as_slice()),
                None => embedded
                    .iter()
                    .find(|(j, _)| j == i)
                    .map(|(_, e)| e.as_slice()),
            })
            .collect();
        let action = mean(&embeddings);
        lowest = lowest.min(embed::cosine(&reference, &action));
    }
    Ok(lowest)
}

/// `work` on each chosen frame, one thread each (the engine's gate caps
/// concurrent inference at the core count): (frame index, result).
fn in_parallel<T: Send>(
    tracked: &[Tracked],
    chosen: &[usize],
    work: impl Fn(&Tracked) -> Result<T, BiometricError> + Sync,
) -> Result<Vec<(usize, T)>, BiometricError> {
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = chosen
            .iter()
            .filter_map(|i| tracked.get(*i).map(|t| (*i, t)))
            .map(|(i, t)| s.spawn(move || work(t).map(|r| (i, r))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(BiometricError::Inference("a frame's thread failed".into()))
                })
            })
            .collect()
    })
}

/// Full analysis (embedding and passive model) of the chosen frames, in parallel.
fn analyse(
    engine: &FaceEngine,
    tracked: &[Tracked],
    chosen: &[usize],
) -> Result<Vec<Analysis>, BiometricError> {
    let done = in_parallel(tracked, chosen, |t| {
        engine.analyze_face(&t.img, &t.face, true)
    })?;
    Ok(done.into_iter().map(|(_, a)| a).collect())
}

/// Examine the frames against the challenge.
pub fn examine(
    engine: &FaceEngine,
    ch: &Challenge,
    uploads: &[Upload],
    t: Thresholds,
    now: i64,
) -> Result<Evidence, BiometricError> {
    let blink = ch.actions.contains(&Action::Blink);
    let lit: Vec<(usize, Colour)> = ch
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.colour.map(|c| (i, c)))
        .collect();
    let tracked = track_all(engine, uploads, blink)?;
    let frames: Vec<Frame> = uploads
        .iter()
        .zip(&tracked)
        .map(|(u, t)| Frame {
            nonce: ch.nonce.clone(),
            timestamp_ms: u.timestamp_ms,
            face: t.face.clone(),
            ear: t.ear,
        })
        .collect();
    let active = challenge::verify(ch, &frames, false, now)?;
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.sort_by(|a, b| {
        let yaw = |i: &usize| active.yaw_track.get(*i).map_or(f32::MAX, |y| y.abs());
        yaw(a).total_cmp(&yaw(b))
    });
    order.truncate(t.analysed);
    let analyses = analyse(engine, &tracked, &order)?;
    let passive: Vec<f32> = analyses.iter().filter_map(|a| a.live_score).collect();
    let mut liveness = decision::decide(&passive, t.live, &active);
    let ears: Vec<Option<f32>> = tracked.iter().map(|t| t.ear).collect();
    let witnesses = witnesses(ch, &active.yaw_track, &ears);
    let identity = same_person(engine, &tracked, &analyses, &order, &witnesses)?;
    liveness.same_person = Some(identity);
    liveness.same_person_threshold = Some(t.same_person);
    let faces: Vec<Face> = frames.iter().map(|f| f.face.clone()).collect();
    if track_breaks(&faces) || identity < t.same_person {
        liveness.refuse("the face changed during the check");
    }
    let changed: Vec<f32> = tracked
        .iter()
        .zip(tracked.iter().skip(1))
        .filter_map(|(a, b)| sensor_noise::changed_share(&a.img, &b.img, &a.face, &b.face))
        .collect();
    liveness.background_changed = changed.iter().copied().reduce(f32::min);
    if sensor_noise::frozen(&changed) {
        liveness.refuse(
            "the picture behind the face did not change between frames as a camera's does \
             (turn off any virtual background)",
        );
    }
    if !lit.is_empty() {
        let colours: Vec<Colour> = lit.iter().map(|(_, c)| *c).collect();
        let readings: Vec<screen_light::Reading> = lit
            .iter()
            .map(|(i, _)| {
                tracked
                    .get(*i)
                    .map_or_else(Default::default, |t| screen_light::read(&t.img, &t.face))
            })
            .collect();
        let seen = screen_light::followed(&colours, &readings);
        liveness.screen_light = Some(seen.correlation);
        liveness.screen_light_spill = Some(seen.spill).filter(|s| s.is_finite());
        if let Some(why) = seen.refusal(t.light_spill) {
            liveness.refuse(why);
        }
    }
    Ok(Evidence {
        liveness,
        yaw_track: active.yaw_track,
        analysed: analyses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::Point;

    fn at(x: f32, y: f32, w: f32) -> Face {
        let p = Point { x, y };
        Face {
            bbox: [x, y, w, w * 1.2],
            landmarks: [p; 5],
            score: 0.9,
        }
    }

    #[test]
    fn a_head_moves_but_a_track_does_not_jump() {
        let moving = [
            at(100.0, 100.0, 160.0),
            at(130.0, 104.0, 165.0),
            at(160.0, 100.0, 170.0),
        ];
        assert!(!track_breaks(&moving));
        let jump = [at(100.0, 100.0, 160.0), at(260.0, 100.0, 160.0)];
        assert!(
            track_breaks(&jump),
            "a face box elsewhere in the next frame"
        );
        let zoom = [at(100.0, 100.0, 160.0), at(100.0, 100.0, 260.0)];
        assert!(track_breaks(&zoom), "a much larger face in the next frame");
    }
}

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
use super::jobs::{spread, Job};
use super::moved_copy;
use super::quality::Quality;
use super::sensor_noise::PairReading;
use super::{embed, room_swing, room_tilt, screen_light, sensor_noise, BiometricError};

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
    /// For each action besides the centre, the mean embedding (captured
    /// view) of its witness frames: compared with the template's view of
    /// that pose (`template::Template::view`).
    pub turns: Vec<(Action, Vec<f32>)>,
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
    /// Most the room may change shape, as a share of `room_swing`'s limits
    /// (`face.room_shape_max`).
    pub room_shape: f32,
}

impl Thresholds {
    /// The engine's own thresholds, with `analysed` frontal frames.
    pub fn of(engine: &FaceEngine, analysed: usize) -> Thresholds {
        Thresholds {
            analysed,
            live: engine.live_threshold,
            same_person: engine.same_person_threshold,
            light_spill: screen_light::MAX_SPILL,
            room_shape: 1.0,
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

/// Decode and track the frames, spread over the engine's cores.
fn track_all(
    engine: &FaceEngine,
    uploads: &[Upload],
    blink: bool,
) -> Result<Vec<Tracked>, BiometricError> {
    let jobs: Vec<Job<'_, Tracked>> = uploads
        .iter()
        .map(|u| -> Job<'_, Tracked> {
            Box::new(move || {
                let img = engine.decode(&u.bytes)?;
                let (face, ear) = engine.track(&img, blink)?;
                Ok(Tracked { img, face, ear })
            })
        })
        .collect();
    spread(engine.cores(), jobs)
}

/// Whether the face track jumps between two consecutive frames.
pub fn track_breaks(faces: &[Face]) -> bool {
    faces.iter().zip(faces.iter().skip(1)).any(|(fa, fb)| {
        let (a, b) = (fa.bbox, fb.bbox);
        let ((ax, ay), (bx, by)) = (fa.centre(), fb.centre());
        let width = a[2].max(b[2]).max(1.0);
        let moved = ((ax - bx).powi(2) + (ay - by).powi(2)).sqrt() / width;
        let grew = (a[2] / b[2].max(1.0)).max(b[2] / a[2].max(1.0));
        moved > MAX_STEP_WIDTHS || grew > MAX_SIZE_CHANGE
    })
}

/// Frames of each action whose mean embedding is held to the frontal one.
pub const CANDIDATES: usize = 3;

/// The frames of one action besides the centre that are held to the
/// frontal ones, best first (each set's mean must show the same person):
/// `shown`, the frames that show it (for a turn, its least-turned frames
/// that still show the turn, from any step; for a blink, the open-eyed
/// frames of the burst), and `own`, the least-turned frames of the
/// action's own steps, whatever they show. Together they leave no frame
/// that answers the action to someone else: the movement, and the steps
/// the server asked it in, both show the matched person.
struct Witnesses {
    action: Action,
    shown: Vec<usize>,
    own: Vec<usize>,
}

impl Witnesses {
    fn frames(&self) -> impl Iterator<Item = &usize> {
        self.shown.iter().chain(&self.own)
    }
}

/// Indices sorted by how turned their frame is, least first.
fn least_turned(mut v: Vec<usize>, yaw: &[f32]) -> Vec<usize> {
    let turn = |k: &usize| yaw.get(*k).map_or(f32::MAX, |y| y.abs());
    v.sort_by(|i, j| turn(i).total_cmp(&turn(j)));
    v
}

/// The steps of `ch` that ask for `action`.
fn steps_of(ch: &Challenge, action: Action) -> Vec<usize> {
    (0..ch.steps.len())
        .filter(|i| ch.steps.get(*i).is_some_and(|s| s.action == action))
        .collect()
}

fn witnesses(ch: &Challenge, yaw: &[f32], ears: &[Option<f32>]) -> Vec<Witnesses> {
    let mut out = Vec::new();
    for a in &ch.actions {
        let (mut shown, mut own) = match a {
            Action::TurnLeft | Action::TurnRight => (
                least_turned(
                    (0..yaw.len())
                        .filter(|i| yaw.get(*i).is_some_and(|y| challenge::classify(*y) == *a))
                        .collect(),
                    yaw,
                ),
                least_turned(steps_of(ch, *a), yaw),
            ),
            Action::Blink => {
                let ear = |k: &usize| ears.get(*k).copied().flatten().unwrap_or(0.0);
                let mut v = steps_of(ch, Action::Blink);
                v.sort_by(|i, j| ear(j).total_cmp(&ear(i)));
                (v, Vec::new())
            }
            Action::Center => continue,
        };
        shown.truncate(CANDIDATES);
        own.truncate(CANDIDATES);
        out.push(Witnesses {
            action: *a,
            shown,
            own,
        });
    }
    out
}

/// The frames whose analyses make the frontal reference: the most frontal
/// of the centre steps (of every frame where the challenge has none), so
/// the reference is the person who answered the centre.
fn frontal_frames(ch: &Challenge, yaw: &[f32], n: usize) -> Vec<usize> {
    let centre = steps_of(ch, Action::Center);
    let pool = if centre.is_empty() {
        (0..yaw.len()).collect()
    } else {
        centre
    };
    let mut order = least_turned(pool, yaw);
    order.truncate(n);
    order
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

/// One person throughout: the lowest similarity of each frontal frame to
/// the mean of the other frontal frames (a frame to a mean that includes
/// it would hide a second person: two faces at cosine 0 are each 0.71 from
/// their mean), and of each action's witness sets' means to the frontal
/// mean; with the shown witnesses' means as captured (returned too). The
/// frames of a set must agree: someone else in one of them pulls the mean
/// away, where a best-of-N would give a look-alike N tries.
fn same_person(
    frontal: &[Analysis],
    frontal_idx: &[usize],
    witnesses: &[Witnesses],
    embedded: &[(usize, Vec<f32>)],
) -> (f32, Vec<(Action, Vec<f32>)>) {
    let all: Vec<&[f32]> = frontal.iter().map(|a| a.embedding.as_slice()).collect();
    let reference = mean(&all);
    let mut lowest = 1.0f32;
    if all.len() > 1 {
        for (k, e) in all.iter().enumerate() {
            let rest: Vec<&[f32]> = all
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, e)| *e)
                .collect();
            lowest = lowest.min(embed::cosine(&mean(&rest), e));
        }
    }
    let embedding = |i: &usize| match embedded.iter().find(|(j, _)| j == i) {
        Some((_, e)) => Some(e.as_slice()),
        None => frontal_idx
            .iter()
            .position(|k| k == i)
            .and_then(|k| frontal.get(k))
            .map(|a| a.embedding.as_slice()),
    };
    let mut turns = Vec::new();
    for w in witnesses {
        for (set, kept) in [(&w.shown, true), (&w.own, false)] {
            let embeddings: Vec<&[f32]> = set.iter().filter_map(embedding).collect();
            if embeddings.is_empty() {
                continue;
            }
            let action = mean(&embeddings);
            lowest = lowest.min(embed::cosine(&reference, &action));
            if kept {
                turns.push((w.action, action));
            }
        }
    }
    (lowest, turns)
}

/// Which views of each of `n` frontal frames the embedder runs on (true:
/// mirrored). Each frame is embedded once, as captured and mirrored in
/// turn, and the last of an odd number both ways (fused as `face eval`
/// does), so the frames' quality-weighted mean has as much of each view as
/// fused pairs would, at about half the embedder runs: consecutive frames
/// of one face differ little, and two frames as captured + mirrored scored
/// as well as both fused pairs on dev and test (docs/face.md "Accuracy").
pub fn mirror_plan(n: usize) -> Vec<Vec<bool>> {
    (0..n)
        .map(|k| match (k % 2 == 1, k + 1 == n && n % 2 == 1) {
            (_, true) => vec![false, true],
            (mirrored, false) => vec![mirrored],
        })
        .collect()
}

/// What one job of a check found.
enum Found {
    View(Vec<f32>, Quality),
    Live(f32),
    Changed(Vec<PairReading>),
    Light(screen_light::Followed),
    RoomTurned(f32),
    RoomReshaped(Option<f32>),
}

/// The model work of a check after tracking, as one set of jobs spread
/// over the cores: the frontal frames' views ([`mirror_plan`]), the
/// witnesses' views, the passive model on the frontal frames, and the background and
/// screen-light readings. Returns the frontal analyses (in `frontal`'s
/// order), the witnesses' embeddings, the background changes and the
/// light's reading.
fn model_work(
    engine: &FaceEngine,
    tracked: &[Tracked],
    (frontal, plan): (&[usize], &[Vec<bool>]),
    (witnesses, most_turned): (&[usize], &[usize]),
    lit: &[(usize, Colour)],
) -> Result<ModelWork, BiometricError> {
    let frame = |i: usize| {
        tracked
            .get(i)
            .ok_or_else(|| BiometricError::Inference("no such frame".into()))
    };
    let view = |i: usize, mirrored: bool| -> Job<'_, Found> {
        Box::new(move || {
            let t = frame(i)?;
            let (e, q) = engine.view(&t.img, &t.face, mirrored)?;
            Ok(Found::View(e, q))
        })
    };
    let mut jobs: Vec<Job<'_, Found>> = Vec::new();
    for (&i, views) in frontal.iter().zip(plan) {
        jobs.extend(views.iter().map(|&m| view(i, m)));
    }
    jobs.extend(witnesses.iter().map(|&i| view(i, false)));
    for &i in frontal {
        jobs.push(Box::new(move || {
            let t = frame(i)?;
            Ok(Found::Live(engine.live_score(&t.img, &t.face)?))
        }));
    }
    // Each consecutive pair's background: how much changed, and, where
    // enough did, whether it is one picture moved whole.
    jobs.push(Box::new(|| {
        let pictures: Vec<moved_copy::Picture> = tracked
            .iter()
            .map(|t| moved_copy::Picture::of(&t.img))
            .collect();
        Ok(Found::Changed(
            tracked
                .iter()
                .zip(&pictures)
                .zip(tracked.iter().zip(&pictures).skip(1))
                .filter_map(|((a, pa), (b, pb))| {
                    let changed = sensor_noise::changed_share(&a.img, &b.img, &a.face, &b.face)?;
                    let moved = (changed >= sensor_noise::MIN_CHANGED)
                        .then(|| moved_copy::after_motion(pa, pb, &a.face, &b.face))
                        .flatten();
                    Some(PairReading {
                        changed,
                        flat: sensor_noise::flat_changed(pa, pb, &a.face, &b.face),
                        moved,
                    })
                })
                .collect(),
        ))
    }));
    // How far the room turned from the first frontal frame, at most.
    jobs.push(Box::new(|| {
        // A room with nothing to read in the reference frame: nothing to compare.
        let reference = frontal
            .first()
            .and_then(|i| tracked.get(*i))
            .and_then(|t| room_tilt::edges(&t.img, &t.face));
        let most = reference.map_or(0.0, |r| {
            tracked
                .iter()
                .enumerate()
                .filter(|(k, _)| frontal.first() != Some(k))
                .filter_map(|(_, t)| room_tilt::edges(&t.img, &t.face))
                .map(|e| room_tilt::turned(&r, &e).abs())
                .fold(0.0, f32::max)
        });
        Ok(Found::RoomTurned(most))
    }));
    // How far the room changed shape from the first frontal frame to each
    // turn's most turned frame, as a share of the limit, at most.
    jobs.push(Box::new(|| {
        let reference = frontal.first().and_then(|i| tracked.get(*i));
        let reshaped = reference.and_then(|r| {
            let room = room_swing::room(&r.img);
            most_turned
                .iter()
                .filter_map(|i| tracked.get(*i))
                .filter_map(|t| {
                    room_swing::reshaped(&room, &room_swing::room(&t.img), &r.face, &t.face)
                })
                .map(|s| s.of_limit())
                .reduce(f32::max)
        });
        Ok(Found::RoomReshaped(reshaped))
    }));
    if !lit.is_empty() {
        jobs.push(Box::new(|| {
            let colours: Vec<Colour> = lit.iter().map(|(_, c)| *c).collect();
            let readings: Vec<screen_light::Reading> = lit
                .iter()
                .map(|(i, _)| {
                    tracked
                        .get(*i)
                        .map_or_else(Default::default, |t| screen_light::read(&t.img, &t.face))
                })
                .collect();
            Ok(Found::Light(screen_light::followed(&colours, &readings)))
        }));
    }
    let mut found = spread(engine.cores(), jobs)?.into_iter();
    let mut views = |n: usize| -> Vec<(Vec<f32>, Quality)> {
        found
            .by_ref()
            .take(n)
            .filter_map(|f| match f {
                Found::View(e, q) => Some((e, q)),
                _ => None,
            })
            .collect()
    };
    let runs: usize = plan.iter().map(Vec::len).sum();
    let frontal_views = views(runs);
    let single = views(witnesses.len());
    let live: Vec<f32> = found
        .by_ref()
        .take(frontal.len())
        .filter_map(|f| match f {
            Found::Live(p) => Some(p),
            _ => None,
        })
        .collect();
    let (mut changed, mut light, mut room_turned, mut room_reshaped) =
        (Vec::new(), None, 0.0, None);
    for f in found {
        match f {
            Found::Changed(c) => changed = c,
            Found::Light(l) => light = Some(l),
            Found::RoomTurned(d) => room_turned = d,
            Found::RoomReshaped(r) => room_reshaped = r,
            _ => {}
        }
    }
    if frontal_views.len() != runs || single.len() != witnesses.len() || live.len() != frontal.len()
    {
        return Err(BiometricError::Inference(
            "a frame could not be processed".into(),
        ));
    }
    let mut frontal_views = frontal_views.into_iter();
    let mut analysed = Vec::new();
    for ((i, views), p) in frontal.iter().zip(plan).zip(&live) {
        let mine: Vec<(Vec<f32>, Quality)> = frontal_views.by_ref().take(views.len()).collect();
        let (Some(t), Some((first, quality))) = (tracked.get(*i), mine.first()) else {
            continue;
        };
        let embedding = match mine.get(1) {
            Some((mirror, _)) => embed::fuse(first, mirror),
            None => first.clone(),
        };
        analysed.push(Analysis {
            faces: vec![t.face.clone()],
            face: t.face.clone(),
            quality: quality.clone(),
            embedding,
            live_score: Some(*p),
        });
    }
    Ok(ModelWork {
        analysed,
        witnesses: witnesses
            .iter()
            .copied()
            .zip(single.into_iter().map(|(e, _)| e))
            .collect(),
        changed,
        light,
        room_turned,
        room_reshaped,
    })
}

struct ModelWork {
    analysed: Vec<Analysis>,
    witnesses: Vec<(usize, Vec<f32>)>,
    /// Each consecutive pair's room, where it could be read.
    changed: Vec<PairReading>,
    light: Option<screen_light::Followed>,
    /// Most the room turned from the first frontal frame, in degrees.
    room_turned: f32,
    /// Most the room changed shape from it to a turn, as a share of the
    /// limit (`room_swing`); None where there was too little room to follow.
    room_reshaped: Option<f32>,
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
    sensor_noise::one_size(tracked.iter().map(|t| t.img.dimensions()))?;
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
    let order = frontal_frames(ch, &active.yaw_track, t.analysed);
    let ears: Vec<Option<f32>> = tracked.iter().map(|t| t.ear).collect();
    let witnesses = witnesses(ch, &active.yaw_track, &ears);
    // Witnesses are compared by their view as captured: those among the
    // frontal frames embedded that way alone reuse it, every other one
    // gets its own run.
    let plan = mirror_plan(order.len());
    let captured: Vec<usize> = order
        .iter()
        .zip(&plan)
        .filter(|(_, views)| views.as_slice() == [false])
        .map(|(i, _)| *i)
        .collect();
    let mut pending: Vec<usize> = witnesses
        .iter()
        .flat_map(Witnesses::frames)
        .copied()
        .filter(|i| !captured.contains(i))
        .collect();
    pending.sort_unstable();
    pending.dedup();
    // Each turn's most turned frame of its own steps: the one a swung
    // picture would have to be swung furthest for.
    let most_turned: Vec<usize> = ch
        .actions
        .iter()
        .filter(|a| matches!(a, Action::TurnLeft | Action::TurnRight))
        .filter_map(|a| least_turned(steps_of(ch, *a), &active.yaw_track).pop())
        .collect();
    let work = model_work(
        engine,
        &tracked,
        (&order, &plan),
        (&pending, &most_turned),
        &lit,
    )?;
    let analyses = work.analysed;
    let passive: Vec<f32> = analyses.iter().filter_map(|a| a.live_score).collect();
    let mut liveness = decision::decide(&passive, t.live, &active);
    let (identity, turns) = same_person(&analyses, &order, &witnesses, &work.witnesses);
    liveness.same_person = Some(identity);
    liveness.same_person_threshold = Some(t.same_person);
    let faces: Vec<Face> = frames.iter().map(|f| f.face.clone()).collect();
    if track_breaks(&faces) || identity < t.same_person {
        liveness.refuse("the face changed during the check");
    }
    let least =
        |of: fn(&PairReading) -> Option<f32>| work.changed.iter().filter_map(of).reduce(f32::min);
    liveness.background_changed = least(|r| Some(r.changed));
    liveness.background_flat_changed = least(|r| r.flat);
    liveness.background_after_motion = least(|r| {
        r.moved
            .filter(|m| m.shift >= moved_copy::MIN_SHIFT)
            .map(|m| m.changed)
    });
    if let Some(why) = sensor_noise::refusal(&work.changed, frames.len().saturating_sub(1)) {
        liveness.refuse(why);
    }
    liveness.room_turned = Some(work.room_turned);
    if work.room_turned > room_tilt::MAX_DEG {
        liveness.refuse(
            "the whole picture turned with the face (a rotated camera or picture): \
             hold the camera upright and still, and turn your head",
        );
    }
    liveness.room_reshaped = work.room_reshaped;
    if work.room_reshaped.is_some_and(|r| r > t.room_shape) {
        liveness.refuse(
            "the room behind the face changed shape as the face turned (a picture swung \
             or warped in front of the camera): hold the camera still, and turn your head",
        );
    }
    if let Some(seen) = work.light {
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
        turns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f32, y: f32, w: f32) -> Face {
        Face::boxed([x, y, w, w * 1.2])
    }

    #[test]
    fn frontal_frames_are_embedded_as_captured_and_mirrored_in_equal_share() {
        for n in 1..=5 {
            let plan = mirror_plan(n);
            assert_eq!(plan.len(), n, "every frame has a view");
            let views: Vec<bool> = plan.iter().flatten().copied().collect();
            let mirrored = views.iter().filter(|m| **m).count();
            assert_eq!(mirrored * 2, views.len(), "{n} frames: {plan:?}");
            assert_eq!(
                views.len(),
                n + n % 2,
                "one run a frame, two for the odd one"
            );
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

//! Attack evaluation (`visage face attack-eval`): answers a camera in front
//! of the person would not produce, synthesised from real frames of a
//! person turning (a clip) and other people's photos, each examined as the
//! server examines an answer. Also used by the attack tests.

use image::RgbImage;
use serde::Serialize;

use super::answer::{self, Thresholds, Upload};
use super::challenge::{self, Action, Capture, Challenge, Colour};
use super::detect::Face;
use super::engine::FaceEngine;
use super::quality::pose;
use super::screen_light;
use super::BiometricError;

pub use super::forgery::{
    crept, drifted, jittered, lit, pasted, recaptured, sheared, sheared_into, swung, swung_into,
    tilted, tilted_into, turned, warped, zoomed, Warp,
};

/// Frames of a person: facing the camera, and turned (all one way).
pub struct Clip {
    pub centre: Vec<(RgbImage, Face)>,
    pub turned: Vec<(RgbImage, Face)>,
    pub turn: Action,
}

impl Clip {
    /// Sort frames by the pose they show; the turn is the side with more frames.
    pub fn from_frames(engine: &FaceEngine, frames: Vec<RgbImage>) -> Result<Clip, BiometricError> {
        let (mut centre, mut left, mut right) = (vec![], vec![], vec![]);
        for img in frames {
            let face = engine.analyze(&img, false)?.face;
            match challenge::classify(pose(&face).0) {
                Action::TurnLeft => left.push((img, face)),
                Action::TurnRight => right.push((img, face)),
                _ => centre.push((img, face)),
            }
        }
        let (turned, turn) = if right.len() >= left.len() {
            (right, Action::TurnRight)
        } else {
            (left, Action::TurnLeft)
        };
        if centre.is_empty() || turned.is_empty() {
            return Err(BiometricError::Challenge(
                "the clip needs frames facing the camera and turned to one side".into(),
            ));
        }
        Ok(Clip {
            centre,
            turned,
            turn,
        })
    }

    /// The frame for plan step `i` with `action`.
    fn frame(&self, i: usize, action: Action) -> Result<&(RgbImage, Face), BiometricError> {
        let set = if action == Action::Center {
            &self.centre
        } else {
            &self.turned
        };
        nth(set, i)
    }
}

/// Item `i` of a non-empty list, cycling.
fn nth<T>(v: &[T], i: usize) -> Result<&T, BiometricError> {
    v.get(i % v.len().max(1))
        .ok_or_else(|| BiometricError::Challenge("no frames to build an answer from".into()))
}

/// The attack species evaluated, and the bona fide reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Species {
    BonaFide,
    ReplayOtherChallenge,
    UnlitRecording,
    StillPhotoWarped,
    TwoPeople,
    OutOfOrder,
    TooFast,
    Recapture,
    /// Real-time injection: a warped still, tinted to each colour as shown.
    InjectedTintedStill,
    /// The same with each of the other people's photos as the still (their
    /// own rooms, many with little of it around the face).
    InjectedTintedPhoto,
    /// The same, with fresh noise added to every frame as a camera's
    /// sensor would: the stated limit (docs/face-liveness.md "Face liveness: what
    /// it catches"), measured rather than claimed refused.
    InjectedNoisyTintedStill,
    /// The same without noise, the whole picture drifting by a fraction
    /// of a pixel more each frame (a virtual camera's slow pan over one
    /// photo): measured, not claimed refused (the same stated limit).
    InjectedDriftingTintedStill,
    /// The same, the whole picture zoomed in and rolled a little more each
    /// frame (a virtual camera's slow zoom over one photo).
    InjectedZoomedTintedStill,
    /// The same, the whole picture moved by under a third of a pixel a
    /// frame (a pan slower than the drift).
    InjectedCreepingTintedStill,
    /// The same, the whole picture moved to its own place within a tenth
    /// of a pixel in each frame (a virtual camera's jitter, under the
    /// least motion `moved_copy` reads).
    InjectedJitteredTintedStill,
    /// The same with each of the other people's photos as the still.
    InjectedJitteredPhoto,
    /// Real-time injection of one still photo tilted in plane (the whole
    /// picture rotated about the face) into the turn, tinted to each
    /// colour as shown: its background changes as a camera's does.
    InjectedTiltedStill,
    /// The same with each of the other people's photos as the still (their
    /// own rooms, many with little of it around the face).
    InjectedTiltedPhoto,
    /// One still photo swung whole in perspective (a flat print turned
    /// about the vertical) into the turn, tinted to each colour as shown.
    InjectedSwungStill,
    /// The same with each of the other people's photos as the still.
    InjectedSwungPhoto,
    /// One still photo sheared whole across (each row slid sideways in
    /// proportion to its height) into the turn, tinted to each colour as
    /// shown: the room's edges keep most of their directions.
    InjectedShearedStill,
    /// The same with each of the other people's photos as the still.
    InjectedShearedPhoto,
}

impl Species {
    pub const ALL: [Species; 22] = [
        Species::BonaFide,
        Species::ReplayOtherChallenge,
        Species::UnlitRecording,
        Species::StillPhotoWarped,
        Species::TwoPeople,
        Species::OutOfOrder,
        Species::TooFast,
        Species::Recapture,
        Species::InjectedTintedStill,
        Species::InjectedTintedPhoto,
        Species::InjectedNoisyTintedStill,
        Species::InjectedDriftingTintedStill,
        Species::InjectedZoomedTintedStill,
        Species::InjectedCreepingTintedStill,
        Species::InjectedJitteredTintedStill,
        Species::InjectedJitteredPhoto,
        Species::InjectedTiltedStill,
        Species::InjectedTiltedPhoto,
        Species::InjectedSwungStill,
        Species::InjectedSwungPhoto,
        Species::InjectedShearedStill,
        Species::InjectedShearedPhoto,
    ];

    /// Frames made from one of the other people's photos (their own rooms).
    fn made_of_a_photo(self) -> bool {
        matches!(
            self,
            Species::InjectedTintedPhoto
                | Species::InjectedJitteredPhoto
                | Species::InjectedTiltedPhoto
                | Species::InjectedSwungPhoto
                | Species::InjectedShearedPhoto
        )
    }

    /// Needs other people's faces (`--others`): left out without them.
    pub fn needs_others(self) -> bool {
        self == Species::TwoPeople || self.made_of_a_photo()
    }

    /// Frames made from one still photo, warped into the movement.
    fn made_of_one_still(self) -> bool {
        matches!(
            self,
            Species::StillPhotoWarped
                | Species::InjectedTintedStill
                | Species::InjectedTintedPhoto
                | Species::InjectedNoisyTintedStill
                | Species::InjectedDriftingTintedStill
                | Species::InjectedZoomedTintedStill
                | Species::InjectedCreepingTintedStill
                | Species::InjectedJitteredTintedStill
                | Species::InjectedJitteredPhoto
                | Species::InjectedTiltedStill
                | Species::InjectedTiltedPhoto
                | Species::InjectedSwungStill
                | Species::InjectedSwungPhoto
                | Species::InjectedShearedStill
                | Species::InjectedShearedPhoto
        )
    }
}

/// Lowest and highest of a score over the answers that got that far.
pub type Range = Option<[f32; 2]>;

/// One species' result: answers tried, accepted, and the most common reason for refusal.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub species: Species,
    pub attempts: usize,
    pub accepted: usize,
    /// Which answers were accepted (their trial numbers), to trace them.
    pub accepted_trials: Vec<usize>,
    pub reason: Option<String>,
    /// The face's correlation with the colours shown (`screen_light`):
    /// lowest and highest over the answers that got that far.
    pub light: Range,
    /// The background's share of the screen's light (`screen_light`):
    /// lowest and highest over the answers that got that far.
    pub spill: Range,
    /// The least share of background pixels changed between consecutive
    /// frames (`sensor_noise`): lowest and highest over the answers.
    pub changed: Range,
    /// The least share of the background's flattest part changed between
    /// consecutive frames (`sensor_noise::flat_changed`): lowest and
    /// highest over the answers.
    pub flat_changed: Range,
    /// The least share of background pixels still differing once a moved
    /// picture's shift is undone (`moved_copy`): lowest and highest over
    /// the answers with a moved pair.
    pub after_motion: Range,
    /// Most the room behind the face turned from the frontal frame, in
    /// degrees (`room_tilt`): lowest and highest over the answers.
    pub room_turned: Range,
    /// Most the room changed shape from the frontal frame to a turned one,
    /// as a share of the limit (`room_swing`): lowest and highest over the
    /// answers.
    pub room_reshaped: Range,
    /// One person throughout (`answer`): the lowest similarity of the
    /// answer's frames to its frontal frames, lowest and highest over the
    /// answers whose movement was shown.
    pub same_person: Range,
}

/// Reflection strength of the synthesised screen light.
pub const LIGHT: f32 = 0.10;

fn jpeg(img: &RgbImage) -> Result<Vec<u8>, BiometricError> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .map_err(|e| BiometricError::Decode(e.to_string()))?;
    Ok(out.into_inner())
}

/// Most an injector's noise moves a colour level, either way.
pub const INJECTED_NOISE: f32 = 6.0;

/// Fresh noise on every pixel and channel (uniform, ±`INJECTED_NOISE`
/// levels), drawn anew for each frame from `seed`.
fn noisy(mut img: RgbImage, seed: u64) -> RgbImage {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for c in img.iter_mut() {
        let v = f32::from(*c) + rng.gen_range(-INJECTED_NOISE..=INJECTED_NOISE);
        *c = v.round().clamp(0.0, 255.0) as u8;
    }
    img
}

/// The frames of one answer of `species` to `ch`.
fn frames(
    engine: &FaceEngine,
    species: Species,
    ch: &Challenge,
    clip: &Clip,
    others: &[(RgbImage, Face)],
    (trial, recorded): (usize, &[Colour]),
) -> Result<Vec<Upload>, BiometricError> {
    let still = if species.made_of_a_photo() {
        nth(others, trial)?
    } else {
        nth(&clip.centre, trial)?
    };
    let sign = if clip.turn == Action::TurnLeft {
        -1.0
    } else {
        1.0
    };
    // The still moved whole: a little for each centre step (`by`, 0–3
    // times `step`), and into the turn for the turn's steps (searched once
    // per answer).
    let whole: Option<(Warp, f32, RgbImage)> = match species {
        Species::InjectedSwungStill | Species::InjectedSwungPhoto => Some((
            swung,
            0.5,
            swung_into(engine, &still.0, &still.1, clip.turn),
        )),
        Species::InjectedTiltedStill | Species::InjectedTiltedPhoto => Some((
            tilted,
            0.5,
            tilted_into(engine, &still.0, &still.1, clip.turn),
        )),
        Species::InjectedShearedStill | Species::InjectedShearedPhoto => Some((
            sheared,
            0.01,
            sheared_into(engine, &still.0, &still.1, clip.turn),
        )),
        _ => None,
    };
    let mut out = Vec::with_capacity(ch.steps.len());
    for (i, step) in ch.steps.iter().enumerate() {
        let (img, face) = clip.frame(i, step.action)?;
        let turn = step.action != Action::Center;
        // Warped or pasted frames get their face found again for the light.
        let moved = species.made_of_one_still() || (species == Species::TwoPeople && turn);
        let img = match (&whole, species) {
            (Some((_, _, into_turn)), _) if turn => into_turn.clone(),
            (Some((by, step, _)), _) => by(&still.0, &still.1, (i % 4) as f32 * step),
            _ if species.made_of_one_still() => {
                let k = (i % 4) as f32 * 0.01;
                if turn {
                    turned(engine, &still.0, &still.1, clip.turn, k)
                } else {
                    warped(&still.0, &still.1, sign * k)
                }
            }
            (_, Species::TwoPeople) if turn && !others.is_empty() => {
                // One attacker per answer: their own face in every turned frame.
                let (o, of) = nth(others, trial)?;
                let mixed = pasted(img, face.bbox, o, of.bbox);
                match engine.analyze(&mixed, false) {
                    Ok(a) => turned(engine, &mixed, &a.face, clip.turn, 0.0),
                    Err(_) => mixed,
                }
            }
            (_, Species::Recapture) => recaptured(img),
            _ => img.clone(),
        };
        let img = match species {
            Species::InjectedDriftingTintedStill => drifted(&img, i),
            Species::InjectedZoomedTintedStill => zoomed(&img, i),
            Species::InjectedCreepingTintedStill => crept(&img, i),
            Species::InjectedJitteredTintedStill | Species::InjectedJitteredPhoto => {
                jittered(&img, i)
            }
            _ => img,
        };
        let colour = match species {
            Species::UnlitRecording | Species::StillPhotoWarped => None,
            Species::ReplayOtherChallenge => recorded.get(i).copied(),
            _ => step.colour,
        };
        let img = match colour {
            // A print or a screen is one flat surface: the light falls on
            // all of it, the printed face and its printed background alike.
            Some(c) if species == Species::Recapture => {
                let (w, h) = (img.width() as f32, img.height() as f32);
                lit(&img, [-w, -h, 3.0 * w, 3.0 * h], c, LIGHT)
            }
            Some(c) => {
                let bbox = if moved {
                    engine
                        .analyze(&img, false)
                        .map_or(face.bbox, |a| a.face.bbox)
                } else {
                    face.bbox
                };
                lit(&img, bbox, c, LIGHT)
            }
            None => img,
        };
        let img = match species {
            Species::InjectedNoisyTintedStill => noisy(img, (trial * 64 + i) as u64),
            _ => img,
        };
        let gap = if species == Species::TooFast { 50 } else { 330 };
        let mut t = 1_000 + gap * i as i64;
        if species == Species::OutOfOrder && i == 1 {
            t = 900;
        }
        out.push(Upload {
            timestamp_ms: t,
            bytes: jpeg(&img)?,
        });
    }
    Ok(out)
}

/// A bona fide answer to `ch` from the clip (lit by its colours).
pub fn bona_fide(
    engine: &FaceEngine,
    ch: &Challenge,
    clip: &Clip,
) -> Result<Vec<Upload>, BiometricError> {
    frames(engine, Species::BonaFide, ch, clip, &[], (0, &[]))
}

/// Examine `trials` answers of every species, each to a new challenge
/// (centre, then the clip's turn; screen light on), as the server would.
pub fn evaluate(
    engine: &FaceEngine,
    clip: &Clip,
    others: &[(RgbImage, Face)],
    trials: usize,
    only: &[Species],
) -> Result<Vec<Row>, BiometricError> {
    let thresholds = Thresholds::of(engine, 2);
    let capture = Capture {
        frames: 8,
        blink_frames: 0,
        screen_light: true,
        ..Capture::default()
    };
    let mut rows = Vec::new();
    for species in Species::ALL {
        let wanted = only.is_empty() || species == Species::BonaFide || only.contains(&species);
        if !wanted || (species.needs_others() && others.is_empty()) {
            continue;
        }
        let (mut accepted, mut reasons) = (
            Vec::new(),
            std::collections::BTreeMap::<String, usize>::new(),
        );
        let (mut light, mut spill, mut changed, mut turned, mut reshaped, mut same): (
            Range,
            Range,
            Range,
            Range,
            Range,
            Range,
        ) = (None, None, None, None, None, None);
        let (mut after_motion, mut flat_changed): (Range, Range) = (None, None);
        let widen = |r: Range, s: f32| Some(r.map_or([s, s], |[lo, hi]| [lo.min(s), hi.max(s)]));
        for trial in 0..trials {
            // The person's earlier answer (the replay's recording) was lit
            // by `recorded`; the server draws the new challenge unlike it.
            let recorded = challenge::colours(capture.frames);
            let earlier = [recorded.clone()];
            let ch = challenge::issue_with(0, 600, vec![Action::Center, clip.turn])
                .planned_lit(capture, |n| {
                    screen_light::unlike(&mut rand::thread_rng(), n, &earlier)
                });
            let uploads = frames(engine, species, &ch, clip, others, (trial, &recorded))?;
            let examined = answer::examine(engine, &ch, &uploads, thresholds, 1);
            if let Ok(ev) = &examined {
                if let Some(l) = ev.liveness.screen_light {
                    light = widen(light, l);
                }
                if let Some(s) = ev.liveness.screen_light_spill {
                    spill = widen(spill, s);
                }
                if let Some(c) = ev.liveness.background_changed {
                    changed = widen(changed, c);
                }
                if let Some(f) = ev.liveness.background_flat_changed {
                    flat_changed = widen(flat_changed, f);
                }
                if let Some(m) = ev.liveness.background_after_motion {
                    after_motion = widen(after_motion, m);
                }
                if let Some(d) = ev.liveness.room_turned {
                    turned = widen(turned, d);
                }
                if let Some(r) = ev.liveness.room_reshaped {
                    reshaped = widen(reshaped, r);
                }
                // Only where the movement was shown: otherwise no frame
                // of an action was there to be compared.
                if let Some(p) = ev
                    .liveness
                    .same_person
                    .filter(|_| ev.liveness.active_passed)
                {
                    same = widen(same, p);
                }
            }
            let reason = match examined {
                Ok(ev) if ev.liveness.live => None,
                Ok(ev) => ev.liveness.reason,
                Err(e) => Some(e.to_string()),
            };
            match reason {
                None => accepted.push(trial),
                Some(r) => *reasons.entry(r).or_default() += 1,
            }
        }
        rows.push(Row {
            species,
            attempts: trials,
            accepted: accepted.len(),
            accepted_trials: accepted,
            reason: reasons.into_iter().max_by_key(|(_, n)| *n).map(|(r, _)| r),
            light,
            spill,
            changed,
            flat_changed,
            after_motion,
            room_turned: turned,
            room_reshaped: reshaped,
            same_person: same,
        });
    }
    Ok(rows)
}

//! Attack evaluation (`visage face attack-eval`): answers a camera in front
//! of the person would not produce, synthesised from real frames of a
//! person turning (a clip) and other people's photos, each examined as the
//! server examines an answer. Also used by the attack tests.

use image::{imageops, RgbImage};
use serde::Serialize;

use super::align;
use super::answer::{self, Thresholds, Upload};
use super::challenge::{self, Action, Capture, Challenge, Colour};
use super::detect::Face;
use super::engine::FaceEngine;
use super::quality::pose;
use super::screen_light;
use super::BiometricError;

/// The screen's light on the face: `colour` added to the face, fading
/// towards its edges (the room behind is too far to be lit).
pub fn lit(img: &RgbImage, face_box: [f32; 4], colour: Colour, strength: f32) -> RgbImage {
    let rgb = colour.rgb().map(|c| c * 255.0);
    let [x, y, w, h] = face_box;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let mut out = img.clone();
    for (px, py, p) in out.enumerate_pixels_mut() {
        let d = ((px as f32 - cx) / (w * 0.6)).powi(2) + ((py as f32 - cy) / (h * 0.6)).powi(2);
        let a = strength * (1.0 - d).max(0.0);
        for (v, c) in p.0.iter_mut().zip(&rgb) {
            *v = (f32::from(*v) * (1.0 - a) + c * a).round() as u8;
        }
    }
    out
}

/// A still face "turned" by a 2D warp: pixels around the nose slide
/// towards the image's right by `amount` face widths (negative: left); the
/// eyes and the outline move less (a cheap animation of one photo).
pub fn warped(img: &RgbImage, face: &Face, amount: f32) -> RgbImage {
    let (w, nose) = (face.bbox[2], face.landmarks[2]);
    let sigma2 = 2.0 * (0.22 * w).powi(2);
    let shift = |x: f32, y: f32| {
        amount * w * (-((x - nose.x).powi(2) + (y - nose.y).powi(2)) / sigma2).exp()
    };
    let max_x = img.width().saturating_sub(1) as f32;
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let sx = (x as f32 - shift(x as f32, y as f32))
            .round()
            .clamp(0.0, max_x);
        *img.get_pixel(sx as u32, y)
    })
}

/// A still face warped until it shows `turn` (a larger warp each try).
pub fn turned(
    engine: &FaceEngine,
    img: &RgbImage,
    face: &Face,
    turn: Action,
    extra: f32,
) -> RgbImage {
    let sign = if turn == Action::TurnLeft { -1.0 } else { 1.0 };
    let mut out = warped(img, face, sign * (0.12 + extra));
    for amount in [0.16, 0.2, 0.25, 0.3] {
        let shows = engine
            .analyze(&out, false)
            .is_ok_and(|a| challenge::classify(pose(&a.face).0 / CLEAR_TURN) == turn);
        if shows {
            break;
        }
        out = warped(img, face, sign * (amount + extra));
    }
    out
}

/// The whole picture rotated in plane by `degrees` about the face's
/// centre (bilinear): a photo tilted, not a head turned.
pub fn tilted(img: &RgbImage, face: &Face, degrees: f32) -> RgbImage {
    let [x, y, w, h] = face.bbox;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    align::warp(img, img.dimensions(), |u, v| {
        let (dx, dy) = (u - cx, v - cy);
        (cx + cos * dx + sin * dy, cy - sin * dx + cos * dy)
    })
}

/// The whole picture of frame `i` moved by 0.7 + 0.9 · `i` pixels across
/// and 0.6 times that down (bilinear): a photo panned slowly, so no pixel
/// of it stays as it was.
pub fn drifted(img: &RgbImage, i: usize) -> RgbImage {
    let d = 0.7 + 0.9 * i as f32;
    align::warp(img, img.dimensions(), |u, v| (u - d, v - 0.6 * d))
}

/// A warp of a whole still by an amount (degrees, a slope), about a face.
pub type Warp = fn(&RgbImage, &Face, f32) -> RgbImage;

/// The whole picture sheared across by `slope` (each row shifted by
/// `slope` times its height above or below the face's centre): the nose,
/// below the eyes, slides sideways against them as in a turn.
pub fn sheared(img: &RgbImage, face: &Face, slope: f32) -> RgbImage {
    let [x, y, w, h] = face.bbox;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    align::warp(img, img.dimensions(), |u, v| {
        (cx + (u - cx) - slope * (v - cy), v)
    })
}

/// The whole picture as a flat print of it would look turned by
/// `degrees` about the vertical line through the face (perspective, the
/// camera's focal length one picture width): the cheapest 3D-looking
/// animation of one photo.
pub fn swung(img: &RgbImage, face: &Face, degrees: f32) -> RgbImage {
    let [x, y, w, h] = face.bbox;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let f = img.width() as f32;
    let (sin, cos) = degrees.to_radians().sin_cos();
    align::warp(img, img.dimensions(), |u, v| {
        let (du, dv) = (u - cx, v - cy);
        let px = du * f / (f * cos - du * sin).max(1e-3);
        let py = dv * (f + px * sin) / f;
        (cx + px, cy + py)
    })
}

/// How far past the turn threshold a warped still must read before an
/// attacker trusts it: the step's light and the JPEG on the way move the
/// detector's yaw by up to a fifth of the threshold, and a frame that
/// reads as a turn only before them fails the movement check by chance.
const CLEAR_TURN: f32 = 1.4;

/// The first of `amounts` (each tried either way) whose `make` the
/// detector reads as clearly showing `turn` (`CLEAR_TURN`); the largest
/// when none does.
fn first_showing(
    engine: &FaceEngine,
    turn: Action,
    amounts: &[f32],
    make: impl Fn(f32) -> RgbImage,
) -> RgbImage {
    for amount in amounts {
        for sign in [1.0, -1.0] {
            let out = make(sign * amount);
            let shows = engine
                .analyze(&out, false)
                .is_ok_and(|a| challenge::classify(pose(&a.face).0 / CLEAR_TURN) == turn);
            if shows {
                return out;
            }
        }
    }
    make(amounts.last().copied().unwrap_or_default())
}

/// A still photo swung in perspective until the face seems to show `turn`
/// (a larger swing each try, either way), if any does.
pub fn swung_into(engine: &FaceEngine, img: &RgbImage, face: &Face, turn: Action) -> RgbImage {
    first_showing(engine, turn, &[15.0, 25.0, 35.0, 45.0, 55.0], |d| {
        swung(img, face, d)
    })
}

/// A still photo sheared across until the face seems to show `turn` (a
/// larger slope each try, either way), if any does.
pub fn sheared_into(engine: &FaceEngine, img: &RgbImage, face: &Face, turn: Action) -> RgbImage {
    first_showing(engine, turn, &[0.2, 0.3, 0.4, 0.5, 0.6, 0.7], |k| {
        sheared(img, face, k)
    })
}

/// A still photo tilted in plane until the face seems to show `turn`
/// (a larger tilt each try, either way), if any tilt does.
pub fn tilted_into(engine: &FaceEngine, img: &RgbImage, face: &Face, turn: Action) -> RgbImage {
    first_showing(engine, turn, &[8.0, 12.0, 16.0, 20.0, 25.0, 30.0], |d| {
        tilted(img, face, d)
    })
}

/// `other`'s face (box `other_box`) pasted over `base`'s face box, resized
/// to it, so a face track does not jump.
pub fn pasted(
    base: &RgbImage,
    base_box: [f32; 4],
    other: &RgbImage,
    other_box: [f32; 4],
) -> RgbImage {
    let [ox, oy, ow, oh] = other_box.map(|v| v.max(1.0) as u32);
    let [bx, by, bw, bh] = base_box.map(|v| v.max(1.0) as u32);
    let crop = imageops::crop_imm(other, ox, oy, ow, oh).to_image();
    let patch = imageops::resize(&crop, bw, bh, imageops::FilterType::Triangle);
    let mut out = base.clone();
    imageops::replace(&mut out, &patch, i64::from(bx), i64::from(by));
    out
}

/// A print or screen held to the camera, as far as software can say: the
/// recapture blurs, flattens the contrast (gamma), and adds the moiré of a
/// pixel grid.
pub fn recaptured(img: &RgbImage) -> RgbImage {
    let soft = imageops::blur(img, 1.2);
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let p = soft.get_pixel(x, y).0;
        let moire = 8.0 * ((x as f32 * 0.9).sin() * (y as f32 * 0.7).sin());
        image::Rgb(p.map(|v| {
            let g = 255.0 * (f32::from(v) / 255.0).powf(0.8) * 0.85 + 20.0 + moire;
            g.clamp(0.0, 255.0) as u8
        }))
    })
}

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
    /// The same, with fresh noise added to every frame as a camera's
    /// sensor would: the stated limit (docs/face-liveness.md "Face liveness: what
    /// it catches"), measured rather than claimed refused.
    InjectedNoisyTintedStill,
    /// The same without noise, the whole picture drifting by a fraction
    /// of a pixel more each frame (a virtual camera's slow pan over one
    /// photo): measured, not claimed refused (the same stated limit).
    InjectedDriftingTintedStill,
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
    pub const ALL: [Species; 17] = [
        Species::BonaFide,
        Species::ReplayOtherChallenge,
        Species::UnlitRecording,
        Species::StillPhotoWarped,
        Species::TwoPeople,
        Species::OutOfOrder,
        Species::TooFast,
        Species::Recapture,
        Species::InjectedTintedStill,
        Species::InjectedNoisyTintedStill,
        Species::InjectedDriftingTintedStill,
        Species::InjectedTiltedStill,
        Species::InjectedTiltedPhoto,
        Species::InjectedSwungStill,
        Species::InjectedSwungPhoto,
        Species::InjectedShearedStill,
        Species::InjectedShearedPhoto,
    ];

    /// Frames made from one still photo, warped into the movement.
    fn made_of_one_still(self) -> bool {
        matches!(
            self,
            Species::StillPhotoWarped
                | Species::InjectedTintedStill
                | Species::InjectedNoisyTintedStill
                | Species::InjectedDriftingTintedStill
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
    let still = match species {
        Species::InjectedTiltedPhoto
        | Species::InjectedSwungPhoto
        | Species::InjectedShearedPhoto => nth(others, trial)?,
        _ => nth(&clip.centre, trial)?,
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
        let needs_others = matches!(
            species,
            Species::TwoPeople
                | Species::InjectedTiltedPhoto
                | Species::InjectedSwungPhoto
                | Species::InjectedShearedPhoto
        );
        if !wanted || (needs_others && others.is_empty()) {
            continue;
        }
        let (mut accepted, mut reasons) = (0, std::collections::BTreeMap::<String, usize>::new());
        let (mut light, mut spill, mut changed, mut turned, mut reshaped, mut same): (
            Range,
            Range,
            Range,
            Range,
            Range,
            Range,
        ) = (None, None, None, None, None, None);
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
                None => accepted += 1,
                Some(r) => *reasons.entry(r).or_default() += 1,
            }
        }
        rows.push(Row {
            species,
            attempts: trials,
            accepted,
            reason: reasons.into_iter().max_by_key(|(_, n)| *n).map(|(r, _)| r),
            light,
            spill,
            changed,
            room_turned: turned,
            room_reshaped: reshaped,
            same_person: same,
        });
    }
    Ok(rows)
}

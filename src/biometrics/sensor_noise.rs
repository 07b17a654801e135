//! A camera's frames each carry fresh sensor noise: between two frames
//! taken 300 ms apart, almost every pixel of the room behind the person
//! changes a little, even where nothing moved. Frames made from one
//! picture (a still injected into the browser, warped into a head turn and
//! tinted to the screen's colours) share that picture's pixels wherever the
//! forgery left them alone, so most of their background does not change
//! at all. An injector that adds fresh noise to every frame is not caught
//! by this (docs/face-liveness.md "Face liveness: what it catches").

use image::RgbImage;

use super::detect::Face;
use super::moved_copy::{self, Moved, Picture};
use super::BiometricError;

/// Least share of a frame the room must fill, outside both faces' boxes
/// grown by half on each side, for a pair of frames to be read. The real
/// carphone recording shows 47–58 %; a close-up portrait, the face filling
/// the frame, shows none, and left every check of the room nothing to
/// compare (docs/face-liveness.md, "Close-ups and frame sizes").
pub const MIN_ROOM: f32 = 0.05;

/// Below this share of room the camera page asks the person to move back
/// (`quality::Hint::Farther`): twice the least, so a head turn, which
/// widens the face's box, does not cross it during the check.
pub const ASK_FARTHER: f32 = 2.0 * MIN_ROOM;

/// Share of a `w` × `h` frame outside the face's box grown by half on each
/// side: the room the checks read.
pub fn room_share((w, h): (u32, u32), face: &Face) -> f32 {
    let [x, y, bw, bh] = face.bbox;
    let (w, h) = (w as f32, h as f32);
    let across = ((x + 1.5 * bw).min(w) - (x - bw / 2.0).max(0.0)).max(0.0);
    let down = ((y + 1.5 * bh).min(h) - (y - bh / 2.0).max(0.0)).max(0.0);
    1.0 - across * down / (w * h).max(1.0)
}

/// Share of the background's pixels (sampled) that differ at all between
/// two frames of the same size; None when the sizes differ or too little
/// of the background (under [`MIN_ROOM`]) is left outside both faces.
pub fn changed_share(a: &RgbImage, b: &RgbImage, fa: &Face, fb: &Face) -> Option<f32> {
    if a.dimensions() != b.dimensions() {
        return None;
    }
    // Outside each face's box grown by half on each side (hair, neck).
    let (mut seen, mut changed) = (0u32, 0u32);
    for py in (0..a.height()).step_by(2) {
        for px in (0..a.width()).step_by(2) {
            let (x, y) = (px as f32, py as f32);
            if fa.near(x, y) || fb.near(x, y) {
                continue;
            }
            seen += 1;
            if a.get_pixel(px, py) != b.get_pixel(px, py) {
                changed += 1;
            }
        }
    }
    let all = a.width().div_ceil(2) * a.height().div_ceil(2);
    (seen > 0 && seen as f32 >= MIN_ROOM * all as f32).then(|| changed as f32 / seen as f32)
}

/// A camera's frames of one check are all one size: frames that differ
/// could not be compared pixel for pixel by any check of the room.
pub fn one_size(sizes: impl IntoIterator<Item = (u32, u32)>) -> Result<(), BiometricError> {
    let mut sizes = sizes.into_iter();
    let first = sizes.next();
    match sizes.find(|s| Some(*s) != first) {
        Some((w, h)) => Err(BiometricError::Challenge(format!(
            "the frames of one check differ in size ({w}x{h} among them): \
             send them all from one camera"
        ))),
        None => Ok(()),
    }
}

/// How the room of one consecutive pair of frames compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairReading {
    /// Share of the room's pixels that differ at all ([`changed_share`]).
    pub changed: f32,
    /// Share of the room's flattest part that changed by a level or more
    /// ([`flat_changed`]); None where the room has too little of it.
    pub flat: Option<f32>,
    /// The room once the picture's motion is undone, where enough of it
    /// changed and one motion explains it (`moved_copy::after_motion`).
    pub moved: Option<Moved>,
}

impl PairReading {
    /// Whether the pair is one picture there: frozen, unchanged where the
    /// room is flat, or one picture moved whole.
    pub fn one_picture(&self) -> bool {
        self.changed < MIN_CHANGED
            || self.flat.is_some_and(|f| f < MIN_FLAT_CHANGED)
            || self.moved.is_some_and(|m| m.is_copy())
    }
}

/// Why the room refuses an answer of `pairs` consecutive pairs of frames,
/// `readings` those whose room could be read: most pairs show too little
/// of the room to be read, or most are one picture ([`frozen`]).
pub fn refusal(readings: &[PairReading], pairs: usize) -> Option<&'static str> {
    if 2 * readings.len() < pairs {
        Some(
            "too little of the room shows around your face: hold the camera a little \
             farther away",
        )
    } else if frozen(readings) {
        Some(
            "the picture behind the face did not change between frames as a camera's does \
             (turn off any virtual background)",
        )
    } else {
        None
    }
}

/// Below this share of changed background pixels, two frames are frozen
/// copies of one picture there. Measured (docs/face.md): consecutive frames
/// of the real carphone recording change 96–100 % of their background,
/// frames made from one still 0–1 %.
pub const MIN_CHANGED: f32 = 0.1;

/// Whether most consecutive pairs of frames are one picture
/// ([`PairReading::one_picture`]).
pub fn frozen(readings: &[PairReading]) -> bool {
    let still = readings.iter().filter(|r| r.one_picture()).count();
    !readings.is_empty() && 2 * still > readings.len()
}

/// Levels by which a flat room pixel must differ to count as changed.
const FLAT_LEVELS: f32 = 1.0;

/// Below this share of the room's flattest part changed by
/// [`FLAT_LEVELS`], a pair is one picture however much changed elsewhere.
/// A camera's fresh noise changes a flat wall as much as anything else in
/// the room; resampling one picture by a fraction of a pixel, and
/// compressing it again, changes its edges and leaves its flat parts as
/// they were. Measured (`scripts/experiments/still_camera.py`, carphone
/// frames, the share over its flattest third): a camera held still whose
/// frames carry noise of σ 1 level, JPEG 85 as the page sends, 0.43–0.47
/// (σ 0.5: 0.16–0.21); one picture moved by 0.02–0.1 px and saved again as
/// JPEG 75, 85 or 95, 0.00–0.02; the carphone's own frames 0.52–0.79.
pub const MIN_FLAT_CHANGED: f32 = 0.1;

/// Brightness where a camera's noise shows: a wall burnt out to white (a
/// window behind the person) or sunk to black keeps its value in every
/// frame of any camera.
const UNCLIPPED: std::ops::RangeInclusive<f32> = 4.0..=251.0;

/// Fewest flat samples to judge on.
const MIN_FLAT_SAMPLES: usize = 200;

/// Share of the room's flattest third (one sample per quarter-size pixel,
/// outside both faces as [`Face::near`] grows them (`moved_copy::room`), neither black nor
/// white ([`UNCLIPPED`]); flattest by the
/// gradient of `b` at quarter size, where a camera's noise is averaged
/// out) whose brightness differs by [`FLAT_LEVELS`] or more between the
/// two frames; None when the sizes differ or too few samples are left.
pub fn flat_changed(a: &Picture, b: &Picture, fa: &Face, fb: &Face) -> Option<f32> {
    let (pa, pb, q) = (&a.full, &b.full, &b.quarter);
    if (pa.w, pa.h) != (pb.w, pb.h) || q.w < 3 || q.h < 3 {
        return None;
    }
    let mut samples: Vec<(f32, bool)> = Vec::new();
    for (qx, qy) in moved_copy::room((q.w, q.h, 4.0), fa, fb, 1, 1) {
        let (x, y) = (4 * qx + 2, 4 * qy + 2);
        // Clipped to black or white, a camera's noise is clipped too.
        let v = pb.get(x, y);
        if x >= pa.w || y >= pa.h || !UNCLIPPED.contains(&v) {
            continue;
        }
        let (gx, gy) = q.gradient(qx, qy);
        let differs = (pa.get(x, y) - v).abs() >= FLAT_LEVELS;
        samples.push((gx.abs().max(gy.abs()), differs));
    }
    let third = samples.len() / 3;
    if third < MIN_FLAT_SAMPLES {
        return None;
    }
    samples.select_nth_unstable_by(third, |p, q| p.0.total_cmp(&q.0));
    let flattest = samples.get(..third)?;
    let changed = flattest.iter().filter(|(_, d)| *d).count();
    Some(changed as f32 / third as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face() -> Face {
        Face::boxed([30.0, 30.0, 20.0, 24.0])
    }

    /// A flat grey room with a camera's noise (seeded).
    fn noisy(seed: u64) -> RgbImage {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        RgbImage::from_fn(120, 100, |_, _| {
            let v = 128u8.saturating_add_signed(rng.gen_range(-2..=2));
            image::Rgb([v, v, v])
        })
    }

    fn read(changed: f32) -> PairReading {
        PairReading {
            changed,
            flat: None,
            moved: None,
        }
    }

    #[test]
    fn camera_frames_change_everywhere_and_copies_of_one_picture_do_not() {
        let (a, b) = (noisy(1), noisy(2));
        let fresh = changed_share(&a, &b, &face(), &face()).unwrap();
        assert!(fresh > 0.5, "{fresh}");
        // The same picture with only the face redrawn (warped, tinted).
        let mut copy = a.clone();
        for y in 30..54 {
            for x in 30..50 {
                copy.put_pixel(x, y, image::Rgb([200, 150, 130]));
            }
        }
        let same = changed_share(&a, &copy, &face(), &face()).unwrap();
        assert_eq!(same, 0.0);
        let (same, fresh) = (read(same), read(fresh));
        assert!(frozen(&[same, same, fresh]));
        assert!(
            !frozen(&[fresh, same, fresh]),
            "one repeated frame is not a forgery"
        );
        let moved = PairReading {
            moved: Some(Moved {
                shift: 1.0,
                changed: 0.05,
            }),
            ..fresh
        };
        assert!(
            frozen(&[fresh, same, moved]),
            "nor one moved copy, but both are"
        );
        let unchanged_where_flat = PairReading {
            flat: Some(0.02),
            ..fresh
        };
        assert!(frozen(&[unchanged_where_flat, same, fresh]));
        assert!(!frozen(&[]));
    }

    /// Half a plain wall, half fine texture (shelves of books), 320 × 240.
    fn wall_and_shelves() -> RgbImage {
        RgbImage::from_fn(320, 240, |x, y| {
            let mut v = 110.0;
            if x >= 160 {
                v += 60.0 * (x as f32 * 0.9).sin() * (y as f32 * 0.7).sin();
            }
            let v = v.clamp(0.0, 255.0) as u8;
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn a_picture_moved_by_a_hair_keeps_its_flat_parts_and_a_camera_does_not() {
        use super::super::forgery::jittered;
        use rand::{Rng, SeedableRng};
        let scene = wall_and_shelves();
        let face = Face::boxed([40.0, 60.0, 40.0, 48.0]);
        let pictures = |a: &RgbImage, b: &RgbImage| (Picture::of(a), Picture::of(b));
        // A camera held still: fresh noise on every frame.
        let camera = |seed| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut img = scene.clone();
            img.iter_mut()
                .for_each(|v| *v = v.saturating_add_signed(rng.gen_range(-2..=2)));
            img
        };
        let (a, b) = (camera(1), camera(2));
        let (pa, pb) = pictures(&a, &b);
        // Its wall changes by a level or more in about half its samples
        // (each channel's noise ±2 levels, weighed into brightness).
        let fresh = flat_changed(&pa, &pb, &face, &face).unwrap();
        assert!(fresh > 0.4, "{fresh}");
        // One picture moved by under a tenth of a pixel: enough of its
        // textured half changes for the frozen check alone to let it by,
        // its plain wall does not.
        let (a, b) = (jittered(&scene, 0), jittered(&scene, 1));
        assert!(changed_share(&a, &b, &face, &face).unwrap() >= MIN_CHANGED);
        let (pa, pb) = pictures(&a, &b);
        let copy = flat_changed(&pa, &pb, &face, &face).unwrap();
        assert!(copy < MIN_FLAT_CHANGED, "{copy}");
        // Too small a frame to judge.
        let small = Picture::of(&RgbImage::new(40, 40));
        assert_eq!(flat_changed(&small, &small, &face, &face), None);
    }

    #[test]
    fn a_face_that_fills_the_frame_leaves_no_room_to_read() {
        let (a, b) = (noisy(1), noisy(2));
        // The face's box grown by half on each side covers the whole frame
        // but for a strip at the right: 2 of 60 sampled columns (3 %,
        // under the least share), then 4 (7 %).
        let close = Face::boxed([29.0, 30.0, 58.0, 60.0]);
        assert_eq!(changed_share(&a, &b, &close, &close), None);
        assert!((room_share((120, 100), &close) - 4.0 / 120.0).abs() < 1e-6);
        let farther = Face::boxed([28.0, 30.0, 56.0, 60.0]);
        assert!(changed_share(&a, &b, &farther, &farther).is_some());
        assert!((room_share((120, 100), &farther) - 8.0 / 120.0).abs() < 1e-6);
        // Most pairs unread: refused as hiding the room, even if the pairs
        // read are a camera's.
        let why = refusal(&[read(0.9)], 3).unwrap();
        assert!(why.contains("too little of the room"), "{why}");
        assert_eq!(refusal(&[read(0.9), read(0.9)], 3), None);
        assert!(refusal(&[read(0.0), read(0.0)], 3)
            .unwrap()
            .contains("did not change"));
    }

    #[test]
    fn frames_of_one_check_are_one_size() {
        assert!(one_size([(640, 480), (640, 480)]).is_ok());
        assert!(one_size([]).is_ok());
        let e = one_size([(640, 480), (640, 480), (638, 480)]).unwrap_err();
        assert!(e.to_string().contains("638x480"), "{e}");
    }
}

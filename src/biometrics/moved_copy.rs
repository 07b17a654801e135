//! A virtual camera panning, zooming or rolling over one photo moves the
//! whole picture a little each frame: most of the room's pixels change, so
//! the frozen-background check (`sensor_noise`) sees what a camera's fresh
//! noise would give. Undo that motion and the room is the same picture
//! again, up to resampling and compression, where a camera's room still
//! differs by its fresh noise (and its scene's own depth and movement).
//! This finds the one affine motion of the whole picture (a shift, a roll
//! in its plane, a zoom, a shear) that best carries the first frame's room
//! onto the second's and says how much of the room still differs then.
//!
//! What it does not catch: an injector that adds fresh noise to every
//! frame (or renders each anew) — the stated limit of
//! docs/face-liveness.md — nor a motion under `MIN_SHIFT` (about a sixth
//! of a pixel) from one frame to the next: such a copy keeps its flat
//! parts as they were, which `sensor_noise::flat_changed` reads. Whether a motion explains the
//! change is judged at the room's edges, where a fraction of a pixel moves
//! the values by more than resampling and compression do.

use image::RgbImage;

use super::detect::Face;
use super::room_swing;

/// Smallest motion (the farthest a corner of the picture moved, in
/// pixels) read as the picture having moved: below it the frames are
/// compared where they are (`sensor_noise`). A camera that stood still
/// gains nothing from any motion (`EXPLAINED`), so this only keeps
/// readings of no motion out.
pub const MIN_SHIFT: f32 = 0.15;

/// Levels by which a room pixel must differ, the motion undone, to count
/// as changed: above resampling's and a JPEG's own error on one picture.
const LEVELS: f32 = 2.0;

/// Below this share of room pixels changed once the motion is undone, a
/// moved pair is a copy of one picture. Measured on the carphone frames
/// (JPEG 85 as the page sends): consecutive real frames 0.29–0.58; one of
/// them moved by 1 px a frame and saved again as JPEG 75 or 95, 0.01–0.18
/// (`scripts/experiments/moved_copy.py`).
pub const MIN_CHANGED: f32 = 0.22;

/// The motion must explain the change: the room's mean difference at its
/// edges (`EDGE`) once undone at most this share of the difference there
/// as the frames lie. A camera that did not move, whose frames differ by
/// noise alone, gains nothing from any motion and is left to
/// `sensor_noise`.
const EXPLAINED: f32 = 0.5;

/// Levels per pixel of the room's steepest direction at an edge (where
/// fewer than a fifth of `MIN_POINTS` samples are edges, the whole room
/// is judged).
const EDGE: f32 = 8.0;

/// Sample spacing over the room, in pixels (and in quarter-size pixels
/// for the coarse search).
const STEP: usize = 4;
const COARSE_STEP: usize = 2;

/// Largest shift searched, in quarter-size pixels (12 full-size pixels).
const REACH: i32 = 3;

/// Most Gauss–Newton steps at each size, and the step (the farthest a
/// corner of the picture moves by it, in pixels) small enough to stop at:
/// a tenth of a pixel changes the share over `LEVELS` by little.
const ITERATIONS: usize = 6;
const SETTLED: f32 = 0.1;

/// Fewest room samples to judge on.
const MIN_POINTS: usize = 500;

/// One frame's brightness, as floats.
pub(super) struct Plane {
    pub(super) w: usize,
    pub(super) h: usize,
    v: Vec<f32>,
}

impl Plane {
    pub(super) fn get(&self, x: usize, y: usize) -> f32 {
        self.v.get(y * self.w + x).copied().unwrap_or(0.0)
    }

    /// Levels per pixel across and down at (x, y), inside the border.
    pub(super) fn gradient(&self, x: usize, y: usize) -> (f32, f32) {
        (
            (self.get(x + 1, y) - self.get(x - 1, y)) / 2.0,
            (self.get(x, y + 1) - self.get(x, y - 1)) / 2.0,
        )
    }

    /// Bilinear value at (x, y); None outside the picture.
    fn at(&self, x: f32, y: f32) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0) {
            return None;
        }
        let (x0, y0) = (x as usize, y as usize);
        if x0 + 1 >= self.w || y0 + 1 >= self.h {
            return None;
        }
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let i = y0 * self.w + x0;
        let px = |k: usize| self.v.get(k).copied().unwrap_or(0.0);
        let top = px(i) + (px(i + 1) - px(i)) * fx;
        let bottom = px(i + self.w) + (px(i + self.w + 1) - px(i + self.w)) * fx;
        Some(top + (bottom - top) * fy)
    }
}

/// A frame's brightness at full and quarter size, made once per frame.
pub struct Picture {
    pub(super) full: Plane,
    pub(super) quarter: Plane,
}

impl Picture {
    pub fn of(img: &RgbImage) -> Picture {
        let plane = |scale| {
            let (w, h, v) = room_swing::grey(img, scale);
            Plane { w, h, v }
        };
        Picture {
            full: plane(1),
            quarter: plane(4),
        }
    }
}

/// The room's sample points: every `step`-th pixel of a `w` × `h` plane
/// (`scale` full-size pixels each) outside both faces (as `Face::near`
/// grows them), `margin` pixels inside the border.
pub(super) fn room(
    (w, h, scale): (usize, usize, f32),
    fa: &Face,
    fb: &Face,
    step: usize,
    margin: usize,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for y in (margin..h.saturating_sub(margin)).step_by(step) {
        for x in (margin..w.saturating_sub(margin)).step_by(step) {
            let (px, py) = (x as f32 * scale, y as f32 * scale);
            if !fa.near(px, py) && !fb.near(px, py) {
                out.push((x, y));
            }
        }
    }
    out
}

/// How the picture moved from one frame to the next: the pixel at
/// (x, y) of the second came from (x, y) − `at(x, y)` of the first, an
/// affine map (a shift, a turn of the picture in its plane, a zoom, a
/// shear). Across it moved by p0 + p1·X + p2·Y, down by p3 + p4·X + p5·Y,
/// in full-size pixels, X and Y measured from the picture's centre in
/// half its width.
#[derive(Debug, Clone, Copy)]
struct Motion {
    p: [f32; 6],
    centre: (f32, f32),
    half: f32,
}

impl Motion {
    /// No motion, for a picture of `w` × `h` full-size pixels.
    fn none(w: usize, h: usize) -> Motion {
        Motion {
            p: [0.0; 6],
            centre: (w as f32 / 2.0, h as f32 / 2.0),
            half: (w as f32 / 2.0).max(1.0),
        }
    }

    /// X and Y of a full-size point.
    fn xy(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.centre.0) / self.half,
            (y - self.centre.1) / self.half,
        )
    }

    /// How far the full-size point (x, y) moved.
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        let (u, v) = self.xy(x, y);
        let [a0, a1, a2, b0, b1, b2] = self.p;
        (a0 + a1 * u + a2 * v, b0 + b1 * u + b2 * v)
    }

    /// The farthest any corner of the picture moved.
    fn farthest(&self) -> f32 {
        let (cx, cy) = self.centre;
        [
            (0.0, 0.0),
            (2.0 * cx, 0.0),
            (0.0, 2.0 * cy),
            (2.0 * cx, 2.0 * cy),
        ]
        .iter()
        .map(|&(x, y)| {
            let (dx, dy) = self.at(x, y);
            dx.hypot(dy)
        })
        .fold(0.0, f32::max)
    }
}

/// Mean absolute difference between `a` moved by `m` and `b` over
/// `points` of the full-size planes, with the share of points over
/// `LEVELS`; None where no point stays inside `a`.
fn residual(a: &Plane, b: &Plane, points: &[(usize, usize)], m: &Motion) -> Option<(f32, f32)> {
    let (mut sum, mut over, mut n) = (0.0f32, 0usize, 0usize);
    for &(x, y) in points {
        let (dx, dy) = m.at(x as f32, y as f32);
        let Some(va) = a.at(x as f32 - dx, y as f32 - dy) else {
            continue;
        };
        let diff = (va - b.get(x, y)).abs();
        sum += diff;
        over += usize::from(diff >= LEVELS);
        n += 1;
    }
    (n > 0).then(|| (sum / n as f32, over as f32 / n as f32))
}

/// The whole-pixel shift at quarter size, within `REACH`, that best
/// carries `a` onto `b` there (in full-size pixels).
fn coarse(a: &Plane, b: &Plane, points: &[(usize, usize)]) -> (f32, f32) {
    let mut best = (f32::MAX, (0.0, 0.0));
    for dy in -REACH..=REACH {
        for dx in -REACH..=REACH {
            let (mut sum, mut n) = (0.0f32, 0usize);
            for &(x, y) in points {
                let (u, v) = (x as i32 - dx, y as i32 - dy);
                if u < 0 || v < 0 || u as usize >= a.w || v as usize >= a.h {
                    continue;
                }
                sum += (a.get(u as usize, v as usize) - b.get(x, y)).abs();
                n += 1;
            }
            if n > 0 && sum / (n as f32) < best.0 {
                best = (sum / n as f32, (4.0 * dx as f32, 4.0 * dy as f32));
            }
        }
    }
    best.1
}

/// Refine `m` on planes of `scale` full-size pixels a pixel
/// (Gauss–Newton on the squared difference, `b`'s gradients standing in
/// for the moved `a`'s); None where the room has too little texture to fix
/// a motion.
fn refine(
    (a, b, scale): (&Plane, &Plane, f32),
    points: &[(usize, usize)],
    mut m: Motion,
) -> Option<Motion> {
    // Each point's gradient (per full-size pixel) times how the motion's
    // terms move it.
    let rows: Vec<[f32; 6]> = points
        .iter()
        .map(|&(x, y)| {
            let (gx, gy) = b.gradient(x, y);
            let (gx, gy) = (gx / scale, gy / scale);
            let (u, v) = m.xy(x as f32 * scale, y as f32 * scale);
            [gx, gx * u, gx * v, gy, gy * u, gy * v]
        })
        .collect();
    let mut h = [[0.0f64; 6]; 6];
    for row in &rows {
        for (hi, ri) in h.iter_mut().zip(row) {
            for (hij, rj) in hi.iter_mut().zip(row) {
                *hij += f64::from(ri * rj);
            }
        }
    }
    // The weaker direction's mean squared gradient, at least one level per
    // full-size pixel: a plain wall fixes no motion.
    let [[hxx, _, _, hxy, ..], _, _, [_, _, _, hyy, ..], ..] = h;
    let weakest = (hxx + hyy) / 2.0 - (((hxx - hyy) / 2.0).powi(2) + hxy * hxy).sqrt();
    if weakest < points.len() as f64 {
        return None;
    }
    for _ in 0..ITERATIONS {
        let mut r = [0.0f64; 6];
        for (&(x, y), row) in points.iter().zip(&rows) {
            let (fx, fy) = (x as f32 * scale, y as f32 * scale);
            let (dx, dy) = m.at(fx, fy);
            let Some(va) = a.at((fx - dx) / scale, (fy - dy) / scale) else {
                continue;
            };
            let e = f64::from(va - b.get(x, y));
            for (ri, j) in r.iter_mut().zip(row) {
                *ri += f64::from(*j) * e;
            }
        }
        let step = Motion {
            p: room_swing::solve(h, r)?.map(|s| s as f32),
            ..m
        };
        for (p, s) in m.p.iter_mut().zip(step.p) {
            *p += s;
        }
        if step.farthest() < SETTLED {
            break;
        }
    }
    Some(m)
}

/// How the room of two frames compares once the picture's motion is undone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moved {
    /// The farthest a corner of the picture moved, in pixels.
    pub shift: f32,
    /// Share of the room's samples differing by `LEVELS` or more then.
    pub changed: f32,
}

impl Moved {
    /// Whether the pair is one picture moved: it moved, and little of
    /// the room differs once the motion is undone.
    pub fn is_copy(&self) -> bool {
        self.shift >= MIN_SHIFT && self.changed < MIN_CHANGED
    }
}

/// The motion (a shift, turn, zoom or shear of the whole picture) that
/// carries `a`'s room onto `b`'s and what differs after it; None when the
/// sizes differ, the room is too small or plain to fix a motion, or the
/// motion explains too little of the change (a camera that stood still).
pub fn after_motion(a: &Picture, b: &Picture, fa: &Face, fb: &Face) -> Option<Moved> {
    let (pa, pb) = (&a.full, &b.full);
    if (pa.w, pa.h) != (pb.w, pb.h) {
        return None;
    }
    let reach = REACH as usize + 1;
    let quarter = (a.quarter.w, a.quarter.h, 4.0);
    let coarse_points = room(quarter, fa, fb, COARSE_STEP, reach);
    let points = room((pa.w, pa.h, 1.0), fa, fb, STEP, 4 * reach + 2);
    if points.len() < MIN_POINTS {
        return None;
    }
    let (dx, dy) = coarse(&a.quarter, &b.quarter, &coarse_points);
    let mut start = Motion::none(pa.w, pa.h);
    start.p[0] = dx;
    start.p[3] = dy;
    let m = refine((&a.quarter, &b.quarter, 4.0), &coarse_points, start).unwrap_or(start);
    let m = refine((pa, pb, 1.0), &points, m)?;
    // Whether the motion explains the change is judged where the room has
    // edges: there a fraction of a pixel moves the values by more than
    // the resampling and compression do.
    let edges: Vec<(usize, usize)> = points
        .iter()
        .copied()
        .filter(|&(x, y)| {
            let (gx, gy) = pb.gradient(x, y);
            gx.abs().max(gy.abs()) >= EDGE
        })
        .collect();
    let judged = if edges.len() >= MIN_POINTS / 5 {
        &edges
    } else {
        &points
    };
    let (still, _) = residual(pa, pb, judged, &Motion::none(pa.w, pa.h))?;
    let (moved, _) = residual(pa, pb, judged, &m)?;
    let (_, changed) = residual(pa, pb, &points, &m)?;
    (moved <= EXPLAINED * still).then_some(Moved {
        shift: m.farthest(),
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A textured room (smooth blobs of several sizes) with a face box.
    fn scene(seed: u64) -> RgbImage {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let blobs: Vec<(f32, f32, f32, f32)> = (0..60)
            .map(|_| {
                (
                    rng.gen_range(0.0..320.0),
                    rng.gen_range(0.0..240.0),
                    rng.gen_range(4.0..30.0),
                    rng.gen_range(-80.0..80.0),
                )
            })
            .collect();
        RgbImage::from_fn(320, 240, |x, y| {
            let mut v = 120.0;
            for (bx, by, r, a) in &blobs {
                let d2 = ((x as f32 - bx).powi(2) + (y as f32 - by).powi(2)) / (r * r);
                v += a * (-d2).exp();
            }
            let v = v.clamp(0.0, 255.0) as u8;
            image::Rgb([v, v, v])
        })
    }

    fn face() -> Face {
        Face::boxed([130.0, 90.0, 60.0, 70.0])
    }

    /// `img` moved by (dx, dy) pixels, bilinear.
    fn moved(img: &RgbImage, dx: f32, dy: f32) -> RgbImage {
        warped(img, |x, y| (x - dx, y - dy))
    }

    /// `img` with each pixel (x, y) taken from `from(x, y)`, bilinear.
    fn warped(img: &RgbImage, from: impl Fn(f32, f32) -> (f32, f32)) -> RgbImage {
        let p = Picture::of(img).full;
        RgbImage::from_fn(img.width(), img.height(), |x, y| {
            let (u, v) = from(x as f32, y as f32);
            let v = p.at(u, v).unwrap_or(0.0).round() as u8;
            image::Rgb([v, v, v])
        })
    }

    fn noisy(img: &RgbImage, seed: u64, amp: i16) -> RgbImage {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut out = img.clone();
        for p in out.pixels_mut() {
            let n = rng.gen_range(-amp..=amp);
            let v = (i16::from(p.0[0]) + n).clamp(0, 255) as u8;
            p.0 = [v, v, v];
        }
        out
    }

    #[test]
    fn a_picture_crept_by_a_fraction_of_a_pixel_is_one_picture() {
        // A room with edges (a fine grating over the blobs): a fraction of
        // a pixel moves its values by more than rounding does.
        let blobs = scene(6);
        let still = RgbImage::from_fn(320, 240, |x, y| {
            let (xf, yf) = (x as f32, y as f32);
            let v = f32::from(blobs.get_pixel(x, y).0[0]) * 0.6
                + 50.0 * ((xf * 0.45 + yf * 0.3).sin() + (yf * 0.5 - xf * 0.2).cos());
            let v = v.clamp(0.0, 255.0) as u8;
            image::Rgb([v, v, v])
        });
        let (a, b) = (moved(&still, 0.3, 0.2), moved(&still, 0.55, 0.35));
        let m = after_motion(&Picture::of(&a), &Picture::of(&b), &face(), &face())
            .expect("a shift is found");
        assert!((m.shift - 0.29).abs() < 0.1, "{m:?}");
        assert!(m.is_copy(), "{m:?}");
    }

    #[test]
    fn a_picture_moved_whole_is_found_to_be_one_picture() {
        let still = scene(1);
        let (a, b) = (moved(&still, 0.7, 0.4), moved(&still, 1.6, 0.94));
        let m = after_motion(&Picture::of(&a), &Picture::of(&b), &face(), &face())
            .expect("a shift is found");
        assert!((m.shift - 1.05).abs() < 0.1, "{m:?}");
        assert!(m.is_copy(), "{m:?}");
        // Further, past the quarter-size search's first step.
        let far = moved(&still, 9.3, -5.2);
        let m = after_motion(&Picture::of(&still), &Picture::of(&far), &face(), &face())
            .expect("a shift is found");
        assert!((m.shift - 9.3f32.hypot(5.2)).abs() < 0.15, "{m:?}");
        assert!(m.is_copy(), "{m:?}");
    }

    /// `img` zoomed by `zoom`, turned by `deg` in its plane and sheared
    /// across by `shear` (rows slid by their height from the centre),
    /// about its centre.
    fn reshaped(img: &RgbImage, zoom: f32, deg: f32, shear: f32) -> RgbImage {
        let (cx, cy) = (img.width() as f32 / 2.0, img.height() as f32 / 2.0);
        let (sin, cos) = deg.to_radians().sin_cos();
        warped(img, |x, y| {
            let (u, v) = ((x - cx) / zoom, (y - cy) / zoom);
            let (u, v) = (cos * u + sin * v, -sin * u + cos * v);
            (cx + u - shear * v, cy + v)
        })
    }

    #[test]
    fn a_picture_zoomed_turned_or_sheared_whole_is_one_picture() {
        let still = scene(3);
        for (zoom, deg, shear) in [
            (1.012, 0.0, 0.0),
            (1.0, 0.6, 0.0),
            (1.0, 0.0, 0.012),
            (0.99, -0.4, 0.008),
        ] {
            let b = reshaped(&still, zoom, deg, shear);
            let m = after_motion(&Picture::of(&still), &Picture::of(&b), &face(), &face())
                .expect("a motion is found");
            assert!(m.shift >= 1.0, "{zoom} {deg} {shear}: {m:?}");
            assert!(m.is_copy(), "{zoom} {deg} {shear}: {m:?}");
        }
    }

    #[test]
    fn a_camera_that_zoomed_or_turned_still_shows_fresh_noise() {
        let room = scene(4);
        for (zoom, deg) in [(1.03, 0.0), (1.0, 1.5)] {
            let (a, b) = (
                noisy(&room, 10, 3),
                noisy(&reshaped(&room, zoom, deg, 0.0), 11, 3),
            );
            if let Some(m) = after_motion(&Picture::of(&a), &Picture::of(&b), &face(), &face()) {
                assert!(!m.is_copy(), "{zoom} {deg}: {m:?}");
            }
        }
    }

    #[test]
    fn a_camera_that_moved_still_shows_fresh_noise() {
        let room = scene(2);
        // A small move: the noise is most of the change; no reading.
        let (a, b) = (noisy(&room, 3, 3), noisy(&moved(&room, 1.2, 0.5), 4, 3));
        assert_eq!(
            after_motion(&Picture::of(&a), &Picture::of(&b), &face(), &face()),
            None
        );
        // A larger one: the shift is found, and the noise is still there.
        let (a, b) = (noisy(&room, 3, 3), noisy(&moved(&room, 6.0, 2.5), 4, 3));
        let m = after_motion(&Picture::of(&a), &Picture::of(&b), &face(), &face())
            .expect("a shift is found");
        assert!((m.shift - 6.5).abs() < 0.15, "{m:?}");
        assert!(!m.is_copy(), "{m:?}");
    }

    #[test]
    fn a_camera_that_stood_still_or_a_plain_wall_gives_no_reading() {
        let room = scene(5);
        let (a, b) = (noisy(&room, 6, 3), noisy(&room, 7, 3));
        assert_eq!(
            after_motion(&Picture::of(&a), &Picture::of(&b), &face(), &face()),
            None
        );
        let wall = RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]));
        let (a, b) = (noisy(&wall, 8, 1), noisy(&wall, 9, 1));
        assert_eq!(
            after_motion(&Picture::of(&a), &Picture::of(&b), &face(), &face()),
            None
        );
    }
}

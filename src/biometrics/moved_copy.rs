//! A virtual camera panning over one photo moves the whole picture a
//! little each frame: most of the room's pixels change, so the
//! frozen-background check (`sensor_noise`) sees what a camera's fresh
//! noise would give. Undo that motion and the room is the same picture
//! again, up to resampling and compression, where a camera's room still
//! differs by its fresh noise (and its scene's own depth and movement).
//! This finds the one shift that best carries the first frame's room onto
//! the second's and says how much of the room still differs then.
//!
//! What it does not catch: an injector that adds fresh noise to every
//! frame (or renders each anew) — the stated limit of
//! docs/face-liveness.md — nor a motion other than a shift (a zoom, a
//! turn of the picture are `room_tilt`'s and `room_swing`'s).

use image::RgbImage;

use super::detect::Face;
use super::room_swing;

/// Smallest shift, in pixels, read as the picture having moved: below it
/// the frames are compared where they are (`sensor_noise`).
pub const MIN_SHIFT: f32 = 0.5;

/// Levels by which a room pixel must differ, the motion undone, to count
/// as changed: above resampling's and a JPEG's own error on one picture.
const LEVELS: f32 = 2.0;

/// Below this share of room pixels changed once the motion is undone, a
/// moved pair is a copy of one picture. Measured on the carphone frames
/// (JPEG 85 as the page sends): consecutive real frames 0.29–0.58; one of
/// them moved by 1 px a frame and saved again as JPEG 75 or 95, 0.01–0.18
/// (`scripts/experiments/moved_copy.py`).
pub const MIN_CHANGED: f32 = 0.22;

/// The motion must explain the change: the room's mean difference once
/// undone at most this share of the difference as the frames lie. A
/// camera that did not move, whose frames differ by noise alone, gains
/// nothing from any shift and is left to `sensor_noise`.
const EXPLAINED: f32 = 0.5;

/// Sample spacing over the room, in pixels (and in quarter-size pixels
/// for the coarse search).
const STEP: usize = 4;
const COARSE_STEP: usize = 2;

/// Largest shift searched, in quarter-size pixels (12 full-size pixels).
const REACH: i32 = 3;

/// Fewest room samples to judge on.
const MIN_POINTS: usize = 500;

/// One frame's brightness, as floats.
struct Plane {
    w: usize,
    h: usize,
    v: Vec<f32>,
}

impl Plane {
    fn get(&self, x: usize, y: usize) -> f32 {
        self.v.get(y * self.w + x).copied().unwrap_or(0.0)
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
    full: Plane,
    quarter: Plane,
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
fn room(
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

/// Mean absolute difference between `a` shifted by `d` and `b` over
/// `points`, with the share of points over `LEVELS`; None where no point
/// stays inside `a`.
fn residual(a: &Plane, b: &Plane, points: &[(usize, usize)], d: (f32, f32)) -> Option<(f32, f32)> {
    let (mut sum, mut over, mut n) = (0.0f32, 0usize, 0usize);
    for &(x, y) in points {
        let Some(va) = a.at(x as f32 - d.0, y as f32 - d.1) else {
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

/// Refine `d` (inverse-compositional Gauss–Newton on the squared
/// difference, `b`'s gradients fixed); None where the room has too little
/// texture to fix a shift.
fn refine(
    a: &Plane,
    b: &Plane,
    points: &[(usize, usize)],
    mut d: (f32, f32),
) -> Option<(f32, f32)> {
    let grads: Vec<(f32, f32)> = points
        .iter()
        .map(|&(x, y)| {
            (
                (b.get(x + 1, y) - b.get(x - 1, y)) / 2.0,
                (b.get(x, y + 1) - b.get(x, y - 1)) / 2.0,
            )
        })
        .collect();
    let (mut hxx, mut hxy, mut hyy) = (0.0f32, 0.0f32, 0.0f32);
    for (gx, gy) in &grads {
        hxx += gx * gx;
        hxy += gx * gy;
        hyy += gy * gy;
    }
    let n = points.len() as f32;
    let det = hxx * hyy - hxy * hxy;
    // The weaker direction's mean squared gradient, at least one level per
    // pixel: a plain wall fixes no shift.
    let weakest = (hxx + hyy) / 2.0 - (((hxx - hyy) / 2.0).powi(2) + hxy * hxy).sqrt();
    if weakest < n || det <= 0.0 {
        return None;
    }
    for _ in 0..10 {
        let (mut rx, mut ry) = (0.0f32, 0.0f32);
        for (&(x, y), (gx, gy)) in points.iter().zip(&grads) {
            let Some(va) = a.at(x as f32 - d.0, y as f32 - d.1) else {
                continue;
            };
            let e = va - b.get(x, y);
            rx += gx * e;
            ry += gy * e;
        }
        let step = ((hyy * rx - hxy * ry) / det, (hxx * ry - hxy * rx) / det);
        d = (d.0 + step.0, d.1 + step.1);
        if step.0.hypot(step.1) < 0.01 {
            break;
        }
    }
    Some(d)
}

/// How the room of two frames compares once the picture's shift is undone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moved {
    /// The shift found, in pixels.
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

/// The shift that carries `a`'s room onto `b`'s and what differs after
/// it; None when the sizes differ, the room is too small or plain to fix
/// a shift, or the shift explains too little of the change (a camera that
/// stood still).
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
    let start = coarse(&a.quarter, &b.quarter, &coarse_points);
    let d = refine(pa, pb, &points, start)?;
    let (still, _) = residual(pa, pb, &points, (0.0, 0.0))?;
    let (moved, changed) = residual(pa, pb, &points, d)?;
    (moved <= EXPLAINED * still).then_some(Moved {
        shift: d.0.hypot(d.1),
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
        let p = Picture::of(img).full;
        RgbImage::from_fn(img.width(), img.height(), |x, y| {
            let v = p.at(x as f32 - dx, y as f32 - dy).unwrap_or(0.0).round() as u8;
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

//! Whether the room changed shape between two frames. A head turns in
//! front of a room that keeps its shape; a photo swung in perspective (a
//! flat print turned about the vertical through the face, the cheapest
//! 3D-looking animation of one picture) swings its room with it: the room
//! is squeezed across (its width by the cosine of the swing, its height
//! not) and the side that comes nearer grows taller than the other. A
//! photo sheared across (each row slid sideways by its height, the
//! simplest 2D warp that slides the nose against the eyes) skews its room.
//! A camera moved by hand shifts, rotates and zooms the room, which keeps
//! its shape. The room's motion is found by matching blocks of it (outside
//! the face and hair) between the two frames, grey and shrunk to about
//! 160 pixels across, and fitted by least squares,
//! the blocks that fit worst dropped. Measured on the carphone recording
//! and on its frames swung 15–55° and sheared (docs/face-liveness.md "A
//! swing is read as a turn", "A shear is read as a turn").

use image::RgbImage;

use super::detect::Face;

/// The room is followed on the grey picture shrunk to about this width
/// (each pixel the mean of a square of the frame's), so the reach and the
/// blocks are the same share of any frame's size: a quarter of the
/// page's 640 × 480.
const WIDTH: usize = 160;
/// Block side and grid step, in the shrunk picture's pixels.
const BLOCK: usize = 8;
const STEP: usize = 4;
/// Farthest a block is looked for, across and up or down (shrunk pixels:
/// an eighth of the picture's width across).
const REACH_X: isize = 20;
const REACH_Y: isize = 6;
/// A block must vary this much across and down (mean squared step, grey
/// levels) to be followed: flat blocks match anywhere.
const MIN_TEXTURE: f32 = 4.0;
/// A block whose best match differs by more than this (mean absolute,
/// grey levels) is not found.
const MAX_DIFFERENCE: f32 = 6.0;
/// Fewer blocks than this, after the worst are dropped: nothing to read.
const MIN_BLOCKS: usize = 12;

/// Most the room may be squeezed across against its height (its
/// horizontal scale's change minus its vertical one's), and most its
/// height may change from one side of the picture to the other (per
/// picture width), between the frontal frame and a turned one. Over all
/// 380 ordered pairs of the carphone recording's 20 frames (a handheld
/// camera) the room read at most 0.12 and 0.11 — two thirds of a limit;
/// each frame swung by 15–55° either way read above one in 17–20 of 20
/// (docs/face-liveness.md "A swing is read as a turn").
pub const MAX_SQUEEZE: f32 = 0.18;
pub const MAX_KEYSTONE: f32 = 0.16;
/// Most the room may be sheared (`Shape::skew`). The same 380 pairs read
/// at most 0.13 (99 % within ±0.11); the whole picture sheared by 0.05–0.4
/// reads its slope back within 0.01, and a shear that makes the detector
/// read a turn is about 0.5 (docs/face-liveness.md "A shear is read as a
/// turn").
pub const MAX_SKEW: f32 = 0.2;

/// A frame's room: the grey picture shrunk (each pixel the mean of
/// `scale` × `scale`).
pub struct Room {
    w: usize,
    h: usize,
    scale: usize,
    grey: Vec<f32>,
    /// The full picture's size.
    full: (f32, f32),
}

/// How the room changed shape from one frame to another.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Horizontal scale change minus vertical (negative: squeezed across).
    pub squeeze: f32,
    /// Change of the vertical scale per picture width across.
    pub keystone: f32,
    /// How far the room is sheared: the slope rows slide sideways by with
    /// height, plus the slope columns slide up or down by across (a
    /// rotation moves them by opposite slopes, which cancel).
    pub skew: f32,
    /// Blocks the fit kept.
    pub blocks: usize,
}

impl Shape {
    /// The largest of the squeeze, the keystone and the skew as a share
    /// of its limit: above 1 the room was swung or sheared.
    pub fn of_limit(&self) -> f32 {
        (self.squeeze.abs() / MAX_SQUEEZE)
            .max(self.keystone.abs() / MAX_KEYSTONE)
            .max(self.skew.abs() / MAX_SKEW)
    }
}

/// The room of one frame, for [`reshaped`].
pub fn room(img: &RgbImage) -> Room {
    let (fw, fh) = (img.width() as usize, img.height() as usize);
    let scale = (fw / WIDTH).max(1);
    let (w, h, grey) = grey(img, scale);
    Room {
        w,
        h,
        scale,
        grey,
        full: (fw as f32, fh as f32),
    }
}

/// The grey picture shrunk by `scale` (each pixel the mean of `scale` ×
/// `scale`): its width, height and values, row by row.
pub(super) fn grey(img: &RgbImage, scale: usize) -> (usize, usize, Vec<f32>) {
    let (fw, fh) = (img.width() as usize, img.height() as usize);
    let scale = scale.max(1);
    let (w, h) = (fw / scale, fh / scale);
    let mut grey = vec![0.0f32; w * h];
    if w > 0 {
        for (y, row) in img
            .as_raw()
            .chunks_exact(fw * 3)
            .take(h * scale)
            .enumerate()
        {
            let Some(out) = grey.get_mut((y / scale) * w..(y / scale + 1) * w) else {
                continue;
            };
            // Each output pixel takes the `scale` pixels of this row above it.
            for (g, block) in out.iter_mut().zip(row.chunks_exact(3 * scale)) {
                *g += block
                    .chunks_exact(3)
                    .map(|p| match p {
                        [r, gr, b] => {
                            0.299 * f32::from(*r) + 0.587 * f32::from(*gr) + 0.114 * f32::from(*b)
                        }
                        _ => 0.0,
                    })
                    .sum::<f32>();
            }
        }
    }
    let n = (scale * scale) as f32;
    grey.iter_mut().for_each(|g| *g /= n);
    (w, h, grey)
}

impl Room {
    fn row(&self, x: usize, y: usize) -> Option<&[f32]> {
        self.grey
            .get(y * self.w + x..y * self.w + x + BLOCK)
            .filter(|_| x + BLOCK <= self.w)
    }

    /// Mean absolute difference of the block at (x, y) here and at
    /// (u, v) in `other`; infinite once it cannot come under `bound` (the
    /// sum only grows, so a search for the least one skips the rest).
    fn difference(
        &self,
        (x, y): (usize, usize),
        other: &Room,
        (u, v): (usize, usize),
        bound: f32,
    ) -> f32 {
        let n = (BLOCK * BLOCK) as f32;
        let mut sum = 0.0;
        for k in 0..BLOCK {
            let (Some(a), Some(b)) = (self.row(x, y + k), other.row(u, v + k)) else {
                return f32::INFINITY;
            };
            sum += a.iter().zip(b).map(|(p, q)| (p - q).abs()).sum::<f32>();
            if sum / n >= bound {
                return f32::INFINITY;
            }
        }
        sum / n
    }

    /// Whether the block at (x, y) varies both across and down.
    fn textured(&self, x: usize, y: usize) -> bool {
        let at = |i: usize, j: usize| self.grey.get(j * self.w + i).copied().unwrap_or(0.0);
        let (mut gx, mut gy) = (0.0, 0.0);
        for j in y..y + BLOCK - 1 {
            for i in x..x + BLOCK - 1 {
                gx += (at(i + 1, j) - at(i, j)).powi(2);
                gy += (at(i, j + 1) - at(i, j)).powi(2);
            }
        }
        let n = ((BLOCK - 1) * (BLOCK - 1)) as f32;
        (gx / n).min(gy / n) >= MIN_TEXTURE
    }
}

/// One block's motion: where it was and how far it moved (full pixels).
#[derive(Debug, Clone, Copy)]
struct Moved {
    x: f32,
    y: f32,
    dx: f32,
    dy: f32,
}

/// The blocks of `a`'s room (outside both faces) found again in `b`.
fn matches(a: &Room, b: &Room, fa: &Face, fb: &Face) -> Vec<Moved> {
    let mut out = Vec::new();
    let (s, half) = (a.scale as f32, BLOCK as f32 / 2.0);
    for y in (0..a.h.saturating_sub(BLOCK)).step_by(STEP) {
        for x in (0..a.w.saturating_sub(BLOCK)).step_by(STEP) {
            let (cx, cy) = ((x as f32 + half) * s, (y as f32 + half) * s);
            if fa.near(cx, cy) || fb.near(cx, cy) || !a.textured(x, y) {
                continue;
            }
            let mut best = (f32::INFINITY, 0isize, 0isize);
            for dy in -REACH_Y..=REACH_Y {
                for dx in -REACH_X..=REACH_X {
                    let (Some(u), Some(v)) = (x.checked_add_signed(dx), y.checked_add_signed(dy))
                    else {
                        continue;
                    };
                    if u + BLOCK > b.w || v + BLOCK > b.h {
                        continue;
                    }
                    let d = a.difference((x, y), b, (u, v), best.0);
                    if d < best.0 {
                        best = (d, dx, dy);
                    }
                }
            }
            if best.0 <= MAX_DIFFERENCE {
                out.push(Moved {
                    x: cx,
                    y: cy,
                    dx: best.1 as f32 * s,
                    dy: best.2 as f32 * s,
                });
            }
        }
    }
    out
}

/// Least squares: the coefficients minimising Σ(row·c − y)², or None when
/// the rows do not determine them.
fn least_squares<const N: usize>(rows: &[([f64; N], f64)]) -> Option<[f64; N]> {
    let mut m = [[0.0f64; N]; N];
    let mut r = [0.0f64; N];
    for (x, y) in rows {
        for (i, (mi, ri)) in m.iter_mut().zip(r.iter_mut()).enumerate() {
            let xi = x.get(i).copied().unwrap_or(0.0);
            *ri += xi * y;
            for (mij, xj) in mi.iter_mut().zip(x) {
                *mij += xi * xj;
            }
        }
    }
    solve(m, r)
}

/// The `c` with `m`·c = `r` (Gaussian elimination with partial pivoting),
/// or None when `m` is singular.
pub(super) fn solve<const N: usize>(mut m: [[f64; N]; N], mut r: [f64; N]) -> Option<[f64; N]> {
    // Gaussian elimination with partial pivoting.
    for col in 0..N {
        let pivot = (col..N).max_by(|&i, &j| {
            let a = m
                .get(i)
                .and_then(|row| row.get(col))
                .map_or(0.0, |v| v.abs());
            let b = m
                .get(j)
                .and_then(|row| row.get(col))
                .map_or(0.0, |v| v.abs());
            a.total_cmp(&b)
        })?;
        m.swap(col, pivot);
        r.swap(col, pivot);
        let p = *m.get(col)?.get(col)?;
        if p.abs() < 1e-12 {
            return None;
        }
        let (top, rest) = m.split_at_mut(col + 1);
        let prow = top.last()?;
        let rp = *r.get(col)?;
        for (k, row) in rest.iter_mut().enumerate() {
            let f = row.get(col)? / p;
            for (a, b) in row.iter_mut().zip(prow) {
                *a -= f * b;
            }
            *r.get_mut(col + 1 + k)? -= f * rp;
        }
    }
    let mut c = [0.0f64; N];
    for i in (0..N).rev() {
        let row = m.get(i)?;
        let known: f64 = row.iter().zip(&c).skip(i + 1).map(|(a, b)| a * b).sum();
        *c.get_mut(i)? = (r.get(i)? - known) / row.get(i)?;
    }
    Some(c)
}

/// How the room changed shape from `a` to `b` (faces `fa`, `fb`); None
/// when too little of it could be followed.
pub fn reshaped(a: &Room, b: &Room, fa: &Face, fb: &Face) -> Option<Shape> {
    if (a.w, a.h, a.scale) != (b.w, b.h, b.scale) {
        return None;
    }
    let moved = matches(a, b, fa, fb);
    let (w, h) = a.full;
    // Across: dx = a0 + a1·X + a2·Y; down: dy = b0 + b1·X + b2·Y + b3·X·Y,
    // X and Y from the picture's centre in picture widths.
    let terms = |m: &Moved| {
        let (x, y) = (
            f64::from((m.x - w / 2.0) / w),
            f64::from((m.y - h / 2.0) / w),
        );
        (
            ([1.0, x, y], f64::from(m.dx / w)),
            ([1.0, x, y, x * y], f64::from(m.dy / w)),
        )
    };
    let mut kept: Vec<&Moved> = moved.iter().collect();
    let mut fit = None;
    for _ in 0..4 {
        if kept.len() < MIN_BLOCKS {
            return None;
        }
        let (across, down): (Vec<_>, Vec<_>) = kept.iter().map(|m| terms(m)).unzip();
        let (ca, cb) = (least_squares(&across)?, least_squares(&down)?);
        let miss = |m: &Moved| {
            let ((xa, ya), (xb, yb)) = terms(m);
            let ex: f64 = xa.iter().zip(&ca).map(|(p, q)| p * q).sum::<f64>() - ya;
            let ey: f64 = xb.iter().zip(&cb).map(|(p, q)| p * q).sum::<f64>() - yb;
            ex.hypot(ey) * f64::from(w)
        };
        let mut misses: Vec<f64> = kept.iter().map(|m| miss(m)).collect();
        misses.sort_by(f64::total_cmp);
        let median = misses.get(misses.len() / 2).copied().unwrap_or(0.0);
        let limit = (3.0 * median).max(8.0);
        kept = moved.iter().filter(|m| miss(m) < limit).collect();
        fit = Some((ca, cb));
    }
    let ([_, a1, a2], [_, b1, b2, b3]) = fit?;
    (kept.len() >= MIN_BLOCKS).then_some(Shape {
        squeeze: (a1 - b2) as f32,
        keystone: b3 as f32,
        skew: (a2 + b1) as f32,
        blocks: kept.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::align;

    /// A room of irregular blobs and bars, a face box in the middle.
    fn room_picture() -> (RgbImage, Face) {
        let img = RgbImage::from_fn(640, 480, |x, y| {
            let (xf, yf) = (x as f32, y as f32);
            let v = 128.0
                + 50.0 * (xf * 0.071).sin() * (yf * 0.053).cos()
                + 40.0 * ((xf * 0.023 + yf * 0.031).sin() * 3.0).tanh()
                + 30.0 * ((xf * 0.113).sin() + (yf * 0.097).sin());
            let v = v.clamp(0.0, 255.0) as u8;
            image::Rgb([v, v.saturating_add(10), v])
        });
        (img, Face::boxed([270.0, 180.0, 100.0, 120.0]))
    }

    /// The picture as a flat print turned `degrees` about the vertical
    /// through the face's centre (320, 240), as the attack evaluation
    /// makes it.
    fn swung(img: &RgbImage, degrees: f32) -> RgbImage {
        crate::biometrics::forgery::swung(img, &room_picture().1, degrees)
    }

    /// Moved and zoomed as a handheld camera moves: the room keeps its shape.
    fn moved(img: &RgbImage, (dx, dy, zoom): (f32, f32, f32)) -> RgbImage {
        align::warp(img, img.dimensions(), |u, v| {
            (
                320.0 + (u - 320.0) / zoom - dx,
                240.0 + (v - 240.0) / zoom - dy,
            )
        })
    }

    #[test]
    fn a_room_moved_by_a_camera_keeps_its_shape_and_a_swung_one_does_not() {
        let (img, face) = room_picture();
        let a = room(&img);
        let same = reshaped(&a, &a, &face, &face).unwrap();
        assert!(same.of_limit() < 0.1, "{same:?}");
        for motion in [(12.0, -6.0, 1.0), (-20.0, 8.0, 1.05), (5.0, 3.0, 0.95)] {
            let b = room(&moved(&img, motion));
            let shape = reshaped(&a, &b, &face, &face).unwrap();
            assert!(shape.of_limit() < 0.5, "moved {motion:?}: {shape:?}");
        }
        for degrees in [-45.0f32, -30.0, 30.0, 45.0] {
            let b = room(&swung(&img, degrees));
            let shape = reshaped(&a, &b, &face, &face).unwrap();
            assert!(shape.of_limit() > 1.0, "swung {degrees}°: {shape:?}");
        }
    }

    #[test]
    fn a_sheared_room_is_skewed_and_a_camera_rolled_a_little_is_not() {
        let (img, face) = room_picture();
        let a = room(&img);
        for degrees in [-3.0f32, 2.0] {
            let rolled = crate::biometrics::forgery::tilted(&img, &face, degrees);
            let shape = reshaped(&a, &room(&rolled), &face, &face).unwrap();
            assert!(shape.skew.abs() < 0.05, "rolled {degrees}°: {shape:?}");
            assert!(shape.of_limit() < 0.5, "rolled {degrees}°: {shape:?}");
        }
        for slope in [-0.4f32, -0.3, 0.3, 0.4] {
            let sheared = crate::biometrics::forgery::sheared(&img, &face, slope);
            let shape = reshaped(&a, &room(&sheared), &face, &face).unwrap();
            assert!(
                (shape.skew - slope).abs() < 0.1,
                "sheared {slope}: {shape:?}"
            );
            assert!(shape.of_limit() > 1.0, "sheared {slope}: {shape:?}");
        }
    }

    #[test]
    fn a_frame_twice_the_size_reads_the_same() {
        let (img, face) = room_picture();
        let double = |i: &RgbImage| {
            image::imageops::resize(i, 1280, 960, image::imageops::FilterType::Triangle)
        };
        let big_face = Face::boxed(face.bbox.map(|v| v * 2.0));
        let (a, big) = (room(&img), room(&double(&img)));
        for (degrees, swung_reads) in [(0.0f32, false), (30.0, true), (-45.0, true)] {
            let b = swung(&img, degrees);
            let small = reshaped(&a, &room(&b), &face, &face).unwrap();
            let large = reshaped(&big, &room(&double(&b)), &big_face, &big_face).unwrap();
            assert_eq!(small.of_limit() > 1.0, swung_reads, "{degrees}°: {small:?}");
            assert_eq!(large.of_limit() > 1.0, swung_reads, "{degrees}°: {large:?}");
            assert!(
                (small.of_limit() - large.of_limit()).abs() < 0.5,
                "{small:?} {large:?}"
            );
        }
    }

    #[test]
    fn the_search_that_stops_early_finds_what_the_full_search_finds() {
        let (img, face) = room_picture();
        let (a, b) = (room(&img), room(&swung(&img, 25.0)));
        // Every offset's whole difference, the least first found kept.
        let mut full = Vec::new();
        for y in (0..a.h.saturating_sub(BLOCK)).step_by(STEP) {
            for x in (0..a.w.saturating_sub(BLOCK)).step_by(STEP) {
                let (cx, cy) = ((x + BLOCK / 2) * a.scale, (y + BLOCK / 2) * a.scale);
                if face.near(cx as f32, cy as f32) || !a.textured(x, y) {
                    continue;
                }
                let mut best = (f32::INFINITY, 0isize, 0isize);
                for dy in -REACH_Y..=REACH_Y {
                    for dx in -REACH_X..=REACH_X {
                        let (Some(u), Some(v)) =
                            (x.checked_add_signed(dx), y.checked_add_signed(dy))
                        else {
                            continue;
                        };
                        let d = a.difference((x, y), &b, (u, v), f32::INFINITY);
                        if u + BLOCK <= b.w && v + BLOCK <= b.h && d < best.0 {
                            best = (d, dx, dy);
                        }
                    }
                }
                if best.0 <= MAX_DIFFERENCE {
                    full.push((best.1 * a.scale as isize, best.2 * a.scale as isize));
                }
            }
        }
        let found: Vec<(isize, isize)> = matches(&a, &b, &face, &face)
            .iter()
            .map(|m| (m.dx as isize, m.dy as isize))
            .collect();
        assert!(full.len() > MIN_BLOCKS, "{} blocks followed", full.len());
        assert_eq!(found, full);
    }

    #[test]
    fn a_plain_wall_has_nothing_to_follow() {
        let face = room_picture().1;
        let plain = room(&RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128])));
        assert!(reshaped(&plain, &plain, &face, &face).is_none());
    }

    #[test]
    fn least_squares_finds_a_line() {
        let rows: Vec<([f64; 2], f64)> = (0..5)
            .map(|i| ([1.0, f64::from(i)], 2.0 + 0.5 * f64::from(i)))
            .collect();
        let c = least_squares(&rows).unwrap();
        assert!(
            (c[0] - 2.0).abs() < 1e-9 && (c[1] - 0.5).abs() < 1e-9,
            "{c:?}"
        );
    }
}

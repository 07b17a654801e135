//! Whether the whole picture turned in its plane between two frames. A
//! head turns in front of a room that stays upright; a photo rotated whole
//! (the cheapest 2D animation of one picture) turns its room with it. The
//! detector reads a rotated face as a turned one (docs/face-liveness.md "A tilt is
//! read as a turn"), so the room is what tells them apart: the directions
//! of its edges (a histogram of gradient orientations, weighted by
//! strength, outside the face and hair) shift by the rotation. Measured on
//! the carphone recording — a handheld camera, a person tilting his head —
//! the room never turned more than 2°; 43 dev photos rotated by 20° read
//! 8–30° but for a few with almost no room around the face (docs/face-liveness.md).

use image::RgbImage;

use super::detect::Face;

/// Orientation bins over 180° (2° each).
const BINS: usize = 90;
const DEG_PER_BIN: f32 = 180.0 / BINS as f32;
/// Largest rotation looked for, in bins (±44°): edges come in pairs a
/// right angle apart in most rooms, so a search over every angle finds
/// walls swapped with floors.
const REACH: usize = 22;
/// Gradients weaker than this (Sobel, 0–255 levels) are sensor noise.
const MIN_GRADIENT: f32 = 20.0;
/// Fewer strong gradients than this share of the room: nothing to read.
const MIN_EDGES: f32 = 0.01;
/// The rotation must fit the room this much better than none does.
const MIN_GAIN: f32 = 0.05;

/// Most the room may turn between two frames of one answer, in degrees:
/// above it the picture was rotated (or the camera turned with the face).
pub const MAX_DEG: f32 = 5.0;

/// The directions of the room's edges in one frame.
#[derive(Debug, Clone)]
pub struct Edges([f32; BINS]);

/// The orientation histogram of `img` outside the face's box grown by half
/// on each side (the hair and neck move with the head); `None` when the
/// room shows too few edges to read.
pub fn edges(img: &RgbImage, face: &Face) -> Option<Edges> {
    let (w, h) = img.dimensions();
    let grey = luma(img);
    let width = w as usize;
    let row = |y: u32| {
        let start = y as usize * width;
        grey.get(start..start + width)
    };
    let mut hist = [0.0f32; BINS];
    let (mut seen, mut strong) = (0u32, 0u32);
    for py in (1..h.saturating_sub(1)).step_by(2) {
        let (Some(up), Some(mid), Some(down)) = (row(py - 1), row(py), row(py + 1)) else {
            continue;
        };
        for px in (1..w.saturating_sub(1)).step_by(2) {
            if face.near(px as f32, py as f32) {
                continue;
            }
            seen += 1;
            let x = px as usize - 1..px as usize + 2;
            let (Some(&[ul, uc, ur]), Some(&[ml, _, mr]), Some(&[dl, dc, dr])) =
                (up.get(x.clone()), mid.get(x.clone()), down.get(x))
            else {
                continue;
            };
            // Sobel, in whole levels.
            let v = i32::from;
            let gx = v(ur) + 2 * v(mr) + v(dr) - v(ul) - 2 * v(ml) - v(dl);
            let gy = v(dl) + 2 * v(dc) + v(dr) - v(ul) - 2 * v(uc) - v(ur);
            let m2 = (gx * gx + gy * gy) as f32;
            if m2 < MIN_GRADIENT * MIN_GRADIENT {
                continue;
            }
            strong += 1;
            let angle = (gy as f32).atan2(gx as f32).to_degrees().rem_euclid(180.0);
            let bin = ((angle / DEG_PER_BIN) as usize).min(BINS - 1);
            if let Some(b) = hist.get_mut(bin) {
                *b += m2.sqrt();
            }
        }
    }
    if seen == 0 || (strong as f32) < MIN_EDGES * seen as f32 {
        return None;
    }
    // Smoothed over ±2 bins (circular), centred, unit length.
    let kernel = [1.0, 2.0, 3.0, 2.0, 1.0].map(|k| k / 9.0);
    let mut smooth = [0.0f32; BINS];
    for (i, s) in smooth.iter_mut().enumerate() {
        *s = kernel
            .iter()
            .zip(hist.iter().cycle().skip(i + BINS - 2))
            .map(|(w, v)| w * v)
            .sum();
    }
    let mean = smooth.iter().sum::<f32>() / BINS as f32;
    smooth.iter_mut().for_each(|v| *v -= mean);
    let norm = smooth.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm <= f32::EPSILON {
        return None;
    }
    smooth.iter_mut().for_each(|v| *v /= norm);
    Some(Edges(smooth))
}

/// The picture's luma as `image::imageops::grayscale` computes it (Rec.
/// 709 weights, whole levels, rounded down), in one pass over its bytes.
fn luma(img: &RgbImage) -> Vec<u8> {
    img.as_raw()
        .chunks_exact(3)
        .map(|p| match p {
            &[r, g, b] => {
                let l = 2126 * u32::from(r) + 7152 * u32::from(g) + 722 * u32::from(b);
                u8::try_from(l / 10_000).unwrap_or(u8::MAX)
            }
            _ => 0,
        })
        .collect()
}

/// How far the room turned from `a` to `b`, in degrees (either sign);
/// 0 when no rotation fits it clearly better than none.
pub fn turned(a: &Edges, b: &Edges) -> f32 {
    let fit = |shift: usize| -> f32 {
        a.0.iter()
            .zip(b.0.iter().cycle().skip(shift))
            .map(|(x, y)| x * y)
            .sum::<f32>()
    };
    let still = fit(0);
    let best = (1..=REACH)
        .flat_map(|k| [(k, k as f32), (BINS - k, -(k as f32))])
        .map(|(shift, bins)| (fit(shift), bins))
        .max_by(|x, y| x.0.total_cmp(&y.0));
    match best {
        Some((f, bins)) if f >= still + MIN_GAIN => bins * DEG_PER_BIN,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::align;

    /// A room of slanted stripes and a grid, a face box in the middle.
    fn room() -> (RgbImage, Face) {
        let img = RgbImage::from_fn(320, 240, |x, y| {
            let stripes = ((x + y / 3) / 12) % 2 == 0;
            let grid = x % 40 < 3 || y % 30 < 3;
            let v = if grid {
                30
            } else if stripes {
                200
            } else {
                120
            };
            image::Rgb([v, v, v])
        });
        (img, Face::boxed([140.0, 95.0, 40.0, 50.0]))
    }

    fn rotated(img: &RgbImage, degrees: f32) -> RgbImage {
        let (sin, cos) = degrees.to_radians().sin_cos();
        align::warp(img, img.dimensions(), |u, v| {
            let (dx, dy) = (u - 160.0, v - 120.0);
            (160.0 + cos * dx + sin * dy, 120.0 - sin * dx + cos * dy)
        })
    }

    #[test]
    fn a_room_rotated_with_the_face_reads_as_turned_and_a_still_one_does_not() {
        let (img, face) = room();
        let a = edges(&img, &face).unwrap();
        assert_eq!(turned(&a, &a), 0.0);
        for degrees in [-20.0f32, -10.0, 8.0, 15.0, 30.0] {
            let b = edges(&rotated(&img, degrees), &face).unwrap();
            let read = turned(&a, &b);
            assert!(
                read.abs() > MAX_DEG && (read.abs() - degrees.abs()).abs() <= 4.0,
                "rotated {degrees}°, read {read}°"
            );
        }
    }

    #[test]
    fn luma_is_the_image_crates_grey() {
        let img = RgbImage::from_fn(97, 61, |x, y| {
            image::Rgb([(x * 7 + y) as u8, (y * 13 + x * 3) as u8, (x * y) as u8])
        });
        assert_eq!(luma(&img), image::imageops::grayscale(&img).into_raw());
    }

    #[test]
    fn a_plain_wall_has_nothing_to_read() {
        let face = room().1;
        let plain = RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]));
        assert!(edges(&plain, &face).is_none());
    }
}

//! Similarity-transform alignment to the ArcFace 112×112 five-point template.

use image::{Rgb, RgbImage};

use super::Point;

pub const SIZE: u32 = 112;
pub const TEMPLATE: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Least-squares similarity (rotation, uniform scale, translation) mapping
/// `src` onto `dst`: returns (a, b, tx, ty) for x' = a·x − b·y + tx, y' = b·x + a·y + ty.
pub fn similarity(src: &[Point; 5], dst: &[[f32; 2]; 5]) -> (f32, f32, f32, f32) {
    let n = 5.0;
    let (smx, smy) = (
        src.iter().map(|p| p.x).sum::<f32>() / n,
        src.iter().map(|p| p.y).sum::<f32>() / n,
    );
    let (dmx, dmy) = (
        dst.iter().map(|p| p[0]).sum::<f32>() / n,
        dst.iter().map(|p| p[1]).sum::<f32>() / n,
    );
    let (mut num_a, mut num_b, mut den) = (0.0f32, 0.0f32, 0.0f32);
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy, dx, dy) = (s.x - smx, s.y - smy, d[0] - dmx, d[1] - dmy);
        num_a += sx * dx + sy * dy;
        num_b += sx * dy - sy * dx;
        den += sx * sx + sy * sy;
    }
    let den = den.max(1e-6);
    let (a, b) = (num_a / den, num_b / den);
    (a, b, dmx - (a * smx - b * smy), dmy - (b * smx + a * smy))
}

/// Bilinear sample, zero outside the image.
fn sample(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let mut out = [0.0f32; 3];
    for (dx, dy, wgt) in [
        (0, 0, (1.0 - fx) * (1.0 - fy)),
        (1, 0, fx * (1.0 - fy)),
        (0, 1, (1.0 - fx) * fy),
        (1, 1, fx * fy),
    ] {
        let (px, py) = (x0 + dx, y0 + dy);
        if px >= 0 && py >= 0 && px < w && py < h {
            let p = img.get_pixel(px as u32, py as u32);
            for (o, v) in out.iter_mut().zip(p.0) {
                *o += wgt * v as f32;
            }
        }
    }
    out
}

/// A `w`×`h` picture whose pixel (u, v) is `img` sampled (bilinear, zero
/// outside) at `source(u, v)`.
pub fn warp(
    img: &RgbImage,
    (w, h): (u32, u32),
    source: impl Fn(f32, f32) -> (f32, f32),
) -> RgbImage {
    RgbImage::from_fn(w, h, |u, v| {
        let (x, y) = source(u as f32, v as f32);
        let p = sample(img, x, y);
        Rgb([p[0].round() as u8, p[1].round() as u8, p[2].round() as u8])
    })
}

/// The face warped onto the 112×112 template.
pub fn align(img: &RgbImage, landmarks: &[Point; 5]) -> RgbImage {
    let (a, b, tx, ty) = similarity(landmarks, &TEMPLATE);
    let det = (a * a + b * b).max(1e-9);
    warp(img, (SIZE, SIZE), |u, v| {
        let (du, dv) = (u - tx, v - ty);
        ((a * du + b * dv) / det, (-b * du + a * dv) / det)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_recovers_a_known_transform() {
        // src = template scaled by 2, rotated 10°, shifted.
        let (s, t) = (2.0f32, 10f32.to_radians());
        let src: [Point; 5] = std::array::from_fn(|i| {
            let [x, y] = TEMPLATE[i];
            Point {
                x: s * (t.cos() * x - t.sin() * y) + 30.0,
                y: s * (t.sin() * x + t.cos() * y) + 5.0,
            }
        });
        let (a, b, tx, ty) = similarity(&src, &TEMPLATE);
        for (p, d) in src.iter().zip(TEMPLATE) {
            assert!((a * p.x - b * p.y + tx - d[0]).abs() < 1e-2);
            assert!((b * p.x + a * p.y + ty - d[1]).abs() < 1e-2);
        }
    }
}

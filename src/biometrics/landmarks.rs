//! 68-point landmarks (fr_landmark) and the eye aspect ratio used for blinks.

use image::RgbImage;
use ndarray::Array4;
use ort::value::TensorRef;

use super::detect::Face;
use super::runtime::Pool;
use super::{BiometricError, Point};

/// The 68 points in image pixels, from a 1.0× face-box crop, 64×64 grey / 256.
pub fn landmarks68(pool: &Pool, img: &RgbImage, face: &Face) -> Result<Vec<Point>, BiometricError> {
    let [bx, by, bw, bh] = face.bbox;
    let x = bx.max(0.0) as u32;
    let y = by.max(0.0) as u32;
    let w = (bw as u32).min(img.width().saturating_sub(x)).max(1);
    let h = (bh as u32).min(img.height().saturating_sub(y)).max(1);
    let grey = image::imageops::grayscale(&super::resample::crop_resize(img, (x, y, w, h), 64, 64));
    let mut input = Array4::<f32>::zeros((1, 1, 64, 64));
    for (px, py, p) in grey.enumerate_pixels() {
        input[[0, 0, py as usize, px as usize]] = p[0] as f32 / 256.0;
    }
    let out = pool.with(|s| {
        let o = s.run(ort::inputs!["input" => TensorRef::from_array_view(&input)?])?;
        Ok(o["output"].try_extract_tensor::<f32>()?.1.to_vec())
    })?;
    if out.len() != 136 {
        return Err(BiometricError::Inference(format!(
            "landmark model returned {} values",
            out.len()
        )));
    }
    Ok((0..68)
        .map(|i| Point {
            x: x as f32 + out[2 * i] * w as f32,
            y: y as f32 + out[2 * i + 1] * h as f32,
        })
        .collect())
}

fn dist(a: Point, b: Point) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Mean eye aspect ratio of both eyes (Soukupová & Čech): open ≈ 0.3, closed ≈ 0.1.
pub fn eye_aspect_ratio(p: &[Point]) -> f32 {
    let ear =
        |e: &[Point]| (dist(e[1], e[5]) + dist(e[2], e[4])) / (2.0 * dist(e[0], e[3]).max(1e-3));
    if p.len() < 48 {
        return 0.0;
    }
    (ear(&p[36..42]) + ear(&p[42..48])) / 2.0
}

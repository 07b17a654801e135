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
    let values: Vec<f32> = grey.pixels().map(|p| p.0[0] as f32 / 256.0).collect();
    let input = Array4::from_shape_vec((1, 1, 64, 64), values)
        .map_err(|e| BiometricError::Inference(e.to_string()))?;
    let out = pool.with(|s| {
        let o = s.run(ort::inputs!["input" => TensorRef::from_array_view(&input)?])?;
        Ok(super::runtime::floats(&o, "output")?.to_vec())
    })?;
    if out.len() != 136 {
        return Err(BiometricError::Inference(format!(
            "landmark model returned {} values",
            out.len()
        )));
    }
    Ok(out
        .chunks_exact(2)
        .filter_map(|p| match p {
            [px, py] => Some(Point {
                x: x as f32 + px * w as f32,
                y: y as f32 + py * h as f32,
            }),
            _ => None,
        })
        .collect())
}

fn dist(a: Point, b: Point) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Mean eye aspect ratio of both eyes (Soukupová & Čech): open ≈ 0.3, closed ≈ 0.1.
pub fn eye_aspect_ratio(p: &[Point]) -> f32 {
    let ear = |e: Option<&[Point]>| match e {
        Some([p0, p1, p2, p3, p4, p5]) => {
            (dist(*p1, *p5) + dist(*p2, *p4)) / (2.0 * dist(*p0, *p3).max(1e-3))
        }
        _ => 0.0,
    };
    (ear(p.get(36..42)) + ear(p.get(42..48))) / 2.0
}

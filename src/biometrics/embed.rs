//! 512-d face embedding (fr_feature) of an aligned 112×112 face, L2-normalised.

use image::RgbImage;
use ort::value::TensorRef;

use super::runtime::Pool;
use super::BiometricError;

pub const DIM: usize = 512;

pub fn embed(pool: &Pool, aligned: &RgbImage) -> Result<Vec<f32>, BiometricError> {
    let (w, h) = (aligned.width() as usize, aligned.height() as usize);
    let input = super::resample::planes(aligned, w, h, [0, 1, 2], [127.5; 3], 1.0 / 128.0);
    let raw = pool.with(|s| {
        let out = s.run(ort::inputs!["input" => TensorRef::from_array_view(&input)?])?;
        Ok(super::runtime::floats(&out, "output")?.to_vec())
    })?;
    if raw.len() != DIM {
        return Err(BiometricError::Inference(format!(
            "embedder returned {} values",
            raw.len()
        )));
    }
    Ok(normalize(raw))
}

pub fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// Cosine similarity of two L2-normalised vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

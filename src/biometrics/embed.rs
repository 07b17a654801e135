//! 512-d face embedding (fr_feature) of an aligned 112×112 face, L2-normalised.

use image::RgbImage;
use ndarray::Array4;
use ort::value::TensorRef;

use super::runtime::Pool;
use super::BiometricError;

pub const DIM: usize = 512;

pub fn embed(pool: &Pool, aligned: &RgbImage) -> Result<Vec<f32>, BiometricError> {
    let mut input =
        Array4::<f32>::zeros((1, 3, aligned.height() as usize, aligned.width() as usize));
    for (x, y, p) in aligned.enumerate_pixels() {
        for c in 0..3 {
            input[[0, c, y as usize, x as usize]] = (p[c] as f32 - 127.5) / 128.0;
        }
    }
    let raw = pool.with(|s| {
        let out = s.run(ort::inputs!["input" => TensorRef::from_array_view(&input)?])?;
        Ok(out["output"].try_extract_tensor::<f32>()?.1.to_vec())
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

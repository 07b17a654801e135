//! Passive presentation-attack detection: MiniFASNet V2 + V1SE averaged
//! (Silent-Face), or the registry `fr_liveness` model as a fallback.

use image::RgbImage;
use ndarray::Array4;
use ort::value::TensorRef;

use super::detect::Face;
use super::resample;
use super::runtime::Pool;
use super::BiometricError;

pub enum Pad {
    MiniFas { v2: Pool, v1se: Pool },
    FrLiveness { pool: Pool },
}

/// Silent-Face `CropImage._get_new_box`: the box scaled by `scale` around its
/// centre, shifted (not cut) back inside the image.
pub fn crop_box(img_w: u32, img_h: u32, bbox: &[f32; 4], scale: f32) -> (u32, u32, u32, u32) {
    let (w, h) = (img_w as f32, img_h as f32);
    let (bx, by, bw, bh) = (bbox[0], bbox[1], bbox[2].max(1.0), bbox[3].max(1.0));
    let scale = ((h - 1.0) / bh).min((w - 1.0) / bw).min(scale);
    let (nw, nh) = (bw * scale, bh * scale);
    let (cx, cy) = (bx + bw / 2.0, by + bh / 2.0);
    let (mut x1, mut y1, mut x2, mut y2) =
        (cx - nw / 2.0, cy - nh / 2.0, cx + nw / 2.0, cy + nh / 2.0);
    if x1 < 0.0 {
        x2 -= x1;
        x1 = 0.0;
    }
    if y1 < 0.0 {
        y2 -= y1;
        y1 = 0.0;
    }
    if x2 > w - 1.0 {
        x1 -= x2 - w + 1.0;
        x2 = w - 1.0;
    }
    if y2 > h - 1.0 {
        y1 -= y2 - h + 1.0;
        y2 = h - 1.0;
    }
    let (x1, y1) = (x1.max(0.0) as u32, y1.max(0.0) as u32);
    let (cw, ch) = (
        ((x2 - x1 as f32) as u32).max(1),
        ((y2 - y1 as f32) as u32).max(1),
    );
    (x1, y1, cw.min(img_w - x1), ch.min(img_h - y1))
}

fn patch(img: &RgbImage, face: &Face, scale: f32, size: u32, bgr: bool) -> Array4<f32> {
    let (x, y, w, h) = crop_box(img.width(), img.height(), &face.bbox, scale);
    let resized = resample::crop_resize(img, (x, y, w, h), size, size);
    let order = if bgr { [2, 1, 0] } else { [0, 1, 2] };
    let n = size as usize;
    resample::planes(&resized, n, n, order, [0.0; 3], 1.0)
}

fn softmax(v: &[f32]) -> Vec<f32> {
    let m = v.iter().cloned().fold(f32::MIN, f32::max);
    let e: Vec<f32> = v.iter().map(|x| (x - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

fn run(pool: &Pool, input: &Array4<f32>, output: &str) -> Result<Vec<f32>, BiometricError> {
    pool.with(|s| {
        let out = s.run(ort::inputs!["input" => TensorRef::from_array_view(input)?])?;
        Ok(super::runtime::floats(&out, output)?.to_vec())
    })
}

impl Pad {
    /// The models run on every frame.
    pub fn pools(&self) -> Vec<&Pool> {
        match self {
            Pad::MiniFas { v2, v1se } => vec![v2, v1se],
            Pad::FrLiveness { pool } => vec![pool],
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Pad::MiniFas { .. } => "minifasnet_v2+v1se",
            Pad::FrLiveness { .. } => "fr_liveness",
        }
    }

    /// Probability that the face is live (bona fide), 0..1.
    pub fn live_score(&self, img: &RgbImage, face: &Face) -> Result<f32, BiometricError> {
        match self {
            Pad::MiniFas { v2, v1se } => {
                let a = softmax(&run(v2, &patch(img, face, 2.7, 80, true), "logits")?);
                let b = softmax(&run(v1se, &patch(img, face, 4.0, 80, true), "logits")?);
                Ok((a.get(1).copied().unwrap_or(0.0) + b.get(1).copied().unwrap_or(0.0)) / 2.0)
            }
            Pad::FrLiveness { pool } => {
                let p = softmax(&run(pool, &patch(img, face, 2.7, 128, false), "output")?);
                Ok(p.first().copied().unwrap_or(0.0))
            }
        }
    }
}

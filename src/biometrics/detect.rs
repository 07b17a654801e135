//! Face detection with five landmarks: YuNet (preferred) or RetinaFace-mnet.

use image::RgbImage;
use ndarray::Array4;
use ort::value::TensorRef;

use super::resample;
use super::runtime::Pool;
use super::{BiometricError, Point};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Face {
    /// x, y, width, height in image pixels.
    pub bbox: [f32; 4],
    /// Image-left eye, image-right eye, nose, left and right mouth corners.
    pub landmarks: [Point; 5],
    pub score: f32,
}

pub enum Detector {
    YuNet { pool: Pool, size: u32 },
    RetinaFace { pool: Pool, max_side: u32 },
}

const SCORE_MIN: f32 = 0.6;
const NMS_IOU: f32 = 0.3;

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let x1 = a[0].max(b[0]);
    let y1 = a[1].max(b[1]);
    let x2 = (a[0] + a[2]).min(b[0] + b[2]);
    let y2 = (a[1] + a[3]).min(b[1] + b[3]);
    let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    inter / (a[2] * a[3] + b[2] * b[3] - inter).max(1e-6)
}

fn nms(mut faces: Vec<Face>) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for f in faces {
        if kept.iter().all(|k| iou(&k.bbox, &f.bbox) < NMS_IOU) {
            kept.push(f);
        }
    }
    kept
}

/// Resize keeping the aspect ratio so the image fits `w`×`h`; pasted top-left
/// on a zero canvas, as BGR planes 0..255 (minus `mean`). Returns the scale.
fn letterbox_bgr(img: &RgbImage, w: u32, h: u32, mean: [f32; 3]) -> (Array4<f32>, f32) {
    let s = (w as f32 / img.width() as f32).min(h as f32 / img.height() as f32);
    let nw = ((img.width() as f32 * s).round() as u32).clamp(1, w);
    let nh = ((img.height() as f32 * s).round() as u32).clamp(1, h);
    let resized = resample::resize(img, nw, nh);
    let arr = resample::planes(&resized, w as usize, h as usize, [2, 1, 0], mean, 1.0);
    (arr, s)
}

impl Detector {
    pub fn name(&self) -> String {
        match self {
            Detector::YuNet { size, .. } => format!("yunet_{size}"),
            Detector::RetinaFace { .. } => "retinaface_mnet025".into(),
        }
    }

    pub fn pool(&self) -> &Pool {
        match self {
            Detector::YuNet { pool, .. } | Detector::RetinaFace { pool, .. } => pool,
        }
    }

    /// Faces above the score threshold, best first.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<Face>, BiometricError> {
        let faces = match self {
            Detector::YuNet { pool, size } => yunet(pool, *size, img)?,
            Detector::RetinaFace { pool, max_side } => retinaface(pool, *max_side, img)?,
        };
        Ok(nms(faces))
    }
}

fn yunet(pool: &Pool, size: u32, img: &RgbImage) -> Result<Vec<Face>, BiometricError> {
    let (input, s) = letterbox_bgr(img, size, size, [0.0; 3]);
    pool.with(|sess| {
        let out = sess.run(ort::inputs!["input" => TensorRef::from_array_view(&input)?])?;
        let mut faces = Vec::new();
        for st in [8u32, 16, 32] {
            let cls = out[format!("cls_{st}").as_str()]
                .try_extract_tensor::<f32>()?
                .1;
            let obj = out[format!("obj_{st}").as_str()]
                .try_extract_tensor::<f32>()?
                .1;
            let bbox = out[format!("bbox_{st}").as_str()]
                .try_extract_tensor::<f32>()?
                .1;
            let kps = out[format!("kps_{st}").as_str()]
                .try_extract_tensor::<f32>()?
                .1;
            let cols = (size / st) as usize;
            for i in 0..cls.len() {
                let score = (cls[i].clamp(0.0, 1.0) * obj[i].clamp(0.0, 1.0)).sqrt();
                if score < SCORE_MIN {
                    continue;
                }
                let (r, c) = ((i / cols) as f32, (i % cols) as f32);
                let stf = st as f32;
                let b = &bbox[i * 4..i * 4 + 4];
                let (cx, cy) = ((c + b[0]) * stf, (r + b[1]) * stf);
                let (w, h) = (b[2].exp() * stf, b[3].exp() * stf);
                let k = &kps[i * 10..i * 10 + 10];
                let lm = std::array::from_fn(|j| Point {
                    x: (k[2 * j] + c) * stf / s,
                    y: (k[2 * j + 1] + r) * stf / s,
                });
                faces.push(Face {
                    bbox: [(cx - w / 2.0) / s, (cy - h / 2.0) / s, w / s, h / s],
                    landmarks: lm,
                    score,
                });
            }
        }
        Ok(faces)
    })
}

fn retinaface(pool: &Pool, max_side: u32, img: &RgbImage) -> Result<Vec<Face>, BiometricError> {
    let s = (max_side as f32 / img.width().max(img.height()) as f32).min(1.0);
    let (w, h) = (
        ((img.width() as f32 * s).round() as u32).max(32),
        ((img.height() as f32 * s).round() as u32).max(32),
    );
    let (input, s) = letterbox_bgr(img, w, h, [104.0, 117.0, 123.0]);
    let priors = priors(w, h);
    pool.with(|sess| {
        let out = sess.run(ort::inputs!["input" => TensorRef::from_array_view(&input)?])?;
        let loc = out["loc"].try_extract_tensor::<f32>()?.1;
        let conf = out["conf"].try_extract_tensor::<f32>()?.1;
        let lms = out["landmarks"].try_extract_tensor::<f32>()?.1;
        let (wf, hf) = (w as f32, h as f32);
        let mut faces = Vec::new();
        for (i, p) in priors.iter().enumerate().take(conf.len() / 2) {
            let score = conf[i * 2 + 1];
            if score < SCORE_MIN {
                continue;
            }
            let l = &loc[i * 4..i * 4 + 4];
            let cx = p[0] + l[0] * 0.1 * p[2];
            let cy = p[1] + l[1] * 0.1 * p[3];
            let bw = p[2] * (l[2] * 0.2).exp();
            let bh = p[3] * (l[3] * 0.2).exp();
            let k = &lms[i * 10..i * 10 + 10];
            let lm = std::array::from_fn(|j| Point {
                x: (p[0] + k[2 * j] * 0.1 * p[2]) * wf / s,
                y: (p[1] + k[2 * j + 1] * 0.1 * p[3]) * hf / s,
            });
            faces.push(Face {
                bbox: [
                    (cx - bw / 2.0) * wf / s,
                    (cy - bh / 2.0) * hf / s,
                    bw * wf / s,
                    bh * hf / s,
                ],
                landmarks: lm,
                score,
            });
        }
        Ok(faces)
    })
}

/// RetinaFace prior boxes (cx, cy, w, h) relative to the input size.
fn priors(w: u32, h: u32) -> Vec<[f32; 4]> {
    let mut out = Vec::new();
    for (step, sizes) in [
        (8u32, [16.0f32, 32.0]),
        (16, [64.0, 128.0]),
        (32, [256.0, 512.0]),
    ] {
        let fh = h.div_ceil(step);
        let fw = w.div_ceil(step);
        for i in 0..fh {
            for j in 0..fw {
                for m in sizes {
                    out.push([
                        (j as f32 + 0.5) * step as f32 / w as f32,
                        (i as f32 + 0.5) * step as f32 / h as f32,
                        m / w as f32,
                        m / h as f32,
                    ]);
                }
            }
        }
    }
    out
}

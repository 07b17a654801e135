//! Face detection with five landmarks: YuNet (preferred) or RetinaFace-mnet.

use image::RgbImage;
use ndarray::Array4;
use ort::value::TensorRef;

use super::resample;
use super::runtime::{floats, Pool};
use super::{BiometricError, Point};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Face {
    /// x, y, width, height in image pixels.
    pub bbox: [f32; 4],
    /// Image-left eye, image-right eye, nose, left and right mouth corners.
    pub landmarks: [Point; 5],
    pub score: f32,
}

impl Face {
    /// Whether (x, y) is inside the box grown by half on each side: the
    /// head with its hair and neck, which move with the face; the room is
    /// what lies outside it.
    pub fn near(&self, x: f32, y: f32) -> bool {
        let [bx, by, w, h] = self.bbox;
        x >= bx - w / 2.0 && x < bx + 1.5 * w && y >= by - h / 2.0 && y < by + 1.5 * h
    }

    /// The centre of the box.
    pub fn centre(&self) -> (f32, f32) {
        let [x, y, w, h] = self.bbox;
        (x + w / 2.0, y + h / 2.0)
    }
}

#[cfg(test)]
impl Face {
    /// A face known only by its box (landmarks at its centre): for tests
    /// of what lies around a face.
    pub fn boxed(bbox: [f32; 4]) -> Face {
        let [x, y, w, h] = bbox;
        let centre = Point {
            x: x + w / 2.0,
            y: y + h / 2.0,
        };
        Face {
            bbox,
            landmarks: [centre; 5],
            score: 0.9,
        }
    }
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
            let cls = floats(&out, &format!("cls_{st}"))?;
            let obj = floats(&out, &format!("obj_{st}"))?;
            let bbox = floats(&out, &format!("bbox_{st}"))?;
            let kps = floats(&out, &format!("kps_{st}"))?;
            let n = cls.len();
            if obj.len() != n || bbox.len() != n * 4 || kps.len() != n * 10 {
                return Err(shape_error("yunet"));
            }
            let cols = (size / st).max(1) as usize;
            let rows = cls.iter().zip(obj).zip(bbox.chunks_exact(4));
            for (i, (((cl, ob), b), k)) in rows.zip(kps.chunks_exact(10)).enumerate() {
                let score = (cl.clamp(0.0, 1.0) * ob.clamp(0.0, 1.0)).sqrt();
                if score < SCORE_MIN {
                    continue;
                }
                let (r, c) = ((i / cols) as f32, (i % cols) as f32);
                let stf = st as f32;
                let [bx, by, bw, bh] = four(b)?;
                let (cx, cy) = ((c + bx) * stf, (r + by) * stf);
                let (w, h) = (bw.exp() * stf, bh.exp() * stf);
                let lm = five_points(k, |x, y| Point {
                    x: (x + c) * stf / s,
                    y: (y + r) * stf / s,
                })?;
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
        let loc = floats(&out, "loc")?;
        let conf = floats(&out, "conf")?;
        let lms = floats(&out, "landmarks")?;
        let (wf, hf) = (w as f32, h as f32);
        let mut faces = Vec::new();
        let n = priors.len();
        if conf.len() != n * 2 || loc.len() != n * 4 || lms.len() != n * 10 {
            return Err(shape_error("retinaface"));
        }
        let rows = priors
            .iter()
            .zip(conf.chunks_exact(2))
            .zip(loc.chunks_exact(4))
            .zip(lms.chunks_exact(10));
        for (((p, cf), l), k) in rows {
            let score = cf.get(1).copied().unwrap_or(0.0);
            if score < SCORE_MIN {
                continue;
            }
            let [px, py, pw, ph] = *p;
            let [l0, l1, l2, l3] = four(l)?;
            let cx = px + l0 * 0.1 * pw;
            let cy = py + l1 * 0.1 * ph;
            let bw = pw * (l2 * 0.2).exp();
            let bh = ph * (l3 * 0.2).exp();
            let lm = five_points(k, |x, y| Point {
                x: (px + x * 0.1 * pw) * wf / s,
                y: (py + y * 0.1 * ph) * hf / s,
            })?;
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

fn shape_error(model: &str) -> BiometricError {
    BiometricError::Inference(format!("{model} returned outputs of an unexpected shape"))
}

/// Four numbers of a box row.
fn four(v: &[f32]) -> Result<[f32; 4], BiometricError> {
    <[f32; 4]>::try_from(v).map_err(|_| shape_error("detector"))
}

/// Five landmarks from ten numbers (x, y pairs), each mapped by `at`.
fn five_points(v: &[f32], at: impl Fn(f32, f32) -> Point) -> Result<[Point; 5], BiometricError> {
    let points: Vec<Point> = v
        .chunks_exact(2)
        .filter_map(|p| match p {
            [x, y] => Some(at(*x, *y)),
            _ => None,
        })
        .collect();
    <[Point; 5]>::try_from(points).map_err(|_| shape_error("detector"))
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

#[cfg(test)]
mod output_shape {
    use super::*;

    #[test]
    fn malformed_model_output_is_an_error_not_a_panic() {
        let at = |x: f32, y: f32| Point { x, y };
        assert!(five_points(&[0.0; 10], at).is_ok());
        assert!(five_points(&[0.0; 9], at).is_err(), "an odd count");
        assert!(five_points(&[0.0; 8], at).is_err(), "four points");
        assert!(four(&[1.0, 2.0, 3.0]).is_err());
        assert_eq!(four(&[1.0, 2.0, 3.0, 4.0]).unwrap(), [1.0, 2.0, 3.0, 4.0]);
    }
}

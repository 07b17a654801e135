//! Quality gates with a reason for each failure: face size, blur, exposure, pose.

use image::RgbImage;
use serde::Serialize;

use super::detect::Face;

#[derive(Debug, Clone, Serialize)]
pub struct QualityConfig {
    pub min_face_px: f32,
    pub min_sharpness: f32,
    pub min_brightness: f32,
    pub max_brightness: f32,
    pub max_yaw: f32,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            min_face_px: 64.0,
            min_sharpness: 15.0,
            min_brightness: 40.0,
            max_brightness: 220.0,
            max_yaw: 0.35,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    pub face_px: f32,
    pub sharpness: f32,
    pub brightness: f32,
    /// Nose offset from the eye midpoint over the eye distance (0 = frontal; − = image-left).
    pub yaw: f32,
    /// Nose height between eyes (0) and mouth (1); about 0.5 when level.
    pub pitch: f32,
    pub failures: Vec<String>,
}

impl Quality {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// The one thing the person should change first, for live guidance.
    pub fn hint(&self, cfg: &QualityConfig) -> Hint {
        if self.face_px < cfg.min_face_px {
            Hint::Closer
        } else if self.brightness < cfg.min_brightness {
            Hint::TooDark
        } else if self.brightness > cfg.max_brightness {
            Hint::TooBright
        } else if self.yaw.abs() > cfg.max_yaw {
            Hint::LookStraight
        } else if self.sharpness < cfg.min_sharpness {
            Hint::HoldStill
        } else {
            Hint::Good
        }
    }
}

/// Live guidance on the camera page, before the challenge starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hint {
    Good,
    NoFace,
    OneFaceOnly,
    Closer,
    /// The face fills so much of the frame that too little of the room
    /// shows around it (`sensor_noise::ASK_FARTHER`).
    Farther,
    TooDark,
    TooBright,
    LookStraight,
    HoldStill,
}

/// Head pose from the five landmarks (no extra model needed).
pub fn pose(face: &Face) -> (f32, f32) {
    let [le, re, nose, lm, rm] = face.landmarks;
    let eye_mid = ((le.x + re.x) / 2.0, (le.y + re.y) / 2.0);
    let mouth_mid = ((lm.x + rm.x) / 2.0, (lm.y + rm.y) / 2.0);
    let eye_dist = ((re.x - le.x).powi(2) + (re.y - le.y).powi(2))
        .sqrt()
        .max(1.0);
    let yaw = (nose.x - eye_mid.0) / eye_dist;
    let pitch = (nose.y - eye_mid.1) / (mouth_mid.1 - eye_mid.1).abs().max(1.0);
    (yaw, pitch)
}

/// Variance of the Laplacian and mean brightness of the aligned face.
fn sharpness_brightness(aligned: &RgbImage) -> (f32, f32) {
    let g = image::imageops::grayscale(aligned);
    let (w, h) = g.dimensions();
    let px = |x: u32, y: u32| g.get_pixel(x, y)[0] as f32;
    let mut vals = Vec::with_capacity((w * h) as usize);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            vals.push(px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y));
        }
    }
    let n = vals.len().max(1) as f32;
    let mean = vals.iter().sum::<f32>() / n;
    let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
    let bright = g.pixels().map(|p| p[0] as f32).sum::<f32>() / (w * h) as f32;
    (var, bright)
}

pub fn assess(face: &Face, aligned: &RgbImage, cfg: &QualityConfig) -> Quality {
    let face_px = face.bbox[2].min(face.bbox[3]);
    let (sharpness, brightness) = sharpness_brightness(aligned);
    let (yaw, pitch) = pose(face);
    let mut failures = Vec::new();
    if face_px < cfg.min_face_px {
        failures.push(format!("face too small ({face_px:.0} px; move closer)"));
    }
    if sharpness < cfg.min_sharpness {
        failures.push(format!("image too blurry (sharpness {sharpness:.0})"));
    }
    if brightness < cfg.min_brightness {
        failures.push(format!("too dark (brightness {brightness:.0})"));
    }
    if brightness > cfg.max_brightness {
        failures.push(format!("too bright (brightness {brightness:.0})"));
    }
    if yaw.abs() > cfg.max_yaw {
        failures.push(format!(
            "face turned away (yaw {yaw:.2}); look at the camera"
        ));
    }
    Quality {
        face_px,
        sharpness,
        brightness,
        yaw,
        pitch,
        failures,
    }
}

//! The face engine: loads the best model set the manifest offers and runs
//! the pipeline decode → detect → quality → align → embed (+ passive PAD).

use std::path::Path;
use std::sync::{Condvar, Mutex};

use image::RgbImage;
use serde::Serialize;

use super::detect::{Detector, Face};
use super::manifest::Manifest;
use super::pad::Pad;
use super::quality::{self, Quality, QualityConfig};
use super::runtime::Pool;
use super::{align, embed, image_in, BiometricError};

/// What to do when an image holds several faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultipleFaces {
    Refuse,
    Largest,
}

#[derive(Debug, Clone, Serialize)]
pub struct EngineConfig {
    /// ONNX Runtime intra-op threads per session.
    pub threads: usize,
    /// Sessions per model, and the most analyses run at once.
    pub max_concurrent: usize,
    /// YuNet input size (320 or 640).
    pub detector_size: u32,
    /// Cosine similarity at or above which two faces match (None: the
    /// measured default of the model set in use).
    pub match_threshold: Option<f32>,
    /// Passive liveness score at or above which a face counts as live (None:
    /// the default of the liveness model in use).
    pub live_threshold: Option<f32>,
    pub multiple_faces: MultipleFaces,
    pub quality: QualityConfig,
    /// ONNX Runtime graph optimization (default `extended`).
    pub graph_level: super::runtime::GraphLevel,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            threads: 1,
            max_concurrent: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            detector_size: 320,
            match_threshold: None,
            live_threshold: None,
            multiple_faces: MultipleFaces::Refuse,
            quality: QualityConfig::default(),
            graph_level: super::runtime::GraphLevel::default(),
        }
    }
}

/// Match thresholds calibrated on ../shared/faces/dev: the lowest cosine with
/// no false match among the 838 impostor pairs there, rounded up (with flip
/// augmentation: highest impostor 0.402 shared, 0.462 registry). The normal
/// fitted to those impostors puts them at FMR ≈ 2.6e-4 and 3.2e-5
/// (docs/face.md "Accuracy").
pub const MATCH_THRESHOLD_SHARED: f32 = 0.41;
pub const MATCH_THRESHOLD_REGISTRY: f32 = 0.47;

/// Within one face check, a turned frame against the frontal frames' mean:
/// the lowest cosine with a false-match rate ≤ 1 % among the dev impostor
/// pairs (0.337 → 0.34 shared, 0.309 → 0.31 registry). Lower than the match
/// threshold because a turned, moving face scores lower against its own
/// frontal frames (the clip's genuine turned frames go down to 0.38).
pub const SAME_PERSON_THRESHOLD_SHARED: f32 = 0.34;
pub const SAME_PERSON_THRESHOLD_REGISTRY: f32 = 0.31;
/// MiniFASNet V2+V1SE average: Silent-Face's own cut-off.
pub const LIVE_THRESHOLD_MINIFAS: f32 = 0.65;
/// fr_liveness softmax[0]: between the attack samples (≤ 0.01) and the one
/// bona fide sample (0.37) of ../shared/faces/pad; a smoke-test calibration.
pub const LIVE_THRESHOLD_FR_LIVENESS: f32 = 0.15;

/// The result of analysing one image.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub faces: Vec<Face>,
    pub face: Face,
    pub quality: Quality,
    #[serde(skip)]
    pub embedding: Vec<f32>,
    pub live_score: Option<f32>,
}

/// Counting gate: at most `n` analyses at once (no core oversubscription).
struct Gate {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Gate {
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        {
            let mut n = self.free.lock().unwrap_or_else(|p| p.into_inner());
            while *n == 0 {
                n = self.cv.wait(n).unwrap_or_else(|p| p.into_inner());
            }
            *n -= 1;
        }
        let out = f();
        *self.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.cv.notify_one();
        out
    }
}

pub struct FaceEngine {
    pub config: EngineConfig,
    pub detector: Detector,
    pub embedder: Pool,
    pub pad: Pad,
    /// 68-point landmarks for blink detection.
    pub landmarks: Pool,
    /// "shared" (YuNet + MiniFASNet) or "registry" (RetinaFace + fr_liveness).
    pub model_set: &'static str,
    pub match_threshold: f32,
    /// Cosine at or above which two frames of one check show one person.
    pub same_person_threshold: f32,
    pub live_threshold: f32,
    gate: Gate,
}

impl FaceEngine {
    pub fn load(models_dir: &Path, config: EngineConfig) -> Result<FaceEngine, BiometricError> {
        let m = Manifest::load(models_dir)?;
        let n = config.max_concurrent.max(1);
        let (t, g) = (config.threads, config.graph_level);
        let yunet = m
            .usable(&format!("yunet_{}", config.detector_size))?
            .or(m.usable("yunet_320")?);
        let (v2, v1se) = (m.usable("minifasnet_v2")?, m.usable("minifasnet_v1se")?);
        let (detector, pad, model_set) = match (yunet, v2, v1se) {
            (Some(y), Some(a), Some(b)) => {
                let size = if y.to_string_lossy().contains("_640") {
                    640
                } else {
                    320
                };
                (
                    Detector::YuNet {
                        pool: Pool::load(&y, "yunet", n, t, g)?,
                        size,
                    },
                    Pad::MiniFas {
                        v2: Pool::load(&a, "minifasnet_v2", n, t, g)?,
                        v1se: Pool::load(&b, "minifasnet_v1se", n, t, g)?,
                    },
                    "shared",
                )
            }
            _ => (
                Detector::RetinaFace {
                    pool: Pool::load(&m.require("retinaface_mnet025")?, "retinaface", n, t, g)?,
                    max_side: 640,
                },
                Pad::FrLiveness {
                    pool: Pool::load(&m.require("fr_liveness")?, "fr_liveness", n, t, g)?,
                },
                "registry",
            ),
        };
        let embedder = Pool::load(&m.require("fr_feature")?, "fr_feature", n, t, g)?;
        let landmarks = Pool::load(&m.require("fr_landmark")?, "fr_landmark", n, t, g)?;
        let (m_default, l_default, same_person_threshold) = if model_set == "shared" {
            (
                MATCH_THRESHOLD_SHARED,
                LIVE_THRESHOLD_MINIFAS,
                SAME_PERSON_THRESHOLD_SHARED,
            )
        } else {
            (
                MATCH_THRESHOLD_REGISTRY,
                LIVE_THRESHOLD_FR_LIVENESS,
                SAME_PERSON_THRESHOLD_REGISTRY,
            )
        };
        Ok(FaceEngine {
            gate: Gate {
                free: Mutex::new(n),
                cv: Condvar::new(),
            },
            match_threshold: config.match_threshold.unwrap_or(m_default),
            same_person_threshold,
            live_threshold: config.live_threshold.unwrap_or(l_default),
            config,
            detector,
            embedder,
            pad,
            landmarks,
            model_set,
        })
    }

    /// Identifies the embedding model; stored with templates so a model change forces re-enrolment.
    /// The models a frame's full analysis runs: detector, embedder, PAD.
    pub fn frame_models(&self) -> Vec<&Pool> {
        let mut v = vec![self.detector.pool(), &self.embedder];
        v.extend(self.pad.pools());
        v
    }

    pub fn embedder_id(&self) -> &'static str {
        "fr_feature@87aacdfe"
    }

    pub fn describe(&self) -> String {
        format!(
            "model set '{}': detector {}, embedder fr_feature (512-d), liveness {}",
            self.model_set,
            self.detector.name(),
            self.pad.name()
        )
    }

    /// Pick the subject among detected faces according to the policy.
    fn subject(&self, faces: &[Face]) -> Result<Face, BiometricError> {
        match (faces.len(), self.config.multiple_faces) {
            (0, _) => Err(BiometricError::NoFace),
            (1, _) => faces.first().cloned().ok_or(BiometricError::NoFace),
            (n, MultipleFaces::Refuse) => Err(BiometricError::SeveralFaces(n)),
            (_, MultipleFaces::Largest) => faces
                .iter()
                .max_by(|a, b| (a.bbox[2] * a.bbox[3]).total_cmp(&(b.bbox[2] * b.bbox[3])))
                .cloned()
                .ok_or(BiometricError::NoFace),
        }
    }

    /// Full analysis of a decoded image; `with_pad` adds the liveness score.
    pub fn analyze(&self, img: &RgbImage, with_pad: bool) -> Result<Analysis, BiometricError> {
        self.gate.run(|| {
            let faces = self.detector.detect(img)?;
            let face = self.subject(&faces)?;
            self.describe_face(img, faces, face, with_pad)
        })
    }

    /// One embedder run on a face already found by [`FaceEngine::track`],
    /// as captured or mirrored, with its quality verdicts: a piece of a full
    /// analysis ([`FaceEngine::analyze`], whose embedding is
    /// [`embed::fuse`] of the two views), so that one
    /// check can spread its model runs over the cores (which views a
    /// check runs: `answer::mirror_plan`).
    pub fn view(
        &self,
        img: &RgbImage,
        face: &Face,
        mirrored: bool,
    ) -> Result<(Vec<f32>, Quality), BiometricError> {
        self.gate.run(|| {
            let aligned = align::align(img, &face.landmarks);
            let quality = quality::assess(face, &aligned, &self.config.quality);
            let embedding = if mirrored {
                embed::embed_once(&self.embedder, &image::imageops::flip_horizontal(&aligned))?
            } else {
                embed::embed_once(&self.embedder, &aligned)?
            };
            Ok((embedding, quality))
        })
    }

    /// The passive liveness score of a face already found: the other piece
    /// of a full analysis.
    pub fn live_score(&self, img: &RgbImage, face: &Face) -> Result<f32, BiometricError> {
        self.gate.run(|| self.pad.live_score(img, face))
    }

    /// How many analyses may run at once (the gate's size): the threads a
    /// check spreads its model runs over.
    pub fn cores(&self) -> usize {
        self.config.max_concurrent.max(1)
    }

    fn describe_face(
        &self,
        img: &RgbImage,
        faces: Vec<Face>,
        face: Face,
        with_pad: bool,
    ) -> Result<Analysis, BiometricError> {
        let aligned = align::align(img, &face.landmarks);
        let quality = quality::assess(&face, &aligned, &self.config.quality);
        let embedding = embed::embed(&self.embedder, &aligned)?;
        let live_score = if with_pad {
            Some(self.pad.live_score(img, &face)?)
        } else {
            None
        };
        Ok(Analysis {
            faces,
            face,
            quality,
            embedding,
            live_score,
        })
    }

    /// The cheap per-frame pass of a challenge: the subject's face (pose
    /// comes from its landmarks) and, for a blink, its eye aspect ratio.
    pub fn track(
        &self,
        img: &RgbImage,
        with_ear: bool,
    ) -> Result<(Face, Option<f32>), BiometricError> {
        self.gate.run(|| {
            let face = self.subject(&self.detector.detect(img)?)?;
            let ear = if with_ear {
                Some(self.eye_aspect_ratio(img, &face)?)
            } else {
                None
            };
            Ok((face, ear))
        })
    }

    /// Eye aspect ratio of the subject's eyes (for blink detection).
    pub fn eye_aspect_ratio(&self, img: &RgbImage, face: &Face) -> Result<f32, BiometricError> {
        let pts = super::landmarks::landmarks68(&self.landmarks, img, face)?;
        Ok(super::landmarks::eye_aspect_ratio(&pts))
    }

    pub fn analyze_bytes(&self, bytes: &[u8], with_pad: bool) -> Result<Analysis, BiometricError> {
        self.analyze(&self.decode(bytes)?, with_pad)
    }

    /// Decode an uploaded image inside the engine's gate, so concurrent
    /// requests cannot decode more images at once than there are cores.
    pub fn decode(&self, bytes: &[u8]) -> Result<RgbImage, BiometricError> {
        self.gate.run(|| image_in::decode(bytes))
    }

    pub fn is_live(&self, score: f32) -> bool {
        score >= self.live_threshold
    }

    pub fn is_match(&self, similarity: f32) -> bool {
        similarity >= self.match_threshold
    }
}

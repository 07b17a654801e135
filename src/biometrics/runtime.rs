//! The ONNX Runtime library and sessions. One environment per process (an
//! ONNX Runtime rule), kept in a `OnceLock`; sessions live in the engine.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;

use super::BiometricError;

pub const LIBRARY: &str = "libonnxruntime.so.1.31.1";

static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();

/// Where to look for the library: `VISAGE_ORT_LIB`, then `runtime/` in the
/// working directory, then next to the executable and up to three parents.
pub fn library_candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(p) = std::env::var("VISAGE_ORT_LIB") {
        v.push(PathBuf::from(p));
    }
    if let Ok(cwd) = std::env::current_dir() {
        v.push(cwd.join("runtime").join(LIBRARY));
    }
    if let Ok(exe) = std::env::current_exe() {
        let mut dir = exe.parent().map(Path::to_path_buf);
        for _ in 0..4 {
            if let Some(d) = dir {
                v.push(d.join("runtime").join(LIBRARY));
                dir = d.parent().map(Path::to_path_buf);
            }
        }
    }
    v.push(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("runtime")
            .join(LIBRARY),
    );
    v
}

pub fn environment() -> Result<&'static Environment, BiometricError> {
    let res = ENV.get_or_init(|| {
        let lib = library_candidates()
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!("{LIBRARY} not found; run scripts/models.sh (or set VISAGE_ORT_LIB)")
            })?;
        let lib = lib.canonicalize().map_err(|e| e.to_string())?;
        ort::init_from(&lib)
            .map_err(|e| format!("loading {}: {e}", lib.display()))?
            .with_name("visage")
            .with_telemetry(false)
            .build()
            .map_err(|e| e.to_string())
    });
    res.as_ref().map_err(|e| BiometricError::Model(e.clone()))
}

/// How much ONNX Runtime rewrites a graph before running it. `Extended`
/// (level 2) is the default: `All` (level 3) adds layout transforms (NCHWc)
/// that made the embedder 3.5× slower on AVX-512 Xeons (README "Speed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphLevel {
    Basic,
    #[default]
    Extended,
    All,
}

impl std::str::FromStr for GraphLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<GraphLevel, String> {
        match s {
            "basic" => Ok(GraphLevel::Basic),
            "extended" => Ok(GraphLevel::Extended),
            "all" => Ok(GraphLevel::All),
            _ => Err(format!("unknown graph level '{s}' (basic, extended, all)")),
        }
    }
}

impl GraphLevel {
    fn ort(self) -> GraphOptimizationLevel {
        match self {
            GraphLevel::Basic => GraphOptimizationLevel::Level1,
            GraphLevel::Extended => GraphOptimizationLevel::Level2,
            GraphLevel::All => GraphOptimizationLevel::Level3,
        }
    }
}

fn build(
    env: &Environment,
    file: &Path,
    threads: usize,
    level: GraphLevel,
) -> ort::Result<Session> {
    Session::builder(env)?
        .with_optimization_level(level.ort())?
        .with_intra_threads(threads.max(1))?
        .with_inter_threads(1)?
        .commit_from_file(file)
}

/// A few sessions of one model, so parallel requests do not queue on one.
pub struct Pool {
    sessions: Vec<Mutex<Session>>,
    pub name: String,
}

impl Pool {
    pub fn load(
        file: &Path,
        name: &str,
        size: usize,
        threads: usize,
        level: GraphLevel,
    ) -> Result<Pool, BiometricError> {
        let env = environment()?;
        let mut sessions = Vec::with_capacity(size.max(1));
        for _ in 0..size.max(1) {
            let s = build(env, file, threads, level)
                .map_err(|e| BiometricError::Model(format!("{}: {e}", file.display())))?;
            sessions.push(Mutex::new(s));
        }
        Ok(Pool {
            sessions,
            name: name.to_owned(),
        })
    }

    /// Run `f` on a free session (or wait for the first one).
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, BiometricError>,
    ) -> Result<T, BiometricError> {
        for m in &self.sessions {
            if let Ok(mut s) = m.try_lock() {
                return f(&mut s);
            }
        }
        let first = self
            .sessions
            .first()
            .ok_or_else(|| BiometricError::Model("empty session pool".into()))?;
        let mut s = first
            .lock()
            .map_err(|_| BiometricError::Model("session lock poisoned".into()))?;
        f(&mut s)
    }
}

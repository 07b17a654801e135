//! The ONNX Runtime library and sessions. One environment per process (an
//! ONNX Runtime rule), kept in a `OnceLock`; sessions live in the engine.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::TensorRef;

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

/// How much ONNX Runtime rewrites a graph before running it. `Auto` (the
/// default) times each model under the three levels when it loads and
/// keeps the fastest: `All` (level 3) adds layout transforms (NCHWc) that
/// made the embedder 3.5× slower on AVX-512 Xeons, and help elsewhere
/// (docs/face.md "Speed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphLevel {
    #[default]
    Auto,
    Basic,
    Extended,
    All,
}

impl std::str::FromStr for GraphLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<GraphLevel, String> {
        match s {
            "auto" => Ok(GraphLevel::Auto),
            "basic" => Ok(GraphLevel::Basic),
            "extended" => Ok(GraphLevel::Extended),
            "all" => Ok(GraphLevel::All),
            _ => Err(format!(
                "unknown graph level '{s}' (auto, basic, extended, all)"
            )),
        }
    }
}

impl GraphLevel {
    fn ort(self) -> GraphOptimizationLevel {
        match self {
            GraphLevel::Basic => GraphOptimizationLevel::Level1,
            GraphLevel::Extended | GraphLevel::Auto => GraphOptimizationLevel::Level2,
            GraphLevel::All => GraphOptimizationLevel::Level3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GraphLevel::Auto => "auto",
            GraphLevel::Basic => "basic",
            GraphLevel::Extended => "extended",
            GraphLevel::All => "all",
        }
    }
}

/// A float output of a run, by name (a missing output is an error, not a panic).
pub fn floats<'a>(
    out: &'a ort::session::SessionOutputs<'_>,
    name: &str,
) -> Result<&'a [f32], BiometricError> {
    let value = out
        .get(name)
        .ok_or_else(|| BiometricError::Inference(format!("model output '{name}' is missing")))?;
    let (_, data) = value
        .try_extract_tensor::<f32>()
        .map_err(|e| BiometricError::Inference(e.to_string()))?;
    Ok(data)
}

/// The model's own inference time on one session: the median of `runs`
/// runs, after one warm-up, on a zero input of its declared shape (a
/// dynamic dimension: batch 1, channels 3, a 640×480 frame).
fn time_session(session: &mut Session, runs: usize) -> Result<f64, BiometricError> {
    let model = |e: ort::Error| BiometricError::Inference(e.to_string());
    let input = session
        .inputs()
        .first()
        .ok_or_else(|| BiometricError::Model("a model without inputs".into()))?;
    let name = input.name().to_owned();
    let fallback = [1usize, 3, 480, 640];
    let shape: Vec<usize> = input
        .dtype()
        .tensor_shape()
        .map(|s| {
            s.iter()
                .enumerate()
                .map(|(i, d)| match usize::try_from(*d) {
                    Ok(d) if d > 0 => d,
                    _ => fallback.get(i).copied().unwrap_or(1),
                })
                .collect()
        })
        .unwrap_or_default();
    let zeros = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&shape));
    let mut times = Vec::with_capacity(runs);
    for i in 0..=runs.max(1) {
        let t = std::time::Instant::now();
        let view = TensorRef::from_array_view(&zeros).map_err(model)?;
        session
            .run(ort::inputs![name.as_str() => view])
            .map_err(model)?;
        if i > 0 {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times.get(times.len() / 2).copied().unwrap_or(0.0))
}

/// Levels chosen so far in this process, by model file and thread count
/// (a process loads the same model once per engine; tests load many).
static CHOSEN: Mutex<Vec<(PathBuf, usize, GraphLevel, f64)>> = Mutex::new(Vec::new());

/// The fastest level for `file` at `threads`, and its time: each level is
/// built and timed over a few runs (once per process and model).
fn fastest(env: &Environment, file: &Path, name: &str, threads: usize) -> (GraphLevel, f64) {
    if let Ok(done) = CHOSEN.lock() {
        if let Some((_, _, l, ms)) = done.iter().find(|(f, t, _, _)| f == file && *t == threads) {
            return (*l, *ms);
        }
    }
    let mut tried = Vec::new();
    for level in [GraphLevel::Basic, GraphLevel::Extended, GraphLevel::All] {
        let timed = build(env, file, threads, level)
            .map_err(|e| BiometricError::Model(e.to_string()))
            .and_then(|mut s| time_session(&mut s, 5));
        match timed {
            Ok(ms) => tried.push((level, ms)),
            Err(e) => tracing::warn!("{name}: graph level {} failed: {e}", level.as_str()),
        }
    }
    let best = tried
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((GraphLevel::Extended, 0.0));
    let all: Vec<String> = tried
        .iter()
        .map(|(l, ms)| format!("{} {ms:.2} ms", l.as_str()))
        .collect();
    tracing::info!(
        "{name}: graph level {} ({}; {threads} thread(s))",
        best.0.as_str(),
        all.join(", ")
    );
    if let Ok(mut done) = CHOSEN.lock() {
        done.push((file.to_path_buf(), threads, best.0, best.1));
    }
    best
}

fn build(
    env: &Environment,
    file: &Path,
    threads: usize,
    level: GraphLevel,
) -> ort::Result<Session> {
    Session::builder(env)?
        .with_optimization_level(level.ort())?
        .with_flush_to_zero()?
        .with_intra_threads(threads.max(1))?
        .with_inter_threads(1)?
        .commit_from_file(file)
}

/// A few sessions of one model, so parallel requests do not queue on one.
pub struct Pool {
    sessions: Vec<Mutex<Session>>,
    pub name: String,
    /// The graph level the sessions run at (chosen, or as configured).
    pub level: GraphLevel,
    /// Nanoseconds spent in `with` since load (benchmarks read it).
    spent_ns: AtomicU64,
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
        let level = match level {
            GraphLevel::Auto => fastest(env, file, name, threads.max(1)).0,
            fixed => fixed,
        };
        let mut sessions = Vec::with_capacity(size.max(1));
        for _ in 0..size.max(1) {
            let s = build(env, file, threads, level)
                .map_err(|e| BiometricError::Model(format!("{}: {e}", file.display())))?;
            sessions.push(Mutex::new(s));
        }
        Ok(Pool {
            sessions,
            name: name.to_owned(),
            level,
            spent_ns: AtomicU64::new(0),
        })
    }

    /// Milliseconds spent running this model since it loaded.
    pub fn spent_ms(&self) -> f64 {
        self.spent_ns.load(Ordering::Relaxed) as f64 / 1e6
    }

    /// Run `f` on a free session (or wait for the first one).
    pub fn with<T>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T, BiometricError>,
    ) -> Result<T, BiometricError> {
        let start = std::time::Instant::now();
        let out = self.run_on_free(f);
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.spent_ns.fetch_add(ns, Ordering::Relaxed);
        out
    }

    fn run_on_free<T>(
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

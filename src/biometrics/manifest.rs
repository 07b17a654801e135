//! `models/manifest.toml`: which model files exist, with verified checksums,
//! and which set the engine will run.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::BiometricError;

#[derive(Debug, Clone, Deserialize)]
pub struct ModelEntry {
    pub name: String,
    pub role: String,
    pub set: String,
    pub file: String,
    pub sha256: String,
    pub input: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
struct ManifestFile {
    model: Vec<ModelEntry>,
}

#[derive(Debug, Clone)]
pub struct ModelStatus {
    pub entry: ModelEntry,
    pub path: PathBuf,
    /// None = file absent; Some(false) = checksum mismatch.
    pub verified: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub dir: PathBuf,
    pub models: Vec<ModelStatus>,
}

impl Manifest {
    /// Read the manifest and hash every file that is present.
    pub fn load(dir: &Path) -> Result<Manifest, BiometricError> {
        let path = dir.join("manifest.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| BiometricError::Model(format!("{}: {e}", path.display())))?;
        let parsed: ManifestFile = toml::from_str(&text)
            .map_err(|e| BiometricError::Model(format!("{}: {e}", path.display())))?;
        let models = parsed
            .model
            .into_iter()
            .map(|entry| {
                let p = dir.join(&entry.file);
                let verified = std::fs::read(&p)
                    .ok()
                    .map(|bytes| hex::encode(Sha256::digest(&bytes)) == entry.sha256);
                ModelStatus {
                    entry,
                    path: p,
                    verified,
                }
            })
            .collect();
        Ok(Manifest {
            dir: dir.to_path_buf(),
            models,
        })
    }

    /// A model usable now (present with the right checksum). A file with a
    /// wrong checksum is an error, never silently used.
    pub fn usable(&self, name: &str) -> Result<Option<PathBuf>, BiometricError> {
        match self.models.iter().find(|m| m.entry.name == name) {
            None => Ok(None),
            Some(m) => match m.verified {
                None => Ok(None),
                Some(true) => Ok(Some(m.path.clone())),
                Some(false) => Err(BiometricError::Model(format!(
                    "{} has the wrong sha256; reinstall it with scripts/models.sh",
                    m.path.display()
                ))),
            },
        }
    }

    pub fn require(&self, name: &str) -> Result<PathBuf, BiometricError> {
        self.usable(name)?.ok_or_else(|| {
            BiometricError::Model(format!(
                "model {name} is not installed; run scripts/models.sh"
            ))
        })
    }
}

/// The models folder: `VISAGE_MODELS_DIR`, `./models`, or the crate's own.
pub fn default_dir() -> PathBuf {
    if let Ok(d) = std::env::var("VISAGE_MODELS_DIR") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("models");
    if local.join("manifest.toml").is_file() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

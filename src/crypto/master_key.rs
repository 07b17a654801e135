//! The deployment's master key: encrypts private keys and stored secrets and
//! keys the HMAC of client secrets.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

use super::{hmac_hex, CryptoError};

/// 32 secret bytes, with purpose-specific sub-keys derived by HMAC.
#[derive(Clone)]
pub struct MasterKey {
    encryption: [u8; 32],
    secret_hmac: [u8; 32],
    audit: [u8; 32],
    backup: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn from_bytes(raw: &[u8; 32]) -> MasterKey {
        MasterKey {
            encryption: derive(raw, "visage/encryption/v1"),
            secret_hmac: derive(raw, "visage/client-secret/v1"),
            audit: derive(raw, "visage/audit-seal/v1"),
            backup: derive(raw, "visage/backup/v1"),
        }
    }

    /// Key for AES-256-GCM encryption of backups (`visage backup`).
    pub fn backup_key(&self) -> &[u8; 32] {
        &self.backup
    }

    /// Key for AES-256-GCM field encryption.
    pub fn encryption_key(&self) -> &[u8; 32] {
        &self.encryption
    }

    /// Keyed hash of a short one-time code, bound to its `context` (a stolen
    /// database alone does not allow guessing codes offline).
    pub fn hash_code(&self, context: &str, code: &str) -> String {
        hmac_hex(
            &self.secret_hmac,
            format!("code\0{context}\0{code}").as_bytes(),
        )
    }

    /// MAC of an audit seal: the chain head `(seq, head)` after the previous
    /// seal's MAC (hex HMAC-SHA-256 under a key that is not in the database).
    pub fn audit_seal(&self, prev_mac: &str, seq: i64, head: &str) -> String {
        hmac_hex(&self.audit, format!("{prev_mac}\0{seq}\0{head}").as_bytes())
    }

    /// Keyed hash of a client secret (hex HMAC-SHA-256).
    pub fn hash_client_secret(&self, secret: &str) -> String {
        hmac_hex(&self.secret_hmac, secret.as_bytes())
    }
}

fn derive(raw: &[u8; 32], label: &str) -> [u8; 32] {
    let hex_mac = hmac_hex(raw, label.as_bytes());
    let mut out = [0u8; 32];
    if let Ok(bytes) = hex::decode(hex_mac) {
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b;
        }
    }
    out
}

/// Use `configured` (base64 of 32 bytes) if given, else read `path`, creating it
/// (mode 0600) with fresh random bytes on first start.
pub fn load_or_create_master_key(configured: &str, path: &Path) -> Result<MasterKey, CryptoError> {
    let text = if !configured.is_empty() {
        configured.trim().to_owned()
    } else if path.exists() {
        std::fs::read_to_string(path)
            .map_err(|e| CryptoError::MasterKey(format!("{}: {e}", path.display())))?
    } else {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let text = STANDARD.encode(raw);
        write_private(path, text.as_bytes())
            .map_err(|e| CryptoError::MasterKey(format!("{}: {e}", path.display())))?;
        text
    };
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| CryptoError::MasterKey("master key is not base64".into()))?;
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| CryptoError::MasterKey("master key must be 32 bytes".into()))?;
    Ok(MasterKey::from_bytes(&raw))
}

/// Create `path` (and its folder) readable by this user only (mode 0600),
/// refusing to replace an existing file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

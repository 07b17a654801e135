//! The deployment's master key: seals private keys, face templates and other
//! stored secrets, and keys the HMAC of client secrets, one-time codes and
//! audit seals.
//!
//! A `MasterKey` is a shared handle: every clone sees a rotation
//! (`visage keys rotate-master`, docs/operations.md "Master key rotation")
//! as soon as this server learns of it — sealing under the new key and
//! opening under both until the rotation is finished.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

use super::{hmac_hex, CryptoError};

/// One generation of the master key: its 32 bytes and what is derived from them.
#[derive(Clone)]
pub struct KeyVersion {
    raw: [u8; 32],
    encryption: [u8; 32],
    backup: [u8; 32],
    id: String,
}

impl std::fmt::Debug for KeyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyVersion({})", self.id)
    }
}

impl KeyVersion {
    pub fn from_raw(raw: [u8; 32]) -> KeyVersion {
        KeyVersion {
            encryption: derive(&raw, "visage/encryption/v1"),
            backup: derive(&raw, "visage/backup/v1"),
            id: hmac_hex(&raw, b"visage/key-id/v1")[..16].to_owned(),
            raw,
        }
    }

    /// A fresh random key.
    pub fn generate() -> KeyVersion {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        KeyVersion::from_raw(raw)
    }

    /// Parse the base64 text of a key file or of the `master_key` setting.
    pub fn parse(text: &str) -> Result<KeyVersion, CryptoError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| CryptoError::MasterKey("master key is not base64".into()))?;
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::MasterKey("master key must be 32 bytes".into()))?;
        Ok(KeyVersion::from_raw(raw))
    }

    /// The base64 text of a key file.
    pub fn encode(&self) -> String {
        STANDARD.encode(self.raw)
    }

    /// Key for AES-256-GCM encryption of backups made under this key.
    pub fn backup_key(&self) -> [u8; 32] {
        self.backup
    }

    /// A name for this key that reveals nothing about it (16 hex digits).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// AES-256-GCM under this key (a rotation re-sealing a field).
    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        super::seal(&self.encryption, aad, plaintext)
    }

    /// Open a field sealed under this key.
    pub fn open(&self, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        super::open(&self.encryption, aad, sealed)
    }

    /// `other` sealed under this key (a rotation's hand-over in the database).
    pub fn wrap(&self, other: &KeyVersion) -> Result<Vec<u8>, CryptoError> {
        super::seal(&self.encryption, &wrap_aad(&other.id), &other.raw)
    }

    /// The key `id` from `sealed`, written by [`KeyVersion::wrap`] under this key.
    pub fn unwrap(&self, id: &str, sealed: &[u8]) -> Result<KeyVersion, CryptoError> {
        let raw: [u8; 32] = super::open(&self.encryption, &wrap_aad(id), sealed)?
            .try_into()
            .map_err(|_| CryptoError::Decrypt)?;
        let key = KeyVersion::from_raw(raw);
        if key.id != id {
            return Err(CryptoError::Decrypt);
        }
        Ok(key)
    }
}

fn wrap_aad(id: &str) -> String {
    format!("master_key_rotations/key/{id}")
}

/// Keys that must not change when the master key does (what they keyed
/// cannot be recomputed): stored in the database sealed under the master key.
#[derive(Clone, Copy)]
pub enum StableKey {
    /// HMAC of client secrets and one-time codes.
    SecretHmac,
    /// MAC of the audit log's seals and checkpoints.
    AuditSeal,
}

impl StableKey {
    pub const ALL: [StableKey; 2] = [StableKey::SecretHmac, StableKey::AuditSeal];

    pub fn name(self) -> &'static str {
        match self {
            StableKey::SecretHmac => "client-secret",
            StableKey::AuditSeal => "audit-seal",
        }
    }

    fn label(self) -> &'static str {
        match self {
            StableKey::SecretHmac => "visage/client-secret/v1",
            StableKey::AuditSeal => "visage/audit-seal/v1",
        }
    }
}

struct Inner {
    /// The key this process was given (file or setting).
    given: KeyVersion,
    /// The key new fields are sealed under.
    seals: KeyVersion,
    /// During a rotation, the other key (fields not re-sealed yet).
    also_opens: Option<KeyVersion>,
    secret_hmac: [u8; 32],
    audit: [u8; 32],
}

/// The master key as this process holds it (a shared handle; see the module).
#[derive(Clone)]
pub struct MasterKey {
    inner: Arc<RwLock<Inner>>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn from_bytes(raw: &[u8; 32]) -> MasterKey {
        MasterKey::from_version(KeyVersion::from_raw(*raw))
    }

    pub fn from_version(given: KeyVersion) -> MasterKey {
        MasterKey {
            inner: Arc::new(RwLock::new(Inner {
                secret_hmac: derive(&given.raw, StableKey::SecretHmac.label()),
                audit: derive(&given.raw, StableKey::AuditSeal.label()),
                seals: given.clone(),
                also_opens: None,
                given,
            })),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Inner) -> T) -> T {
        match self.inner.read() {
            Ok(g) => f(&g),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    fn write(&self, f: impl FnOnce(&mut Inner)) {
        match self.inner.write() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The key this process was given.
    pub fn given(&self) -> KeyVersion {
        self.read(|i| i.given.clone())
    }

    /// The key new fields are sealed under, and the other one a rotation
    /// in progress still opens.
    pub fn in_use(&self) -> (KeyVersion, Option<KeyVersion>) {
        self.read(|i| (i.seals.clone(), i.also_opens.clone()))
    }

    /// Seal under `seals`, open under it or `also_opens` (a rotation).
    pub fn use_keys(&self, seals: KeyVersion, also_opens: Option<KeyVersion>) {
        self.write(|i| {
            i.seals = seals;
            i.also_opens = also_opens;
        })
    }

    /// The value a stable key would have if it were derived from the given key
    /// (what a database that has none stores).
    pub fn derived(&self, which: StableKey) -> [u8; 32] {
        self.read(|i| derive(&i.given.raw, which.label()))
    }

    /// Use the stored value of a stable key.
    pub fn set_stable(&self, which: StableKey, value: [u8; 32]) {
        self.write(|i| match which {
            StableKey::SecretHmac => i.secret_hmac = value,
            StableKey::AuditSeal => i.audit = value,
        })
    }

    /// AES-256-GCM under the current key, bound to `aad` (table/column/row).
    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.read(|i| super::seal(&i.seals.encryption, aad, plaintext))
    }

    /// Open a field sealed by [`MasterKey::seal`] (under either key while a
    /// rotation runs).
    pub fn open(&self, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.read(|i| {
            super::open(&i.seals.encryption, aad, sealed).or_else(|e| match &i.also_opens {
                Some(other) => super::open(&other.encryption, aad, sealed),
                None => Err(e),
            })
        })
    }

    /// Key for AES-256-GCM encryption of backups (`visage backup`): the given key's.
    pub fn backup_key(&self) -> [u8; 32] {
        self.read(|i| i.given.backup_key())
    }

    /// Keyed hash of a short one-time code, bound to its `context` (a stolen
    /// database alone does not allow guessing codes offline).
    pub fn hash_code(&self, context: &str, code: &str) -> String {
        self.read(|i| {
            hmac_hex(
                &i.secret_hmac,
                format!("code\0{context}\0{code}").as_bytes(),
            )
        })
    }

    /// MAC of an audit seal: the chain head `(seq, head)` after the previous
    /// seal's MAC (hex HMAC-SHA-256 under a key that is not in the database).
    pub fn audit_seal(&self, prev_mac: &str, seq: i64, head: &str) -> String {
        self.read(|i| hmac_hex(&i.audit, format!("{prev_mac}\0{seq}\0{head}").as_bytes()))
    }

    /// What the audit chain covers of a sealed detail: its HMAC under the
    /// audit-seal key (the ciphertext changes at a rotation, this does not).
    pub fn audit_digest(&self, detail: &str) -> String {
        self.read(|i| hmac_hex(&i.audit, format!("detail\0{detail}").as_bytes()))
    }

    /// Keyed hash of a client secret (hex HMAC-SHA-256).
    pub fn hash_client_secret(&self, secret: &str) -> String {
        self.read(|i| hmac_hex(&i.secret_hmac, secret.as_bytes()))
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
        read_key_file(path)?
    } else {
        let key = KeyVersion::generate();
        write_private(path, key.encode().as_bytes())
            .map_err(|e| CryptoError::MasterKey(format!("{}: {e}", path.display())))?;
        key.encode()
    };
    Ok(MasterKey::from_version(KeyVersion::parse(&text)?))
}

/// The text of a key file.
pub fn read_key_file(path: &Path) -> Result<String, CryptoError> {
    std::fs::read_to_string(path)
        .map_err(|e| CryptoError::MasterKey(format!("{}: {e}", path.display())))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn during_a_rotation_both_keys_open_and_the_new_one_seals() {
        let old = KeyVersion::from_raw([1u8; 32]);
        let new = KeyVersion::from_raw([2u8; 32]);
        let mk = MasterKey::from_version(old.clone());
        let before = mk.seal("t/c/1", b"before").unwrap_or_default();
        mk.use_keys(new.clone(), Some(old.clone()));
        let during = mk.seal("t/c/2", b"during").unwrap_or_default();
        assert_eq!(mk.open("t/c/1", &before).ok(), Some(b"before".to_vec()));
        assert_eq!(mk.open("t/c/2", &during).ok(), Some(b"during".to_vec()));
        mk.use_keys(new.clone(), None);
        assert!(mk.open("t/c/1", &before).is_err(), "the old key is gone");
        assert!(mk.open("t/c/2", &during).is_ok());
        let wrapped = old.wrap(&new).unwrap_or_default();
        assert_eq!(
            old.unwrap(new.id(), &wrapped).ok().map(|k| k.encode()),
            Some(new.encode())
        );
        assert!(new.unwrap(new.id(), &wrapped).is_err());
        assert!(old.unwrap(old.id(), &wrapped).is_err());
    }
}

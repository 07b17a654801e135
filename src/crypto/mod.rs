//! Secrets at rest and in flight: random tokens, hashes, keyed hashes and
//! AES-256-GCM field encryption with associated data.

mod master_key;
pub mod scope;

pub use master_key::{
    load_or_create_master_key, read_key_file, write_private, KeyVersion, MasterKey, StableKey,
};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("encrypted field could not be decrypted (wrong key or tampered data)")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
    #[error("master key: {0}")]
    MasterKey(String),
}

/// `bytes` random bytes, base64url without padding (256 bits → 43 chars).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a high-entropy token, hex; what the database stores instead of it.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two strings.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// HMAC-SHA-256 of `data` under `key`, hex.
pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    // new_from_slice accepts any key length for HMAC.
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// AES-256-GCM with a random 96-bit nonce; output = nonce ‖ ciphertext ‖ tag.
pub fn seal(key: &[u8; 32], aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| CryptoError::Encrypt)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Inverse of [`seal`]; fails if the key, the AAD or the bytes differ.
pub fn open(key: &[u8; 32], aad: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 12 + 16 {
        return Err(CryptoError::Decrypt);
    }
    let (nonce, ct) = sealed.split_at(12);
    Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_aad_binding() {
        let key = [7u8; 32];
        let sealed = seal(&key, "signing_keys/private_key/k1", b"secret").unwrap_or_default();
        assert_eq!(
            open(&key, "signing_keys/private_key/k1", &sealed).ok(),
            Some(b"secret".to_vec())
        );
        assert!(open(&key, "signing_keys/private_key/k2", &sealed).is_err());
        assert!(open(&[8u8; 32], "signing_keys/private_key/k1", &sealed).is_err());
    }

    #[test]
    fn random_tokens_have_256_bits() {
        let t = random_token(32);
        assert_eq!(t.len(), 43);
        assert_ne!(t, random_token(32));
    }
}

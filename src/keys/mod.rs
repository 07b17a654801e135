//! Signing keys: generation, encrypted storage, rotation, JWKS, sign/verify.

mod alg;
mod keyring;
mod rotation;

pub use alg::Alg;
pub use keyring::{KeyRing, Keys, VerifiedJws};
pub use rotation::{ensure_active_keys, rotate};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no active signing key for {0}")]
    NoActiveKey(Alg),
    #[error("JOSE operation failed: {0}")]
    Jose(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("the token signature or format is invalid")]
    InvalidToken,
}

impl From<josekit::JoseError> for KeyError {
    fn from(e: josekit::JoseError) -> Self {
        KeyError::Jose(e.to_string())
    }
}

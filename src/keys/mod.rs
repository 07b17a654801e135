//! Signing keys: generation, encrypted storage, rotation, JWKS, sign/verify.

mod alg;
mod keyring;
mod rotation;

pub use alg::Alg;
pub use keyring::{KeyRing, Keys, VerifiedJws};
pub use rotation::{
    aad as sealed_key_aad, ensure_active_keys, retire_now, rotate, rotate_due, Retired,
};

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
    #[error("no signing key with kid '{0}'")]
    UnknownKey(String),
    #[error("the key '{0}' is already retired and no longer published")]
    AlreadyUnpublished(String),
}

impl From<josekit::JoseError> for KeyError {
    fn from(e: josekit::JoseError) -> Self {
        KeyError::Jose(e.to_string())
    }
}

impl From<diesel::result::Error> for KeyError {
    fn from(e: diesel::result::Error) -> Self {
        KeyError::Db(e.into())
    }
}

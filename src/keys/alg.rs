//! JWS algorithms Visage signs with.

use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jwk::Jwk;
use josekit::jws::{EdDSA, JwsSigner, JwsVerifier, ES256, RS256};

pub use crate::alg::Alg;

impl Alg {
    /// A fresh private key as a JWK.
    pub fn generate(self, rsa_bits: u32) -> Result<Jwk, josekit::JoseError> {
        match self {
            Alg::Rs256 => Jwk::generate_rsa_key(rsa_bits),
            Alg::Es256 => Jwk::generate_ec_key(EcCurve::P256),
            Alg::EdDsa => Jwk::generate_ed_key(EdCurve::Ed25519),
        }
    }

    pub fn signer(self, jwk: &Jwk) -> Result<Box<dyn JwsSigner>, josekit::JoseError> {
        Ok(match self {
            Alg::Rs256 => Box::new(RS256.signer_from_jwk(jwk)?),
            Alg::Es256 => Box::new(ES256.signer_from_jwk(jwk)?),
            Alg::EdDsa => Box::new(EdDSA.signer_from_jwk(jwk)?),
        })
    }

    pub fn verifier(self, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, josekit::JoseError> {
        Ok(match self {
            Alg::Rs256 => Box::new(RS256.verifier_from_jwk(jwk)?),
            Alg::Es256 => Box::new(ES256.verifier_from_jwk(jwk)?),
            Alg::EdDsa => Box::new(EdDSA.verifier_from_jwk(jwk)?),
        })
    }

    /// Hash for `at_hash`/`c_hash`: SHA-256 for these algorithms, SHA-512 for
    /// Ed25519 (OpenID Connect Core §3.1.3.6 and the EdDSA errata).
    pub fn half_hash(self, value: &str) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        use sha2::Digest;
        let digest: Vec<u8> = match self {
            Alg::EdDsa => sha2::Sha512::digest(value.as_bytes()).to_vec(),
            _ => sha2::Sha256::digest(value.as_bytes()).to_vec(),
        };
        let half = digest.len() / 2;
        URL_SAFE_NO_PAD.encode(digest.get(..half).unwrap_or_default())
    }
}

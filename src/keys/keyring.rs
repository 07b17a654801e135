//! The keys a running server signs and verifies with, reloaded from the
//! database periodically so every instance sees a rotation.

use std::sync::{Arc, RwLock};

use josekit::jws::{JwsHeader, JwsSigner, JwsVerifier};

use crate::crypto::MasterKey;
use crate::db::{keys as repo, DbConnection};
use crate::ids::Kid;

use super::rotation::open_private;
use super::{Alg, KeyError};

struct LoadedKey {
    kid: Kid,
    alg: Alg,
    signer: Option<Box<dyn JwsSigner>>,
    verifier: Box<dyn JwsVerifier>,
}

/// A snapshot of the published keys.
pub struct KeyRing {
    keys: Vec<LoadedKey>,
    jwks: Arc<str>,
    loaded_at: i64,
}

/// A verified compact JWS: its header and payload.
pub struct VerifiedJws {
    pub header: JwsHeader,
    pub payload: Vec<u8>,
}

impl KeyRing {
    /// Load active keys (with their private halves) and retired keys still published.
    pub fn load(conn: &mut DbConnection, mk: &MasterKey, now: i64) -> Result<KeyRing, KeyError> {
        let rows = repo::published(conn, now)?;
        let mut keys = Vec::with_capacity(rows.len());
        let mut public = Vec::with_capacity(rows.len());
        for row in rows {
            let alg: Alg = row.alg.parse().map_err(KeyError::Jose)?;
            let pub_jwk = josekit::jwk::Jwk::from_bytes(row.public_jwk.as_bytes())?;
            let signer = if row.retired_at.is_none() {
                Some(alg.signer(&open_private(mk, &row.kid, &row.private_key)?)?)
            } else {
                None
            };
            let verifier = alg.verifier(&pub_jwk)?;
            public.push(serde_json::Value::Object(pub_jwk.as_ref().clone()));
            keys.push(LoadedKey {
                kid: row.kid,
                alg,
                signer,
                verifier,
            });
        }
        let jwks = serde_json::json!({ "keys": public }).to_string();
        Ok(KeyRing {
            keys,
            jwks: jwks.into(),
            loaded_at: now,
        })
    }

    /// True when some key can sign (an active key with its private half).
    pub fn can_sign(&self) -> bool {
        self.keys.iter().any(|k| k.signer.is_some())
    }

    pub fn jwks_json(&self) -> Arc<str> {
        self.jwks.clone()
    }

    fn active(&self, alg: Alg) -> Option<&LoadedKey> {
        // Rows come newest first; the newest non-retired key of an alg signs.
        self.keys
            .iter()
            .find(|k| k.alg == alg && k.signer.is_some())
    }

    /// Sign `payload` as a compact JWS with the active key of `alg`.
    pub fn sign(&self, alg: Alg, typ: Option<&str>, payload: &[u8]) -> Result<String, KeyError> {
        let key = self.active(alg).ok_or(KeyError::NoActiveKey(alg))?;
        let signer = key.signer.as_ref().ok_or(KeyError::NoActiveKey(alg))?;
        let mut header = JwsHeader::new();
        header.set_key_id(key.kid.as_str());
        if let Some(t) = typ {
            header.set_token_type(t);
        }
        Ok(josekit::jws::serialize_compact(
            payload,
            &header,
            signer.as_ref(),
        )?)
    }

    /// Verify a compact JWS signed by one of our published keys.
    pub fn verify(&self, token: &str) -> Result<VerifiedJws, KeyError> {
        let (payload, header) = josekit::jws::deserialize_compact_with_selector(token, |h| {
            let kid = h.key_id();
            let alg = h.algorithm();
            Ok(self
                .keys
                .iter()
                .find(|k| Some(k.kid.as_str()) == kid && Some(k.alg.as_str()) == alg)
                .map(|k| k.verifier.as_ref()))
        })
        .map_err(|_| KeyError::InvalidToken)?;
        Ok(VerifiedJws { header, payload })
    }
}

/// Shared, hot-swappable key ring.
#[derive(Clone)]
pub struct Keys {
    ring: Arc<RwLock<Arc<KeyRing>>>,
    reload_every: i64,
}

impl Keys {
    pub fn new(ring: KeyRing, reload_every: i64) -> Keys {
        Keys {
            ring: Arc::new(RwLock::new(Arc::new(ring))),
            reload_every,
        }
    }

    pub fn current(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn needs_reload(&self, now: i64) -> bool {
        now - self.current().loaded_at >= self.reload_every
    }

    pub fn replace(&self, ring: KeyRing) {
        let mut g = match self.ring.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *g = Arc::new(ring);
    }
}

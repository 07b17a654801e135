//! Creating and rotating keys in the database.

use crate::config::KeyConfig;
use crate::crypto::{self, MasterKey};
use crate::db::{keys as repo, DbConnection};
use crate::ids::Kid;

use super::{Alg, KeyError};

pub fn aad(kid: &Kid) -> String {
    format!("signing_keys/private_key/{kid}")
}

fn create_key(
    conn: &mut DbConnection,
    mk: &MasterKey,
    alg: Alg,
    rsa_bits: u32,
    now: i64,
) -> Result<Kid, KeyError> {
    let kid = Kid::from(format!(
        "{}-{}",
        alg.as_str().to_ascii_lowercase(),
        crypto::random_token(12)
    ));
    let mut private = alg.generate(rsa_bits)?;
    private.set_key_id(kid.as_str());
    private.set_algorithm(alg.as_str());
    private.set_key_use("sig");
    let mut public = private.to_public_key()?;
    public.set_key_id(kid.as_str());
    public.set_algorithm(alg.as_str());
    public.set_key_use("sig");
    let sealed = mk.seal(&aad(&kid), private.to_string().as_bytes())?;
    repo::insert(conn, &kid, alg.as_str(), &sealed, &public.to_string(), now)?;
    Ok(kid)
}

/// Make sure each configured algorithm has an active key (first start).
pub fn ensure_active_keys(
    conn: &mut DbConnection,
    mk: &MasterKey,
    algs: &[Alg],
    rsa_bits: u32,
    now: i64,
) -> Result<Vec<Kid>, KeyError> {
    let mut created = Vec::new();
    for &alg in algs {
        if repo::active_for_alg(conn, alg.as_str())?.is_none() {
            created.push(create_key(conn, mk, alg, rsa_bits, now)?);
        }
    }
    Ok(created)
}

/// New key per algorithm; the previous ones are retired but stay published
/// for `publish_seconds` so tokens they signed still verify.
pub fn rotate(
    conn: &mut DbConnection,
    mk: &MasterKey,
    algs: &[Alg],
    rsa_bits: u32,
    publish_seconds: i64,
    now: i64,
) -> Result<Vec<Kid>, KeyError> {
    let mut created = Vec::new();
    for &alg in algs {
        let old = repo::active_for_alg(conn, alg.as_str())?;
        created.push(create_key(conn, mk, alg, rsa_bits, now)?);
        if let Some(old) = old {
            repo::retire(conn, &old.kid, now, now + publish_seconds)?;
        }
    }
    Ok(created)
}

/// The scheduled rotation: a new key for each algorithm whose active key is
/// older than `rotate_after_days`. Safe with several servers: only the one
/// that retires the old key creates the new one.
pub fn rotate_due(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &KeyConfig,
    now: i64,
) -> Result<Vec<Kid>, KeyError> {
    let mut created = Vec::new();
    if cfg.rotate_after_days <= 0 {
        return Ok(created);
    }
    let max_age = cfg.rotate_after_days * 86_400;
    for &alg in &cfg.algorithms {
        let Some(old) = repo::active_for_alg(conn, alg.as_str())? else {
            continue;
        };
        if old.created_at + max_age > now {
            continue;
        }
        let publish = now + cfg.retired_key_publish_seconds;
        let kid = conn.write_transaction(|c| {
            if !repo::retire_if_active(c, &old.kid, now, publish)? {
                return Ok::<_, KeyError>(None);
            }
            create_key(c, mk, alg, cfg.rsa_bits, now).map(Some)
        })?;
        created.extend(kid);
    }
    Ok(created)
}

/// What retiring a key did.
#[derive(Debug, serde::Serialize)]
pub struct Retired {
    pub kid: Kid,
    /// The new active key, when the retired one was active.
    pub replacement: Option<Kid>,
}

/// Stop using and publishing `kid` now (a key that leaked): tokens it
/// signed stop verifying at once. An active key is replaced first.
pub fn retire_now(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &KeyConfig,
    kid: &Kid,
    now: i64,
) -> Result<Retired, KeyError> {
    conn.write_transaction(|c| {
        let key = repo::find(c, kid)?.ok_or_else(|| KeyError::UnknownKey(kid.to_string()))?;
        if key.expires_at.is_some_and(|e| e <= now) {
            return Err(KeyError::AlreadyUnpublished(kid.to_string()));
        }
        let replacement = match key.retired_at {
            None => {
                let alg = key
                    .alg
                    .parse::<Alg>()
                    .map_err(|e| KeyError::Jose(format!("stored key {kid}: {e}")))?;
                Some(create_key(c, mk, alg, cfg.rsa_bits, now)?)
            }
            Some(_) => None,
        };
        repo::retire(c, kid, key.retired_at.unwrap_or(now), now)?;
        Ok(Retired {
            kid: kid.clone(),
            replacement,
        })
    })
}

/// Decrypt a stored private key.
pub(super) fn open_private(
    mk: &MasterKey,
    kid: &Kid,
    sealed: &[u8],
) -> Result<josekit::jwk::Jwk, KeyError> {
    let bytes = mk.open(&aad(kid), sealed)?;
    Ok(josekit::jwk::Jwk::from_bytes(bytes)?)
}

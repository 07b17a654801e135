//! Creating and rotating keys in the database.

use crate::crypto::{self, MasterKey};
use crate::db::{keys as repo, DbConnection};

use super::{Alg, KeyError};

fn aad(kid: &str) -> String {
    format!("signing_keys/private_key/{kid}")
}

fn create_key(
    conn: &mut DbConnection,
    mk: &MasterKey,
    alg: Alg,
    rsa_bits: u32,
    now: i64,
) -> Result<String, KeyError> {
    let kid = format!(
        "{}-{}",
        alg.as_str().to_ascii_lowercase(),
        crypto::random_token(12)
    );
    let mut private = alg.generate(rsa_bits)?;
    private.set_key_id(kid.clone());
    private.set_algorithm(alg.as_str());
    private.set_key_use("sig");
    let mut public = private.to_public_key()?;
    public.set_key_id(kid.clone());
    public.set_algorithm(alg.as_str());
    public.set_key_use("sig");
    let sealed = crypto::seal(
        mk.encryption_key(),
        &aad(&kid),
        private.to_string().as_bytes(),
    )?;
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
) -> Result<Vec<String>, KeyError> {
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
) -> Result<Vec<String>, KeyError> {
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

/// Decrypt a stored private key.
pub(super) fn open_private(
    mk: &MasterKey,
    kid: &str,
    sealed: &[u8],
) -> Result<josekit::jwk::Jwk, KeyError> {
    let bytes = crypto::open(mk.encryption_key(), &aad(kid), sealed)?;
    Ok(josekit::jwk::Jwk::from_bytes(bytes)?)
}

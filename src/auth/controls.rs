//! The incident controls in force (docs/operations.md "Incident actions"):
//! blocked address ranges and the deployment-wide face switch, as each
//! server holds them — re-read from the database every `RELOAD_SECONDS`
//! (and at once on the server that made the change) — and the
//! re-authentication floor, read from the database on each use.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use ipnet::IpNet;

use crate::db::incidents as repo;
use crate::db::{DbConnection, DbError};

/// How stale a server's copy of the controls may be.
pub const RELOAD_SECONDS: i64 = 5;

/// The switch that turns the face step off everywhere.
pub const FACE_SIGN_IN: &str = "face_sign_in";

/// A counter bumped at each manual key rotation or retirement: the other
/// servers re-read their keys when they see it move (within
/// `RELOAD_SECONDS`, not at their next minute's reload).
pub const SIGNING_KEYS: &str = "signing_keys";

/// A counter bumped when a master key rotation starts or finishes: the
/// servers learn the key they lack, or forget the old one.
pub const MASTER_KEY: &str = "master_key";

/// The controls as loaded at `loaded_at`.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub blocked: Vec<IpNet>,
    pub face_off: bool,
    /// The `SIGNING_KEYS` counter.
    pub keys_version: i64,
    /// The `MASTER_KEY` counter.
    pub master_version: i64,
    pub loaded_at: i64,
}

impl Snapshot {
    pub fn load(conn: &mut DbConnection, now: i64) -> Result<Snapshot, DbError> {
        let blocked = repo::live_blocks(conn, now)?
            .iter()
            .filter_map(|b| b.network.parse().ok())
            .collect();
        let face_off = repo::switch(conn, FACE_SIGN_IN)?.is_some_and(|s| s.value == "off");
        Ok(Snapshot {
            blocked,
            face_off,
            keys_version: counter(conn, SIGNING_KEYS)?,
            master_version: counter(conn, MASTER_KEY)?,
            loaded_at: now,
        })
    }

    /// Whether requests from `ip` are refused.
    pub fn blocks(&self, ip: &IpAddr) -> bool {
        let ip = canonical(*ip);
        self.blocked.iter().any(|n| n.contains(&ip))
    }
}

/// An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// This server's copy of the controls.
pub struct Controls {
    current: RwLock<Arc<Snapshot>>,
}

impl Controls {
    pub fn new(first: Snapshot) -> Controls {
        Controls {
            current: RwLock::new(Arc::new(first)),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn needs_reload(&self, now: i64) -> bool {
        now - self.current().loaded_at >= RELOAD_SECONDS
    }

    pub fn replace(&self, s: Snapshot) {
        let mut g = match self.current.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *g = Arc::new(s);
    }
}

fn counter(conn: &mut DbConnection, name: &str) -> Result<i64, DbError> {
    Ok(repo::switch(conn, name)?
        .and_then(|s| s.value.parse().ok())
        .unwrap_or(0))
}

fn bump(
    conn: &mut DbConnection,
    name: &str,
    by: &str,
    what: &str,
    now: i64,
) -> Result<(), DbError> {
    let next = counter(conn, name)? + 1;
    repo::set_switch(
        conn,
        &repo::SwitchRow {
            name: name.into(),
            value: next.to_string(),
            actor: by.to_owned(),
            reason: what.to_owned(),
            at: now,
        },
    )
}

/// Tell every server that the signing keys changed (`what`: e.g. "retire KID").
pub fn keys_changed(
    conn: &mut DbConnection,
    by: &str,
    what: &str,
    now: i64,
) -> Result<(), DbError> {
    bump(conn, SIGNING_KEYS, by, what, now)
}

/// Tell every server that a master key rotation started or finished.
pub fn master_key_changed(
    conn: &mut DbConnection,
    by: &str,
    what: &str,
    now: i64,
) -> Result<(), DbError> {
    bump(conn, MASTER_KEY, by, what, now)
}

/// Whether a sign-in of `user_id` made at `auth_time` still counts: after
/// the person's or everyone's re-authentication floor. A sign-in in the
/// very second of the action does not count (it cannot be told from one
/// just before it): the person is asked once more.
pub fn sign_in_counts(
    conn: &mut DbConnection,
    user_id: &str,
    auth_time: i64,
) -> Result<bool, DbError> {
    Ok(repo::floor_for(conn, user_id)?.is_none_or(|floor| auth_time > floor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_covers_its_range_and_mapped_addresses() {
        let s = Snapshot {
            blocked: vec!["198.51.100.0/24".parse().unwrap_or_else(|e| panic!("{e}"))],
            ..Snapshot::default()
        };
        let ip = |t: &str| -> IpAddr { t.parse().unwrap_or_else(|e| panic!("{e}")) };
        assert!(s.blocks(&ip("198.51.100.7")));
        assert!(s.blocks(&ip("::ffff:198.51.100.7")));
        assert!(!s.blocks(&ip("198.51.101.7")));
        assert!(!s.blocks(&ip("2001:db8::1")));
    }
}

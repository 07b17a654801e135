//! The rows the hot paths read on every request — a client's, an access
//! token's, its person's — kept in memory for as long as nothing has
//! changed them, so that introspection and userinfo can answer a repeated
//! question without the database.
//!
//! Each row is kept with the count of changes (`db::changes`) taken before
//! it was read, and used only while the count is still that: any update or
//! deletion of a client, a token or a person — a revocation, a disabled
//! account, a rotated secret — here or (within the change feed's interval)
//! on another instance, and every kept row is old. While changes made
//! elsewhere cannot be followed, nothing is kept. Only rows that exist are
//! kept; a miss goes to the database as before, which keeps the row for
//! next time. With `server.row_cache = false` the server does not follow
//! changes, so nothing is ever kept.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::db::changes::Changes;
use crate::db::tokens::TokenRow;
use crate::db::users::UserRow;
use crate::ids::{ClientId, UserId};

use super::client::Client;

/// Rows kept per kind; past this the kind starts afresh.
pub const MAX_ROWS: usize = 50_000;

/// The change count rows are read under (take it before reading them).
#[derive(Debug, Clone, Copy)]
pub struct Stamp(Option<u64>);

struct Kept<T> {
    at: u64,
    row: Arc<T>,
}

struct Shelf<K, T>(RwLock<HashMap<K, Kept<T>>>);

impl<K: Eq + Hash, T> Shelf<K, T> {
    fn new() -> Self {
        Shelf(RwLock::new(HashMap::new()))
    }

    fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q, now: Option<u64>) -> Option<Arc<T>>
    where
        K: Borrow<Q>,
    {
        let now = now?;
        let map = self.0.read();
        let kept = map.get(key)?;
        (kept.at == now).then(|| kept.row.clone())
    }

    /// [`Shelf::get`], counted (`visage_row_cache_total`).
    fn look<Q: Eq + Hash + ?Sized>(
        &self,
        kind: &'static str,
        key: &Q,
        now: Option<u64>,
    ) -> Option<Arc<T>>
    where
        K: Borrow<Q>,
    {
        let found = self.get(key, now);
        crate::telemetry::row_cache(kind, found.is_some());
        found
    }

    fn keep(&self, stamp: Stamp, key: K, row: T) {
        let Some(at) = stamp.0 else { return };
        let mut map = self.0.write();
        if map.len() >= MAX_ROWS {
            map.retain(|_, k| k.at == at);
            if map.len() >= MAX_ROWS {
                map.clear();
            }
        }
        map.insert(
            key,
            Kept {
                at,
                row: Arc::new(row),
            },
        );
    }
}

pub struct RowCache {
    changes: Arc<Changes>,
    clients: Shelf<ClientId, Client>,
    tokens: Shelf<String, TokenRow>,
    users: Shelf<UserId, UserRow>,
}

impl RowCache {
    pub fn new(changes: Arc<Changes>) -> RowCache {
        RowCache {
            changes,
            clients: Shelf::new(),
            tokens: Shelf::new(),
            users: Shelf::new(),
        }
    }

    fn now(&self) -> Option<u64> {
        self.changes.now()
    }

    /// Take before reading rows that are to be kept.
    pub fn stamp(&self) -> Stamp {
        Stamp(self.now())
    }

    pub fn client(&self, id: &ClientId) -> Option<Arc<Client>> {
        self.clients.look("client", id, self.now())
    }

    pub fn keep_client(&self, stamp: Stamp, client: &Client) {
        self.clients.keep(stamp, client.id.clone(), client.clone());
    }

    /// A token's row by its id (`jti`).
    pub fn token(&self, id: &str) -> Option<Arc<TokenRow>> {
        self.tokens.look("token", id, self.now())
    }

    pub fn keep_token(&self, stamp: Stamp, row: &TokenRow) {
        self.tokens.keep(stamp, row.id.clone(), row.clone());
    }

    pub fn user(&self, id: &UserId) -> Option<Arc<UserRow>> {
        self.users.look("user", id, self.now())
    }

    pub fn keep_user(&self, stamp: Stamp, row: &UserRow) {
        self.users.keep(stamp, row.id.clone(), row.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn followed() -> Arc<Changes> {
        let c = Arc::new(Changes::default());
        c.set_following(true);
        c
    }

    #[test]
    fn a_row_read_before_a_change_is_not_used_after_it() {
        let changes = followed();
        let shelf: Shelf<String, u32> = Shelf::new();
        let stamp = Stamp(changes.now());
        shelf.keep(stamp, "a".into(), 1);
        assert_eq!(shelf.get("a", changes.now()).as_deref(), Some(&1));
        changes.bump();
        assert_eq!(shelf.get("a", changes.now()), None);
        // Read before the change, kept after it: still old.
        shelf.keep(stamp, "b".into(), 2);
        assert_eq!(shelf.get("b", changes.now()), None);
    }

    #[test]
    fn nothing_is_kept_while_changes_cannot_be_followed() {
        let unfollowed = Arc::new(Changes::default());
        let shelf: Shelf<String, u32> = Shelf::new();
        shelf.keep(Stamp(unfollowed.now()), "a".into(), 1);
        assert!(shelf.0.read().is_empty());
        let rows = RowCache::new(unfollowed);
        assert!(rows.stamp().0.is_none());
    }

    #[test]
    fn a_full_shelf_starts_afresh() {
        let changes = followed();
        let shelf: Shelf<usize, usize> = Shelf::new();
        for i in 0..=MAX_ROWS {
            shelf.keep(Stamp(changes.now()), i, i);
        }
        assert!(shelf.0.read().len() <= MAX_ROWS);
        assert!(shelf.get(&MAX_ROWS, changes.now()).is_some());
    }
}

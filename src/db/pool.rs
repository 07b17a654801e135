//! Connection pool, backend selection by URL scheme, pragmas and migrations.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{DbConnection, DbError};
use crate::crypto::scope::with_master_key;
use crate::crypto::MasterKey;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` / `postgresql://` select PostgreSQL; `sqlite://PATH`, or a
    /// plain path, selects SQLite. Anything else with a scheme is refused.
    pub fn from_url(url: &str) -> Result<(Backend, String), DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok((Backend::Postgres, url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok((Backend::Sqlite, path.to_owned()));
        }
        if let Some((scheme, _)) = url.split_once(':') {
            if scheme.len() > 1
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+')
            {
                return Err(DbError::Connect(format!(
                    "unsupported database URL scheme '{scheme}:' (use postgres://… or sqlite://PATH)"
                )));
            }
        }
        Ok((Backend::Sqlite, url.to_owned()))
    }
}

/// r2d2 manager that connects to exactly one backend.
#[derive(Debug)]
struct Manager {
    backend: Backend,
    target: String,
}

impl Manager {
    fn connect_now(&self) -> Result<DbConnection, DbError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(DbConnection::Postgresql)
                .map_err(|e| DbError::Connect(e.to_string())),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .map_err(|e| DbError::Connect(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        self.connect_now()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::Query)
    }

    /// A connection left inside a failed transaction, or dropped while its
    /// thread panicked, is not handed out again.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Shared handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    master_key: Option<MasterKey>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Connect (creating the SQLite file's folder if needed) and run migrations.
    pub fn open(url: &str, max_connections: u32) -> Result<Db, DbError> {
        let (backend, target) = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            if let Some(parent) = Path::new(&target).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        DbError::Connect(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
            }
        }
        let manager = Manager { backend, target };
        // Fail fast with the real cause rather than r2d2's generic timeout.
        let mut first = manager.connect_now()?;
        run_migrations(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(max_connections.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        Ok(Db {
            pool,
            backend,
            master_key: None,
        })
    }

    /// The deployment's master key, in scope for every closure this pool
    /// runs (`crypto::scope`: the audit log seals event details under it).
    pub fn with_master_key(mut self, key: MasterKey) -> Db {
        self.master_key = Some(key);
        self
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// (open connections, idle ones) in the pool, for the metrics.
    pub fn usage(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections, s.idle_connections)
    }

    /// True when a pooled connection answers a query (readiness).
    pub async fn reachable(&self) -> bool {
        self.run(|c| c.batch_execute("SELECT 1").map_err(DbError::Query))
            .await
            .is_ok()
    }

    /// Run `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let request = crate::telemetry::request::current();
        let key = self.master_key.clone();
        actix_web::web::block(move || {
            with_master_key(key, || {
                crate::telemetry::request::on_thread(request, || {
                    let mut conn = pool.get().map_err(DbError::from)?;
                    f(&mut conn)
                })
            })
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Run `f` on the calling thread (CLI use, outside the async runtime).
    pub fn run_sync<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<DbError>,
    {
        with_master_key(self.master_key.clone(), || {
            let mut conn = self.pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
    }
}

fn run_migrations(conn: &mut DbConnection) -> Result<(), DbError> {
    let result = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| DbError::Migration(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db").ok().map(|b| b.0),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("sqlite://data/v.db").ok().map(|b| b.1),
            Some("data/v.db".into())
        );
        assert_eq!(
            Backend::from_url("data/v.db").ok().map(|b| b.0),
            Some(Backend::Sqlite)
        );
        assert!(Backend::from_url("mysql://x").is_err());
        assert!(Backend::from_url("postgres:broken").is_err());
    }

    #[test]
    fn migration_folders_match() {
        let names = |dir: &str| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        };
        let sqlite = names("migrations/sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("migrations/postgres"));
    }
}

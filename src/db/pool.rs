//! Connection pool, backend selection by URL scheme, pragmas and migrations.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::changes::{Changes, Watch};
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
    changes: Arc<Changes>,
}

impl Manager {
    fn connect_now(&self) -> Result<DbConnection, DbError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.target)
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                conn.set_instrumentation(Watch::new(self.changes.clone()));
                Ok(DbConnection::Postgresql(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)
                    .map_err(|e| DbError::Connect(e.to_string()))?;
                conn.set_instrumentation(Watch::new(self.changes.clone()));
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
    queues: Arc<Queues>,
    changes: Arc<Changes>,
    /// The SQLite file or PostgreSQL URL (for the change feed's connection).
    target: Arc<str>,
}

/// The work queued on the database (gauges `visage_db_tasks`).
#[derive(Debug, Default)]
pub struct Queues {
    /// Handed to the blocking thread pool, not started yet.
    queued: AtomicI64,
    /// Started, waiting for a free connection.
    waiting: AtomicI64,
    /// Holding a connection.
    running: AtomicI64,
}

/// How many database tasks are in each stage now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepths {
    pub queued: i64,
    pub waiting: i64,
    pub running: i64,
}

/// Counts one task in a stage while it lives.
struct InStage<'a>(&'a AtomicI64);

impl<'a> InStage<'a> {
    fn enter(stage: &'a AtomicI64) -> InStage<'a> {
        stage.fetch_add(1, Ordering::Relaxed);
        InStage(stage)
    }
}

impl Drop for InStage<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Queues {
    /// Run `f` with a pooled connection, counted as waiting, then running.
    fn with_conn<T, E: From<DbError>>(
        &self,
        pool: &r2d2::Pool<Manager>,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let waiting = InStage::enter(&self.waiting);
        let mut conn = pool.get().map_err(DbError::from)?;
        drop(waiting);
        let _running = InStage::enter(&self.running);
        f(&mut conn)
    }
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
        let changes: Arc<Changes> = Arc::default();
        let manager = Manager {
            backend,
            target: target.clone(),
            changes: changes.clone(),
        };
        // Fail fast with the real cause rather than r2d2's generic timeout.
        let mut first = manager.connect_now()?;
        run_migrations(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(max_connections.max(1))
            .min_idle(Some(1))
            // A PostgreSQL connection is checked (`SELECT 1`) as it is taken,
            // so one broken by a restart or failover is replaced, not used;
            // a SQLite connection is a file in this process: nothing breaks
            // it between uses, and the check would cost every request.
            .test_on_check_out(backend == Backend::Postgres)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        Ok(Db {
            pool,
            backend,
            master_key: None,
            queues: Arc::default(),
            changes,
            target: target.into(),
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

    /// The count of changes to the rows kept in memory (`db::changes`).
    pub fn changes(&self) -> &Arc<Changes> {
        &self.changes
    }

    /// Follow the changes other processes make to those rows, every
    /// `interval` (a server does; the CLI keeps nothing in memory).
    pub fn follow_changes(&self, interval: Duration) -> std::io::Result<()> {
        super::changes::follow(
            &self.changes,
            self.backend,
            self.target.to_string(),
            interval,
        )
    }

    /// Tasks queued for a thread, waiting for a connection, and running.
    pub fn queue_depths(&self) -> QueueDepths {
        QueueDepths {
            queued: self.queues.queued.load(Ordering::Relaxed),
            waiting: self.queues.waiting.load(Ordering::Relaxed),
            running: self.queues.running.load(Ordering::Relaxed),
        }
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
        let queues = self.queues.clone();
        queues.queued.fetch_add(1, Ordering::Relaxed);
        // Counted out of the queue when it starts, or if it never does.
        let queued = QueuedTask(queues.clone());
        actix_web::web::block(move || {
            drop(queued);
            with_master_key(key, || {
                crate::telemetry::request::on_thread(request, || queues.with_conn(&pool, f))
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
            self.queues.with_conn(&self.pool, f)
        })
    }
}

/// A task handed to the blocking pool: out of `queued` when dropped.
struct QueuedTask(Arc<Queues>);

impl Drop for QueuedTask {
    fn drop(&mut self) {
        self.0.queued.fetch_sub(1, Ordering::Relaxed);
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
    fn a_task_waiting_for_the_only_connection_is_counted_until_it_gets_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("q.db").display());
        let db = Db::open(&url, 1).unwrap_or_else(|e| panic!("{e}"));
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = {
            let db = db.clone();
            std::thread::spawn(move || {
                db.run_sync(|_| {
                    let _ = held_tx.send(());
                    let _ = release_rx.recv();
                    Ok::<_, DbError>(())
                })
            })
        };
        let _ = held_rx.recv();
        let waiter = {
            let db = db.clone();
            std::thread::spawn(move || db.run_sync(|_| Ok::<_, DbError>(())))
        };
        // The second task queues behind the first's connection.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while db.queue_depths().waiting < 1 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(
            db.queue_depths(),
            QueueDepths {
                queued: 0,
                waiting: 1,
                running: 1
            }
        );
        let _ = release_tx.send(());
        assert!(holder.join().is_ok_and(|r| r.is_ok()));
        assert!(waiter.join().is_ok_and(|r| r.is_ok()));
        assert_eq!(
            db.queue_depths(),
            QueueDepths {
                queued: 0,
                waiting: 0,
                running: 0
            }
        );
    }

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

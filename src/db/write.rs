//! Transactions that write.
//!
//! SQLite's plain `BEGIN` is deferred: it reads under a snapshot and asks for
//! the write lock only at the first write. If another connection committed in
//! between, that upgrade fails at once with `SQLITE_BUSY_SNAPSHOT` ("database
//! is locked"), which `busy_timeout` does not wait out. A transaction that
//! reads and then writes (the next audit number, a counter, a single-use row)
//! therefore starts with `BEGIN IMMEDIATE` on SQLite: it takes the write lock
//! first, and a second writer waits its turn instead of failing. PostgreSQL
//! keeps its ordinary `BEGIN` (row locks and unique keys order writers there).
//!
//! Within one process, SQLite writers also queue on a mutex before `BEGIN
//! IMMEDIATE`: a connection that finds the write lock taken otherwise sleeps
//! in growing steps (SQLite's busy handler, up to 100 ms a step) and wakes
//! late — under 8 clients refreshing tokens, 1 in 100 refreshes took 330 ms
//! against a median of 2.5 ms. Queued, each writer starts as soon as the
//! previous one ends. Other processes on the same file (the CLI) still wait
//! through `busy_timeout`, and the queue gives up after the same 5 s.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::Error;
use diesel::Connection;

use super::DbConnection;

/// The turn to write to SQLite, within this process (see the module docs).
static SQLITE_WRITER: parking_lot::Mutex<()> = parking_lot::const_mutex(());

impl DbConnection {
    /// Run `f` in a transaction that may write; see the module docs. Inside
    /// an open transaction this is an ordinary savepoint.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<Error>,
    {
        let DbConnection::Sqlite(sqlite) = self else {
            return self.transaction(f);
        };
        let open = AnsiTransactionManager::transaction_manager_status_mut(sqlite)
            .transaction_depth()?
            .is_some();
        if open {
            return self.transaction(f);
        }
        let _turn = SQLITE_WRITER
            .try_lock_for(std::time::Duration::from_secs(5))
            .ok_or_else(|| {
                Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::Unknown,
                    Box::new("database is locked: no turn to write within 5 s".to_owned()),
                )
            })?;
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        type Manager = <DbConnection as Connection>::TransactionManager;
        match f(self) {
            Ok(value) => {
                Manager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => match Manager::rollback_transaction(self) {
                Ok(()) | Err(Error::BrokenTransactionManager) => Err(error),
                Err(rollback) => Err(rollback.into()),
            },
        }
    }
}

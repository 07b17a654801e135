//! Storage: one diesel code path over SQLite (default) and PostgreSQL.
//!
//! The backend is chosen by the URL scheme once, at start-up; every repository
//! function takes a `&mut DbConnection` so the same code runs on both.

pub mod admin_roles;
pub mod alerts;
pub mod audit;
pub mod biometric_consents;
pub mod ceremonies;
pub mod changes;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod email_challenges;
pub mod face_challenges;
pub mod face_light_history;
pub mod face_policy_changes;
pub mod face_templates;
pub mod incidents;
pub mod invitations;
pub mod job_leases;
pub mod json_list;
pub mod jtis;
pub mod keys;
pub mod known_devices;
pub mod lockouts;
pub mod login_tx;
pub mod master_keys;
pub mod passkeys;
pub mod pool;
pub mod recovery_codes;
pub mod registration_approvals;
pub mod schema;
pub mod sessions;
pub mod tokens;
mod typed_ids;
pub mod users;
mod write;

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

pub use json_list::JsonList;
pub use pool::{Backend, Db};

/// A live connection to whichever backend the deployment uses.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("the blocking task was cancelled")]
    Cancelled,
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

impl DbError {
    /// True when the error is a unique-constraint violation (a duplicate key).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

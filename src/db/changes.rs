//! A count of the committed changes to the rows the hot paths keep in
//! memory (`tokens`, `clients`, `users`): something a cache compares with
//! the count it read under, so that it never answers from a row older than
//! the last change.
//!
//! Three sources move it:
//! - this process's own writes, seen on every pooled connection as diesel
//!   runs them ([`Watch`]): an `UPDATE` or `DELETE` of a watched table
//!   counts once it has run and again when its transaction commits, before
//!   the request that made it is answered;
//! - other instances and processes, through a connection of its own that
//!   [`follow`] keeps: on PostgreSQL a trigger on each watched table sends
//!   `NOTIFY visage_changes` (migration 000019) and the connection listens;
//!   on SQLite it asks `PRAGMA data_version`, which moves whenever another
//!   connection (the CLI, another process) has committed. Either is read
//!   every `interval`, so a change made elsewhere reaches this process
//!   within about that long;
//! - losing that connection: while it is down, or silent for ten rounds
//!   (at least 0.5 s: hung rather than broken), nothing may be kept
//!   ([`Changes::now`] is `None`), and it counts once more when it is back.
//!
//! Rows are only ever added to these tables by `INSERT`, and a cache keeps
//! only rows it found, so an insert changes nothing it holds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// The tables whose rows are kept in memory.
pub const WATCHED: [&str; 3] = ["tokens", "clients", "users"];

/// The PostgreSQL channel the watched tables' triggers notify.
pub const CHANNEL: &str = "visage_changes";

#[derive(Debug)]
pub struct Changes {
    count: AtomicU64,
    /// Whether changes made elsewhere are being followed.
    following: AtomicBool,
    /// When the feed last answered, in ms since `epoch`.
    heard_ms: AtomicU64,
    epoch: Instant,
    /// How long the feed may be silent (a connection hung rather than
    /// broken) before nothing counts as current, in ms.
    max_silence_ms: AtomicU64,
}

impl Default for Changes {
    fn default() -> Changes {
        Changes {
            count: AtomicU64::new(0),
            following: AtomicBool::new(false),
            heard_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            max_silence_ms: AtomicU64::new(u64::MAX),
        }
    }
}

impl Changes {
    /// The count now, or `None` while changes made elsewhere cannot be
    /// seen (nothing may be kept or answered from memory then): the feed is
    /// down, or has not answered for longer than it may be silent.
    pub fn now(&self) -> Option<u64> {
        self.current_at(self.elapsed_ms())
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn current_at(&self, now_ms: u64) -> Option<u64> {
        let heard = self.heard_ms.load(Ordering::Acquire);
        let silent = now_ms.saturating_sub(heard) > self.max_silence_ms.load(Ordering::Relaxed);
        (self.following.load(Ordering::Acquire) && !silent)
            .then(|| self.count.load(Ordering::Acquire))
    }

    /// The feed answered (after any change it brought was counted).
    fn heard(&self) {
        self.heard_ms.store(self.elapsed_ms(), Ordering::Release);
    }

    pub fn bump(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether changes made elsewhere are followed from now on (each
    /// switch counts as a change).
    pub(crate) fn set_following(&self, on: bool) {
        self.bump();
        self.following.store(on, Ordering::Release);
        self.bump();
    }
}

/// Watches one connection's statements (diesel instrumentation).
pub(crate) struct Watch {
    changes: Arc<Changes>,
    /// A watched table was written in the open transaction.
    dirty: bool,
}

impl Watch {
    pub(crate) fn new(changes: Arc<Changes>) -> Watch {
        Watch {
            changes,
            dirty: false,
        }
    }
}

impl Instrumentation for Watch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let InstrumentationEvent::FinishQuery { query, .. } = event else {
            return;
        };
        let mut head = Head::default();
        // Only the statement's first bytes are written out (see `Head`).
        let _ = std::fmt::write(&mut head, format_args!("{query}"));
        match classify(head.text()) {
            Statement::WritesWatched => {
                self.changes.bump();
                self.dirty = true;
            }
            Statement::Commit if self.dirty => {
                self.changes.bump();
                self.dirty = false;
            }
            Statement::Rollback => self.dirty = false,
            _ => {}
        }
    }
}

/// The first bytes of a statement's text; writing more fails, which stops
/// the formatting there (a statement's binds are never written out).
struct Head {
    buf: [u8; 64],
    len: usize,
}

impl Default for Head {
    fn default() -> Head {
        Head {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl Head {
    fn text(&self) -> &str {
        let bytes = self.buf.get(..self.len).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or_default())
                .unwrap_or_default(),
        }
    }
}

impl std::fmt::Write for Head {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - self.len;
        let take = s.len().min(room);
        if let Some(dst) = self.buf.get_mut(self.len..self.len + take) {
            dst.copy_from_slice(s.as_bytes().get(..take).unwrap_or_default());
        }
        self.len += take;
        if take < s.len() {
            Err(std::fmt::Error)
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Statement {
    WritesWatched,
    Commit,
    Rollback,
    Other,
}

/// What a statement does to the watched tables, from its first words.
fn classify(sql: &str) -> Statement {
    let mut words = sql
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or_default().to_ascii_uppercase();
    let table = match first.as_str() {
        "UPDATE" => words.next(),
        "DELETE" => words.nth(1),
        "COMMIT" | "END" => return Statement::Commit,
        "ROLLBACK" => {
            // `ROLLBACK TO SAVEPOINT` undoes only part of the transaction.
            return match words.next() {
                Some(w) if w.eq_ignore_ascii_case("TO") => Statement::Other,
                _ => Statement::Rollback,
            };
        }
        _ => None,
    };
    let table = table.map(|t| {
        let last = t.rsplit('.').next().unwrap_or(t);
        last.trim_matches(|c| c == '"' || c == '`')
            .to_ascii_lowercase()
    });
    match table {
        Some(t) if WATCHED.contains(&t.as_str()) => Statement::WritesWatched,
        _ => Statement::Other,
    }
}

/// How changes made elsewhere are read.
enum Source {
    Postgres(diesel::pg::PgConnection),
    Sqlite {
        conn: diesel::sqlite::SqliteConnection,
        last: Option<i64>,
    },
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

impl Source {
    fn open(backend: super::Backend, target: &str) -> Result<Source, String> {
        match backend {
            super::Backend::Postgres => {
                let mut conn =
                    diesel::pg::PgConnection::establish(target).map_err(|e| e.to_string())?;
                conn.batch_execute(&format!("LISTEN {CHANNEL}"))
                    .map_err(|e| e.to_string())?;
                Ok(Source::Postgres(conn))
            }
            super::Backend::Sqlite => Ok(Source::Sqlite {
                conn: diesel::sqlite::SqliteConnection::establish(target)
                    .map_err(|e| e.to_string())?,
                last: None,
            }),
        }
    }

    /// Whether anything changed since the last call.
    fn changed(&mut self) -> Result<bool, String> {
        match self {
            Source::Postgres(conn) => {
                // A round trip reads what the server has sent meanwhile.
                conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
                let mut any = false;
                for n in conn.notifications_iter() {
                    n.map_err(|e| e.to_string())?;
                    any = true;
                }
                Ok(any)
            }
            Source::Sqlite { conn, last } => {
                let v = diesel::sql_query("PRAGMA data_version")
                    .get_result::<DataVersion>(conn)
                    .map_err(|e| e.to_string())?
                    .data_version;
                let moved = last.is_some_and(|l| l != v);
                *last = Some(v);
                Ok(moved)
            }
        }
    }
}

/// Follow the changes other processes make, on a thread of its own, every
/// `interval`, for as long as `changes` is used elsewhere.
pub fn follow(
    changes: &Arc<Changes>,
    backend: super::Backend,
    target: String,
    interval: Duration,
) -> std::io::Result<()> {
    // Ten rounds without an answer (at least half a second): a hung
    // connection, not a slow one.
    let silence = (interval * 10).max(Duration::from_millis(500));
    let silence_ms = u64::try_from(silence.as_millis()).unwrap_or(u64::MAX);
    changes.max_silence_ms.store(silence_ms, Ordering::Relaxed);
    let weak: Weak<Changes> = Arc::downgrade(changes);
    std::thread::Builder::new()
        .name("db-changes".into())
        .spawn(move || {
            let mut source: Option<Source> = None;
            let mut said = false;
            while let Some(changes) = weak.upgrade() {
                if source.is_none() {
                    match Source::open(backend, &target) {
                        Ok(s) => source = Some(s),
                        Err(e) if !said => {
                            tracing::warn!("cannot follow database changes (cache off): {e}");
                            said = true;
                        }
                        Err(_) => {}
                    }
                }
                if let Some(s) = source.as_mut() {
                    match s.changed() {
                        Ok(moved) => {
                            if moved {
                                changes.bump();
                            }
                            changes.heard();
                            if !changes.following.load(Ordering::Acquire) {
                                changes.set_following(true);
                                said = false;
                            }
                        }
                        Err(e) => {
                            tracing::warn!("lost the database change feed (cache off): {e}");
                            changes.set_following(false);
                            source = None;
                        }
                    }
                }
                drop(changes);
                std::thread::sleep(interval);
            }
        })
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_to_watched_tables_are_told_from_everything_else() {
        use Statement::*;
        for (sql, want) in [
            (
                r#"UPDATE "tokens" SET "revoked_at" = ? WHERE"#,
                WritesWatched,
            ),
            (
                r#"DELETE FROM "users" WHERE ("users"."id" = $1)"#,
                WritesWatched,
            ),
            ("update clients set disabled = 1", WritesWatched),
            (r#"UPDATE "public"."tokens" SET"#, WritesWatched),
            (r#"INSERT INTO "tokens" ("id") VALUES (?)"#, Other),
            (r#"UPDATE "sessions" SET"#, Other),
            (r#"SELECT "tokens"."id" FROM "tokens""#, Other),
            (r#"DELETE FROM "tokens_archive""#, Other),
            ("COMMIT", Commit),
            ("ROLLBACK", Rollback),
            ("ROLLBACK TO SAVEPOINT diesel_savepoint_1", Other),
            ("", Other),
        ] {
            assert_eq!(classify(sql), want, "{sql}");
        }
    }

    #[test]
    fn only_a_statements_head_is_written_out() {
        let mut head = Head::default();
        let long = format!("UPDATE \"tokens\" SET x = '{}'", "é".repeat(100));
        assert!(std::fmt::write(&mut head, format_args!("{long}")).is_err());
        assert!(head.text().starts_with("UPDATE \"tokens\""));
        assert!(head.text().len() <= 64);
    }

    #[test]
    fn nothing_is_current_while_changes_elsewhere_cannot_be_seen() {
        let c = Changes::default();
        assert_eq!(c.now(), None);
        c.set_following(true);
        let a = c.now().unwrap();
        c.bump();
        assert_ne!(c.now(), Some(a));
        c.set_following(false);
        assert_eq!(c.now(), None);
    }

    #[test]
    fn nothing_is_current_while_the_feed_is_silent_too_long() {
        let c = Changes::default();
        c.max_silence_ms.store(500, Ordering::Relaxed);
        c.set_following(true);
        c.heard_ms.store(1_000, Ordering::Relaxed);
        assert!(c.current_at(1_400).is_some());
        assert_eq!(c.current_at(1_600), None, "a hung feed");
        c.heard_ms.store(1_600, Ordering::Relaxed);
        assert!(c.current_at(1_700).is_some());
    }
}

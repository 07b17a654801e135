//! `job_leases`: a scheduled job runs on one server at a time — the one
//! holding its lease for the period — and, on PostgreSQL, only while that
//! server also holds the job's advisory lock.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::schema::job_leases::dsl as j;
use super::{DbConnection, DbError};

/// The first key of the jobs' PostgreSQL advisory locks ("VS"); the second
/// is `hashtext(name)`. Two-key locks never collide with the audit log's
/// one-key lock (`db::audit`).
pub const LOCK_CLASS: i32 = 0x5653;

/// Take the lease of `name` for `holder` until `until` if it has run out;
/// true when taken (the job is this server's to run now).
pub fn take(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    until: i64,
    now: i64,
) -> Result<bool, DbError> {
    let n = diesel::update(j::job_leases.filter(j::name.eq(name).and(j::until.le(now))))
        .set((j::holder.eq(holder), j::until.eq(until)))
        .execute(conn)?;
    if n > 0 {
        return Ok(true);
    }
    let inserted = conn.write_transaction(|c| {
        diesel::insert_into(j::job_leases)
            .values((j::name.eq(name), j::holder.eq(holder), j::until.eq(until)))
            .execute(c)
            .map_err(DbError::from)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Run `job` now if it is this server's to run: on PostgreSQL the job's
/// session advisory lock is taken first, without waiting, and held for the
/// whole run, so a run that outlasts its lease (or a clock that is ahead)
/// cannot start a second one on another server; it is released when the
/// run ends, or by PostgreSQL when the server dies with the connection.
/// Then the lease (`take`) says whether this period's run is still due.
/// None when another server holds either.
pub fn run_led<T>(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    until: i64,
    now: i64,
    job: impl FnOnce(&mut DbConnection) -> Result<T, DbError>,
) -> Result<Option<T>, DbError> {
    if !advisory(conn, "pg_try_advisory_lock", name)? {
        return Ok(None);
    }
    let ran = take(conn, name, holder, until, now).and_then(|taken| {
        if taken {
            job(conn).map(Some)
        } else {
            Ok(None)
        }
    });
    if let Err(e) = advisory(conn, "pg_advisory_unlock", name) {
        // The connection is gone, and the session's lock with it.
        tracing::warn!("job {name}: advisory lock not released: {e}");
    }
    ran
}

/// `call` (`pg_try_advisory_lock`, `pg_advisory_unlock`) on the job's
/// advisory lock: its result. SQLite has none and answers true: its one
/// file's writers take turns, and the lease decides.
fn advisory(conn: &mut DbConnection, call: &str, name: &str) -> Result<bool, DbError> {
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(true);
    };
    let done = diesel::sql_query(format!("SELECT {call}($1, hashtext($2)) AS locked"))
        .bind::<diesel::sql_types::Integer, _>(LOCK_CLASS)
        .bind::<Text, _>(name)
        .get_result::<Locked>(pg)?;
    Ok(done.locked)
}

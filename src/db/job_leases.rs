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
    let DbConnection::Postgresql(pg) = conn else {
        // One SQLite file: its writers take turns; the lease decides.
        return match take(conn, name, holder, until, now)? {
            true => job(conn).map(Some),
            false => Ok(None),
        };
    };
    let lock = diesel::sql_query("SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked")
        .bind::<diesel::sql_types::Integer, _>(LOCK_CLASS)
        .bind::<Text, _>(name)
        .get_result::<Locked>(pg)?;
    if !lock.locked {
        return Ok(None);
    }
    let ran = match take(conn, name, holder, until, now) {
        Ok(true) => job(conn).map(Some),
        Ok(false) => Ok(None),
        Err(e) => Err(e),
    };
    if let DbConnection::Postgresql(pg) = conn {
        let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1, hashtext($2)) AS locked")
            .bind::<diesel::sql_types::Integer, _>(LOCK_CLASS)
            .bind::<Text, _>(name)
            .get_result::<Locked>(pg);
        if let Err(e) = unlocked {
            // The connection is gone, and the session's lock with it.
            tracing::warn!("job {name}: advisory lock not released: {e}");
        }
    }
    ran
}

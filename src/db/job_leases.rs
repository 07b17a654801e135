//! `job_leases`: a scheduled job runs on one server at a time — the one
//! holding its lease.

use diesel::prelude::*;

use super::schema::job_leases::dsl as j;
use super::{DbConnection, DbError};

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

//! Audit retention by category (issue 17): a purge removes exactly the
//! events past their category's retention, `visage audit-verify` still
//! passes after it (and still catches tampering with what was kept), and
//! the scheduled purge runs on one server of the deployment at a time.

use visage::audit::{self, Event};
use visage::clock::Clock;

use crate::backup::visage;
use crate::helpers::*;

const DAY: i64 = 86_400;

/// Record an event of `category` `days_ago` days before `now`; its seq.
fn event_at(app: &TestApp, category: &'static str, days_ago: i64, now: i64) -> i64 {
    let ev = Event::new(category, "test.event", "success")
        .detail(serde_json::json!({ "days_ago": days_ago, "category": category }));
    app.db
        .run_sync(move |c| {
            audit::record(c, &ev, now - days_ago * DAY)?;
            Ok::<_, visage::db::DbError>(visage::db::audit::last(c)?.map(|(s, _)| s).unwrap_or(0))
        })
        .unwrap()
}

fn exists(app: &TestApp, seq: i64) -> bool {
    app.count(&format!("audit_events WHERE seq = {seq}")) == 1
}

fn seal(app: &TestApp, now: i64) {
    let mk = app.master_key.clone();
    app.db.run_sync(move |c| audit::seal(c, &mk, now)).unwrap();
}

#[tokio::test]
async fn a_purge_removes_exactly_the_expired_events_and_the_log_still_verifies() {
    let app = spawn_app().await;
    let (dir, url) = (app.config.data_dir.clone(), app.config.database_url());
    let now = chrono::Utc::now().timestamp();
    // Three years ago: a sign-in (2 years), a passkey change (5), an
    // administrator's change (10), something else (1).
    let old_auth = event_at(&app, "auth", 3 * 365, now);
    let old_account = event_at(&app, "account", 3 * 365, now);
    seal(&app, now - 3 * 365 * DAY);
    let old_admin = event_at(&app, "admin", 3 * 365, now);
    let old_other = event_at(&app, "system", 3 * 365, now);
    // 400 days ago: a sign-in (kept), something else (gone).
    let mid_auth = event_at(&app, "auth", 400, now);
    let mid_other = event_at(&app, "system", 400, now);
    seal(&app, now - 400 * DAY);
    // Last week: kept.
    let recent = event_at(&app, "system", 7, now);
    seal(&app, now);

    let (ok, said) = visage(&dir, &url, &["audit-purge"]);
    assert!(ok, "{said}");
    assert!(said.contains("checkpoint"), "{said}");
    for (seq, kept) in [
        (old_auth, false),
        (old_account, true),
        (old_admin, true),
        (old_other, false),
        (mid_auth, true),
        (mid_other, false),
        (recent, true),
    ] {
        assert_eq!(exists(&app, seq), kept, "event {seq}");
    }
    assert_eq!(app.audited("audit.purge", "success"), 1);
    let (ok, said) = visage(&dir, &url, &["audit-verify"]);
    assert!(ok, "{said}");
    assert!(said.contains("intact"), "{said}");

    // Two more years on, the passkey change goes too; still verifiable.
    let mk = app.master_key.clone();
    let cfg = app.config.retention.clone();
    let later = now + 2 * 365 * DAY + DAY;
    app.db
        .run_sync(move |c| audit::retention::purge_and_record(c, &mk, &cfg, later))
        .unwrap();
    assert!(!exists(&app, old_account) && exists(&app, old_admin));
    let (ok, said) = visage(&dir, &url, &["audit-verify"]);
    assert!(ok, "{said}");

    // What a purge kept is still protected: changing or removing it is found.
    diesel_exec(
        &app,
        &format!("UPDATE audit_events SET detail = '{{}}' WHERE seq = {old_admin}"),
    );
    let (ok, said) = visage(&dir, &url, &["audit-verify"]);
    assert!(!ok && said.contains("broken"), "{said}");
}

#[tokio::test]
async fn removing_an_event_a_purge_kept_is_found() {
    let app = spawn_app().await;
    let (dir, url) = (app.config.data_dir.clone(), app.config.database_url());
    let now = chrono::Utc::now().timestamp();
    event_at(&app, "auth", 3 * 365, now);
    let kept = event_at(&app, "admin", 3 * 365, now);
    event_at(&app, "system", 2, now);
    let (ok, said) = visage(&dir, &url, &["audit-purge"]);
    assert!(ok, "{said}");
    assert!(exists(&app, kept));
    diesel_exec(
        &app,
        &format!("DELETE FROM audit_events WHERE seq = {kept}"),
    );
    let (ok, said) = visage(&dir, &url, &["audit-verify"]);
    assert!(!ok && said.contains("broken"), "{said}");
}

pub(crate) fn diesel_exec(app: &TestApp, sql: &str) {
    use diesel::RunQueryDsl;
    let sql = sql.to_owned();
    app.db
        .run_sync(move |c| {
            diesel::sql_query(sql).execute(c)?;
            Ok::<_, visage::db::DbError>(())
        })
        .unwrap();
}

#[tokio::test]
async fn the_scheduled_purge_runs_on_one_server_at_a_time() {
    let app = spawn_app().await;
    let peer = app.spawn_peer().await;
    let now = app.clock.now();
    let expired = event_at(&app, "auth", 3 * 365, now);
    event_at(&app, "system", 1, now);
    // A day on (both servers' clocks): the lease of the last run has ended,
    // both servers try within a couple of seconds, one purges.
    let day = app.config.retention.purge_every_hours * 3600 + 1;
    app.clock.advance(day);
    peer.clock.advance(day);
    tokio::join!(app.scheduled_round(), peer.scheduled_round());
    assert!(!exists(&app, expired), "purged by the schedule");
    assert_eq!(app.audited("audit.purge", "success"), 1);
    // The lease the servers take is held: nobody else may run it until it ends.
    let t = app.clock.now();
    let taken = app
        .db
        .run_sync(move |c| {
            visage::db::job_leases::take(c, "audit_retention", "another server", t + 60, t)
        })
        .unwrap();
    assert!(!taken, "one server at a time");
}

/// A scheduled job another instance is still running is not started again,
/// even when its lease has run out (a run longer than its period, a clock
/// ahead of the others'): on PostgreSQL the running instance holds the
/// job's advisory lock until it finishes — or dies, when PostgreSQL drops
/// its session and the lock with it. On SQLite (one file; its writers take
/// turns) the lease alone decides.
#[tokio::test]
async fn a_job_another_instance_is_still_running_is_not_started_again() {
    use diesel::{Connection, RunQueryDsl};
    use visage::db::job_leases;
    // A job of its own: the server's own schedule runs the real ones.
    let app = spawn_app().await;
    let t = app.clock.now();
    let run = |holder: &'static str, at: i64| {
        app.db
            .run_sync(move |c| {
                job_leases::run_led(c, "a test job", holder, at + 60, at, |_| Ok(holder))
            })
            .unwrap()
    };
    if app.db.backend() == visage::db::Backend::Postgres {
        // Another instance, mid-run, on its own connection.
        let mut other = diesel::pg::PgConnection::establish(&app.config.database_url).unwrap();
        diesel::sql_query("SELECT pg_advisory_lock($1, hashtext('a test job'))")
            .bind::<diesel::sql_types::Integer, _>(job_leases::LOCK_CLASS)
            .execute(&mut other)
            .unwrap();
        assert_eq!(run("b", t), None, "started beside a running one");
        assert_eq!(run("b", t + 3600), None, "however late");
        // The other instance dies: PostgreSQL ends its session (waiting
        // until it has gone), and the lock goes with it.
        let mut ops = diesel::pg::PgConnection::establish(&app.config.database_url).unwrap();
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks \
             WHERE locktype = 'advisory' AND classid = {} AND objsubid = 2 AND granted",
            job_leases::LOCK_CLASS
        ))
        .execute(&mut ops)
        .unwrap();
        drop(other);
    }
    assert_eq!(run("b", t), Some("b"));
    assert_eq!(run("c", t + 30), None, "the period's run is done");
    assert_eq!(run("c", t + 61), Some("c"), "the next period's");
}

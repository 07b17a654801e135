//! Prometheus metrics. One recorder per process (the `metrics` facade and
//! `metrics-exporter-prometheus`): the web layer counts and times every
//! request by route, the audit log counts every security event by category,
//! action and outcome, the token endpoint counts issued tokens by grant, the
//! face step times its analysis. `/metrics` on `server.metrics_listen` (off
//! the public listener; docs/operations.md) renders them.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Upper bounds of the latency histograms, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the recorder (once; later calls return the same handle). `None`
/// when another recorder was installed first: then nothing is exported.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .ok()?
                .install_recorder()
                .ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// The `# HELP` line of every series (Prometheus's `promtool check metrics`
/// asks for one).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "visage_http_requests_total",
        "HTTP requests answered, by route pattern, method and status"
    );
    describe_histogram!(
        "visage_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern and method"
    );
    describe_counter!(
        "visage_events_total",
        "Audit events written, by category, action and outcome"
    );
    describe_counter!("visage_sign_ins_total", "Sign-ins by method and outcome");
    describe_counter!(
        "visage_tokens_issued_total",
        "Tokens issued at the token endpoint, by grant type"
    );
    describe_histogram!(
        "visage_face_check_seconds",
        Unit::Seconds,
        "Server time of one face examination, by outcome and reason"
    );
    describe_counter!(
        "visage_face_checks_total",
        "Face checks decided, by purpose (enrol, verify) and reason"
    );
    describe_gauge!(
        "visage_db_pool_connections",
        "Database pool connections: open, idle and the maximum"
    );
    describe_gauge!(
        "visage_db_tasks",
        "Database work now: queued for a thread, waiting for a connection, running"
    );
}

/// Database pool usage, set just before a scrape.
pub fn db_pool(open: u32, idle: u32, max: u32) {
    metrics::gauge!("visage_db_pool_connections", "state" => "open").set(f64::from(open));
    metrics::gauge!("visage_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("visage_db_pool_connections", "state" => "max").set(f64::from(max));
}

/// Database queue depths, set just before a scrape.
pub fn db_tasks(queued: i64, waiting: i64, running: i64) {
    for (state, n) in [
        ("queued", queued),
        ("waiting", waiting),
        ("running", running),
    ] {
        metrics::gauge!("visage_db_tasks", "state" => state).set(n as f64);
    }
}

/// The metrics in the Prometheus text format.
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}

/// One HTTP request answered: `route` is the matched pattern (never the
/// raw path, which would make a series per user id).
pub fn http_request(route: &str, method: &str, status: u16, seconds: f64) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("visage_http_requests_total", &labels).increment(1);
    let timing = [("route", route.to_owned()), ("method", method.to_owned())];
    metrics::histogram!("visage_http_request_duration_seconds", &timing).record(seconds);
}

/// A security event written to the audit log (sign-ins, failures,
/// lockouts, face checks, administration).
pub fn event(category: &str, action: &str, outcome: &str) {
    let labels = [
        ("category", category.to_owned()),
        ("action", action.to_owned()),
        ("outcome", outcome.to_owned()),
    ];
    metrics::counter!("visage_events_total", &labels).increment(1);
}

/// A sign-in that succeeded or failed, by method (`login.passkey`,
/// `login.password`, `recovery.email`, …).
pub fn sign_in(method: &str, outcome: &'static str) {
    metrics::counter!("visage_sign_ins_total", "method" => method.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// A row looked for in memory (`oidc::row_cache`): `client`, `token` or
/// `user`; found (`hit`) or not (`miss`: read from the database).
pub fn row_cache(kind: &'static str, hit: bool) {
    let outcome = if hit { "hit" } else { "miss" };
    metrics::counter!("visage_row_cache_total", "kind" => kind, "outcome" => outcome).increment(1);
}

/// Tokens issued at the token endpoint, by grant type.
pub fn tokens_issued(grant: &str) {
    metrics::counter!("visage_tokens_issued_total", "grant" => grant.to_owned()).increment(1);
}

/// Server time of one face examination: `examined`, or `refused` and why
/// (`no_face`, `several_faces`, `quality`, `challenge`, `decode`, …).
pub fn face_examined(outcome: &'static str, reason: &'static str, seconds: f64) {
    metrics::histogram!("visage_face_check_seconds", "outcome" => outcome, "reason" => reason)
        .record(seconds);
}

/// A face check decided, by purpose (`enrol`, `verify`) and reason: `match`,
/// `enrolled`, or why not (`no_match`, `not_live`, `answer_refused`,
/// `challenge_expired`, `template_unusable`, `not_enrolled`).
pub fn face_check(purpose: &str, reason: &'static str) {
    metrics::counter!("visage_face_checks_total", "purpose" => purpose.to_owned(), "reason" => reason)
        .increment(1);
}

/// The id of the HTTP request being served (`X-Request-Id`), so that what
/// the request writes — audit rows — names it: set around each request by
/// the server, carried onto the blocking database thread by `Db::run`.
pub mod request {
    use std::cell::RefCell;

    tokio::task_local! {
        static TASK: String;
    }

    thread_local! {
        static THREAD: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Run `f` (a request's handling) with `id` as the current request.
    pub async fn scope<F: std::future::Future>(id: String, f: F) -> F::Output {
        TASK.scope(id, f).await
    }

    /// The current request's id: the task's, or the one this blocking
    /// thread was given.
    pub fn current() -> Option<String> {
        TASK.try_with(Clone::clone)
            .ok()
            .or_else(|| THREAD.with(|t| t.borrow().clone()))
    }

    /// Puts the thread's previous id back, even when `f` panics (the
    /// blocking threads are reused).
    struct Restore(Option<String>);

    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            THREAD.with(|t| *t.borrow_mut() = before);
        }
    }

    /// Run `f` on this (blocking) thread with `id` as the current request.
    pub fn on_thread<T>(id: Option<String>, f: impl FnOnce() -> T) -> T {
        let _restore = Restore(THREAD.with(|t| t.replace(id)));
        f()
    }
}

//! The HTTP server: the application state behind actix-web, with the
//! middleware and every route. The top of the module graph (`app` holds the
//! state, `web` the routes; this wires them).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service};
use actix_web::{middleware, web, App, HttpServer};

use crate::app::{build_state, StartError};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;

/// One line per request: method and path only (query strings can carry
/// tokens and transaction ids, so they are never logged), and the request id.
fn access_log() -> middleware::Logger {
    middleware::Logger::new("%a %{method}xi %U %s %Dms id=%{x-request-id}o")
        .custom_request_replace("method", |req| req.method().to_string())
}

/// A bound, not yet awaited, server.
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
    state: web::Data<crate::app::AppState>,
}

impl Application {
    pub fn build(config: Config) -> Result<Application, StartError> {
        Application::build_with_clock(config, Arc::new(SystemClock))
    }

    pub fn build_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Application, StartError> {
        let listen = config.listen.clone();
        let listener =
            TcpListener::bind(&listen).map_err(|e| StartError::Listen(listen.clone(), e))?;
        Application::build_on(config, listener, clock)
    }

    /// Serve on an already bound listener (tests bind port 0 first to learn the issuer).
    pub fn build_on(
        config: Config,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> Result<Application, StartError> {
        let listen = config.listen.clone();
        let port = listener
            .local_addr()
            .map_err(|e| StartError::Listen(listen.clone(), e))?
            .port();
        let workers = config.server.workers;
        let shutdown = config.server.shutdown_timeout_seconds;
        crate::telemetry::install();
        let metrics_listen = config.server.metrics_listen.clone();
        let state = web::Data::new(build_state(config, clock, true)?);
        if state.config.server.row_cache {
            let every = std::time::Duration::from_millis(state.config.server.change_feed_ms);
            state
                .db
                .follow_changes(every)
                .map_err(|e| StartError::Config(format!("cannot start the change feed: {e}")))?;
        }
        let metrics = metrics_server(&metrics_listen, shutdown, state.clone())?;
        let st = state.clone();
        let mut server = HttpServer::new(move || {
            let cfg = &st.config;
            App::new()
                .app_data(st.clone())
                .app_data(web::PayloadConfig::new(cfg.server.max_body_bytes))
                .app_data(web::FormConfig::default().limit(cfg.server.max_body_bytes))
                .wrap(middleware::from_fn(crate::web::blocked::refuse_blocked))
                .wrap(crate::web::headers::security_headers(cfg.secure_cookies()))
                // Inside the access log, so the log line carries the id.
                .wrap_fn(|req, srv| {
                    let id = crate::web::request_id::assign(&req);
                    let started = std::time::Instant::now();
                    let scoped = id.to_str().unwrap_or_default().to_owned();
                    let answer = crate::telemetry::request::scope(scoped, srv.call(req));
                    async move {
                        let res = answer.await?;
                        let route = res.request().match_pattern();
                        crate::telemetry::http_request(
                            route.as_deref().unwrap_or("unmatched"),
                            res.request().method().as_str(),
                            res.status().as_u16(),
                            started.elapsed().as_secs_f64(),
                        );
                        Ok(crate::web::request_id::stamp(res, id))
                    }
                })
                .wrap(middleware::Condition::new(
                    cfg.server.access_log,
                    access_log(),
                ))
                .configure(crate::web::routes)
                .configure(crate::web::admin::routes)
        })
        .shutdown_timeout(shutdown)
        .listen(listener)
        .map_err(|e| StartError::Listen(listen.clone(), e))?;
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            metrics,
            state,
        })
    }

    /// The rounds of scheduled jobs finished so far, and each next one as
    /// it finishes (`AppState::scheduled_jobs`).
    pub fn scheduled_rounds(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.scheduled_rounds.subscribe()
    }

    /// This server's database handle: what is written through it is this
    /// server's own change (seen at once by the rows it keeps in memory).
    pub fn db(&self) -> crate::db::Db {
        self.state.db.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics`, when `server.metrics_listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let background = tokio::spawn(background(self.state.clone()));
        let res = match self.metrics {
            Some((_, metrics)) => tokio::try_join!(self.server, metrics).map(|_| ()),
            None => self.server.await,
        };
        background.abort();
        res
    }
}

/// The background task: keeps the incident controls (and the master key's
/// state) fresh, mails and posts the alerts (`mail::operators`) and runs the
/// scheduled jobs (`AppState::scheduled_jobs`).
async fn background(state: web::Data<crate::app::AppState>) {
    use std::time::Duration;
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => return tracing::error!("alerts: no HTTP client for the webhook: {e}"),
    };
    let mut tick = tokio::time::interval(Duration::from_secs(crate::mail::operators::POLL_SECONDS));
    loop {
        tick.tick().await;
        // An idle server learns of a master key rotation too.
        state.controls().await;
        crate::mail::operators::deliver(&state.outbox(), &http).await;
        state.scheduled_jobs().await;
    }
}

/// `GET /metrics` alone, on its own listener (one worker), or nothing when
/// `listen` is empty.
fn metrics_server(
    listen: &str,
    shutdown: u64,
    state: web::Data<crate::app::AppState>,
) -> Result<Option<(u16, Server)>, StartError> {
    if listen.is_empty() {
        return Ok(None);
    }
    let listener =
        TcpListener::bind(listen).map_err(|e| StartError::Listen(listen.to_owned(), e))?;
    let port = listener
        .local_addr()
        .map_err(|e| StartError::Listen(listen.to_owned(), e))?
        .port();
    let server = HttpServer::new(move || {
        App::new().app_data(state.clone()).route(
            "/metrics",
            web::get().to(|st: web::Data<crate::app::AppState>| async move {
                let (open, idle) = st.db.usage();
                crate::telemetry::db_pool(open, idle, st.config.server.db_pool_size);
                let q = st.db.queue_depths();
                crate::telemetry::db_tasks(q.queued, q.waiting, q.running);
                actix_web::HttpResponse::Ok()
                    .content_type("text/plain; version=0.0.4")
                    .body(crate::telemetry::render())
            }),
        )
    })
    .workers(1)
    .shutdown_timeout(shutdown)
    .listen(listener)
    .map_err(|e| StartError::Listen(listen.to_owned(), e))?
    .run();
    Ok(Some((port, server)))
}

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
        let state = web::Data::new(build_state(config, clock, true)?);
        let st = state.clone();
        let mut server = HttpServer::new(move || {
            let cfg = &st.config;
            App::new()
                .app_data(st.clone())
                .app_data(web::PayloadConfig::new(cfg.server.max_body_bytes))
                .app_data(web::FormConfig::default().limit(cfg.server.max_body_bytes))
                .wrap(crate::web::headers::security_headers(cfg.secure_cookies()))
                // Inside the access log, so the log line carries the id.
                .wrap_fn(|req, srv| {
                    let id = crate::web::request_id::assign(&req);
                    let answer = srv.call(req);
                    async move { Ok(crate::web::request_id::stamp(answer.await?, id)) }
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
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

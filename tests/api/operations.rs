//! What operators rely on: health checks for the load balancer, a request
//! id to find a request in the logs, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer_without_sign_in() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["signing_keys"], "ok");
    // The test server runs without the face engine.
    assert!(
        ["off", "ok"].contains(&body["checks"]["face_engine"].as_str().unwrap()),
        "{body}"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_callers_plain_id_is_kept() {
    let app = spawn_app().await;
    let url = format!("{}/healthz", app.issuer);
    let mine = app
        .http
        .get(&url)
        .header("x-request-id", "lb-7f3a.2_c")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.headers()["x-request-id"], "lb-7f3a.2_c");
    let (a, b) = (app.get("/healthz").await, app.get("/nowhere").await);
    let (a, b) = (&a.headers()["x-request-id"], &b.headers()["x-request-id"]);
    assert!(a.len() >= 16 && a != b, "new ids: {a:?} {b:?}");
    // Not a plain token: replaced, never echoed into headers or logs.
    let odd = app
        .http
        .get(&url)
        .header("x-request-id", "x\" onmouseover=alert(1)")
        .send()
        .await
        .unwrap();
    assert_ne!(odd.headers()["x-request-id"], "x\" onmouseover=alert(1)");
}

#[tokio::test]
async fn an_audit_row_names_the_request_that_wrote_it() {
    let app = spawn_app().await;
    app.user();
    let attempt = |id: Option<&'static str>| {
        let app = &app;
        async move {
            let csrf = csrf_of(&app.get("/login").await.text().await.unwrap());
            let mut req = app.http.post(app.url("/login")).form(&[
                ("csrf", csrf.as_str()),
                ("email", EMAIL),
                ("password", "wrong"),
            ]);
            if let Some(id) = id {
                req = req.header("x-request-id", id);
            }
            let r = req.send().await.unwrap();
            r.headers()["x-request-id"].to_str().unwrap().to_owned()
        }
    };
    // The load balancer's id, and one Visage made: each in its own rows.
    let given = attempt(Some("lb-audit-42")).await;
    let made = attempt(None).await;
    assert_eq!(given, "lb-audit-42");
    for id in [&given, &made] {
        let rows = app.audit_with(|_| true, &format!("\"request_id\":\"{id}\""));
        assert!(rows >= 1, "no audit row names request {id}");
    }
    // The id is inside the hashed detail: the chain still verifies.
    let report = app
        .db
        .run_sync(|c| visage::audit::verify(c, &app.master_key))
        .unwrap();
    assert_eq!(report.broken_at, None);
}

/// A plain HTTP/1.1 GET on the loopback: the whole answer.
fn http_get(port: u16, path: &str) -> String {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    answer
}

/// The number after `prefix` in a log message, e.g. a port.
fn number_after(message: &str, prefix: &str) -> Option<u16> {
    let rest = message.split(prefix).nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The real binary: SIGTERM stops it accepting, lets requests finish, and
/// it exits 0 (what systemd and orchestrators expect of a clean stop). It
/// logs in JSON here (every line a log shipper reads must parse) and serves
/// Prometheus metrics on their own listener.
#[test]
fn the_binary_serves_metrics_apart_logs_json_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_visage"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--issuer",
            "http://127.0.0.1",
        ])
        .env("VISAGE__FACE__ENABLED", "false")
        .env("VISAGE__SERVER__SHUTDOWN_TIMEOUT_SECONDS", "5")
        .env("VISAGE__SERVER__METRICS_LISTEN", "127.0.0.1:0")
        .env("VISAGE__LOG__FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A server that never stops must fail the test, not hang it.
    let pid = child.id().to_string();
    let (stopped, watchdog) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if watchdog
            .recv_timeout(std::time::Duration::from_secs(30))
            .is_err()
        {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .map(|l| {
            let event: serde_json::Value =
                serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            event["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
    let (mut port, mut metrics_port) = (None, None);
    for m in lines.by_ref() {
        port = port.or(number_after(&m, "listening on port "));
        metrics_port = metrics_port.or(number_after(&m, "metrics on port "));
        if port.is_some() && metrics_port.is_some() {
            break;
        }
    }
    let (port, metrics_port) = (
        port.expect("the server says where it listens"),
        metrics_port.expect("and where its metrics are"),
    );
    let health = http_get(port, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    // Metrics are not on the public listener.
    assert!(http_get(port, "/metrics").starts_with("HTTP/1.1 404"));
    let scrape = http_get(metrics_port, "/metrics");
    assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
    let served = scrape.lines().find(|l| {
        l.starts_with("visage_http_requests_total{")
            && l.contains("route=\"/healthz\"")
            && l.contains("status=\"200\"")
    });
    assert!(
        served.is_some_and(|l| l.ends_with(" 1")),
        "one /healthz counted: {scrape}"
    );
    assert!(
        scrape.contains("visage_http_request_duration_seconds_bucket{"),
        "latency histogram: {scrape}"
    );
    assert!(
        scrape.contains("visage_db_pool_connections{state=\"open\"}"),
        "pool gauges: {scrape}"
    );
    for state in ["queued", "waiting", "running"] {
        assert!(
            scrape.contains(&format!("visage_db_tasks{{state=\"{state}\"}}")),
            "database queue depth {state}: {scrape}"
        );
    }
    // Prometheus's own linter accepts the exposition as it is served.
    crate::services::require(crate::services::Service::Promtool);
    let body = scrape.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut promtool.stdin.take().unwrap(), body.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // Drain the log so the server never blocks on a full pipe.
    let log: Vec<String> = lines.collect();
    let status = child.wait().unwrap();
    stopped.send(()).ok();
    assert!(status.success(), "exit {status:?}; log: {log:?}");
    assert!(
        log.iter().any(|m| m.contains("Visage stopped")),
        "says it stopped: {log:?}"
    );
    assert!(
        log.iter()
            .any(|m| m.contains("GET /healthz 200") && m.contains(" id=")),
        "the access log names the request and its id: {log:?}"
    );
    for p in [port, metrics_port] {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", p)).is_err(),
            "port {p} no longer listening"
        );
    }
}

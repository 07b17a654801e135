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

/// The real binary: SIGTERM stops it accepting, lets requests finish, and
/// it exits 0 (what systemd and orchestrators expect of a clean stop). It
/// logs in JSON here: every line a log shipper reads must parse.
#[test]
fn sigterm_stops_the_server_cleanly() {
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
    let port: u16 = lines
        .by_ref()
        .find_map(|m| {
            m.split("listening on port ")
                .nth(1)
                .and_then(|r| r.split(',').next()?.trim().parse().ok())
        })
        .expect("the server says where it listens");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
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
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no longer listening"
    );
}

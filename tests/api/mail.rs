//! A real SMTP sink for the tests: PyPI `aiosmtpd` (installed by
//! scripts/setup.sh into target/venv) writing a Maildir we read back. The
//! sink says on its standard output when it is ready and after each message
//! it has written, so a test waits for mail without polling.

use std::io::BufRead;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct MailSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
    /// Lines the sink has printed so far ("ready", then one "delivered" per message).
    said: Arc<(Mutex<Vec<String>>, Condvar)>,
}

/// aiosmtpd's Maildir handler, telling after each message is written.
const SINK: &str = r#"
import sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

class Telling(Mailbox):
    def handle_message(self, message):
        super().handle_message(message)
        print("delivered", flush=True)

controller = Controller(Telling(sys.argv[1]), hostname="127.0.0.1", port=int(sys.argv[2]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"#;

fn python() -> PathBuf {
    std::env::var_os("VISAGE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/venv/bin/python"
            ))
        })
}

impl MailSink {
    pub fn start() -> MailSink {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let dir = tempfile::tempdir().expect("maildir");
        let mut child = Command::new(python())
            .args(["-c", SINK])
            .arg(dir.path().join("mail"))
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (run scripts/setup.sh --test to install it in target/venv)");
        let said: Arc<(Mutex<Vec<String>>, Condvar)> = Arc::default();
        let out = child.stdout.take().expect("the sink's output");
        let heard = said.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let (lines, told) = &*heard;
                lines.lock().expect("sink lines").push(line);
                told.notify_all();
            }
        });
        let sink = MailSink {
            port,
            dir,
            child,
            said,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        sink.wait_until(deadline, "the SMTP sink's start", |lines| {
            lines.iter().any(|l| l == "ready")
        });
        sink
    }

    /// Block until `done` holds of the sink's lines (checked again each time
    /// it prints one), or panic naming `what` at `deadline`.
    fn wait_until(&self, deadline: Instant, what: &str, done: impl Fn(&[String]) -> bool) {
        let (lines, told) = &*self.said;
        let mut seen = lines.lock().expect("sink lines");
        while !done(&seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{what} did not come in time");
            seen = told.wait_timeout(seen, left).expect("sink lines").0;
        }
    }

    /// Message number `n` (0-based) to `to`, once it has arrived (at most 10 s).
    pub fn wait_for(&self, to: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(m) = self.messages_to(to).get(n) {
                return m.clone();
            }
            // Wait for the next message the sink writes (to anyone).
            let delivered = |lines: &[String]| lines.iter().filter(|l| *l == "delivered").count();
            let before = delivered(&self.said.0.lock().expect("sink lines"));
            if self.messages_to(to).get(n).is_none() {
                self.wait_until(deadline, &format!("mail number {n} to {to}"), |lines| {
                    delivered(lines) > before
                });
            }
        }
    }

    /// Messages delivered to `to` so far, oldest first (raw RFC 5322 text).
    pub fn messages_to(&self, to: &str) -> Vec<String> {
        let mut found = vec![];
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail").join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let Ok(text) = std::fs::read_to_string(e.path()) else {
                    continue;
                };
                let to_line = text
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("to:"))
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if to_line.contains(&to.to_ascii_lowercase()) {
                    let at = e.metadata().and_then(|m| m.modified()).ok();
                    found.push((at, e.file_name(), text));
                }
            }
        }
        found.sort();
        found.into_iter().map(|(_, _, t)| t).collect()
    }

    /// The subjects of the messages to `to` so far, oldest first.
    pub fn subjects(&self, to: &str) -> Vec<String> {
        self.messages_to(to)
            .iter()
            .map(|m| decode_subject(m))
            .collect()
    }

    /// Wait for message number `n` (0-based) to `to`; its 6-digit code.
    pub fn code(&self, to: &str, n: usize) -> String {
        let subject = decode_subject(&self.wait_for(to, n));
        let digits: String = subject
            .rsplit(' ')
            .next()
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        assert_eq!(digits.len(), 6, "a code in the subject {subject:?}");
        digits
    }
}

/// The Subject header, with RFC 2047 base64 words decoded.
pub fn decode_subject(msg: &str) -> String {
    use base64::Engine;
    let mut raw = String::new();
    let mut lines = msg.lines().skip_while(|l| !l.starts_with("Subject:"));
    if let Some(first) = lines.next() {
        raw.push_str(first.trim_start_matches("Subject:").trim());
        for l in lines.take_while(|l| l.starts_with(' ') || l.starts_with('\t')) {
            raw.push_str(l.trim());
        }
    }
    if !raw.contains("=?") {
        return raw;
    }
    raw.split("?=")
        .filter_map(|w| {
            let w = w.trim().strip_prefix("=?")?;
            let mut parts = w.splitn(3, '?');
            let (_, enc, data) = (parts.next()?, parts.next()?, parts.next()?);
            if enc.eq_ignore_ascii_case("b") {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .ok()?;
                String::from_utf8(bytes).ok()
            } else {
                Some(data.replace('_', " "))
            }
        })
        .collect()
}

impl Drop for MailSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

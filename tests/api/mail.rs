//! A real SMTP sink for the tests: PyPI `aiosmtpd` (installed by
//! scripts/setup.sh into target/venv) writing a Maildir we read back.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MailSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

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
        let child = Command::new(python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (run scripts/setup.sh --test to install it in target/venv)");
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the SMTP sink did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        MailSink { port, dir, child }
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
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let msgs = self.messages_to(to);
            if let Some(m) = msgs.get(n) {
                let subject = decode_subject(m);
                let digits: String = subject
                    .rsplit(' ')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                assert_eq!(digits.len(), 6, "a code in the subject {subject:?}");
                return digits;
            }
            assert!(
                Instant::now() < deadline,
                "no mail number {n} to {to} arrived"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
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

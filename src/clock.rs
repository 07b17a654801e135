//! Time as an argument: handlers read the clock once per request.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
    /// Milliseconds since the Unix epoch (the face step's pacing).
    fn now_ms(&self) -> i64 {
        self.now() * 1000
    }
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// The system clock shifted by an adjustable offset in milliseconds (tests
/// move time forward instead of sleeping).
#[derive(Debug, Default, Clone)]
pub struct OffsetClock(Arc<AtomicI64>);

impl OffsetClock {
    pub fn advance(&self, seconds: i64) {
        self.advance_ms(seconds * 1000);
    }
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.0.load(Ordering::SeqCst)
    }
}

/// `YYYY-MM-DD HH:MM` (UTC) of a Unix time, for pages and mails.
pub fn utc_minutes(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

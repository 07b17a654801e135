//! The browsers that sign in to an account. Each browser carries a random
//! cookie (`visage_device`, kept only as its hash); a sign-in from a browser
//! the account has never used, once it has used another, is told to the
//! person by mail, and the sign-in history names the browser. An account's
//! first browser (its sign-up, or the first sign-in after an upgrade) is
//! remembered without a notice.

use crate::crypto;
use crate::db::known_devices::{self as repo, KnownDeviceRow};
use crate::db::{DbConnection, DbError};
use crate::ids::UserId;

/// The browser's cookie.
pub const COOKIE: &str = "visage_device";
/// How long a browser is remembered without signing in (400 days, the
/// longest a browser keeps a cookie).
pub const COOKIE_DAYS: i64 = 400;
/// The most browsers remembered per account; the least recently used go.
const KEEP: usize = 50;

/// The browser a sign-in came from.
#[derive(Debug, Clone)]
pub struct Device {
    /// The hash of its cookie.
    pub hash: String,
    /// What it is, as a person would name it ("Firefox (Linux)"); empty when
    /// its `User-Agent` says nothing recognisable.
    pub browser: String,
}

impl Device {
    /// The browser behind the cookie value `token` and its `User-Agent`.
    pub fn new(token: &str, user_agent: Option<&str>) -> Device {
        Device {
            hash: crypto::token_hash(token),
            browser: browser_of(user_agent),
        }
    }
}

fn known(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty() && *s != "UNKNOWN")
}

/// "Firefox (Linux)", "Safari (iPhone)", or what part of it is known.
pub fn browser_of(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.and_then(|u| woothee::parser::Parser::new().parse(u)) else {
        return String::new();
    };
    match (known(ua.name), known(ua.os)) {
        (Some(name), Some(os)) => format!("{name} ({os})"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => String::new(),
    }
}

/// Whether the account knew the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// It signed in from here before.
    Known,
    /// The account's first remembered browser: no notice.
    First,
    /// New to an account that has used other browsers: tell the person.
    New,
}

/// Remember that `device` signed in to `user_id` at `now` (within the
/// caller's transaction).
pub fn remember(
    conn: &mut DbConnection,
    user_id: &UserId,
    device: &Device,
    now: i64,
) -> Result<Seen, DbError> {
    if repo::touch(conn, user_id, &device.hash, now)? {
        return Ok(Seen::Known);
    }
    let others = repo::for_user(conn, user_id)?;
    for old in others.iter().skip(KEEP - 1) {
        repo::delete(conn, user_id, &old.device_hash)?;
    }
    repo::insert(
        conn,
        &KnownDeviceRow {
            user_id: user_id.clone(),
            device_hash: device.hash.clone(),
            browser: device.browser.clone(),
            first_seen: now,
            last_seen: now,
        },
    )?;
    Ok(if others.is_empty() {
        Seen::First
    } else {
        Seen::New
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_is_named_as_a_person_would() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(browser_of(Some(firefox)), "Firefox (Linux)");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_of(Some(iphone)), "Safari (iPhone)");
        // A script says what it is.
        assert_eq!(browser_of(Some("curl/8.5.0")), "HTTP Library");
        assert_eq!(browser_of(Some("")), "");
        assert_eq!(browser_of(None), "");
    }
}

//! Every request gets an id: the caller's `X-Request-Id` when it is a plain
//! token (1 to 64 of `A-Z a-z 0-9 . _ -`, as a proxy or load balancer sets
//! it), otherwise a new random one. It goes back in the response's
//! `X-Request-Id` and into the access log line, so the request an RP or a
//! person reports can be found in the logs.

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

fn usable(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The id for `req`: the caller's, if usable, else a new one.
pub fn assign(req: &ServiceRequest) -> HeaderValue {
    req.headers()
        .get(&HEADER)
        .filter(|v| v.to_str().is_ok_and(usable))
        .cloned()
        .or_else(|| HeaderValue::from_str(&crate::crypto::random_token(12)).ok())
        .unwrap_or_else(|| HeaderValue::from_static("unknown"))
}

/// Put the id on the response.
pub fn stamp<B>(mut res: ServiceResponse<B>, id: HeaderValue) -> ServiceResponse<B> {
    res.headers_mut().insert(HEADER, id);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_ids_are_taken_from_the_caller() {
        assert!(usable("7f3a-b2.c_9"));
        assert!(!usable(""));
        assert!(!usable(&"a".repeat(65)));
        assert!(!usable("id with spaces"));
        assert!(!usable("evil\r\nSet-Cookie: x"));
        assert!(!usable("ünïcode"));
    }
}

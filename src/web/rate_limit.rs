//! Per-IP rate limits (governor), built per application instance.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct Limits {
    pub login: DefaultKeyedRateLimiter<IpAddr>,
    pub token: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limits {
    pub fn new(login_per_minute: u32, token_per_second: u32) -> Limits {
        let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Limits {
            login: RateLimiter::keyed(Quota::per_minute(nz(login_per_minute))),
            token: RateLimiter::keyed(
                Quota::per_second(nz(token_per_second))
                    .allow_burst(nz(token_per_second.saturating_mul(2))),
            ),
        }
    }
}

/// The peer address (Visage does not trust forwarding headers by default).
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

pub fn allow(limiter: &DefaultKeyedRateLimiter<IpAddr>, req: &HttpRequest) -> bool {
    match client_ip(req) {
        Some(ip) => limiter.check_key(&ip).is_ok(),
        None => true,
    }
}

//! Per-process rate limiters (governor): token requests per address, face
//! preview frames per person and per address; and the proxies whose
//! forwarding headers are believed. Built once per application instance.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

pub struct Limits {
    pub token: DefaultKeyedRateLimiter<IpAddr>,
    /// Face preview frames per person (the page sends one a second).
    pub preview_person: DefaultKeyedRateLimiter<String>,
    /// Face preview frames per client address (an office shares one).
    pub preview_address: DefaultKeyedRateLimiter<IpAddr>,
    /// Proxies whose forwarding headers are believed (`server.trusted_proxies`).
    pub trusted: Vec<IpNet>,
}

impl Limits {
    pub fn new(token_per_second: u32, trusted_proxies: &[String]) -> Limits {
        let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Limits {
            token: RateLimiter::keyed(
                Quota::per_second(nz(token_per_second))
                    .allow_burst(nz(token_per_second.saturating_mul(2))),
            ),
            preview_person: RateLimiter::keyed(Quota::per_second(nz(2)).allow_burst(nz(5))),
            preview_address: RateLimiter::keyed(Quota::per_second(nz(20)).allow_burst(nz(40))),
            trusted: trusted_proxies
                .iter()
                .filter_map(|p| {
                    p.parse::<IpNet>()
                        .ok()
                        .or_else(|| p.parse::<IpAddr>().ok().map(IpNet::from))
                })
                .collect(),
        }
    }
}

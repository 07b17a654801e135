//! Per-IP rate limits (governor), built per application instance, and the
//! client address behind configured reverse proxies.

use std::net::IpAddr;

use actix_web::{web, HttpRequest};
use governor::DefaultKeyedRateLimiter;
use ipnet::IpNet;

pub use crate::limits::Limits;

/// The client's address: the peer, or (when the peer is a trusted proxy) the
/// nearest address in `Forwarded` / `X-Forwarded-For` that is not itself a
/// trusted proxy. Headers from untrusted peers are ignored (they are forged
/// at will).
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    let trusted = req
        .app_data::<web::Data<crate::app::AppState>>()
        .map(|s| s.limits.trusted.as_slice())
        .unwrap_or_default();
    Some(behind(peer, trusted, req.headers()))
}

fn behind(peer: IpAddr, trusted: &[IpNet], headers: &actix_web::http::header::HeaderMap) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Each proxy appends; read from the nearest hop outwards.
    let mut hops: Vec<IpAddr> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(forwarded_for)
        .collect();
    if hops.is_empty() {
        hops = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| parse_addr(a.trim()))
            .collect();
    }
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    client
}

/// The `for=` address of one `Forwarded` element (RFC 7239).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.eq_ignore_ascii_case("for")
            .then(|| parse_addr(v.trim().trim_matches('"')))
            .flatten()
    })
}

/// `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:80`, `2001:db8::1`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    s.rsplit_once(':')?.0.parse().ok()
}

/// Whether one more face preview is allowed for this person and address.
pub fn allow_preview(limits: &Limits, req: &HttpRequest, user_id: &crate::ids::UserId) -> bool {
    let person = limits
        .preview_person
        .check_key(&user_id.to_string())
        .is_ok();
    person && allow(&limits.preview_address, req)
}

pub fn allow(limiter: &DefaultKeyedRateLimiter<IpAddr>, req: &HttpRequest) -> bool {
    match client_ip(req) {
        Some(ip) => limiter.check_key(&ip).is_ok(),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"))];
        let xff = headers(&[("x-forwarded-for", "198.51.100.7, 10.0.0.9")]);
        // From the proxy: the nearest untrusted hop.
        assert_eq!(behind(ip("10.0.0.2"), &trusted, &xff), ip("198.51.100.7"));
        // From anyone else: the peer, whatever the header says.
        assert_eq!(behind(ip("203.0.113.5"), &trusted, &xff), ip("203.0.113.5"));
        // A client-forged first entry is not believed past an untrusted hop.
        let forged = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]);
        assert_eq!(
            behind(ip("10.0.0.2"), &trusted, &forged),
            ip("198.51.100.7")
        );
        let fwd = headers(&[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")]);
        assert_eq!(behind(ip("10.1.2.3"), &trusted, &fwd), ip("2001:db8::1"));
        assert_eq!(behind(ip("10.1.2.3"), &[], &fwd), ip("10.1.2.3"));
    }
}

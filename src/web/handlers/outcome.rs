//! Turning a flow outcome into an HTTP response.

use actix_web::http::header;

use crate::web::error::Reply;
use actix_web::HttpResponse;

use crate::oidc::flow::Outcome;
use crate::oidc::response::AuthResponse;
use crate::web::{error, pages};

fn found(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

pub fn respond(outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Respond(AuthResponse::Redirect(url)) => found(&url),
        Outcome::Respond(AuthResponse::FormPost { action, fields }) => pages::render(
            Reply::Shown,
            &pages::FormPostPage {
                action: &action,
                fields: &fields,
            },
        ),
        Outcome::Login { tx } => found(&format!("/login?tx={}", urlencode(&tx))),
        Outcome::Consent { tx } => found(&format!("/consent?tx={}", urlencode(&tx))),
        Outcome::Page(msg) => error::page(Reply::Invalid, &msg),
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

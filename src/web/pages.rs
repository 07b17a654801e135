//! One askama struct per hosted page.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub tx: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub password_enabled: bool,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub tx: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub user_email: &'a str,
    pub scopes: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage<'a> {
    pub id: &'a str,
    pub csrf: &'a str,
    pub client_name: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage;

#[derive(Template)]
#[template(path = "form_post.html")]
pub struct FormPostPage<'a> {
    pub action: &'a str,
    pub fields: &'a [(String, String)],
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub issuer: &'a str,
}

/// Human descriptions of scopes for the consent screen.
pub fn describe_scope(s: &str) -> Option<(&'static str, &'static str)> {
    Some(match s {
        "openid" => ("Your identity", "Confirm who you are to the application"),
        "profile" => ("Your profile", "Name and locale"),
        "email" => (
            "Your email address",
            "The address and whether it is verified",
        ),
        "phone" => ("Your phone number", "The number and whether it is verified"),
        "address" => ("Your postal address", "As stored in your account"),
        "offline_access" => (
            "Stay connected",
            "Access while you are away, until you revoke it",
        ),
        _ => return None,
    })
}

/// Render `page` with `status`; pages are never cached.
pub fn render(status: StatusCode, page: &dyn askama::DynTemplate) -> HttpResponse {
    match page.dyn_render() {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!("template rendering failed: {e}");
            HttpResponse::InternalServerError().body("internal error")
        }
    }
}

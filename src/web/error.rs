//! HTTP status codes and bodies for every error, chosen here only.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use crate::oidc::{ErrorCode, OAuthError};

use super::pages;

/// What an answer means to the person or program that gets it. Handlers and
/// pages say which; this is the one place a meaning becomes an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The page or value asked for (200).
    Shown,
    /// Made, as asked (201).
    Created,
    /// The request cannot be used as sent (400).
    Invalid,
    /// No sign-in, or no valid token, for this call (401).
    SignInNeeded,
    /// Signed in, but not allowed, or a form not from this site (403).
    Forbidden,
    /// No such thing (404).
    Missing,
    /// It would break what holds the data together (409).
    Conflict,
    /// Too many tries: wait (429).
    TooMany,
    /// Something this needs is off or down (503).
    Unavailable,
    /// A server we depend on (mail) failed (502).
    Upstream,
    /// Our fault (500).
    Failed,
}

impl From<Reply> for StatusCode {
    fn from(a: Reply) -> StatusCode {
        match a {
            Reply::Shown => StatusCode::OK,
            Reply::Created => StatusCode::CREATED,
            Reply::Invalid => StatusCode::BAD_REQUEST,
            Reply::SignInNeeded => StatusCode::UNAUTHORIZED,
            Reply::Forbidden => StatusCode::FORBIDDEN,
            Reply::Missing => StatusCode::NOT_FOUND,
            Reply::Conflict => StatusCode::CONFLICT,
            Reply::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Reply::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Reply::Upstream => StatusCode::BAD_GATEWAY,
            Reply::Failed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl Reply {
    /// The machine-readable `error` of a JSON refusal with this meaning
    /// (the pages' scripts; OAuth and the admin API name their own codes).
    pub fn code(self) -> &'static str {
        match self {
            Reply::Shown | Reply::Created | Reply::Invalid => "invalid_request",
            Reply::SignInNeeded => "login_required",
            Reply::Forbidden => "access_denied",
            Reply::Missing => "not_found",
            Reply::Conflict => "conflict",
            Reply::TooMany => "too_many_requests",
            Reply::Unavailable => "temporarily_unavailable",
            Reply::Upstream => "upstream_unavailable",
            Reply::Failed => "server_error",
        }
    }
}

fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient
        | ErrorCode::InvalidToken
        | ErrorCode::InsufficientUserAuthentication => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn quote(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// RFC 6749 §5.2 JSON error; `invalid_client` → 401 with `WWW-Authenticate`.
pub fn oauth_json(err: &OAuthError) -> HttpResponse {
    let mut resp = HttpResponse::build(status_for(err.code));
    resp.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if err.code == ErrorCode::InvalidClient {
        resp.insert_header((
            header::WWW_AUTHENTICATE,
            "Basic realm=\"visage\", charset=\"UTF-8\"",
        ));
    }
    resp.json(err.to_json())
}

/// RFC 6750 §3 error for a protected resource.
pub fn bearer(err: &OAuthError) -> HttpResponse {
    let challenge = format!(
        "Bearer realm=\"visage\", error=\"{}\", error_description=\"{}\"",
        err.code.as_str(),
        quote(&err.description)
    );
    let mut resp = HttpResponse::build(status_for(err.code));
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.insert_header((header::WWW_AUTHENTICATE, v));
    }
    resp.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(err.to_json())
}

/// 401 for a request with no token at all (RFC 6750 §3.1: no error code).
pub fn bearer_missing() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"visage\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "error": "invalid_request", "error_description": "no access token was sent" }))
}

/// A JSON answer with `reply`'s status, never cached (the admin API's
/// answers and refusals, the pages' script errors, health checks).
pub fn json_reply(reply: Reply, body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(reply.into())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// A request from a blocked address range: 403, `access_denied` in the
/// OAuth JSON shape or a page.
pub fn blocked(json: bool, message: &str) -> HttpResponse {
    if json {
        let body = serde_json::json!({ "error": "access_denied", "error_description": message });
        json_reply(Reply::Forbidden, body)
    } else {
        page(Reply::Forbidden, message)
    }
}

/// A hosted error page (never a redirect).
pub fn page(status: Reply, message: &str) -> HttpResponse {
    pages::render(status, &pages::ErrorPage { message })
}

/// An unexpected failure on a page.
pub fn page_internal(err: &dyn std::fmt::Display) -> HttpResponse {
    let e = OAuthError::server_error(err);
    page(
        Reply::Failed,
        &format!(
            "Something went wrong on our side ({}). Please try again.",
            e.description
        ),
    )
}

/// Why a handler stopped early. Handlers return `Result<HttpResponse,
/// WebError>` and stop with `?`; this is where such a stop becomes a status
/// and a body (the protocol endpoints keep their RFC 6749/6750 shapes above).
#[derive(Debug)]
pub enum WebError {
    /// A hosted error page (never a redirect).
    Page(Reply, String),
    /// To another page of this site (303), such as the sign-in.
    SeeOther(String),
    /// JSON for the pages' own scripts, in the one JSON error shape:
    /// `{"error": code, "error_description": message}` (the code from the
    /// status, the message for the person, in their language), and where
    /// to go first when there is somewhere (`"redirect"`).
    Json {
        status: Reply,
        message: String,
        redirect: Option<String>,
    },
    /// An answer already built by a helper that renders its own page (a
    /// form shown again with its message). Taken once.
    Ready(std::cell::RefCell<Option<Box<HttpResponse>>>),
    /// The admin API's refusal: `{"error": code, "error_description": …}`.
    Api(ApiFailure),
}

/// Why an admin API call failed, in the API's error shape
/// (`{"error", "error_description"}`, as OAuth errors). The domain errors
/// of the admin functions become one here, and only here.
#[derive(Debug)]
pub struct ApiFailure {
    status: Reply,
    code: &'static str,
    message: String,
    /// One more member of the body (the link of an invitation whose mail failed).
    extra: Option<(&'static str, String)>,
}

impl ApiFailure {
    fn new(status: Reply, code: &'static str, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status,
            code,
            message: message.into(),
            extra: None,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(Reply::Invalid, "invalid_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(Reply::Missing, "not_found", message)
    }

    /// An unexpected failure: logged with an id, the answer names the id.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiFailure {
        let e = OAuthError::server_error(cause);
        ApiFailure::new(Reply::Failed, "server_error", e.description)
    }

    /// The mail with an invitation link could not be sent: the answer still
    /// carries the link, to hand over another way.
    pub fn mail_not_sent(to: &str, link: String) -> ApiFailure {
        ApiFailure {
            extra: Some(("invitation_url", link)),
            ..ApiFailure::new(
                Reply::Upstream,
                "server_error",
                format!("the mail to {to} could not be sent; give the link by hand"),
            )
        }
    }

    /// A request body the API cannot read. A body that does not fit the
    /// call gets serde's description of the caller's own input (the unknown
    /// or missing field, the wrong type, where); anything else a plain
    /// sentence, the detail only in the log.
    pub fn unreadable_body(err: &actix_web::error::JsonPayloadError) -> ApiFailure {
        use actix_web::error::JsonPayloadError as J;
        tracing::info!(error = %err, "admin API: unreadable request body");
        let message = match err {
            J::OverflowKnownLength { length, limit } => {
                format!("the request body ({length} bytes) is larger than allowed ({limit} bytes)")
            }
            J::Overflow { limit } => {
                format!("the request body is larger than allowed ({limit} bytes)")
            }
            J::ContentType => "the request body must be application/json".to_owned(),
            J::Deserialize(e) if e.is_data() => {
                format!("the request body does not fit this call: {e}")
            }
            _ => "the request body is not valid JSON".to_owned(),
        };
        ApiFailure::invalid_request(message)
    }

    fn response(&self) -> HttpResponse {
        let mut body = serde_json::json!({ "error": self.code, "error_description": self.message });
        if let (Some((k, v)), Some(map)) = (&self.extra, body.as_object_mut()) {
            map.insert((*k).to_owned(), serde_json::Value::String(v.clone()));
        }
        json_reply(self.status, body)
    }
}

impl From<ApiFailure> for WebError {
    fn from(f: ApiFailure) -> WebError {
        WebError::Api(f)
    }
}

impl From<crate::db::DbError> for ApiFailure {
    fn from(e: crate::db::DbError) -> ApiFailure {
        ApiFailure::internal(&e)
    }
}

impl From<crate::oidc::client_admin::ClientAdminError> for ApiFailure {
    fn from(e: crate::oidc::client_admin::ClientAdminError) -> ApiFailure {
        use crate::oidc::client_admin::ClientAdminError as E;
        match e {
            E::NotFound(_) => ApiFailure::not_found(e.to_string()),
            E::Db(e) => ApiFailure::internal(&e),
            E::Protected(_) | E::Administrator(_) => {
                ApiFailure::new(Reply::Forbidden, "forbidden", e.to_string())
            }
            e => ApiFailure::invalid_request(e.to_string()),
        }
    }
}

impl From<crate::admin::users::UserAdminError> for ApiFailure {
    fn from(e: crate::admin::users::UserAdminError) -> ApiFailure {
        use crate::admin::users::UserAdminError as E;
        match e {
            E::NotFound(_) => ApiFailure::not_found(e.to_string()),
            E::Administrator => {
                ApiFailure::new(Reply::Forbidden, "insufficient_scope", e.to_string())
            }
            E::LastOwner | E::AwaitingApproval => {
                ApiFailure::new(Reply::Conflict, "conflict", e.to_string())
            }
            E::Db(e) => ApiFailure::internal(&e),
        }
    }
}

impl From<crate::admin::alerts::AlertError> for ApiFailure {
    fn from(e: crate::admin::alerts::AlertError) -> ApiFailure {
        use crate::admin::alerts::AlertError as E;
        match e {
            E::NotFound(_) => ApiFailure::not_found(e.to_string()),
            E::AlreadyDone(_) => ApiFailure::new(Reply::Conflict, "conflict", e.to_string()),
            E::Db(e) => ApiFailure::internal(&e),
        }
    }
}

impl From<crate::admin::registrations::RegistrationError> for ApiFailure {
    fn from(e: crate::admin::registrations::RegistrationError) -> ApiFailure {
        use crate::admin::registrations::RegistrationError as E;
        match e {
            E::NotFound(_) => ApiFailure::not_found(e.to_string()),
            E::User(e) => e.into(),
            E::Db(e) => ApiFailure::internal(&e),
        }
    }
}

impl From<crate::admin::incidents::IncidentError> for ApiFailure {
    fn from(e: crate::admin::incidents::IncidentError) -> ApiFailure {
        use crate::admin::incidents::IncidentError as E;
        match e {
            E::NotFound(_) => ApiFailure::not_found(e.to_string()),
            E::Invalid(_) => ApiFailure::invalid_request(e.to_string()),
            E::User(e) => e.into(),
            E::Db(e) => ApiFailure::internal(&e),
        }
    }
}

impl From<crate::admin::roles::RoleError> for ApiFailure {
    fn from(e: crate::admin::roles::RoleError) -> ApiFailure {
        match e {
            crate::admin::roles::RoleError::Db(e) => ApiFailure::internal(&e),
            e => ApiFailure::invalid_request(e.to_string()),
        }
    }
}

impl From<crate::keys::KeyError> for ApiFailure {
    fn from(e: crate::keys::KeyError) -> ApiFailure {
        use crate::keys::KeyError as E;
        match e {
            E::UnknownKey(_) => ApiFailure::not_found(e.to_string()),
            E::AlreadyUnpublished(_) => ApiFailure::invalid_request(e.to_string()),
            e => ApiFailure::internal(&e),
        }
    }
}

impl From<crate::admin::face_policy::PolicyError> for ApiFailure {
    fn from(e: crate::admin::face_policy::PolicyError) -> ApiFailure {
        match e {
            crate::admin::face_policy::PolicyError::Db(e) => ApiFailure::internal(&e),
            e => ApiFailure::invalid_request(e.to_string()),
        }
    }
}

impl From<crate::admin::invitations::InvitationError> for ApiFailure {
    fn from(e: crate::admin::invitations::InvitationError) -> ApiFailure {
        use crate::admin::invitations::InvitationError as E;
        match e {
            E::NotFound(_) => ApiFailure::not_found(e.to_string()),
            E::NoAddress => ApiFailure::invalid_request(e.to_string()),
            E::CarriesRole => {
                ApiFailure::new(Reply::Forbidden, "insufficient_scope", e.to_string())
            }
            E::Db(e) => ApiFailure::internal(&e),
        }
    }
}

impl From<crate::auth::signup::SignupError> for ApiFailure {
    fn from(e: crate::auth::signup::SignupError) -> ApiFailure {
        match e {
            crate::auth::signup::SignupError::Db(e) => ApiFailure::internal(&e),
            e => ApiFailure::invalid_request(e.to_string()),
        }
    }
}

impl WebError {
    pub fn json(status: Reply, message: impl Into<String>) -> WebError {
        WebError::Json {
            status,
            message: message.into(),
            redirect: None,
        }
    }

    /// An unexpected failure behind a page: logged with an id, the page
    /// names the id.
    pub fn internal_page(cause: &dyn std::fmt::Display) -> WebError {
        WebError::from(page_internal(cause))
    }

    /// An unexpected failure behind a JSON call: logged with an id.
    pub fn internal_json(cause: &dyn std::fmt::Display) -> WebError {
        let e = OAuthError::server_error(cause);
        WebError::json(Reply::Failed, e.description)
    }
}

impl From<HttpResponse> for WebError {
    fn from(r: HttpResponse) -> WebError {
        WebError::Ready(std::cell::RefCell::new(Some(Box::new(r))))
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::Page(s, m) => write!(f, "{}: {m}", StatusCode::from(*s)),
            WebError::SeeOther(to) => write!(f, "see other: {to}"),
            WebError::Json {
                status, message, ..
            } => write!(f, "{}: {message}", StatusCode::from(*status)),
            WebError::Ready(_) => f.write_str("a prepared answer"),
            WebError::Api(a) => write!(f, "{}: {}", StatusCode::from(a.status), a.message),
        }
    }
}

impl actix_web::ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::Page(s, _) => (*s).into(),
            WebError::SeeOther(_) => StatusCode::SEE_OTHER,
            WebError::Json { status, .. } => (*status).into(),
            WebError::Ready(r) => r
                .borrow()
                .as_ref()
                .map_or(StatusCode::INTERNAL_SERVER_ERROR, |r| r.status()),
            WebError::Api(a) => a.status.into(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            WebError::Page(s, m) => page(*s, m),
            WebError::SeeOther(to) => crate::web::ui::see_other(to),
            WebError::Json {
                status,
                message,
                redirect,
            } => {
                let mut body = serde_json::Map::new();
                body.insert("error".into(), status.code().into());
                body.insert("error_description".into(), message.as_str().into());
                if let Some(to) = redirect {
                    body.insert("redirect".into(), to.as_str().into());
                }
                json_reply(*status, body)
            }
            WebError::Ready(r) => r
                .borrow_mut()
                .take()
                .map_or_else(|| page_internal(&"an answer was sent twice"), |r| *r),
            WebError::Api(a) => a.response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;
    use actix_web::ResponseError;

    fn body(r: HttpResponse) -> serde_json::Value {
        let bytes = r.into_body().try_into_bytes().unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[test]
    fn json_refusals_say_why_and_where_to_go_and_internal_errors_hide_the_cause() {
        let e = WebError::Json {
            status: Reply::Forbidden,
            message: "Sign in again.".into(),
            redirect: Some("/login".into()),
        };
        assert_eq!(e.status_code(), StatusCode::FORBIDDEN);
        let r = e.error_response();
        assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
        assert_eq!(
            body(r),
            serde_json::json!({
                "error": "access_denied",
                "error_description": "Sign in again.",
                "redirect": "/login",
            })
        );
        let hidden =
            body(WebError::internal_json(&"connection refused by 10.0.0.7").error_response());
        assert_eq!(hidden["error"], "server_error");
        let text = hidden["error_description"].as_str().unwrap();
        assert!(text.starts_with("internal error (id "), "{text}");
        assert!(!text.contains("10.0.0.7"), "{text}");
    }

    #[test]
    fn a_prepared_answer_is_sent_as_it_is_and_redirects_are_303() {
        let e = WebError::from(HttpResponse::Conflict().finish());
        assert_eq!(e.status_code(), StatusCode::CONFLICT);
        assert_eq!(e.error_response().status(), StatusCode::CONFLICT);
        let to = WebError::SeeOther("/login?tx=abc".into()).error_response();
        assert_eq!(to.status(), StatusCode::SEE_OTHER);
        assert_eq!(to.headers().get("location").unwrap(), "/login?tx=abc");
    }
}

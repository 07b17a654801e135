//! One askama struct per hosted page.

use crate::web::error::Reply;
use actix_web::http::header;
use actix_web::HttpResponse;
use askama::Template;

use super::ui::Ui;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub ui: &'a Ui<'a>,
    pub tx: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub passkeys: bool,
    pub password: bool,
    pub signup: bool,
    /// The request asks for more than the current session has.
    pub stronger: bool,
    pub signup_href: String,
    pub recover_href: String,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub ui: &'a Ui<'a>,
    pub tx: &'a str,
    pub client_name: &'a str,
    pub user_email: &'a str,
    pub scopes: Vec<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage<'a> {
    pub ui: &'a Ui<'a>,
    pub tx: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub invitation: &'a str,
    pub open: bool,
    pub error: Option<&'a str>,
    pub signin_href: String,
}

/// "Type the code we emailed you" (sign-up and recovery).
#[derive(Template)]
#[template(path = "code.html")]
pub struct CodePage<'a> {
    pub ui: &'a Ui<'a>,
    pub action: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub back_href: String,
}

#[derive(Template)]
#[template(path = "passkey_register.html")]
pub struct RegisterPage<'a> {
    pub ui: &'a Ui<'a>,
    pub action: &'a str,
    pub options_url: &'a str,
    pub tx: &'a str,
    pub error: Option<&'a str>,
    pub recovered: bool,
    pub cancel_href: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub ui: &'a Ui<'a>,
    pub codes: &'a [String],
    pub next: &'a str,
    /// The new account waits for an administrator's approval.
    pub held: bool,
}

/// One passkey as the account page lists it.
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: Option<String>,
    pub synced: bool,
    /// Waits for an administrator's approval: cannot sign in yet.
    pub waiting: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub ui: &'a Ui<'a>,
    pub name: &'a str,
    pub email: &'a str,
    pub passkeys: Vec<PasskeyView>,
    pub can_remove: bool,
    pub recovery_left: String,
    pub recovered: bool,
    pub message: Option<&'a str>,
    pub error: Option<&'a str>,
    pub logout_href: &'a str,
    /// Face sign-in offered by this server.
    pub face_available: bool,
    /// When the face template was made, if there is one.
    pub face_enrolled: Option<String>,
}

/// An app the person gave access to.
pub struct AppView {
    pub client_id: String,
    pub name: String,
    pub scopes: String,
    pub granted: String,
}

/// `/account/apps`: the apps with access, each with a disconnect button.
#[derive(Template)]
#[template(path = "account_apps.html")]
pub struct AppsPage<'a> {
    pub ui: &'a Ui<'a>,
    pub apps: Vec<AppView>,
    pub message: Option<&'a str>,
}

/// `/account/delete`: what is erased, and the confirmation.
#[derive(Template)]
#[template(path = "account_delete.html")]
pub struct DeleteAccountPage<'a> {
    pub ui: &'a Ui<'a>,
    pub error: Option<&'a str>,
}

/// The camera page of the face step (sign-in) or of enrolment.
#[derive(Template)]
#[template(path = "face.html")]
pub struct FacePage<'a> {
    pub ui: &'a Ui<'a>,
    pub enrol: bool,
    pub tx: &'a str,
    pub start_url: &'a str,
    pub step_url: &'a str,
    pub verify_url: &'a str,
    /// The way out when the camera cannot be used (None: the request needs the face).
    pub other_way: Option<String>,
    /// The page will show the screen-light colours (say so first).
    pub screen_light: bool,
}

#[derive(Template)]
#[template(path = "face_consent.html")]
pub struct FaceConsentPage<'a> {
    pub ui: &'a Ui<'a>,
    pub version: &'a str,
}

#[derive(Template)]
#[template(path = "recover.html")]
pub struct RecoverPage<'a> {
    pub ui: &'a Ui<'a>,
    pub tx: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub back_href: String,
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

/// Catalogue keys of a scope's title and description on the consent screen.
pub fn scope_keys(s: &str) -> Option<(String, String)> {
    matches!(
        s,
        "openid" | "profile" | "email" | "phone" | "address" | "offline_access"
    )
    .then(|| (format!("scope.{s}"), format!("scope.{s}.detail")))
}

/// Render `page` with `status`; pages are never cached.
pub fn render(status: Reply, page: &dyn askama::DynTemplate) -> HttpResponse {
    match page.dyn_render() {
        Ok(body) => HttpResponse::build(status.into())
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!("template rendering failed: {e}");
            HttpResponse::InternalServerError().body("internal error")
        }
    }
}

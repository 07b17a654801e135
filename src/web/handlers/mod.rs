//! Thin handlers: extract, call one domain function, respond.

pub mod account;
pub mod assets;
pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod email_step;
pub mod face;
pub mod face_pace;
pub mod guard;
pub mod health;
pub mod login;
pub mod login_code;
pub mod logout;
pub mod my_data;
pub mod outcome;
pub mod recover;
pub mod signin;
pub mod signup;
pub mod token;
pub mod userinfo;

use crate::web::error::{Reply, WebError};
use actix_web::HttpResponse;

use crate::auth::passkeys::PasskeyError;

/// `{"error": code, "error_description": message}` for the pages' `fetch` calls.
pub fn json_error(status: Reply, message: &str) -> HttpResponse {
    actix_web::ResponseError::error_response(&WebError::json(status, message))
}

/// A started WebAuthn ceremony as JSON: `{ceremony, options}`.
pub fn ceremony_json(res: Result<(String, serde_json::Value), PasskeyError>) -> HttpResponse {
    match res {
        Ok((ceremony, options)) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(serde_json::json!({ "ceremony": ceremony, "options": options })),
        Err(PasskeyError::Db(e)) => {
            let e = crate::oidc::OAuthError::server_error(&e);
            json_error(Reply::Failed, &e.description)
        }
        Err(e) => json_error(Reply::Invalid, &e.to_string()),
    }
}

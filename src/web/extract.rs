//! Extractors for what handlers used to check by hand: a signed-in person
//! (`SignedIn`), a form whose CSRF token matches (`Csrf<T>`), a JSON call
//! from this site's page (`CsrfHeader`). Each refuses with a `WebError`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::auth::session::Session;

use super::cookies;
use super::error::WebError;
use super::handlers::signin;

type Extracted<T, E = WebError> = Pin<Box<dyn Future<Output = Result<T, E>>>>;

pub(crate) fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::internal_page(&"application state missing"))
}

/// The person signed in on this browser (a page request); otherwise off to
/// the sign-in page, keeping the sign-in transaction (`?tx=`) the page
/// belongs to.
pub struct SignedIn(pub Session);

impl FromRequest for SignedIn {
    type Error = WebError;
    type Future = Extracted<SignedIn>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            let tx = web::Query::<std::collections::HashMap<String, String>>::from_query(
                req.query_string(),
            )
            .ok()
            .and_then(|q| q.get("tx").filter(|t| !t.is_empty()).cloned());
            Ok(SignedIn(
                signin::required(&req, &state, tx.as_deref()).await?,
            ))
        })
    }
}

/// A form with a `csrf` field.
pub trait CsrfField {
    fn csrf(&self) -> Option<&str>;
}

/// Implement [`CsrfField`] for forms whose field is `csrf: Option<String>`.
#[macro_export]
macro_rules! csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::extract::CsrfField for $form {
            fn csrf(&self) -> Option<&str> {
                self.csrf.as_deref()
            }
        })+
    };
}

/// A form that carries nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

crate::csrf_field!(CsrfForm);

/// The text `key` in the language of this request.
fn text(req: &HttpRequest, key: &str) -> String {
    match state_of(req) {
        Ok(state) => super::ui::Ui::new(req, &state, None, None)
            .tr
            .t(key)
            .to_owned(),
        Err(_) => key.to_owned(),
    }
}

/// The "form expired" page (an old tab, or a form from another site), in
/// the language of this request.
pub(crate) fn form_expired(req: &HttpRequest) -> WebError {
    WebError::Page(
        crate::web::error::Reply::Forbidden,
        text(req, "common.form_expired"),
    )
}

/// A URL-encoded form whose CSRF token matches this browser's; otherwise
/// the "form expired" page.
pub struct Csrf<T>(pub T);

impl<T: DeserializeOwned + CsrfField + 'static> FromRequest for Csrf<T> {
    type Error = actix_web::Error;
    type Future = Extracted<Csrf<T>, actix_web::Error>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<T>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let web::Form(f) = form.await?;
            if !cookies::csrf_ok(&req, f.csrf()) {
                return Err(form_expired(&req).into());
            }
            Ok(Csrf(f))
        })
    }
}

/// A JSON call made by this site's page: the CSRF token came in its
/// header; otherwise 403 JSON.
pub struct CsrfHeader;

impl FromRequest for CsrfHeader {
    type Error = WebError;
    type Future = std::future::Ready<Result<CsrfHeader, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(if cookies::csrf_header_ok(req) {
            Ok(CsrfHeader)
        } else {
            Err(WebError::json(
                crate::web::error::Reply::Forbidden,
                text(req, "common.page_expired"),
            ))
        })
    }
}

/// The face engine, for the face step's JSON calls; 503 JSON on a server
/// without one or while face sign-in is switched off (an incident action).
pub struct FaceOn(pub std::sync::Arc<crate::biometrics::FaceEngine>);

impl FromRequest for FaceOn {
    type Error = WebError;
    type Future = Extracted<FaceOn>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let engine = match state_of(&req) {
                Ok(s) => s.face_engine().await,
                Err(_) => None,
            };
            engine.map(FaceOn).ok_or_else(|| {
                WebError::json(
                    crate::web::error::Reply::Unavailable,
                    text(&req, "face.unavailable"),
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    #[test]
    fn a_form_that_expired_is_refused_with_403() {
        let req = actix_web::test::TestRequest::default().to_http_request();
        let e = super::form_expired(&req);
        assert_eq!(e.status_code(), actix_web::http::StatusCode::FORBIDDEN);
        assert_eq!(
            e.error_response().status(),
            actix_web::http::StatusCode::FORBIDDEN
        );
    }
}

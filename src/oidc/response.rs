//! Building the authorization response (RFC 6749 §4.1.2, OAuth 2.0 Form Post
//! Response Mode, RFC 9207 `iss`).

use url::Url;

use super::authorize::RedirectTarget;
use super::error::OAuthError;
use super::types::ResponseMode;

#[derive(Debug, PartialEq, Eq)]
pub enum AuthResponse {
    Redirect(String),
    FormPost {
        action: String,
        fields: Vec<(String, String)>,
    },
}

fn respond(
    target: &RedirectTarget,
    issuer: &str,
    mut fields: Vec<(String, String)>,
) -> AuthResponse {
    if let Some(s) = &target.state {
        fields.push(("state".into(), s.clone()));
    }
    fields.push(("iss".into(), issuer.to_owned()));
    match target.response_mode {
        ResponseMode::FormPost => AuthResponse::FormPost {
            action: target.redirect_uri.clone(),
            fields,
        },
        ResponseMode::Query => match Url::parse(&target.redirect_uri) {
            Ok(mut url) => {
                url.query_pairs_mut().extend_pairs(fields.iter());
                AuthResponse::Redirect(url.to_string())
            }
            Err(_) => AuthResponse::Redirect(target.redirect_uri.clone()),
        },
        ResponseMode::Fragment => match Url::parse(&target.redirect_uri) {
            Ok(mut url) => {
                let frag = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields.iter())
                    .finish();
                url.set_fragment(Some(&frag));
                AuthResponse::Redirect(url.to_string())
            }
            Err(_) => AuthResponse::Redirect(target.redirect_uri.clone()),
        },
    }
}

pub fn success(target: &RedirectTarget, issuer: &str, code: &str) -> AuthResponse {
    respond(target, issuer, vec![("code".into(), code.to_owned())])
}

pub fn error(target: &RedirectTarget, issuer: &str, err: &OAuthError) -> AuthResponse {
    respond(
        target,
        issuer,
        vec![
            ("error".into(), err.code.as_str().to_owned()),
            ("error_description".into(), err.description.clone()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keeps_existing_parameters_and_encodes() {
        let t = RedirectTarget {
            redirect_uri: "https://rp.example/cb?x=1".into(),
            response_mode: ResponseMode::Query,
            state: Some("a b&c".into()),
        };
        let AuthResponse::Redirect(u) = success(&t, "https://op", "abc") else {
            panic!("expected a redirect");
        };
        assert_eq!(
            u,
            "https://rp.example/cb?x=1&code=abc&state=a+b%26c&iss=https%3A%2F%2Fop"
        );
    }
}

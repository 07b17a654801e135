//! What an authorization request needs next: sign-in, consent, or a code.

use super::authorize::AuthRequest;
use super::error::{ErrorCode, OAuthError};
use super::types::Prompt;
use crate::auth::acr::{Level, Requirement};
use crate::auth::session::Session;

#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Login,
    Consent,
    Issue,
    Fail(OAuthError),
}

/// Inputs to the decision, gathered by the caller.
#[derive(Debug)]
pub struct Situation<'a> {
    pub session: Option<&'a Session>,
    /// The person signed in during this very transaction.
    pub fresh_login: bool,
    /// The person approved the consent screen during this transaction.
    pub fresh_consent: bool,
    /// Scopes already granted to this client earlier.
    pub granted_scope: Option<&'a str>,
    pub first_party: bool,
    pub now: i64,
    /// The assurance the request asks for.
    pub required: Option<Requirement>,
    /// The assurance of the current session.
    pub session_level: Option<Level>,
    /// The session signed in with a method the client does not accept (a
    /// password where the client wants none, or wants an emailed code too).
    pub method_refused: bool,
}

pub fn decide(req: &AuthRequest, s: &Situation<'_>) -> Next {
    let none = req.prompt.contains(&Prompt::None);
    let too_weak = s.method_refused
        || s.required
            .is_some_and(|r| s.session_level.is_none_or(|l| l < r.level));
    let essential = s.method_refused || s.required.is_some_and(|r| r.essential);
    if s.fresh_login && too_weak && essential {
        return Next::Fail(OAuthError::new(
            ErrorCode::UnmetAuthenticationRequirements,
            "the sign-in did not reach the essential acr requested",
        ));
    }
    let needs_login = match s.session {
        None => true,
        Some(sess) => {
            let too_old = req.max_age.is_some_and(|m| s.now - sess.auth_time > m);
            let other_user = req
                .id_token_hint_sub
                .as_deref()
                .is_some_and(|sub| sess.user_id != sub);
            !s.fresh_login
                && (too_old
                    || too_weak
                    || other_user
                    || req.prompt.contains(&Prompt::Login)
                    || req.prompt.contains(&Prompt::SelectAccount))
        }
    };
    if needs_login {
        return if none {
            Next::Fail(OAuthError::new(
                ErrorCode::LoginRequired,
                "the person must sign in",
            ))
        } else {
            Next::Login
        };
    }
    let covered = s.granted_scope.is_some_and(|g| {
        let granted: Vec<&str> = g.split(' ').collect();
        req.scope.iter().all(|r| granted.contains(&r.as_str()))
    });
    let needs_consent =
        !s.fresh_consent && (req.prompt.contains(&Prompt::Consent) || (!s.first_party && !covered));
    if needs_consent {
        return if none {
            Next::Fail(OAuthError::new(
                ErrorCode::ConsentRequired,
                "the person must approve this application",
            ))
        } else {
            Next::Consent
        };
    }
    Next::Issue
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::types::ResponseMode;

    fn req(prompt: Vec<Prompt>, max_age: Option<i64>) -> AuthRequest {
        AuthRequest {
            client_id: "c".into(),
            redirect_uri: "https://rp/cb".into(),
            response_mode: ResponseMode::Query,
            state: None,
            scope: vec!["openid".into(), "email".into()],
            nonce: None,
            code_challenge: None,
            code_challenge_method: None,
            prompt,
            max_age,
            login_hint: None,
            id_token_hint_sub: None,
            ui_locales: None,
            acr_values: vec![],
            claims: None,
        }
    }

    fn session(auth_time: i64) -> Session {
        Session {
            sid: "s".into(),
            user_id: "u".into(),
            auth_time,
            acr: "a".into(),
            amr: vec!["pwd".into()],
        }
    }

    fn sit<'a>(session: Option<&'a Session>, granted: Option<&'static str>) -> Situation<'a> {
        Situation {
            session,
            fresh_login: false,
            fresh_consent: false,
            granted_scope: granted,
            first_party: false,
            now: 1000,
            required: None,
            session_level: None,
            method_refused: false,
        }
    }

    #[test]
    fn prompt_none_without_session_is_login_required() {
        let r = decide(&req(vec![Prompt::None], None), &sit(None, None));
        assert!(matches!(r, Next::Fail(e) if e.code == ErrorCode::LoginRequired));
    }

    #[test]
    fn prompt_none_without_consent_is_consent_required() {
        let s = session(990);
        let r = decide(
            &req(vec![Prompt::None], None),
            &sit(Some(&s), Some("openid")),
        );
        assert!(matches!(r, Next::Fail(e) if e.code == ErrorCode::ConsentRequired));
    }

    #[test]
    fn max_age_forces_login_and_consent_is_remembered() {
        let s = session(100);
        assert_eq!(
            decide(&req(vec![], Some(60)), &sit(Some(&s), Some("openid email"))),
            Next::Login
        );
        assert_eq!(
            decide(
                &req(vec![], Some(6000)),
                &sit(Some(&s), Some("openid email"))
            ),
            Next::Issue
        );
        assert_eq!(
            decide(
                &req(vec![Prompt::Consent], None),
                &sit(Some(&s), Some("openid email"))
            ),
            Next::Consent
        );
        let mut fresh = sit(Some(&s), None);
        fresh.fresh_login = true;
        assert_eq!(
            decide(&req(vec![Prompt::Login], None), &fresh),
            Next::Consent
        );
    }

    #[test]
    fn a_weaker_session_steps_up_and_an_essential_acr_is_never_downgraded() {
        let s = session(990);
        let mut weak = sit(Some(&s), Some("openid email"));
        weak.session_level = Some(Level::Password);
        weak.required = Some(Requirement {
            level: Level::Passkey,
            essential: true,
        });
        assert_eq!(decide(&req(vec![], None), &weak), Next::Login);
        weak.fresh_login = true;
        assert!(matches!(
            decide(&req(vec![], None), &weak),
            Next::Fail(e) if e.code == ErrorCode::UnmetAuthenticationRequirements
        ));
        weak.required = Some(Requirement {
            level: Level::Passkey,
            essential: false,
        });
        assert_eq!(decide(&req(vec![], None), &weak), Next::Issue);
        weak.session_level = Some(Level::Passkey);
        weak.fresh_login = false;
        assert_eq!(decide(&req(vec![], None), &weak), Next::Issue);
    }
}

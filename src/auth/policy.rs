//! What a client asks of its sign-ins: the face step, a password, a lowest
//! level; and what that makes of a password sign-in. Stored with the client
//! (`oidc::client`), decided here.

use crate::auth::acr::Level;
use crate::config::LoginConfig;
use crate::words::word_enum;

// Whether a client's sign-ins include the face step.
word_enum!(FacePolicy { Default => "default", Require => "require", Off => "off" });
// Whether a client's sign-ins may use a password: the deployment's setting,
// a password followed by an emailed code, or never (passkey only).
word_enum!(PasswordPolicy { Default => "default", EmailCode => "email_code", Off => "off" });
// The lowest level a client accepts, whatever the request asks (level names;
// the acr values are the deployment's `[acr]` URIs).
word_enum!(RequiredAcr { Password => "password", Passkey => "passkey", PasskeyFace => "passkey_face" });

impl RequiredAcr {
    pub fn level(self) -> Level {
        match self {
            RequiredAcr::Password => Level::Password,
            RequiredAcr::Passkey => Level::Passkey,
            RequiredAcr::PasskeyFace => Level::PasskeyFace,
        }
    }
}

/// How a password sign-in goes for one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRule {
    Off,
    Alone,
    /// The password, then a code sent by email.
    WithCode,
}

/// The rule for a client with `policy` (`None`: no client, e.g. the account page).
pub fn password_rule(login: &LoginConfig, policy: Option<PasswordPolicy>) -> PasswordRule {
    use PasswordPolicy as P;
    match policy.unwrap_or(P::Default) {
        P::Off => PasswordRule::Off,
        P::EmailCode => PasswordRule::WithCode,
        P::Default if !login.password_enabled => PasswordRule::Off,
        P::Default if login.password_email_code => PasswordRule::WithCode,
        P::Default => PasswordRule::Alone,
    }
}

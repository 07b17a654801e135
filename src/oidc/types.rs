//! Protocol words as enums, parsed at the edge.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! word_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($text => Ok($name::$variant),)+ other => Err(format!("unknown {} '{}'", stringify!($name), other)) }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

word_enum!(Prompt { None => "none", Login => "login", Consent => "consent", SelectAccount => "select_account" });
word_enum!(ResponseMode { Query => "query", Fragment => "fragment", FormPost => "form_post" });
word_enum!(CodeChallengeMethod { S256 => "S256", Plain => "plain" });
word_enum!(GrantType {
    AuthorizationCode => "authorization_code",
    RefreshToken => "refresh_token",
    ClientCredentials => "client_credentials",
});
word_enum!(TokenAuthMethod {
    ClientSecretBasic => "client_secret_basic",
    ClientSecretPost => "client_secret_post",
    PrivateKeyJwt => "private_key_jwt",
    None => "none",
});
// Whether a client's sign-ins include the face step.
word_enum!(FacePolicy { Default => "default", Require => "require", Off => "off" });
// Whether a client's sign-ins may use a password: the deployment's setting,
// a password followed by an emailed code, or never (passkey only).
word_enum!(PasswordPolicy { Default => "default", EmailCode => "email_code", Off => "off" });
// The lowest level a client accepts, whatever the request asks (level names;
// the acr values are the deployment's `[acr]` URIs).
word_enum!(RequiredAcr { Password => "password", Passkey => "passkey", PasskeyFace => "passkey_face" });

impl RequiredAcr {
    pub fn level(self) -> crate::auth::acr::Level {
        use crate::auth::acr::Level;
        match self {
            RequiredAcr::Password => Level::Password,
            RequiredAcr::Passkey => Level::Passkey,
            RequiredAcr::PasskeyFace => Level::PasskeyFace,
        }
    }
}

/// Scopes Visage understands for people (OIDC Core §5.4 and §11).
pub const USER_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
];

/// Split a space-delimited scope, dropping duplicates, keeping order.
pub fn split_scope(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// RFC 6749 §3.3 scope-token syntax.
pub fn valid_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for p in Prompt::ALL {
            assert_eq!(p.as_str().parse::<Prompt>().ok(), Some(*p));
        }
        assert!("S512".parse::<CodeChallengeMethod>().is_err());
        assert_eq!(split_scope("openid  email openid"), vec!["openid", "email"]);
        assert!(!valid_scope_token("a\"b"));
    }
}

//! Protocol words as enums, parsed at the edge.

use crate::words::word_enum;

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
pub use crate::auth::policy::{FacePolicy, PasswordPolicy, RequiredAcr};

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

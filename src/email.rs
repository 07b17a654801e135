//! The syntax of an email address, as Visage accepts one (sign-up,
//! invitations, search): something@domain.tld, at most 254 characters, no
//! spaces or control characters.

pub fn valid(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

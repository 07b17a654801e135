//! Request parameters as received (query string or form body), refusing
//! duplicates and oversized values (RFC 6749 §3.1, §3.2).

use super::error::OAuthError;

/// Longest accepted parameter value.
pub const MAX_VALUE_LEN: usize = 8 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parse `application/x-www-form-urlencoded` bytes. Invalid UTF-8 is refused.
    pub fn parse(body: &[u8]) -> Result<Params, OAuthError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| OAuthError::invalid_request("parameters are not valid UTF-8"))?;
        let mut pairs = Vec::new();
        for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
            if v.contains('\u{FFFD}') && !text.contains("%EF%BF%BD") {
                return Err(OAuthError::invalid_request(format!(
                    "parameter '{k}' is not valid UTF-8"
                )));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params(pairs))
    }

    /// The single value of `name`; empty values count as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut found: Option<&str> = None;
        for (k, v) in &self.0 {
            if k == name {
                if found.is_some() {
                    return Err(OAuthError::invalid_request(format!(
                        "parameter '{name}' is repeated"
                    )));
                }
                if v.len() > MAX_VALUE_LEN {
                    return Err(OAuthError::invalid_request(format!(
                        "parameter '{name}' is too long"
                    )));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)?
            .ok_or_else(|| OAuthError::invalid_request(format!("parameter '{name}' is missing")))
    }

    /// First value, ignoring duplicates (used only to echo `state` on errors).
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty() && v.len() <= MAX_VALUE_LEN)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn duplicates_and_utf8() {
        let p = Params::parse(b"a=1&b=2&a=3").unwrap_or_default();
        assert!(p.get("a").is_err());
        assert_eq!(p.get("b").ok().flatten(), Some("2"));
        assert!(Params::parse(b"a=%FF").is_err());
        assert!(Params::parse(&[b'a', b'=', 0xff]).is_err());
        assert_eq!(
            Params::parse(b"a=")
                .ok()
                .and_then(|p| p.get("a").ok().flatten().map(str::to_owned)),
            None
        );
    }
}

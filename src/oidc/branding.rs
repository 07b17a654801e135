//! Per-client branding on the hosted pages: logo, policy and terms links, colours.

use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    /// `#rrggbb` for buttons and links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
    /// `#rrggbb` for the page background.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// A theme of the deployment (`default`, `dark`, `high-contrast`, or
    /// its own); one it does not have falls back to its default theme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

fn valid_link(u: &str) -> bool {
    match Url::parse(u) {
        Ok(url) => {
            url.scheme() == "https"
                || (url.scheme() == "http"
                    && matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")))
        }
        Err(_) => false,
    }
}

impl Branding {
    /// Links must be absolute https URLs (http only on loopback), colours `#rrggbb`.
    pub fn validate(&self) -> Result<(), String> {
        for (field, v) in [
            ("logo_uri", &self.logo_uri),
            ("policy_uri", &self.policy_uri),
            ("tos_uri", &self.tos_uri),
        ] {
            if let Some(u) = v {
                if u.len() > 2000 || !valid_link(u) {
                    return Err(format!("{field} must be an absolute https URL"));
                }
            }
        }
        if let Some(t) = &self.theme {
            if !crate::themes::valid_name(t) {
                return Err("theme must be a theme's name, e.g. dark or high-contrast".into());
            }
        }
        for (field, v) in [
            ("accent_color", &self.accent_color),
            ("background_color", &self.background_color),
        ] {
            if let Some(c) = v {
                if !valid_color(c) {
                    return Err(format!("{field} must look like #1a73e8"));
                }
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == Branding::default()
    }

    pub fn to_column(&self) -> Option<String> {
        (!self.is_empty())
            .then(|| serde_json::to_string(self).ok())
            .flatten()
    }

    /// A stored column; unreadable branding falls back to the default theme.
    pub fn from_column(text: Option<&str>) -> Branding {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// CSS custom properties for this client (served as a stylesheet, never inline).
    pub fn css(&self) -> String {
        let mut out = String::from(":root{");
        if let Some(c) = self.accent_color.as_deref().filter(|c| valid_color(c)) {
            out.push_str(&format!("--accent:{c};"));
        }
        if let Some(c) = self.background_color.as_deref().filter(|c| valid_color(c)) {
            out.push_str(&format!("--page:{c};"));
        }
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_links_and_colours() {
        let mut b = Branding {
            logo_uri: Some("javascript:alert(1)".into()),
            ..Branding::default()
        };
        assert!(b.validate().is_err());
        b.logo_uri = Some("https://rp.example/logo.png".into());
        b.accent_color = Some("red;}body{".into());
        assert!(b.validate().is_err());
        b.accent_color = Some("#1A73e8".into());
        assert!(b.validate().is_ok());
        assert_eq!(b.css(), ":root{--accent:#1A73e8;}");
        assert_eq!(Branding::from_column(b.to_column().as_deref()), b);
    }
}

//! `[alerts]`: where the alert rules' alerts go, and the thresholds that
//! are not the lockouts' own (docs/operations.md "Alerts").

use serde::{Deserialize, Serialize};

use super::{ConfigError, Rule};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Operators' addresses: each alert is mailed to them (English).
    pub mail_to: Vec<String>,
    /// Each alert is POSTed here as JSON, signed (`Visage-Signature`);
    /// empty: no webhook. https, or http on a loopback address.
    pub webhook_url: String,
    /// The HMAC-SHA-256 key of the signature (at least 32 characters; set it
    /// through `VISAGE__ALERTS__WEBHOOK_SECRET`).
    pub webhook_secret: String,
    /// Passkey registrations in a window that pause new registrations until
    /// an administrator resolves the alert (`block_seconds` is not used).
    pub passkey_registrations: Rule,
    /// Count the registrations of the whole deployment (`deployment`) or of
    /// each client address (`address`).
    pub passkey_registrations_per: String,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            mail_to: vec![],
            webhook_url: String::new(),
            webhook_secret: String::new(),
            passkey_registrations: Rule {
                max: 10,
                window_seconds: 3600,
                block_seconds: 0,
            },
            passkey_registrations_per: "deployment".into(),
        }
    }
}

impl AlertsConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for to in &self.mail_to {
            if !crate::email::valid(to) {
                return Err(ConfigError(format!(
                    "alerts.mail_to: '{to}' is not an email address"
                )));
            }
        }
        if !self.webhook_url.is_empty() {
            let url = url::Url::parse(&self.webhook_url)
                .map_err(|e| ConfigError(format!("alerts.webhook_url: {e}")))?;
            let loopback = url.host_str().is_some_and(|h| {
                h == "localhost"
                    || h.trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            });
            if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
                return Err(ConfigError(
                    "alerts.webhook_url must use https (http only on a loopback address)".into(),
                ));
            }
            if self.webhook_secret.chars().count() < 32 {
                return Err(ConfigError(
                    "alerts.webhook_secret must be at least 32 characters when alerts.webhook_url is set".into(),
                ));
            }
        }
        let r = &self.passkey_registrations;
        if r.max < 1 || r.window_seconds < 60 {
            return Err(ConfigError(
                "alerts.passkey_registrations: max at least 1, window_seconds at least 60".into(),
            ));
        }
        if !matches!(
            self.passkey_registrations_per.as_str(),
            "deployment" | "address"
        ) {
            return Err(ConfigError(
                "alerts.passkey_registrations_per must be 'deployment' or 'address'".into(),
            ));
        }
        Ok(())
    }
}

//! `[retention]`: how long audit events are kept, by category
//! (docs/operations.md "Retention").

use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Sign-ins, tokens (`auth`, `token`).
    pub authentication_days: i64,
    /// Passkeys and account changes (`account`).
    pub devices_days: i64,
    /// Action confirmations (`confirmation`).
    pub action_confirmation_days: i64,
    /// Administration, incidents, alerts, face checks (`admin`, `incident`,
    /// `security`, `biometric`).
    pub security_days: i64,
    /// Everything else.
    pub system_days: i64,
    /// How often the purge runs (on one server of the deployment at a time).
    pub purge_every_hours: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            authentication_days: 730,
            devices_days: 1825,
            action_confirmation_days: 2555,
            security_days: 3650,
            system_days: 365,
            purge_every_hours: 24,
        }
    }
}

impl RetentionConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, days) in [
            ("authentication_days", self.authentication_days),
            ("devices_days", self.devices_days),
            ("action_confirmation_days", self.action_confirmation_days),
            ("security_days", self.security_days),
            ("system_days", self.system_days),
        ] {
            if !(1..=36_500).contains(&days) {
                return Err(ConfigError(format!(
                    "retention.{name} must be between 1 and 36500"
                )));
            }
        }
        if !(1..=24 * 31).contains(&self.purge_every_hours) {
            return Err(ConfigError(
                "retention.purge_every_hours must be between 1 and 744".into(),
            ));
        }
        Ok(())
    }
}

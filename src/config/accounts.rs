//! Configuration of accounts: passkeys, sign-up, mail, lockouts, the acr ladder.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    Required,
    Preferred,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasskeyConfig {
    /// WebAuthn relying-party id; empty = the issuer's host name.
    pub rp_id: String,
    /// Name the authenticator shows.
    pub rp_name: String,
    /// `required`: every passkey ceremony must verify the person (PIN, biometrics).
    pub user_verification: Requirement,
    /// `required`: passkeys must be discoverable (usernameless sign-in).
    pub resident_key: Requirement,
    /// A started ceremony must finish within this time.
    pub ceremony_ttl_seconds: i64,
}

impl Default for PasskeyConfig {
    fn default() -> Self {
        PasskeyConfig {
            rp_id: String::new(),
            rp_name: "Visage".into(),
            user_verification: Requirement::Required,
            resident_key: Requirement::Required,
            ceremony_ttl_seconds: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignupConfig {
    /// Anyone can create an account; false = only with an admin's invitation.
    pub open: bool,
    /// Validity of an emailed code.
    pub code_ttl_seconds: i64,
    /// Wrong codes accepted before the code is void.
    pub max_code_attempts: i64,
    /// Validity of an invitation link.
    pub invitation_ttl_seconds: i64,
    /// Recovery codes issued to each account.
    pub recovery_codes: usize,
}

impl Default for SignupConfig {
    fn default() -> Self {
        SignupConfig {
            open: true,
            code_ttl_seconds: 15 * 60,
            max_code_attempts: 5,
            invitation_ttl_seconds: 7 * 24 * 3600,
            recovery_codes: 10,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTls {
    /// Plain SMTP (a local relay or a development sink only).
    None,
    /// SMTP with STARTTLS (port 587).
    Starttls,
    /// SMTP over TLS (port 465).
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    pub username: String,
    pub password: String,
    /// Sender, e.g. `Visage <no-reply@example.com>`.
    pub from: String,
    pub timeout_seconds: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            host: "127.0.0.1".into(),
            port: 2525,
            tls: MailTls::None,
            username: String::new(),
            password: String::new(),
            from: "Visage <no-reply@localhost>".into(),
            timeout_seconds: 10,
        }
    }
}

/// `max` events within `window_seconds` block the key for `block_seconds`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub max: i64,
    pub window_seconds: i64,
    pub block_seconds: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutConfig {
    /// Failed sign-ins (password, passkey, recovery code) per account.
    pub account: Rule,
    /// Failed sign-ins from one IP address.
    pub ip: Rule,
    /// Sign-ups started from one IP address.
    pub signup_ip: Rule,
    /// Emails sent to one address.
    pub email: Rule,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        let fifteen = 15 * 60;
        LockoutConfig {
            account: Rule {
                max: 5,
                window_seconds: fifteen,
                block_seconds: fifteen,
            },
            ip: Rule {
                max: 5,
                window_seconds: fifteen,
                block_seconds: fifteen,
            },
            signup_ip: Rule {
                max: 10,
                window_seconds: 3600,
                block_seconds: 3600,
            },
            email: Rule {
                max: 5,
                window_seconds: 3600,
                block_seconds: 3600,
            },
        }
    }
}

/// The `acr` values of each assurance level, lowest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcrConfig {
    /// A recovery code or an emailed code.
    pub recovery: String,
    pub password: String,
    pub passkey: String,
    /// Passkey followed by a face match with liveness.
    pub passkey_face: String,
}

impl Default for AcrConfig {
    fn default() -> Self {
        AcrConfig {
            recovery: "urn:visage:acr:recovery".into(),
            password: "urn:visage:acr:password".into(),
            passkey: "urn:visage:acr:passkey".into(),
            passkey_face: "urn:visage:acr:passkey_face".into(),
        }
    }
}

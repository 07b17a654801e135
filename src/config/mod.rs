//! Typed configuration: defaults, then `visage.toml`, then `VISAGE__SECTION__KEY`
//! environment variables, then command-line overrides. Validated once at start-up.

use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::alg::Alg;

mod accounts;
mod alerts;
pub mod face;
mod retention;
pub use accounts::*;
pub use alerts::AlertsConfig;
pub use face::FaceConfig;
pub use retention::RetentionConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Public issuer URL; every endpoint hangs off it.
    pub issuer: String,
    /// Address `visage serve` binds.
    pub listen: String,
    /// Folder for the SQLite database and the master key.
    pub data_dir: PathBuf,
    /// `postgres://…`, `sqlite://PATH`; empty = SQLite in `data_dir/visage.db`.
    pub database_url: String,
    /// Base64 of 32 bytes. Empty = `data_dir/master.key`, created on first start.
    /// Instances sharing one PostgreSQL must share this key.
    pub master_key: String,
    pub server: ServerConfig,
    pub tokens: TokenConfig,
    pub keys: KeyConfig,
    pub session: SessionConfig,
    pub rate_limit: RateLimitConfig,
    pub login: LoginConfig,
    pub passkeys: PasskeyConfig,
    pub signup: SignupConfig,
    pub mail: MailConfig,
    pub lockout: LockoutConfig,
    pub alerts: AlertsConfig,
    pub retention: RetentionConfig,
    pub acr: AcrConfig,
    pub face: FaceConfig,
    pub admin: AdminConfig,
    pub log: LogConfig,
    pub themes: ThemeConfig,
}

/// Themes of the hosted pages (`web::themes`, docs/themes.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeConfig {
    /// A folder of the deployment's own themes (`NAME/theme.toml`, optional
    /// `NAME/theme.css`, logo and font files); empty = the built-in ones only.
    pub dir: String,
    /// The theme of pages whose client picks none: `default`, `dark`,
    /// `high-contrast` or one of `dir`.
    pub default: String,
}

impl Default for ThemeConfig {
    fn default() -> Self {
        ThemeConfig {
            dir: String::new(),
            default: "default".into(),
        }
    }
}

/// How `visage serve` writes its log on standard output.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`),
    /// for a log shipper.
    Json,
}

/// The admin console's sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// The console asks for this level, essential: `passkey` or `passkey_face`.
    pub console_level: String,
    /// Dangerous actions (deleting a client or an account, rotating keys)
    /// need a sign-in at most this old; the console asks for a fresh one
    /// (passkey, plus the face for people who set it up).
    pub step_up_seconds: i64,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            console_level: "passkey".into(),
            step_up_seconds: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// HTTP worker threads; 0 = one per core.
    pub workers: usize,
    /// Database connections in the pool.
    pub db_pool_size: u32,
    /// Largest accepted form or JSON body, in bytes.
    pub max_body_bytes: usize,
    /// Log one line per request (off for benchmarks).
    pub access_log: bool,
    /// Reverse proxies (CIDRs, e.g. `10.0.0.0/8`, `::1/128`) whose
    /// `Forwarded` / `X-Forwarded-For` headers name the client address; from
    /// any other peer those headers are ignored. Empty: the peer address.
    pub trusted_proxies: Vec<String>,
    /// On SIGTERM or SIGINT the server stops accepting connections and gives
    /// requests in flight this long to finish, then exits 0.
    pub shutdown_timeout_seconds: u64,
    /// Where `GET /metrics` (Prometheus text format) is served, on its own
    /// listener, e.g. `127.0.0.1:9464`; empty: nowhere. Never on `listen`.
    pub metrics_listen: String,
    /// Keep the rows introspection and userinfo read (clients, tokens,
    /// people) in memory while nothing changes them (`oidc::row_cache`).
    pub row_cache: bool,
    /// How often changes made by other instances or processes are read
    /// (`db::changes`): they reach this server's memory within about this.
    pub change_feed_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    pub code_ttl_seconds: i64,
    pub access_token_ttl_seconds: i64,
    pub id_token_ttl_seconds: i64,
    pub refresh_token_ttl_seconds: i64,
    /// A rotated refresh token presented again within this window returns the
    /// same new pair (a concurrent retry) instead of revoking the family.
    pub refresh_grace_seconds: i64,
    /// Algorithm of JWT access tokens (RFC 9068).
    pub access_token_alg: Alg,
    /// `aud` of access tokens; empty = the issuer.
    pub access_token_audience: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyConfig {
    /// Algorithms to keep an active key for (RS256 is the default for clients).
    pub algorithms: Vec<Alg>,
    /// RSA modulus size.
    pub rsa_bits: u32,
    /// A retired key stays published this long (longer than any token it signed).
    pub retired_key_publish_seconds: i64,
    /// Rotate an algorithm's active key once it is this old (checked when a
    /// server re-reads its keys, every minute); 0 = only by hand.
    pub rotate_after_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    pub ttl_seconds: i64,
    pub login_transaction_ttl_seconds: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// No longer used: failed sign-ins per address are limited by
    /// `lockout.ip` (shared by every instance; successes are not counted).
    /// Kept so existing configuration files still load.
    pub login_per_minute: u32,
    /// Token-endpoint requests per second from one IP address.
    pub token_per_second: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Password sign-in on the hosted page.
    pub password_enabled: bool,
    /// A password sign-in also needs a code sent to the person's email.
    pub password_email_code: bool,
    /// Mail the person when their account is signed in to from a browser
    /// it has never used (once it has used another).
    pub new_device_notice: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: "http://localhost:8080".into(),
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            master_key: String::new(),
            server: ServerConfig::default(),
            tokens: TokenConfig::default(),
            keys: KeyConfig::default(),
            session: SessionConfig::default(),
            rate_limit: RateLimitConfig::default(),
            login: LoginConfig::default(),
            passkeys: PasskeyConfig::default(),
            signup: SignupConfig::default(),
            mail: MailConfig::default(),
            lockout: LockoutConfig::default(),
            alerts: AlertsConfig::default(),
            retention: RetentionConfig::default(),
            acr: AcrConfig::default(),
            face: FaceConfig::default(),
            admin: AdminConfig::default(),
            log: LogConfig::default(),
            themes: ThemeConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            workers: 0,
            db_pool_size: 8,
            max_body_bytes: 64 * 1024,
            access_log: true,
            trusted_proxies: vec![],
            shutdown_timeout_seconds: 30,
            metrics_listen: String::new(),
            row_cache: true,
            change_feed_ms: 50,
        }
    }
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            code_ttl_seconds: 60,
            access_token_ttl_seconds: 3600,
            id_token_ttl_seconds: 3600,
            refresh_token_ttl_seconds: 30 * 24 * 3600,
            refresh_grace_seconds: 10,
            access_token_alg: Alg::Rs256,
            access_token_audience: String::new(),
        }
    }
}

impl Default for KeyConfig {
    fn default() -> Self {
        KeyConfig {
            algorithms: vec![Alg::Rs256, Alg::Es256, Alg::EdDsa],
            rsa_bits: 2048,
            retired_key_publish_seconds: 2 * 24 * 3600,
            rotate_after_days: 90,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            ttl_seconds: 12 * 3600,
            login_transaction_ttl_seconds: 30 * 60,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            login_per_minute: 20,
            token_per_second: 500,
        }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            password_enabled: true,
            password_email_code: false,
            new_device_notice: true,
        }
    }
}

/// A configuration that cannot be used, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// Overrides given on the command line (they win over file and environment).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub issuer: Option<String>,
}

impl Config {
    /// Defaults ← TOML file ← `VISAGE__…` environment ← command line.
    pub fn load(over: &Overrides) -> Result<Config, ConfigError> {
        let data_dir = over
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("data"));
        let file = match &over.config_file {
            Some(f) if !f.exists() => {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    f.display()
                )))
            }
            Some(f) => Some(f.clone()),
            None => ["visage.toml".into(), data_dir.join("visage.toml")]
                .into_iter()
                .find(|p: &PathBuf| p.exists()),
        };
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = &file {
            fig = fig.merge(Toml::file(f));
        }
        fig = fig.merge(Env::prefixed("VISAGE__").split("__"));
        let mut cfg: Config = fig.extract().map_err(|e| ConfigError(e.to_string()))?;
        if let Some(d) = &over.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(u) = &over.database_url {
            cfg.database_url = u.clone();
        }
        if let Some(l) = &over.listen {
            cfg.listen = l.clone();
        }
        if let Some(i) = &over.issuer {
            cfg.issuer = i.clone();
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks that must hold before anything starts.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        let issuer = Url::parse(&self.issuer)
            .map_err(|e| ConfigError(format!("issuer '{}' is not a URL: {e}", self.issuer)))?;
        if !matches!(issuer.scheme(), "https" | "http")
            || issuer.query().is_some()
            || issuer.fragment().is_some()
        {
            return Err(ConfigError(
                "issuer must be an http(s) URL without query or fragment".into(),
            ));
        }
        if issuer.scheme() == "http" && !is_loopback(&issuer) {
            return Err(ConfigError(
                "issuer must use https unless it is a loopback address".into(),
            ));
        }
        self.issuer = self.issuer.trim_end_matches('/').to_owned();
        if !(10..=5000).contains(&self.server.change_feed_ms) {
            return Err(ConfigError(
                "server.change_feed_ms must be between 10 and 5000".into(),
            ));
        }
        if self.keys.algorithms.is_empty() {
            return Err(ConfigError(
                "keys.algorithms must name at least one algorithm".into(),
            ));
        }
        if !self.keys.algorithms.contains(&self.tokens.access_token_alg) {
            return Err(ConfigError(
                "tokens.access_token_alg must be one of keys.algorithms".into(),
            ));
        }
        if !(2048..=4096).contains(&self.keys.rsa_bits) {
            return Err(ConfigError(
                "keys.rsa_bits must be between 2048 and 4096".into(),
            ));
        }
        if !(1..=600).contains(&self.tokens.code_ttl_seconds) {
            return Err(ConfigError(
                "tokens.code_ttl_seconds must be 1..=600 (60 recommended)".into(),
            ));
        }
        for (name, v) in [
            (
                "tokens.access_token_ttl_seconds",
                self.tokens.access_token_ttl_seconds,
            ),
            (
                "tokens.id_token_ttl_seconds",
                self.tokens.id_token_ttl_seconds,
            ),
            (
                "tokens.refresh_token_ttl_seconds",
                self.tokens.refresh_token_ttl_seconds,
            ),
            ("session.ttl_seconds", self.session.ttl_seconds),
            (
                "session.login_transaction_ttl_seconds",
                self.session.login_transaction_ttl_seconds,
            ),
        ] {
            if v <= 0 {
                return Err(ConfigError(format!("{name} must be positive")));
            }
        }
        if self.tokens.refresh_grace_seconds < 0 {
            return Err(ConfigError(
                "tokens.refresh_grace_seconds must not be negative".into(),
            ));
        }
        for p in &self.server.trusted_proxies {
            if p.parse::<ipnet::IpNet>().is_err() && p.parse::<std::net::IpAddr>().is_err() {
                return Err(ConfigError(format!(
                    "server.trusted_proxies: '{p}' is not an address or a CIDR (e.g. 10.0.0.0/8)"
                )));
            }
        }
        if self.rate_limit.login_per_minute == 0 || self.rate_limit.token_per_second == 0 {
            return Err(ConfigError("rate limits must be at least 1".into()));
        }
        let idle = self.face.template_max_idle_days;
        if idle != 0 && idle <= face::TEMPLATE_EXPIRY_NOTICE_DAYS {
            return Err(ConfigError(format!(
                "face.template_max_idle_days must be 0 (never) or more than {}",
                face::TEMPLATE_EXPIRY_NOTICE_DAYS
            )));
        }
        self.alerts.validate()?;
        self.retention.validate()?;
        self.validate_accounts()
    }

    fn validate_accounts(&self) -> Result<(), ConfigError> {
        let a = &self.acr;
        let levels = [&a.recovery, &a.password, &a.passkey, &a.passkey_face];
        if levels.iter().any(|l| l.trim().is_empty())
            || levels
                .iter()
                .enumerate()
                .any(|(i, l)| levels.iter().take(i).any(|m| m == l))
        {
            return Err(ConfigError(
                "acr values must be non-empty and all different".into(),
            ));
        }
        for (name, r) in [
            ("lockout.account", self.lockout.account),
            ("lockout.ip", self.lockout.ip),
            ("lockout.signup_ip", self.lockout.signup_ip),
            ("lockout.email", self.lockout.email),
        ] {
            if r.max < 1 || r.window_seconds < 1 || r.block_seconds < 1 {
                return Err(ConfigError(format!(
                    "{name}: max, window_seconds and block_seconds must be at least 1"
                )));
            }
        }
        if !["passkey", "passkey_face"].contains(&self.admin.console_level.as_str()) {
            return Err(ConfigError(
                "admin.console_level must be passkey or passkey_face".into(),
            ));
        }
        if !(60..=86_400).contains(&self.admin.step_up_seconds) {
            return Err(ConfigError(
                "admin.step_up_seconds must be 60..=86400".into(),
            ));
        }
        if !(30..=3600).contains(&self.passkeys.ceremony_ttl_seconds) {
            return Err(ConfigError(
                "passkeys.ceremony_ttl_seconds must be 30..=3600".into(),
            ));
        }
        if !(60..=86400).contains(&self.signup.code_ttl_seconds)
            || self.signup.max_code_attempts < 1
        {
            return Err(ConfigError(
                "signup.code_ttl_seconds must be 60..=86400 and max_code_attempts at least 1"
                    .into(),
            ));
        }
        let f = &self.face;
        if !(60..=600).contains(&f.challenge_ttl_seconds)
            || !(3..=30).contains(&f.frames)
            || !(1..=5).contains(&f.analysed_frames)
            || f.analysed_frames > f.frames
            || !(50..=2000).contains(&f.frame_interval_ms)
            || f.max_failures < 1
        {
            return Err(ConfigError(
                "face: challenge_ttl_seconds 60..=600, frames 3..=30, analysed_frames 1..=5 (at most frames), frame_interval_ms 50..=2000, max_failures ≥ 1".into(),
            ));
        }
        if f.same_person_threshold
            .is_some_and(|t| !(0.2..=0.9).contains(&t))
        {
            return Err(ConfigError(
                "face.same_person_threshold must be between 0.2 and 0.9 (or unset for the measured default)".into(),
            ));
        }
        if f.starts_per_address < 1 {
            return Err(ConfigError(
                "face.starts_per_address must be at least 1".into(),
            ));
        }
        if !(0.1..=1.0).contains(&f.screen_light_max_spill) {
            return Err(ConfigError(
                "face.screen_light_max_spill must be between 0.1 and 1".into(),
            ));
        }
        if !(0.5..=100.0).contains(&f.room_shape_max) {
            return Err(ConfigError(
                "face.room_shape_max must be between 0.5 and 100".into(),
            ));
        }
        if !(1..=20).contains(&self.signup.recovery_codes) {
            return Err(ConfigError("signup.recovery_codes must be 1..=20".into()));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError(format!(
                "mail.from '{}' is not a mailbox",
                self.mail.from
            )));
        }
        Ok(())
    }

    /// The database URL in force (SQLite in the data folder by default).
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("visage.db").display())
        } else {
            self.database_url.clone()
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    /// The WebAuthn relying-party id: configured, or the issuer's host name.
    pub fn passkey_rp_id(&self) -> Option<String> {
        if !self.passkeys.rp_id.is_empty() {
            return Some(self.passkeys.rp_id.clone());
        }
        Url::parse(&self.issuer).ok()?.domain().map(str::to_owned)
    }

    /// Cookies get `Secure` when the issuer is https.
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    pub fn access_token_audience(&self) -> String {
        if self.tokens.access_token_audience.is_empty() {
            self.issuer.clone()
        } else {
            self.tokens.access_token_audience.clone()
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let mut c = Config::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.database_url(), "sqlite://data/visage.db");
    }

    #[test]
    fn plain_http_issuer_off_loopback_is_refused() {
        let mut c = Config {
            issuer: "http://id.example.com".into(),
            ..Config::default()
        };
        assert!(c.validate().is_err());
        c.issuer = "https://id.example.com/".into();
        assert!(c.validate().is_ok());
        assert_eq!(c.issuer, "https://id.example.com");
    }

    #[test]
    fn a_room_shape_limit_out_of_range_is_refused() {
        for (value, ok) in [
            (0.4, false),
            (0.5, true),
            (1.0, true),
            (100.0, true),
            (101.0, false),
        ] {
            let mut c = Config::default();
            c.face.room_shape_max = value;
            assert_eq!(c.validate().is_ok(), ok, "{value}");
        }
    }
}

//! Builds the application: state shared by handlers, middleware, routes.

use std::sync::Arc;

use crate::auth::acr::Ladder;
use crate::auth::controls::{Controls, Snapshot};
use crate::auth::passkeys::Passkeys;
use crate::biometrics::engine::{EngineConfig, FaceEngine};
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::{load_or_create_master_key, MasterKey};
use crate::db::Db;
use crate::i18n::Catalog;
use crate::keys::{ensure_active_keys, KeyRing, Keys};
use crate::limits::Limits;
use crate::mail::Mailer;
use crate::oidc::access_token::VerifiedCache;
use crate::oidc::issue::Minter;
use crate::oidc::row_cache::RowCache;

/// How often a running server re-reads signing keys (to see rotations).
const KEY_RELOAD_SECONDS: i64 = 60;

pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub keys: Keys,
    pub master_key: MasterKey,
    pub clock: Arc<dyn Clock>,
    pub minter: Minter,
    pub discovery: Arc<str>,
    pub limits: Limits,
    pub verified: VerifiedCache,
    /// Clients', tokens' and people's rows kept while nothing changes them.
    pub rows: RowCache,
    pub ladder: Ladder,
    /// None when the issuer has no domain name (WebAuthn needs one).
    pub passkeys: Option<Passkeys>,
    pub mailer: Mailer,
    pub i18n: Catalog,
    /// The hosted pages' themes (built in and the deployment's own).
    pub themes: crate::themes::Themes,
    /// None when face sign-in is off or the models could not be loaded.
    /// Handlers ask `face_engine()`, which also honours the incident switch.
    pub face: Option<Arc<FaceEngine>>,
    /// The incident controls (blocked ranges, face switch) as this server holds them.
    pub controls: Controls,
    /// This server's name among the deployment's (random, per start): who
    /// holds a scheduled job's lease.
    pub instance: String,
    /// The `signing_keys` counter the loaded key ring reflects.
    pub keys_seen: std::sync::atomic::AtomicI64,
    /// The `master_key` counter the master key's state reflects.
    pub master_seen: std::sync::atomic::AtomicI64,
    /// How many rounds of the scheduled jobs this server has finished
    /// (whether or not it was the one that ran them): something to wait on.
    pub scheduled_rounds: tokio::sync::watch::Sender<u64>,
}

impl AppState {
    /// What mail needs from the server.
    pub fn outbox(&self) -> crate::mail::Outbox<'_> {
        crate::mail::Outbox {
            db: &self.db,
            mailer: &self.mailer,
            i18n: &self.i18n,
            config: &self.config,
            clock: self.clock.as_ref(),
        }
    }

    /// Settings of the authorization flow for one request.
    pub fn flow_env<'a>(&'a self, ring: &'a KeyRing, now: i64) -> crate::oidc::flow::FlowEnv<'a> {
        crate::oidc::flow::FlowEnv {
            ring,
            ladder: &self.ladder,
            issuer: &self.config.issuer,
            code_ttl: self.config.tokens.code_ttl_seconds,
            tx_ttl: self.config.session.login_transaction_ttl_seconds,
            login: &self.config.login,
            now,
        }
    }

    /// The passkey service, or `Unavailable` when the issuer has no domain name.
    pub fn passkey_service(&self) -> Result<&Passkeys, crate::auth::passkeys::PasskeyError> {
        self.passkeys
            .as_ref()
            .ok_or(crate::auth::passkeys::PasskeyError::Unavailable)
    }

    /// Re-read the signing keys now (after a rotation), running the
    /// rotation schedule first.
    pub async fn reload_keys(&self) {
        let (mk, cfg, now) = (
            self.master_key.clone(),
            self.config.keys.clone(),
            self.clock.now(),
        );
        let res = self
            .db
            .run(move |c| {
                if let Err(e) = crate::audit::seal(c, &mk, now) {
                    tracing::error!("sealing the audit log: {e}");
                }
                let created = crate::admin::keys::rotate_scheduled(c, &mk, &cfg, now)?;
                if !created.is_empty() {
                    let kids: Vec<&str> = created.iter().map(|k| k.as_str()).collect();
                    tracing::info!("scheduled key rotation: {}", kids.join(", "));
                }
                KeyRing::load(c, &mk, now)
            })
            .await;
        match res {
            Ok(ring) => {
                self.keys.replace(ring);
                // Tokens verified with the old ring are checked again.
                self.verified.clear();
            }
            Err(e) => tracing::error!("reloading signing keys failed: {e}"),
        }
    }

    /// The incident controls, re-read every `controls::RELOAD_SECONDS`.
    pub async fn controls(&self) -> Arc<Snapshot> {
        if self.controls.needs_reload(self.clock.now()) {
            self.reload_controls().await;
        }
        self.controls.current()
    }

    /// Re-read the incident controls now (after this server changed them).
    pub async fn reload_controls(&self) {
        let now = self.clock.now();
        let version = match self.db.run(move |c| Snapshot::load(c, now)).await {
            Ok(s) => {
                let v = s.master_version;
                self.controls.replace(s);
                v
            }
            Err(e) => return tracing::error!("reloading the incident controls failed: {e}"),
        };
        if version > self.master_seen.load(std::sync::atomic::Ordering::Relaxed) {
            self.learn_master_key().await;
            self.master_seen
                .fetch_max(version, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// A master key rotation started or finished: seal under the new key,
    /// open under both while it runs (`admin::master_key::learn`).
    async fn learn_master_key(&self) {
        let mk = self.master_key.clone();
        let res = self
            .db
            .run(move |c| crate::admin::master_key::learn(c, &mk))
            .await;
        match res {
            Ok(()) => tracing::info!(
                "master key: sealing under {}",
                self.master_key.in_use().0.id()
            ),
            Err(e) => tracing::error!("master key: {e}"),
        }
    }

    /// The face engine, unless this server has none or an administrator
    /// turned face sign-in off for the whole deployment.
    pub async fn face_engine(&self) -> Option<Arc<FaceEngine>> {
        let engine = self.face.clone()?;
        (!self.controls().await.face_off).then_some(engine)
    }

    /// The scheduled jobs, each on one server of the deployment at a time
    /// (`db::job_leases::run_led`: the period's lease, and on PostgreSQL the
    /// job's advisory lock while it runs): the audit retention purge every
    /// `retention.purge_every_hours`.
    pub async fn scheduled_jobs(&self) {
        let (mk, cfg, now) = (
            self.master_key.clone(),
            self.config.retention.clone(),
            self.clock.now(),
        );
        let until = now + cfg.purge_every_hours * 3600;
        let holder = self.instance.clone();
        let res = self
            .db
            .run(move |c| {
                crate::db::job_leases::run_led(c, "audit_retention", &holder, until, now, |c| {
                    crate::audit::retention::purge_and_record(c, &mk, &cfg, now)
                })
            })
            .await;
        self.expire_idle_face_templates().await;
        self.scheduled_rounds.send_modify(|n| *n += 1);
        match res {
            Ok(Some(done)) if done.checkpoint.is_some() => tracing::info!(
                "audit retention: deleted {:?}, checkpoint {:?}",
                done.deleted,
                done.checkpoint
            ),
            Ok(_) => {}
            Err(e) => tracing::error!("audit retention purge failed: {e}"),
        }
    }

    /// Erase face templates unused for `face.template_max_idle_days`, and
    /// mail the people whose template goes in 14 days (once a day, on one
    /// server).
    async fn expire_idle_face_templates(&self) {
        let (cfg, now, holder) = (
            self.config.face.clone(),
            self.clock.now(),
            self.instance.clone(),
        );
        let res = self
            .db
            .run(move |c| {
                crate::db::job_leases::run_led(c, "face_idle", &holder, now + 86_400, now, |c| {
                    crate::auth::face_idle::run(c, &cfg, now)
                })
            })
            .await;
        match res {
            Ok(Some(done)) => {
                for (uid, on) in &done.warned {
                    crate::mail::alerts::face_expiring(&self.outbox(), uid, *on).await;
                }
                if !done.erased.is_empty() {
                    tracing::info!("erased {} idle face templates", done.erased.len());
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!("idle face templates: {e}"),
        }
    }

    /// The key ring, re-read every `KEY_RELOAD_SECONDS`, and as soon as
    /// this server sees that keys were rotated or retired by hand anywhere
    /// (the `signing_keys` counter of the incident controls).
    pub async fn ring(&self) -> Arc<KeyRing> {
        let version = self.controls().await.keys_version;
        let moved = version > self.keys_seen.load(std::sync::atomic::Ordering::Relaxed);
        if moved || self.keys.needs_reload(self.clock.now()) {
            self.reload_keys().await;
            self.keys_seen
                .fetch_max(version, std::sync::atomic::Ordering::Relaxed);
        }
        self.keys.current()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    MasterKey(#[from] crate::admin::master_key::MasterKeyError),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Discovery(#[from] crate::oidc::discovery::DiscoveryError),
    #[error(transparent)]
    Catalog(#[from] crate::i18n::CatalogError),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
}

/// Load the face engine for the server; a failure turns the face step off.
fn load_face(config: &Config) -> Option<Arc<FaceEngine>> {
    if !config.face.enabled {
        return None;
    }
    let engine = EngineConfig {
        graph_level: config.face.graph_level,
        ..EngineConfig::default()
    };
    match FaceEngine::load(&config.face.models_dir, engine) {
        Ok(e) => {
            tracing::info!("face engine: {}", e.describe());
            Some(Arc::new(e))
        }
        Err(e) => {
            tracing::warn!(
                "face sign-in is off: the face engine did not load from {}: {e} (run scripts/setup.sh)",
                config.face.models_dir.display()
            );
            None
        }
    }
}

/// The built-in themes and those of `themes.dir`; any problem stops the
/// start, naming the theme and what is wrong.
fn load_themes(config: &Config) -> Result<crate::themes::Themes, StartError> {
    let dir = (!config.themes.dir.is_empty()).then(|| std::path::Path::new(&config.themes.dir));
    crate::themes::Themes::load(dir, &config.themes.default)
        .map_err(|e| StartError::Config(e.to_string()))
}

/// Open the database, load keys and make the state (shared with the CLI,
/// which passes `with_face = false`).
pub fn build_state(
    config: Config,
    clock: Arc<dyn Clock>,
    with_face: bool,
) -> Result<AppState, StartError> {
    let face = if with_face { load_face(&config) } else { None };
    let db = Db::open(&config.database_url(), config.server.db_pool_size)?;
    let master_key = load_or_create_master_key(&config.master_key, &config.master_key_path())?;
    let db = db.with_master_key(master_key.clone());
    let now = clock.now();
    db.run_sync(|c| crate::admin::master_key::attach(c, &master_key))?;
    let ring = db.run_sync(|c| {
        ensure_active_keys(
            c,
            &master_key,
            &config.keys.algorithms,
            config.keys.rsa_bits,
            now,
        )?;
        KeyRing::load(c, &master_key, now)
    })?;
    let controls = db.run_sync(|c| Snapshot::load(c, now))?;
    let console = db.run_sync(|c| crate::admin::console_client::ensure(c, &config.issuer, now))?;
    if !console {
        tracing::warn!("the admin console needs an https or loopback issuer");
    }
    let passkeys = Passkeys::from_config(&config).map_err(StartError::Config)?;
    if passkeys.is_none() {
        tracing::warn!(
            "passkeys are off: the issuer {} has no domain name (use http://localhost:PORT, not an IP address)",
            config.issuer
        );
    }
    let ladder = Ladder::new(
        &config.acr,
        config.login.password_enabled,
        passkeys.is_some(),
        face.is_some(),
    );
    let discovery = crate::oidc::discovery::document(
        &config.issuer,
        &config.keys.algorithms,
        &ladder.supported(),
    )?;
    Ok(AppState {
        ladder,
        passkeys,
        mailer: Mailer::new(&config.mail),
        i18n: Catalog::load()?,
        themes: load_themes(&config)?,
        face,
        keys_seen: std::sync::atomic::AtomicI64::new(controls.keys_version),
        master_seen: std::sync::atomic::AtomicI64::new(controls.master_version),
        scheduled_rounds: tokio::sync::watch::Sender::new(0),
        controls: Controls::new(controls),
        instance: uuid::Uuid::new_v4().to_string(),
        minter: Minter::from_config(&config),
        verified: VerifiedCache::new(10_000),
        // Kept only once the server follows changes (`server.row_cache`).
        rows: RowCache::new(db.changes().clone()),
        limits: Limits::new(
            config.rate_limit.token_per_second,
            &config.server.trusted_proxies,
        ),
        keys: Keys::new(ring, KEY_RELOAD_SECONDS),
        discovery: discovery.into(),
        config,
        db,
        master_key,
        clock,
    })
}

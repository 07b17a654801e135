//! What each subcommand does.

use crate::oidc::branding::Branding;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{bail, Context};
use serde_json::json;

use super::{AuthMethodArg, Cli, ClientCmd, Command, Global, KeysCmd, UserCmd};
use crate::app::{build_state, AppState};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Overrides};
use crate::db::{keys as key_repo, users as user_repo};
use crate::keys::{rotate, Alg};
use crate::oidc::client_admin::{self, NewClient};
use crate::oidc::types::{GrantType, TokenAuthMethod};
use crate::server::Application;

pub(super) fn load_config(
    g: &Global,
    listen: Option<String>,
    issuer: Option<String>,
) -> anyhow::Result<Config> {
    Ok(Config::load(&Overrides {
        config_file: g.config.clone(),
        data_dir: g.data_dir.clone(),
        database_url: g.database_url.clone(),
        listen,
        issuer,
    })?)
}

pub(super) fn state(g: &Global) -> anyhow::Result<AppState> {
    Ok(build_state(
        load_config(g, None, None)?,
        Arc::new(SystemClock),
        false,
    )?)
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    match cli.command {
        Command::Serve { listen, issuer } => serve(load_config(&g, listen, issuer)?),
        Command::Migrate => {
            let s = state(&g)?;
            println!("database schema is up to date ({:?})", s.db.backend());
            Ok(())
        }
        Command::Client(c) => client(&g, c),
        Command::User(u) => user(&g, u),
        Command::Keys(k) => keys(&g, k),
        Command::Admin(a) => super::admin::run(&g, a),
        Command::Incident(i) => super::incident::run(&g, i),
        Command::Face(f) => super::face::run(f, g.json),
        Command::Models(super::ModelsCmd::Check { models_dir }) => {
            super::face::models_check(models_dir)
        }
        Command::Backup { to } => {
            let s = super::backup::backup(&load_config(&g, None, None)?, &to)?;
            report(&g, &s, || {
                format!(
                    "backup written to {} ({} bytes, sealed under the master key): {} accounts, {} clients\nkeep the master key apart from it: the backup opens only with that key",
                    s.file, s.bytes, s.users, s.clients
                )
            })
        }
        Command::Restore { from, force } => {
            let config = load_config(&g, None, None)?;
            let s = super::backup::restore(&config, &from, force)?;
            // Bring the schema up to this version of Visage.
            state(&g)?;
            report(&g, &s, || {
                format!(
                    "restored {} ({} bytes): {} accounts, {} clients; start the server",
                    s.file, s.bytes, s.users, s.clients
                )
            })
        }
        Command::AuditVerify => {
            let s = state(&g)?;
            let report = s.db.run_sync(|c| crate::audit::verify(c, &s.master_key))?;
            if let Some(seq) = report.broken_at {
                bail!("audit log chain is broken at event {seq}");
            }
            match &report.sealed {
                Some((seq, mac)) => println!(
                    "audit log intact: {} events, sealed up to event {seq}\nhead seal: {seq} {mac}\n(keep the head seal outside this server: a later check that shows an older seal means events were removed)",
                    report.events
                ),
                None => println!("audit log intact: {} events, not sealed yet", report.events),
            }
            Ok(())
        }
        Command::AuditPurge => {
            let s = state(&g)?;
            let now = SystemClock.now();
            let done = s.db.run_sync(|c| {
                crate::audit::retention::purge_and_record(
                    c,
                    &s.master_key,
                    &s.config.retention,
                    now,
                )
            })?;
            report(&g, &done, || {
                match done.checkpoint {
                Some(seq) => format!(
                    "deleted {:?} (events past their retention); kept {} older events; checkpoint at event {seq}",
                    done.deleted, done.kept
                ),
                None => "nothing is past its retention".to_owned(),
            }
            })
        }
    }
}

/// Print `value` as JSON with `--json`, else `text()`.
fn report<T: serde::Serialize>(
    g: &Global,
    value: &T,
    text: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if g.json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

/// Print an invitation link (or its JSON) with how long it lasts.
pub(super) fn print_invitation(g: &Global, issuer: &str, token: &str, ttl: i64, what: &str) {
    let link = crate::auth::signup::invitation_url(issuer, token);
    if g.json {
        println!("{}", json!({ "invitation_url": link, "expires_in": ttl }));
    } else {
        println!("{link}");
        eprintln!("({what}; valid for {} hours)", ttl / 3600);
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let log = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log.format {
        crate::config::LogFormat::Text => log.init(),
        crate::config::LogFormat::Json => log.json().with_current_span(false).init(),
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let issuer = config.issuer.clone();
        let app = Application::build(config)?;
        tracing::info!("Visage listening on port {}, issuer {issuer}", app.port());
        if let Some(port) = app.metrics_port() {
            tracing::info!("metrics on port {port} (GET /metrics)");
        }
        app.run_until_stopped().await?;
        tracing::info!("Visage stopped");
        Ok(())
    })
}

fn client(g: &Global, cmd: ClientCmd) -> anyhow::Result<()> {
    let s = state(g)?;
    let now = SystemClock.now();
    match cmd {
        ClientCmd::Add {
            name,
            id,
            redirect_uris,
            post_logout_redirect_uris,
            public,
            grant_types,
            auth_method,
            jwks_file,
            id_token_alg,
            allow_plain_pkce,
            first_party,
            logo_uri,
            policy_uri,
            tos_uri,
            accent_color,
            background_color,
            theme,
            face_policy,
            password_policy,
            required_acr,
            service_scopes,
            audiences,
            allowed_origins,
            allowed_networks,
        } => {
            let method = match (auth_method, public) {
                (Some(AuthMethodArg::None), _) | (None, true) => TokenAuthMethod::None,
                (Some(_), true) => {
                    bail!("--public cannot be combined with --auth-method other than none")
                }
                (Some(AuthMethodArg::ClientSecretBasic), false) | (None, false) => {
                    TokenAuthMethod::ClientSecretBasic
                }
                (Some(AuthMethodArg::ClientSecretPost), false) => TokenAuthMethod::ClientSecretPost,
                (Some(AuthMethodArg::PrivateKeyJwt), false) => TokenAuthMethod::PrivateKeyJwt,
            };
            let grant_types: Vec<GrantType> = if grant_types.is_empty() {
                let mut v = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
                if method != TokenAuthMethod::None {
                    v.push(GrantType::ClientCredentials);
                }
                v
            } else {
                grant_types
                    .iter()
                    .map(|g| GrantType::from_str(g))
                    .collect::<Result<_, _>>()
                    .map_err(anyhow::Error::msg)?
            };
            let jwks = match jwks_file {
                Some(p) => Some(
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?,
                ),
                None => None,
            };
            let new = NewClient {
                id,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                grant_types,
                auth_method: method,
                id_token_alg: Alg::from_str(&id_token_alg).map_err(anyhow::Error::msg)?,
                allow_plain_pkce,
                first_party,
                jwks,
                branding: Branding {
                    logo_uri,
                    policy_uri,
                    tos_uri,
                    accent_color,
                    background_color,
                    theme,
                },
                face_policy: crate::oidc::types::FacePolicy::from_str(&face_policy)
                    .map_err(anyhow::Error::msg)?,
                password_policy: crate::oidc::types::PasswordPolicy::from_str(&password_policy)
                    .map_err(anyhow::Error::msg)?,
                required_acr: required_acr
                    .as_deref()
                    .map(crate::oidc::types::RequiredAcr::from_str)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                service_scopes,
                audiences,
                allowed_origins,
                allowed_networks,
            };
            let reg =
                s.db.run_sync(|c| client_admin::register(c, &s.master_key, new, "cli", now))?;
            if g.json {
                println!("{}", serde_json::to_string_pretty(&reg)?);
            } else {
                println!("client_id: {}", reg.client_id);
                if let Some(secret) = &reg.client_secret {
                    println!("client_secret: {secret}");
                    eprintln!("(the secret is shown only once; store it now)");
                }
            }
        }
        ClientCmd::List => {
            let list = s.db.run_sync(client_admin::list)?;
            if g.json {
                let v: Vec<_> = list
                    .iter()
                    .map(|c| json!({ "client_id": c.id, "name": c.name, "public": c.is_public(), "redirect_uris": c.redirect_uris, "disabled": c.disabled, "id_token_alg": c.id_token_alg.as_str() }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for c in list {
                    let kind = if c.is_public() {
                        "public"
                    } else {
                        "confidential"
                    };
                    let off = if c.disabled { " (disabled)" } else { "" };
                    println!(
                        "{}\t{}\t{kind}\t{}{off}",
                        c.id,
                        c.name,
                        c.redirect_uris.join(",")
                    );
                }
            }
        }
        ClientCmd::Remove { id } => {
            s.db.run_sync(|c| client_admin::remove(c, &id, "cli", now))?;
            println!("removed client {id}");
        }
        ClientCmd::RotateSecret { id } => {
            let secret =
                s.db.run_sync(|c| client_admin::rotate_secret(c, &s.master_key, &id, "cli", now))?;
            if g.json {
                println!("{}", json!({ "client_id": id, "client_secret": secret }));
            } else {
                println!("client_secret: {secret}");
            }
        }
        ClientCmd::Disable { id } => {
            s.db.run_sync(|c| client_admin::set_disabled(c, &id, true, "cli", now))?;
            println!("disabled client {id}");
        }
        ClientCmd::Enable { id } => {
            s.db.run_sync(|c| client_admin::set_disabled(c, &id, false, "cli", now))?;
            println!("enabled client {id}");
        }
    }
    Ok(())
}

fn user(g: &Global, cmd: UserCmd) -> anyhow::Result<()> {
    let s = state(g)?;
    let now = SystemClock.now();
    match cmd {
        UserCmd::Add {
            email,
            password,
            name,
        } => {
            let u = s.db.run_sync(|c| {
                crate::auth::users::create_with_password(c, &email, &password, name.as_deref(), now)
            })?;
            if g.json {
                println!("{}", json!({ "id": u.id, "email": u.email }));
            } else {
                println!("user_id: {}\nemail: {}", u.id, u.email);
            }
        }
        UserCmd::Invite { email } => {
            let ttl = s.config.signup.invitation_ttl_seconds;
            let token = s.db.run_sync(|c| {
                crate::auth::signup::invite(c, email.as_deref(), None, "cli", ttl, now)
            })?;
            print_invitation(g, &s.config.issuer, &token, ttl, "single use");
        }
        UserCmd::List => {
            for u in s.db.run_sync(user_repo::list)? {
                println!(
                    "{}\t{}\t{}",
                    u.id,
                    u.email,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        UserCmd::Remove { email } => {
            s.db.run_sync(|c| crate::auth::users::remove(c, &email, now))?;
            println!("removed {email}");
        }
    }
    Ok(())
}

fn keys(g: &Global, cmd: KeysCmd) -> anyhow::Result<()> {
    if let KeysCmd::RotateMaster {
        batch_size,
        settle_seconds,
    } = cmd
    {
        return super::master_key::rotate(g, batch_size, settle_seconds);
    }
    let s = state(g)?;
    let now = SystemClock.now();
    match cmd {
        KeysCmd::List => {
            for k in s.db.run_sync(key_repo::all)? {
                let st = match (k.retired_at, k.expires_at) {
                    (None, _) => "active".to_owned(),
                    (Some(_), Some(e)) if e > now => format!("retired (published until {e})"),
                    _ => "expired".to_owned(),
                };
                println!("{}\t{}\t{}\t{st}", k.kid, k.alg, k.created_at);
            }
        }
        KeysCmd::Rotate { alg } => {
            let algs: Vec<Alg> = match alg {
                Some(a) => vec![Alg::from_str(&a).map_err(anyhow::Error::msg)?],
                None => s.config.keys.algorithms.clone(),
            };
            let cfg = &s.config.keys;
            let created = s.db.run_sync(|c| {
                rotate(
                    c,
                    &s.master_key,
                    &algs,
                    cfg.rsa_bits,
                    cfg.retired_key_publish_seconds,
                    now,
                )
            })?;
            for kid in created {
                println!("new key: {kid}");
            }
            crate::audit::record_sync(
                &s.db,
                crate::audit::Event::new("admin", "keys.rotate", "success").actor("cli"),
                now,
            )?;
        }
        // Handled above, before the state (whose key may be the retired one).
        KeysCmd::RotateMaster { .. } => {}
    }
    Ok(())
}

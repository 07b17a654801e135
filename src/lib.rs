//! Visage: an OpenID Connect provider with passkey + face sign-in.
//!
//! The modules form layers; a module uses only modules in layers below it
//! (`tests/api/layering.rs` fails on an import cycle):
//!
//! 1. vocabulary and tools: `alg`, `clock`, `crypto`, `email`, `i18n`,
//!    `ids`, `limits`, `telemetry`, `themes`, `words`
//! 2. storage and the face engine: `db`, `biometrics`
//! 3. `config`, `audit`
//! 4. the rules: `auth` (sessions, levels, roles, policies, face factor),
//!    `keys`
//! 5. `oidc` (the protocol), `mail`
//! 6. `admin` (what administrators do)
//! 7. `app` (the running state)
//! 8. `web` (HTTP: routes, extractors, pages), then `server` (wiring) and
//!    `cli` (the commands)

// Indexing that could panic on input or model output is refused outside
// tests: use `get`, iterators or patterns.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod admin;
pub mod alg;
pub mod app;
pub mod audit;
pub mod auth;
pub mod biometrics;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod email;
pub mod i18n;
pub mod ids;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod oidc;
pub mod server;
pub mod telemetry;
pub mod themes;
pub mod web;
pub mod words;

pub use app::AppState;
pub use config::Config;
pub use server::Application;

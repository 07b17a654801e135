//! Visage: an OpenID Connect provider with passkey + face sign-in.

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
pub mod keys;
pub mod mail;
pub mod oidc;
pub mod web;
pub mod words;

pub use app::{AppState, Application};
pub use config::Config;

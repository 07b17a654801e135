//! Integration tests: the real server over HTTP, on SQLite or PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod admin_api;
mod admin_console;
mod admin_hierarchy;
mod admin_policies;
mod assurance;
mod authorize;
mod backup;
mod browser;
mod cluster;
mod discovery;
mod docs;
mod face;
mod face_attacks;
mod face_flow;
mod face_limits;
mod face_lock;
mod helpers;
mod layering;
mod logout;
mod mail;
mod my_data;
mod new_browser;
mod operations;
mod packaging;
mod pages;
mod password_fallback;
mod protocol_integrity;
mod refresh;
mod services;
mod texts;
mod themes;
mod token;
mod userinfo;
mod webdriver;

//! Thin handlers: extract, call one domain function, respond.

pub mod assets;
pub mod authorize;
pub mod consent;
pub mod discovery;
pub mod login;
pub mod logout;
pub mod outcome;
pub mod token;
pub mod userinfo;

//! One file per grant type, and what every grant is given (`/token` in
//! `oidc::token` dispatches to them).

use crate::crypto::MasterKey;
use crate::keys::KeyRing;

use super::issue::Minter;

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

/// Everything a grant needs besides the connection.
pub struct TokenContext<'a> {
    pub master_key: &'a MasterKey,
    pub ring: &'a KeyRing,
    pub minter: &'a Minter,
    pub refresh_grace: i64,
    pub now: i64,
}

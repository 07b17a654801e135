//! One file per grant type, and what every grant is given (`/token` in
//! `oidc::token` dispatches to them).

use crate::crypto::MasterKey;
use crate::keys::KeyRing;

use super::issue::Minter;

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

/// A grant from a sign-in made before an incident action asked the person
/// (or everyone) to sign in again.
pub const SIGN_IN_AGAIN: &str =
    "the person must sign in again (an administrator ended earlier sign-ins)";

/// Everything a grant needs besides the connection.
pub struct TokenContext<'a> {
    pub master_key: &'a MasterKey,
    pub ring: &'a KeyRing,
    pub minter: &'a Minter,
    pub refresh_grace: i64,
    pub now: i64,
}

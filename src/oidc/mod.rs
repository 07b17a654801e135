//! The OpenID Connect / OAuth 2.0 protocol: typed inputs in, typed results out.

pub mod access_token;
pub mod authorize;
pub mod branding;
pub mod claims;
pub mod client;
pub mod client_admin;
pub mod client_auth;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod flow;
pub mod grant;
pub mod interaction;
pub mod introspect;
pub mod issue;
pub mod login_tx;
pub mod params;
pub mod response;
pub mod revoke;
pub mod row_cache;
pub mod token;
pub mod types;
pub mod userinfo;

pub use error::{ErrorCode, OAuthError};

//! Administrator roles and scopes: defined in `auth::roles` (the protocol
//! checks a client's admin scopes too); re-exported here for the console and API.

pub use crate::auth::roles::*;

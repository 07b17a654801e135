//! People and how they prove who they are: accounts, passwords, sessions.

pub mod acr;
pub mod email_code;
pub mod lockout;
pub mod password;
pub mod passkeys;
pub mod recovery;
pub mod signup;
pub mod session;
pub mod users;

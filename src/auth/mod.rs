//! People and how they prove who they are: accounts, passwords, sessions.

pub mod password;
pub mod session;
pub mod users;

//! People and how they prove who they are: accounts, passwords, sessions.

pub mod acr;
pub mod alerts;
pub mod approvals;
pub mod assurance;
pub mod controls;
pub mod devices;
pub mod email_code;
pub mod face;
pub mod face_idle;
pub mod face_match;
pub mod face_settings;
pub mod lockout;
pub mod my_data;
pub mod passkeys;
pub mod password;
pub mod policy;
pub mod recovery;
pub mod roles;
pub mod session;
pub mod signin;
pub mod signup;
pub mod users;

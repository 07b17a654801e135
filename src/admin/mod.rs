//! Administration: roles, the first owner, and the operations the console,
//! the admin API and the CLI share.

pub mod alerts;
pub mod audit_log;
pub mod bootstrap;
pub mod clients;
pub mod console_client;
pub mod face_policy;
pub mod incidents;
pub mod invitations;
pub mod keys;
pub mod master_key;
pub mod registrations;
pub mod roles;
pub mod sessions;
pub mod users;

//! Creating and finding accounts.

use crate::db::users::{self as repo, UserRow};
use crate::db::{DbConnection, DbError};

use super::password;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("'{0}' is not a valid email address")]
    InvalidEmail(String),
    #[error("the password must be at least 8 characters")]
    WeakPassword,
    #[error("an account with email '{0}' already exists")]
    Duplicate(String),
    #[error("no account '{0}'")]
    NotFound(String),
    #[error(transparent)]
    Password(#[from] password::PasswordError),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub use crate::email::valid as valid_email;

/// A verified account with a password (CLI and tests).
pub fn create_with_password(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
    name: Option<&str>,
    now: i64,
) -> Result<UserRow, UserError> {
    let email = email.trim().to_lowercase();
    if !valid_email(&email) {
        return Err(UserError::InvalidEmail(email));
    }
    if password.chars().count() < 8 {
        return Err(UserError::WeakPassword);
    }
    let row = UserRow {
        id: crate::ids::UserId::new_random(),
        email: email.clone(),
        email_verified: true,
        password_hash: Some(password::hash(password)?),
        name: name.map(str::to_owned),
        given_name: None,
        family_name: None,
        locale: None,
        phone_number: None,
        phone_number_verified: false,
        address: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    match repo::insert(conn, &row) {
        Err(e) if e.is_unique_violation() => return Err(UserError::Duplicate(email)),
        other => other?,
    }
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", "user.create", "success")
            .user(&row.id)
            .actor("cli"),
        now,
    )?;
    Ok(row)
}

pub fn remove(conn: &mut DbConnection, email: &str, now: i64) -> Result<(), UserError> {
    let user =
        repo::find_by_email(conn, email)?.ok_or_else(|| UserError::NotFound(email.to_owned()))?;
    repo::delete(conn, &user.id)?;
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", "user.delete", "success")
            .user(&user.id)
            .actor("cli"),
        now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn email_shape() {
        assert!(super::valid_email("a@example.com"));
        assert!(!super::valid_email("a@b"));
        assert!(!super::valid_email("no-at.example.com"));
        assert!(!super::valid_email("a b@example.com"));
    }
}

//! Open or invited sign-up: email → emailed code → passkey. The account row
//! is created only at the end, in one transaction with its first passkey and
//! recovery codes, so an abandoned sign-up leaves no half-made account.

use crate::config::SignupConfig;
use crate::crypto::{self, MasterKey};
use crate::db::email_challenges::EmailChallengeRow;
use crate::db::invitations::{self, InvitationRow};
use crate::db::users::{self, UserRow};
use crate::db::{DbConnection, DbError};

use super::email_code::{self, CodeError, NewChallenge, SIGNUP};
use super::passkeys::{self, NewPasskey, PasskeyError};
use super::recovery;

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("sign-up needs an invitation")]
    Closed,
    #[error("the invitation is invalid, expired or used")]
    BadInvitation,
    #[error("invalid email address")]
    BadEmail,
    #[error("invalid name")]
    BadName,
    #[error("the email address is already registered")]
    Taken,
    #[error("the sign-up expired; start again")]
    Expired,
    #[error(transparent)]
    Passkey(#[from] PasskeyError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SignupError {
    fn from(e: diesel::result::Error) -> Self {
        SignupError::Db(e.into())
    }
}

/// What the person typed on the sign-up form.
#[derive(Debug, Clone)]
pub struct SignupForm {
    pub email: String,
    pub name: String,
    pub invitation: Option<String>,
    pub tx: Option<String>,
    pub locale: String,
}

/// A started sign-up: the browser's token and the code to email.
pub struct Started {
    pub token: String,
    pub code: String,
    pub email: String,
}

fn invitation(
    conn: &mut DbConnection,
    token: Option<&str>,
    email: &str,
    now: i64,
) -> Result<Option<InvitationRow>, SignupError> {
    let Some(t) = token.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let row = invitations::find_open(conn, &crypto::token_hash(t.trim()), now)?
        .ok_or(SignupError::BadInvitation)?;
    if row.email.as_deref().is_some_and(|e| e != email) {
        return Err(SignupError::BadInvitation);
    }
    Ok(Some(row))
}

/// Check the form and store the emailed challenge (no account yet).
pub fn start(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &SignupConfig,
    form: &SignupForm,
    now: i64,
) -> Result<Started, SignupError> {
    let email = form.email.trim().to_lowercase();
    if !super::users::valid_email(&email) {
        return Err(SignupError::BadEmail);
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(SignupError::BadName);
    }
    let invite = invitation(conn, form.invitation.as_deref(), &email, now)?;
    if !cfg.open && invite.is_none() {
        return Err(SignupError::Closed);
    }
    if users::find_by_email(conn, &email)?.is_some() {
        return Err(SignupError::Taken);
    }
    let (token, code) = email_code::issue(
        conn,
        mk,
        SIGNUP,
        NewChallenge {
            user_id: crate::ids::UserId::new_random(),
            email: email.clone(),
            name: Some(name.to_owned()),
            tx: form.tx.clone(),
            locale: Some(form.locale.clone()),
            invitation: invite.map(|i| i.id_hash),
        },
        cfg.code_ttl_seconds,
        now,
    )?;
    Ok(Started { token, code, email })
}

/// The sign-up behind `token` once its email is verified.
pub fn verified(
    conn: &mut DbConnection,
    token: &str,
    now: i64,
) -> Result<EmailChallengeRow, SignupError> {
    email_code::find(conn, SIGNUP, token, now)?
        .filter(|r| r.verified_at.is_some())
        .ok_or(SignupError::Expired)
}

pub fn verify(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &SignupConfig,
    token: &str,
    code: &str,
    now: i64,
) -> Result<EmailChallengeRow, CodeError> {
    email_code::check(conn, mk, SIGNUP, token, code, cfg.max_code_attempts, now)
}

/// The finished account and its recovery codes (shown once).
pub struct Created {
    pub user: UserRow,
    pub recovery_codes: Vec<String>,
    pub tx: Option<String>,
    /// Made while registrations are held: disabled until an administrator
    /// approves its passkey.
    pub held: bool,
}

/// The account's first passkey, its name, and the hold on it if any.
pub struct FirstPasskey<'a> {
    pub passkey: NewPasskey,
    pub name: &'a str,
    pub hold: Option<crate::auth::approvals::Hold>,
}

/// Create the account with its first passkey and recovery codes, all or nothing.
pub fn complete(
    conn: &mut DbConnection,
    mk: &MasterKey,
    cfg: &SignupConfig,
    token: &str,
    first: FirstPasskey<'_>,
    now: i64,
) -> Result<Created, SignupError> {
    conn.write_transaction(|c| {
        let pending = verified(c, token, now)?;
        if let Some(inv) = &pending.invitation {
            if !invitations::consume(c, inv, now)? {
                return Err(SignupError::BadInvitation);
            }
        }
        let user = UserRow {
            id: pending.user_id.clone(),
            email: pending.email.clone(),
            email_verified: true,
            password_hash: None,
            name: pending.name.clone(),
            given_name: None,
            family_name: None,
            locale: pending.locale.clone(),
            phone_number: None,
            phone_number_verified: false,
            address: None,
            disabled: first.hold.is_some(),
            created_at: now,
            updated_at: now,
        };
        match users::insert(c, &user) {
            Err(e) if e.is_unique_violation() => return Err(SignupError::Taken),
            other => other?,
        }
        let key = passkeys::save(c, &user.id, first.passkey, first.name, now)?;
        if let Some(hold) = &first.hold {
            crate::auth::approvals::hold(c, hold, &user.id, &key.id, true, now)?;
        }
        // An administrator invitation makes the person an administrator.
        let role = match &pending.invitation {
            Some(inv) => invitations::find(c, inv)?.and_then(|i| i.role),
            None => None,
        };
        if let Some(role) = role.and_then(|r| r.parse().ok()) {
            // The invitation's id is the hash of its link: its start names it
            // in the audit log without revealing anything (checked access).
            let id = pending.invitation.as_deref().unwrap_or("");
            let by = format!("invitation:{}", id.get(..8).unwrap_or(id));
            crate::auth::roles::grant(c, "user", user.id.as_str(), role, &by, now)
                .map_err(|e| SignupError::Db(crate::db::DbError::Corrupt(e.to_string())))?;
        }
        let recovery_codes = recovery::issue(c, mk, &user.id, cfg.recovery_codes, now)?;
        email_code::close(c, token)?;
        crate::audit::record(
            c,
            &crate::audit::Event::new("account", "signup", "success")
                .user(&user.id)
                .detail(serde_json::json!({ "invited": pending.invitation.is_some() })),
            now,
        )?;
        Ok(Created {
            user,
            recovery_codes,
            tx: pending.tx,
            held: first.hold.is_some(),
        })
    })
}

/// The sign-up link an invitation token opens (tokens are URL-safe).
pub fn invitation_url(issuer: &str, token: &str) -> String {
    format!("{issuer}/signup?invitation={token}")
}

/// An invitation link token (shown once) for `email`, or for anyone.
pub fn invite(
    conn: &mut DbConnection,
    email: Option<&str>,
    role: Option<crate::auth::roles::Role>,
    by: &str,
    ttl: i64,
    now: i64,
) -> Result<String, SignupError> {
    let email = email.map(|e| e.trim().to_lowercase());
    if email
        .as_deref()
        .is_some_and(|e| !super::users::valid_email(e))
    {
        return Err(SignupError::BadEmail);
    }
    let token = crypto::random_token(24);
    invitations::insert(
        conn,
        &InvitationRow {
            id_hash: crypto::token_hash(&token),
            email,
            created_by: by.to_owned(),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
            role: role.map(|r| r.as_str().to_owned()),
        },
    )?;
    crate::audit::record(
        conn,
        &crate::audit::Event::new("admin", "invitation.create", "success")
            .actor(by)
            .detail(serde_json::json!({ "role": role.map(|r| r.as_str()) })),
        now,
    )?;
    Ok(token)
}

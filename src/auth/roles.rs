//! Administrator roles and the admin API scopes each one may use.

use std::str::FromStr;

use crate::audit::{self, Event};
use crate::db::admin_roles::{self as repo, AdminRoleRow};
use crate::db::{DbConnection, DbError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only: every list and page, no change.
    Auditor,
    /// Everything but managing administrators.
    Admin,
    /// Everything, including who administers.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// The admin API scopes this role may use.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Role::Owner => &[READ, WRITE, KEYS, ROLES],
            Role::Admin => &[READ, WRITE, KEYS],
            Role::Auditor => &[READ],
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role '{s}' (owner, admin, auditor)"))
    }
}

/// Read clients, users, sessions, keys, policy and the audit log.
pub const READ: &str = "admin:read";
/// Change clients, users and sessions.
pub const WRITE: &str = "admin:write";
/// Rotate and retire signing keys.
pub const KEYS: &str = "admin:keys";
/// Grant and remove administrator roles.
pub const ROLES: &str = "admin:roles";
pub const SCOPES: [&str; 4] = [READ, WRITE, KEYS, ROLES];

/// Who is acting through the console or the admin API.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user:ID` or `client:ID`, as written to the audit log.
    pub label: String,
    pub subject: String,
    /// For pages: a person's email, a client's id.
    pub name: String,
    pub role: Role,
    /// The scopes of this request: the role's, narrowed by the token.
    pub scopes: Vec<String>,
}

impl Actor {
    pub fn may(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The command line: whoever runs it holds the server's database and
    /// master key, so it may do what an owner may. Audited as `cli`.
    pub fn command_line() -> Actor {
        Actor {
            label: "cli".into(),
            subject: "cli".into(),
            name: "command line".into(),
            role: Role::Owner,
            scopes: Role::Owner
                .scopes()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }

    /// An audit event with this actor.
    pub fn event(&self, action: &'static str) -> Event {
        Event::new("admin", action, "success").actor(&self.label)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("{0}")]
    Invalid(String),
    #[error("the last owner cannot be removed or demoted")]
    LastOwner,
    #[error(transparent)]
    Db(#[from] DbError),
}

pub fn role_of(conn: &mut DbConnection, subject: &str) -> Result<Option<Role>, DbError> {
    Ok(repo::find(conn, subject)?.and_then(|r| r.role.parse().ok()))
}

/// The actor behind `subject` (`kind` user or client), scopes narrowed to
/// `asked` when given (a client's access token).
pub fn actor(
    conn: &mut DbConnection,
    kind: &str,
    subject: &str,
    asked: Option<&str>,
) -> Result<Option<Actor>, DbError> {
    let Some(row) = repo::find(conn, subject)?.filter(|r| r.kind == kind) else {
        return Ok(None);
    };
    let Ok(role) = Role::from_str(&row.role) else {
        return Ok(None);
    };
    let scopes = role
        .scopes()
        .iter()
        .filter(|s| asked.is_none_or(|a| a.split(' ').any(|x| x == **s)))
        .map(|s| (*s).to_owned())
        .collect();
    Ok(Some(Actor {
        label: format!("{kind}:{subject}"),
        subject: subject.to_owned(),
        name: subject.to_owned(),
        role,
        scopes,
    }))
}

/// Admin scopes in a client-credentials request: only those the client's
/// role allows (`Err` names the first refused one).
pub fn check_client_scopes(
    conn: &mut DbConnection,
    client_id: &crate::ids::ClientId,
    asked: &[String],
) -> Result<Result<(), String>, DbError> {
    let admin: Vec<&String> = asked.iter().filter(|s| s.starts_with("admin:")).collect();
    if admin.is_empty() {
        return Ok(Ok(()));
    }
    let role = repo::find(conn, client_id.as_str())?
        .filter(|r| r.kind == "client")
        .and_then(|r| Role::from_str(&r.role).ok());
    Ok(
        match admin
            .iter()
            .find(|s| !role.is_some_and(|r| r.scopes().contains(&s.as_str())))
        {
            Some(bad) => Err(format!("this client may not obtain the scope '{bad}'")),
            None => Ok(()),
        },
    )
}

/// Give `subject` a role (replacing any other), audited with `by`.
pub fn grant(
    conn: &mut DbConnection,
    kind: &str,
    subject: &str,
    role: Role,
    by: &str,
    now: i64,
) -> Result<(), RoleError> {
    if kind != "user" && kind != "client" {
        return Err(RoleError::Invalid("kind must be user or client".into()));
    }
    if role != Role::Owner && is_last_owner(conn, subject)? {
        return Err(RoleError::LastOwner);
    }
    repo::upsert(
        conn,
        &AdminRoleRow {
            subject: subject.to_owned(),
            kind: kind.to_owned(),
            role: role.as_str().to_owned(),
            granted_by: by.to_owned(),
            granted_at: now,
        },
    )?;
    let mut ev = Event::new("admin", "role.grant", "success")
        .actor(by)
        .detail(serde_json::json!({ "kind": kind, "role": role.as_str() }));
    ev = if kind == "user" {
        ev.user(&subject.into())
    } else {
        ev.client(&subject.into())
    };
    audit::record(conn, &ev, now)?;
    Ok(())
}

/// Take the role away from `subject` (never from the last owner).
pub fn remove(
    conn: &mut DbConnection,
    subject: &str,
    by: &str,
    now: i64,
) -> Result<bool, RoleError> {
    if is_last_owner(conn, subject)? {
        return Err(RoleError::LastOwner);
    }
    let removed = repo::delete(conn, subject)?;
    if removed {
        audit::record(
            conn,
            &Event::new("admin", "role.remove", "success")
                .actor(by)
                .detail(serde_json::json!({ "subject": subject })),
            now,
        )?;
    }
    Ok(removed)
}

/// Whether `subject` is the only owner.
pub fn is_last_owner(conn: &mut DbConnection, subject: &str) -> Result<bool, DbError> {
    Ok(role_of(conn, subject)? == Some(Role::Owner) && repo::count_role(conn, "owner")? <= 1)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<AdminRoleRow>, DbError> {
    repo::list(conn)
}

pub fn any_owner(conn: &mut DbConnection) -> Result<bool, DbError> {
    Ok(repo::count_role(conn, "owner")? > 0)
}

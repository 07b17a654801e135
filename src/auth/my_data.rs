//! What Visage keeps about a person, as they may see and take it
//! (`GET /account/export`, issue 17), and the apps they gave access to
//! (`/account/apps`), one of which they can cut off.
//!
//! Never in it: password or code hashes, passkey public keys, the face
//! template or any score — only that they exist and when.

use serde::Serialize;

use crate::audit::{self, Event};
use crate::db::{
    audit as audit_repo, biometric_consents, clients, consents, face_templates, passkeys, sessions,
    tokens, users, DbConnection, DbError,
};

/// How far back the sign-in history goes.
pub const HISTORY_DAYS: i64 = 90;

/// The export's format name; bumped when fields change meaning.
pub const FORMAT: &str = "visage-my-data/1";

#[derive(Debug, Serialize)]
pub struct MyData {
    pub format: &'static str,
    pub exported_at: i64,
    pub profile: Profile,
    pub passkeys: Vec<Passkey>,
    pub face: Option<Face>,
    pub biometric_consent: Option<BiometricConsent>,
    pub apps: Vec<App>,
    pub recovery_codes_left: i64,
    pub active_sessions: Vec<Session>,
    /// The browsers that signed in, most recently used first.
    pub browsers: Vec<Browser>,
    /// The last `HISTORY_DAYS` days, newest first.
    pub sign_ins: Vec<SignInEvent>,
}

/// A browser that signed in to the account (`auth::devices`).
#[derive(Debug, Serialize)]
pub struct Browser {
    /// "Firefox (Linux)"; empty when its `User-Agent` said nothing known.
    pub browser: String,
    pub first_seen: i64,
    pub last_seen: i64,
}

#[derive(Debug, Serialize)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub has_password: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Serialize)]
pub struct Passkey {
    pub name: String,
    /// `synced` (a passkey provider copies it between devices) or
    /// `device-bound`.
    pub kind: &'static str,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Registered while new registrations were held: it cannot sign in
    /// until an administrator approves it.
    pub awaiting_approval: bool,
}

#[derive(Debug, Serialize)]
pub struct Face {
    pub created_at: i64,
    pub model: String,
    pub frames: i64,
    /// The last successful face check.
    pub last_match_at: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct BiometricConsent {
    pub text_version: String,
    pub granted_at: i64,
}

#[derive(Debug, Serialize)]
pub struct App {
    pub client_id: crate::ids::ClientId,
    pub name: String,
    pub scopes: Vec<String>,
    pub granted_at: i64,
}

#[derive(Debug, Serialize)]
pub struct Session {
    pub signed_in_at: i64,
    pub level: String,
    pub methods: Vec<String>,
    pub expires_at: i64,
}

#[derive(Debug, Serialize)]
pub struct SignInEvent {
    pub at: i64,
    /// `login.passkey`, `login.password`, `face.verify`, `logout`, …
    pub event: String,
    pub outcome: String,
    /// The level reached, when the event says.
    pub level: Option<String>,
    pub app: Option<String>,
    /// "Firefox (Linux)", when the event says.
    pub browser: Option<String>,
    /// Where from, as coarse as an address says without a location
    /// database: `loopback`, `private network`, `public IPv4 a.b.0.0/16`,
    /// `public IPv6 prefix/32`.
    pub network: Option<String>,
}

/// The network an address is in, never the address itself.
pub fn network_of(ip: &str) -> Option<String> {
    let ip: std::net::IpAddr = ip.parse().ok()?;
    Some(match ip {
        a if a.is_loopback() => "loopback".into(),
        std::net::IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => {
            "private network".into()
        }
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            format!("public IPv4 {a}.{b}.0.0/16")
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80 {
                "private network".into()
            } else {
                format!("public IPv6 {:x}:{:x}::/32", s[0], s[1])
            }
        }
    })
}

/// The apps the person gave access to.
pub fn apps(conn: &mut DbConnection, user_id: &crate::ids::UserId) -> Result<Vec<App>, DbError> {
    let mut out = Vec::new();
    for (client_id, scope, granted_at) in consents::for_user(conn, user_id)? {
        let name = clients::find(conn, &client_id)?
            .map(|c| c.name)
            .unwrap_or_else(|| client_id.to_string());
        out.push(App {
            scopes: scope.split_whitespace().map(str::to_owned).collect(),
            client_id,
            name,
            granted_at,
        });
    }
    Ok(out)
}

/// Everything about `user_id`, or None when there is no such person.
pub fn collect(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    now: i64,
) -> Result<Option<MyData>, DbError> {
    let Some(u) = users::find(conn, user_id)? else {
        return Ok(None);
    };
    let history = audit_repo::for_user_since(
        conn,
        user_id,
        &["auth", "biometric"],
        now - HISTORY_DAYS * 86_400,
        1000,
    )?;
    let last_match_at = history
        .iter()
        .find(|e| e.action == "face.verify" && e.outcome == "success")
        .map(|e| e.at);
    let face = face_templates::for_user(conn, user_id)?.map(|t| Face {
        created_at: t.created_at,
        model: t.model_id,
        frames: t.frames,
        last_match_at,
    });
    let sign_ins = history
        .into_iter()
        .filter(|e| e.category == "auth" || e.action.starts_with("face.verify"))
        .map(|e| {
            let detail = crate::audit::detail_of(&e);
            SignInEvent {
                at: e.at,
                event: e.action,
                outcome: e.outcome,
                level: detail
                    .get("acr")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                app: e.client_id,
                browser: detail
                    .get("browser")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                network: e.ip.as_deref().and_then(network_of),
            }
        })
        .collect();
    let waiting = crate::db::registration_approvals::waiting_for(conn, user_id)?;
    Ok(Some(MyData {
        format: FORMAT,
        exported_at: now,
        passkeys: passkeys::for_user(conn, user_id)?
            .into_iter()
            .map(|k| Passkey {
                awaiting_approval: waiting.contains(&k.id),
                name: k.name,
                kind: if k.backup_eligible {
                    "synced"
                } else {
                    "device-bound"
                },
                created_at: k.created_at,
                last_used_at: k.last_used_at,
            })
            .collect(),
        face,
        biometric_consent: biometric_consents::find(conn, user_id)?.map(|c| BiometricConsent {
            text_version: c.text_version,
            granted_at: c.granted_at,
        }),
        apps: apps(conn, user_id)?,
        recovery_codes_left: crate::auth::recovery::remaining(conn, user_id)?,
        active_sessions: sessions::live_for_user(conn, user_id, now)?
            .into_iter()
            .map(|s| Session {
                signed_in_at: s.auth_time,
                level: s.acr,
                methods: s.amr.0,
                expires_at: s.expires_at,
            })
            .collect(),
        browsers: crate::db::known_devices::for_user(conn, user_id)?
            .into_iter()
            .map(|d| Browser {
                browser: d.browser,
                first_seen: d.first_seen,
                last_seen: d.last_seen,
            })
            .collect(),
        sign_ins,
        profile: Profile {
            id: u.id.to_string(),
            email: u.email,
            email_verified: u.email_verified,
            name: u.name,
            given_name: u.given_name,
            family_name: u.family_name,
            locale: u.locale,
            phone_number: u.phone_number,
            has_password: u.password_hash.is_some(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        },
    }))
}

/// Cut `client_id` off: its consent goes (the next sign-in asks again) and
/// every token the person's sign-ins gave it is revoked, in one
/// transaction, audited. Whether the app had access.
pub fn disconnect(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    client_id: &crate::ids::ClientId,
    ip: Option<String>,
    now: i64,
) -> Result<bool, DbError> {
    conn.write_transaction(|c| {
        let had = consents::delete(c, user_id, client_id)?;
        let revoked = tokens::revoke_for_user_and_client(c, user_id, client_id, now)?;
        if had || revoked > 0 {
            audit::record(
                c,
                &Event::new("account", "app.disconnect", "success")
                    .user(user_id)
                    .client(client_id)
                    .ip(ip)
                    .detail(serde_json::json!({ "tokens_revoked": revoked })),
                now,
            )?;
        }
        Ok(had || revoked > 0)
    })
}

/// Why an account cannot delete itself.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    #[error("the last owner of this deployment cannot delete their account")]
    LastOwner,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for DeleteError {
    fn from(e: diesel::result::Error) -> Self {
        DeleteError::Db(e.into())
    }
}

/// Who the account belonged to, for the notice after the deletion.
#[derive(Debug)]
pub struct Deleted {
    pub email: String,
    pub locale: Option<String>,
}

/// Erase the account `user_id` and everything keyed to it (within the
/// caller's transaction): face template and consent (`by` who, audited),
/// administrator role, tokens, guessing counters, then the account row,
/// whose deletion the database cascades to passkeys, known browsers, recovery codes,
/// sessions, codes, consents and challenges. The erased row, if there was one.
pub fn erase(
    c: &mut DbConnection,
    user_id: &crate::ids::UserId,
    by: &str,
    now: i64,
) -> Result<Option<users::UserRow>, DbError> {
    let Some(u) = users::find(c, user_id)? else {
        return Ok(None);
    };
    crate::auth::face::delete_all(c, user_id, by, now)?;
    crate::db::admin_roles::delete(c, user_id.as_str())?;
    crate::db::incidents::forget_floor(c, user_id.as_str())?;
    tokens::revoke_for_user(c, user_id, now)?;
    for key in [
        crate::auth::lockout::account_key(user_id),
        crate::auth::lockout::email_key(&u.email),
    ] {
        crate::auth::lockout::clear(c, &key)?;
    }
    users::delete(c, user_id)?;
    Ok(Some(u))
}

/// The person deletes their own account: [`erase`] in one transaction,
/// unless they are the deployment's last owner. The audit log keeps the
/// deletion under the account's random id only (no address or name).
pub fn delete_account(
    conn: &mut DbConnection,
    user_id: &crate::ids::UserId,
    ip: Option<String>,
    now: i64,
) -> Result<Option<Deleted>, DeleteError> {
    conn.write_transaction(|c| {
        if crate::auth::roles::is_last_owner(c, user_id.as_str())? {
            return Err(DeleteError::LastOwner);
        }
        let Some(u) = erase(c, user_id, "self", now)? else {
            return Ok(None);
        };
        audit::record(
            c,
            &Event::new("account", "account.delete", "success")
                .user(user_id)
                .ip(ip),
            now,
        )?;
        Ok(Some(Deleted {
            email: u.email,
            locale: u.locale,
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::network_of;

    #[test]
    fn an_address_becomes_its_network_never_itself() {
        assert_eq!(network_of("127.0.0.1").as_deref(), Some("loopback"));
        assert_eq!(network_of("10.1.2.3").as_deref(), Some("private network"));
        assert_eq!(
            network_of("198.51.100.7").as_deref(),
            Some("public IPv4 198.51.0.0/16")
        );
        assert_eq!(
            network_of("2001:db8:1:2::5").as_deref(),
            Some("public IPv6 2001:db8::/32")
        );
        assert_eq!(network_of("fd00::1").as_deref(), Some("private network"));
        assert_eq!(network_of("not an address"), None);
    }
}

//! Incident actions (docs/operations.md "Incident actions"), shared by the
//! console, the admin API and the CLI: revoke every token of a client or a
//! person, make a person or everyone sign in again, block an address range,
//! switch face sign-in off for the whole deployment. Each takes a reason
//! and is written to the audit log (category `incident`) with it.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::auth::controls::{self, FACE_SIGN_IN};
use crate::db::incidents::{self as repo, BlockRow, SwitchRow, EVERYONE};
use crate::db::{clients, sessions, tokens, users, DbConnection, DbError};
use crate::ids::{ClientId, UserId};

use super::roles::Actor;
use super::users::{may_act_on, UserAdminError};

/// The shortest prefixes a block may have: wider ranges would shut out a
/// large part of the internet by a typo.
const MIN_PREFIX_V4: u8 = 8;
const MIN_PREFIX_V6: u8 = 24;

#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    User(#[from] UserAdminError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for IncidentError {
    fn from(e: diesel::result::Error) -> Self {
        IncidentError::Db(e.into())
    }
}

/// Why: 1 to 500 characters, kept in the audit log.
pub fn reason(text: &str) -> Result<String, IncidentError> {
    let r = text.trim();
    if r.is_empty() || r.chars().count() > 500 {
        return Err(IncidentError::Invalid(
            "reason must be 1 to 500 characters".into(),
        ));
    }
    Ok(r.to_owned())
}

/// An audit event of an incident action by `actor`.
fn event(actor: &Actor, action: &'static str) -> crate::audit::Event {
    crate::audit::Event::new("incident", action, "success").actor(&actor.label)
}

/// Write `ev` with `detail` and the reason.
fn record(
    conn: &mut DbConnection,
    ev: crate::audit::Event,
    why: &str,
    mut detail: serde_json::Value,
    now: i64,
) -> Result<(), DbError> {
    if let Some(map) = detail.as_object_mut() {
        map.insert("reason".into(), why.into());
    }
    crate::audit::record(conn, &ev.detail(detail), now)
}

/// Revoke every live token the client holds (every family, its own
/// client-credentials tokens too); how many.
pub fn revoke_client_tokens(
    conn: &mut DbConnection,
    actor: &Actor,
    client_id: &ClientId,
    why: &str,
    now: i64,
) -> Result<usize, IncidentError> {
    let why = reason(why)?;
    conn.write_transaction(|c| {
        if clients::find(c, client_id)?.is_none() {
            return Err(IncidentError::NotFound(format!(
                "no client with id '{client_id}'"
            )));
        }
        let n = tokens::revoke_for_client(c, client_id, now)?;
        let ev = event(actor, "incident.revoke_client_tokens").client(client_id);
        record(c, ev, &why, serde_json::json!({ "revoked": n }), now)?;
        Ok(n)
    })
}

/// What making someone sign in again ended.
#[derive(Debug, Serialize)]
pub struct Ended {
    pub sessions: usize,
    pub tokens: usize,
    /// Sign-ins before this time (Unix seconds) no longer count.
    pub floor: i64,
}

/// Revoke every token of the person's sign-ins (every family at every app);
/// their sessions stay. How many.
pub fn revoke_person_tokens(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &UserId,
    why: &str,
    now: i64,
) -> Result<usize, IncidentError> {
    let why = reason(why)?;
    conn.write_transaction(|c| {
        person(c, actor, user_id)?;
        let n = tokens::revoke_for_user(c, user_id, now)?;
        let ev = event(actor, "incident.revoke_person_tokens").user(user_id);
        record(c, ev, &why, serde_json::json!({ "revoked": n }), now)?;
        Ok(n)
    })
}

fn person(c: &mut DbConnection, actor: &Actor, user_id: &UserId) -> Result<(), IncidentError> {
    super::users::exists(c, user_id)?;
    may_act_on(c, actor, user_id, false)?;
    Ok(())
}

/// A person named by their account id or email address (console, CLI).
pub fn find_person(conn: &mut DbConnection, named: &str) -> Result<UserId, IncidentError> {
    let t = named.trim();
    let found = if t.contains('@') {
        users::find_by_email(conn, &t.to_lowercase())?
    } else {
        users::find(conn, &t.into())?
    };
    found
        .map(|u| u.id)
        .ok_or_else(|| IncidentError::NotFound(format!("no account '{t}'")))
}

/// The person signs in again: their sessions end, their tokens are revoked,
/// and any sign-in before now (a code not yet redeemed, a session another
/// server is creating) no longer counts.
pub fn reauthenticate_person(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &UserId,
    why: &str,
    now: i64,
) -> Result<Ended, IncidentError> {
    let why = reason(why)?;
    conn.write_transaction(|c| {
        person(c, actor, user_id)?;
        repo::raise_floor(c, user_id.as_str(), now, &actor.label, &why)?;
        let ended = Ended {
            sessions: sessions::end_all_for_user(c, user_id, now)?,
            tokens: tokens::revoke_for_user(c, user_id, now)?,
            floor: now,
        };
        let ev = event(actor, "incident.reauthenticate_person").user(user_id);
        let detail = serde_json::json!({ "sessions": ended.sessions, "tokens": ended.tokens });
        record(c, ev, &why, detail, now)?;
        Ok(ended)
    })
}

/// Everyone signs in again (administrators too): every session ends, every
/// token of a person's sign-in is revoked, earlier sign-ins no longer count.
pub fn reauthenticate_everyone(
    conn: &mut DbConnection,
    actor: &Actor,
    why: &str,
    now: i64,
) -> Result<Ended, IncidentError> {
    let why = reason(why)?;
    conn.write_transaction(|c| {
        repo::raise_floor(c, EVERYONE, now, &actor.label, &why)?;
        let ended = Ended {
            sessions: sessions::end_all(c, now)?,
            tokens: tokens::revoke_all_of_people(c, now)?,
            floor: now,
        };
        let detail = serde_json::json!({ "sessions": ended.sessions, "tokens": ended.tokens });
        let ev = event(actor, "incident.reauthenticate_everyone");
        record(c, ev, &why, detail, now)?;
        Ok(ended)
    })
}

/// A block as the API and the console take it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockInput {
    /// CIDR (`198.51.100.0/24`) or one address.
    pub network: String,
    pub reason: String,
    /// Lifted by itself after this many seconds; none: until lifted.
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
}

/// A range as written: CIDR or one address, stored as its network.
pub fn parse_network(text: &str) -> Result<IpNet, IncidentError> {
    let t = text.trim();
    let net: IpNet = match t.parse::<IpNet>() {
        Ok(n) => n.trunc(),
        Err(_) => match t.parse::<IpAddr>() {
            Ok(ip) => IpNet::from(controls::canonical(ip)),
            Err(_) => {
                return Err(IncidentError::Invalid(format!(
                    "'{t}' is not an address range (CIDR such as 198.51.100.0/24) or an address"
                )))
            }
        },
    };
    let min = match net {
        IpNet::V4(_) => MIN_PREFIX_V4,
        IpNet::V6(_) => MIN_PREFIX_V6,
    };
    if net.prefix_len() < min {
        return Err(IncidentError::Invalid(format!(
            "'{t}' is too wide: block at most a /{MIN_PREFIX_V4} (IPv4) or a /{MIN_PREFIX_V6} (IPv6)"
        )));
    }
    Ok(net)
}

/// Block a range; refused when it holds the caller's own address (`own`,
/// none from the CLI), so an administrator cannot shut themselves out.
pub fn block_network(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &BlockInput,
    own: Option<IpAddr>,
    now: i64,
) -> Result<BlockRow, IncidentError> {
    let why = reason(&input.reason)?;
    let net = parse_network(&input.network)?;
    if own.is_some_and(|ip| net.contains(&controls::canonical(ip))) {
        return Err(IncidentError::Invalid(format!(
            "{net} holds your own address: you would block yourself"
        )));
    }
    let expires_at = match input.expires_in_seconds {
        None => None,
        Some(s) if (60..=366 * 86_400).contains(&s) => Some(now + s),
        Some(_) => {
            return Err(IncidentError::Invalid(
                "expires_in_seconds must be between 60 and 31622400 (or left out)".into(),
            ))
        }
    };
    let row = BlockRow {
        id: uuid::Uuid::new_v4().to_string(),
        network: net.to_string(),
        reason: why.clone(),
        actor: actor.label.clone(),
        created_at: now,
        expires_at,
        lifted_at: None,
        lifted_by: None,
    };
    conn.write_transaction(|c| {
        repo::insert_block(c, &row)?;
        let detail =
            serde_json::json!({ "id": row.id, "network": row.network, "expires_at": expires_at });
        record(c, event(actor, "incident.block_network"), &why, detail, now)?;
        Ok(row)
    })
}

/// Lift a block before it expires.
pub fn lift_block(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    why: &str,
    now: i64,
) -> Result<BlockRow, IncidentError> {
    let why = reason(why)?;
    conn.write_transaction(|c| {
        let row = repo::lift_block(c, id, &actor.label, now)?
            .ok_or_else(|| IncidentError::NotFound(format!("no active block with id '{id}'")))?;
        let detail = serde_json::json!({ "id": row.id, "network": row.network });
        record(c, event(actor, "incident.lift_block"), &why, detail, now)?;
        Ok(row)
    })
}

/// Face sign-in on or off for the whole deployment (every server within
/// `controls::RELOAD_SECONDS`). While off, a client that requires the
/// face level gets an error, never a lower level.
pub fn set_face_sign_in(
    conn: &mut DbConnection,
    actor: &Actor,
    on: bool,
    why: &str,
    now: i64,
) -> Result<(), IncidentError> {
    let why = reason(why)?;
    let row = SwitchRow {
        name: FACE_SIGN_IN.into(),
        value: if on { "on" } else { "off" }.into(),
        actor: actor.label.clone(),
        reason: why.clone(),
        at: now,
    };
    conn.write_transaction(|c| {
        repo::set_switch(c, &row)?;
        let action = if on {
            "incident.face_on"
        } else {
            "incident.face_off"
        };
        record(c, event(actor, action), &why, serde_json::json!({}), now)?;
        Ok(())
    })
}

/// What is in force, for the console and `GET /admin/api/incidents`.
#[derive(Debug, Serialize)]
pub struct IncidentView {
    pub face_sign_in: bool,
    /// Who switched face sign-in last, when, why.
    pub face_switch: Option<SwitchRow>,
    /// Sign-ins before this time no longer count for anyone.
    pub everyone_floor: Option<i64>,
    pub blocked_networks: Vec<BlockRow>,
}

pub fn view(conn: &mut DbConnection, now: i64) -> Result<IncidentView, DbError> {
    let face_switch = repo::switch(conn, FACE_SIGN_IN)?;
    Ok(IncidentView {
        face_sign_in: face_switch.as_ref().is_none_or(|s| s.value != "off"),
        face_switch,
        everyone_floor: repo::everyone_floor(conn)?,
        blocked_networks: repo::live_blocks(conn, now)?,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_network;

    #[test]
    fn a_range_is_a_network_of_sensible_width() {
        let ok = |t: &str| parse_network(t).map(|n| n.to_string()).ok();
        assert_eq!(ok("198.51.100.7/24").as_deref(), Some("198.51.100.0/24"));
        assert_eq!(ok("198.51.100.7").as_deref(), Some("198.51.100.7/32"));
        assert_eq!(
            ok("::ffff:198.51.100.7").as_deref(),
            Some("198.51.100.7/32")
        );
        assert_eq!(ok("2001:db8::/32").as_deref(), Some("2001:db8::/32"));
        for bad in [
            "0.0.0.0/0",
            "10.0.0.0/7",
            "::/0",
            "2001::/16",
            "example.org",
            "",
        ] {
            assert!(parse_network(bad).is_err(), "{bad}");
        }
    }
}

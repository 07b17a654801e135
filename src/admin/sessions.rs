//! Sessions and token families as administrators manage them: per person and
//! per client; end one session, revoke one family (a grant's access and
//! refresh tokens).

use serde::Serialize;

use crate::auth::session;
use crate::db::{sessions, tokens, DbConnection, DbError};

use super::roles::Actor;

/// One grant (token family) of a client: whose, how many live tokens, until when.
#[derive(Debug, Serialize)]
pub struct Family {
    pub grant_id: String,
    pub user_id: Option<crate::ids::UserId>,
    pub live_tokens: usize,
    pub expires_at: i64,
}

/// A client's live token families, latest expiry first.
pub fn families_of_client(
    conn: &mut DbConnection,
    client_id: &crate::ids::ClientId,
    now: i64,
) -> Result<Vec<Family>, DbError> {
    let mut out: Vec<Family> = Vec::new();
    for t in tokens::live_for_client(conn, client_id, now)? {
        match out.iter_mut().find(|f| f.grant_id == t.grant_id) {
            Some(f) => {
                f.live_tokens += 1;
                f.expires_at = f.expires_at.max(t.expires_at);
            }
            None => out.push(Family {
                grant_id: t.grant_id,
                user_id: t.user_id,
                live_tokens: 1,
                expires_at: t.expires_at,
            }),
        }
    }
    Ok(out)
}

/// End one of the person's sessions (and the access tokens issued under it).
/// False when it was not a live session of that person.
pub fn end_session(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &crate::ids::UserId,
    sid: &crate::ids::SessionId,
    now: i64,
) -> Result<bool, super::users::UserAdminError> {
    super::users::may_act_on(conn, actor, user_id, false)?;
    let live = sessions::live_for_user(conn, user_id, now)?
        .iter()
        .any(|s| s.sid == sid);
    if live {
        session::end(conn, sid, now)?;
        let ev = actor
            .event("session.end")
            .user(user_id)
            .detail(serde_json::json!({ "sid": sid }));
        crate::audit::record(conn, &ev, now)?;
    }
    Ok(live)
}

/// Revoke every token of one grant; returns how many were live.
pub fn revoke_family(
    conn: &mut DbConnection,
    actor: &Actor,
    grant_id: &str,
    now: i64,
) -> Result<usize, super::users::UserAdminError> {
    if let Some(user) = tokens::user_of_grant(conn, grant_id)? {
        super::users::may_act_on(conn, actor, &user, false)?;
    }
    let n = tokens::revoke_grant(conn, grant_id, now)?;
    let ev = actor
        .event("token.revoke_family")
        .detail(serde_json::json!({ "grant_id": grant_id, "revoked": n }));
    crate::audit::record(conn, &ev, now)?;
    Ok(n)
}

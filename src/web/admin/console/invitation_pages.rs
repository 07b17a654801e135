//! Console invitations: create (and mail), send again with a new link, revoke.

use crate::admin::invitations::InvitationError;

use super::*;

#[derive(Deserialize)]
pub struct InviteForm {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    /// Mail the link to the address as well.
    send: Option<String>,
}

pub async fn invite(
    ConsoleChange {
        console: c, form, ..
    }: ConsoleChange<Writes, InviteForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let role = opt(form.role);
    // Inviting an administrator is managing administrators: admin:roles
    // and a fresh sign-in, as for changing a role, checked before the role
    // is read.
    if role.is_some() {
        c.may(&req, &state, ROLES, "roles")?;
        c.fresh_or_sign_in(&state, "/admin/invitations")?;
    }
    let role: Option<Role> = match role.map(|r| r.parse()).transpose() {
        Ok(r) => r,
        Err(m) => return Err(WebError::Page(Reply::Invalid, m)),
    };
    let (label, now, email) = (c.actor.label.clone(), state.clock.now(), opt(form.email));
    let ttl = state.config.signup.invitation_ttl_seconds;
    let to = email.clone().filter(|_| form.send.is_some());
    let res = state
        .db
        .run(move |db| crate::auth::signup::invite(db, email.as_deref(), role, &label, ttl, now))
        .await;
    match res {
        Ok(token) => {
            if let Some(to) = to {
                return Ok(mail_link(&state, tr_of(&req, &state), &to, &token, now + ttl).await);
            }
            let link = crate::auth::signup::invitation_url(&state.config.issuer, &token);
            users_render(
                &c,
                req,
                state,
                ListQuery {
                    q: String::new(),
                    page: None,
                },
                Some(link),
            )
            .await
        }
        Err(e) => Err(WebError::Page(Reply::Invalid, e.to_string())),
    }
}

pub async fn invitation_action(
    ConsoleChange { console: c, .. }: ConsoleChange<Writes, CsrfForm>,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, action) = path.into_inner();
    let (ttl, now) = (
        state.config.signup.invitation_ttl_seconds,
        state.clock.now(),
    );
    let res = match action.as_str() {
        "resend" => {
            state
                .db
                .run(move |db| invitations::renew(db, &c.actor, &id, ttl, now).map(Some))
                .await
        }
        "revoke" => {
            state
                .db
                .run(move |db| invitations::revoke(db, &c.actor, &id, now).map(|()| None))
                .await
        }
        _ => {
            return Err(WebError::Page(
                Reply::Missing,
                tr_of(&req, &state).t("admin.missing.action").to_owned(),
            ))
        }
    };
    match res {
        Ok(Some((token, to))) => {
            Ok(mail_link(&state, tr_of(&req, &state), &to, &token, now + ttl).await)
        }
        Ok(None) => Ok(see_other("/admin/users?done=invitation_revoked")),
        Err(InvitationError::Db(e)) => Err(WebError::internal_page(&e)),
        Err(e) => Err(WebError::Page(Reply::Invalid, e.to_string())),
    }
}

/// Mail the invitation link and go back to the users page, or show the link
/// to give by hand when the mail could not be sent.
async fn mail_link(
    state: &AppState,
    tr: crate::i18n::Tr<'_>,
    to: &str,
    token: &str,
    until: i64,
) -> HttpResponse {
    match crate::mail::invitations::send(&state.outbox(), to, token, until).await {
        Ok(()) => see_other("/admin/users?done=invitation_sent"),
        Err(_) => {
            let link = crate::auth::signup::invitation_url(&state.config.issuer, token);
            let m = tr.f("admin.error.mail_failed", &[("to", to), ("link", &link)]);
            error::page(Reply::Upstream, &m)
        }
    }
}

crate::csrf_field!(InviteForm);

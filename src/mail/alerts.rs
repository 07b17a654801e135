//! Security alerts mailed to the account holder.

use crate::auth::face_settings::in_force;
use crate::db::users;
use crate::i18n::{Lang, Tr};

use super::messages::{
    changed_mail, deleted_mail, face_expiring_mail, face_locked_mail, new_browser_mail,
    registration_mail,
};
use super::{Mail, MailError, Outbox};

/// Tell the person their face check is locked until `until` (Unix time);
/// failures to send are logged, never shown to the person at the camera.
pub async fn face_locked(state: &Outbox<'_>, user_id: &crate::ids::UserId, until: i64) {
    let (uid, base) = (user_id.to_owned(), state.config.face.clone());
    let found = state
        .db
        .run(move |c| {
            Ok::<_, crate::db::DbError>((users::find(c, &uid)?, in_force(c, &base)?.max_failures))
        })
        .await;
    let (user, count) = match found {
        Ok((Some(u), count)) => (u, count),
        Ok((None, _)) => return,
        Err(e) => return tracing::error!("face lock alert: {e}"),
    };
    let lang = user
        .locale
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or_default();
    let when = crate::clock::utc_minutes(until);
    tracing::warn!(user = %user.id, until, "face check locked after {count} failures");
    let sent = match face_locked_mail(&state.i18n.tr(lang), &user.email, count, &when) {
        Ok(mail) => state.mailer.send(mail).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::error!("face lock alert to {} not sent: {e}", user.id);
    }
}

/// Mail the holder of `user_id` in their language: `build` makes the mail
/// from their strings and address; `what` names it in the log when it
/// cannot be sent (never shown to the person).
async fn to_person(
    state: &Outbox<'_>,
    user_id: &crate::ids::UserId,
    what: &str,
    build: impl FnOnce(&Tr<'_>, &str) -> Result<Mail, MailError>,
) {
    let uid = user_id.to_owned();
    let user = match state.db.run(move |c| users::find(c, &uid)).await {
        Ok(Some(u)) => u,
        Ok(None) => return,
        Err(e) => return tracing::error!("{what}: {e}"),
    };
    let lang = user
        .locale
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or_default();
    let sent = match build(&state.i18n.tr(lang), &user.email) {
        Ok(mail) => state.mailer.send(mail).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::error!("{what} to {} not sent: {e}", user.id);
    }
}

/// Tell the person their sign-in methods changed (`change`: e.g.
/// `passkey.add`); failures to send are logged.
pub async fn authenticator_changed(state: &Outbox<'_>, user_id: &crate::ids::UserId, change: &str) {
    let when = crate::clock::utc_minutes(state.clock.now());
    to_person(state, user_id, "change alert", |tr, to| {
        changed_mail(tr, to, change, &when)
    })
    .await;
}

/// Tell the person their account was signed in to from a browser it had not
/// used (`browser`, from `network`); failures to send are logged.
pub async fn new_browser(
    state: &Outbox<'_>,
    user_id: &crate::ids::UserId,
    browser: &str,
    network: Option<&str>,
) {
    let when = crate::clock::utc_minutes(state.clock.now());
    let account = format!("{}/account", state.config.issuer);
    to_person(state, user_id, "new browser notice", |tr, to| {
        new_browser_mail(tr, to, (browser, network), &when, &account)
    })
    .await;
}

/// Tell the former holder of `email` (language `locale`) that their account
/// is gone; failures to send are logged.
pub async fn account_deleted(state: &Outbox<'_>, email: &str, locale: Option<&str>) {
    let lang = locale.and_then(Lang::from_tag).unwrap_or_default();
    let when = crate::clock::utc_minutes(state.clock.now());
    let sent = match deleted_mail(&state.i18n.tr(lang), email, &when) {
        Ok(mail) => state.mailer.send(mail).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::error!("account deletion notice not sent: {e}");
    }
}

/// Tell the person an administrator approved or rejected the registration
/// held for approval; failures to send are logged.
pub async fn registration_decided(
    state: &Outbox<'_>,
    decided: &crate::admin::registrations::Decided,
) {
    use crate::admin::registrations::Decision;
    let lang = decided
        .locale
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or_default();
    let registered = crate::clock::utc_minutes(decided.registered_at);
    let link = format!("{}/login", state.config.issuer);
    let approved = decided.decision == Decision::Approve;
    let sent = match registration_mail(
        &state.i18n.tr(lang),
        &decided.email,
        (approved, decided.new_account),
        &registered,
        &link,
    ) {
        Ok(mail) => state.mailer.send(mail).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::error!("registration decision notice not sent: {e}");
    }
}

/// Tell the person their unused face template is erased at `on` unless
/// they sign in with their face before; failures to send are logged.
pub async fn face_expiring(state: &Outbox<'_>, user_id: &crate::ids::UserId, on: i64) {
    let on = crate::clock::utc_minutes(on);
    let account = format!("{}/account", state.config.issuer);
    to_person(state, user_id, "face expiry notice", |tr, to| {
        face_expiring_mail(tr, to, &on, &account)
    })
    .await;
}

//! Mailing a sign-up invitation link.

use crate::i18n::Lang;

use super::messages::invitation_mail;
use super::{MailError, Outbox};

/// Send the link of invitation `token` to `to` (valid until `until`); a
/// failure is logged here and returned.
pub async fn send(state: &Outbox<'_>, to: &str, token: &str, until: i64) -> Result<(), MailError> {
    let link = crate::auth::signup::invitation_url(&state.config.issuer, token);
    let mail = invitation_mail(
        &state.i18n.tr(Lang::default()),
        to,
        &link,
        &crate::clock::utc_minutes(until),
    )?;
    let sent = state.mailer.send(mail).await;
    if let Err(e) = &sent {
        tracing::error!("invitation mail to {to} not sent: {e}");
    }
    sent
}

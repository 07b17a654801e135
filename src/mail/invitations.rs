//! Mailing a sign-up invitation link.

use crate::app::AppState;
use crate::i18n::Lang;

use super::messages::invitation_mail;
use super::MailError;

/// Send the link of invitation `token` to `to` (valid until `until`).
pub async fn send(state: &AppState, to: &str, token: &str, until: i64) -> Result<(), MailError> {
    let link = crate::auth::signup::invitation_url(&state.config.issuer, token);
    let mail = invitation_mail(
        &state.i18n.tr(Lang::default()),
        to,
        &link,
        &crate::clock::utc_minutes(until),
    )?;
    state.mailer.send(mail).await
}

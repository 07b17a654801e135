//! Alerts to the operators (docs/operations.md "Alerts"): each alert the
//! rules raised (`auth::alerts`) is mailed to `alerts.mail_to` and POSTed to
//! `alerts.webhook_url`, once for the whole deployment (the server that
//! claims it sends it), by a background task that looks every
//! `POLL_SECONDS`. The webhook body is the alert as JSON, signed like this:
//!
//! `Visage-Signature: t=UNIX_TIME,v1=HEX(HMAC-SHA-256(webhook_secret, "UNIX_TIME." + body))`

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::AlertsConfig;
use crate::db::alerts::{self as repo, AlertRow};

use super::{Mail, Outbox};

/// How often a server looks for alerts nobody was told of.
pub const POLL_SECONDS: u64 = 2;

/// The header that carries the webhook's signature.
pub const SIGNATURE_HEADER: &str = "Visage-Signature";

/// `t=…,v1=…` for `body` sent at `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(e) => return format!("t={t},error={e}"),
    };
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The alert as the webhook and the API show it, with the console's link.
pub fn payload(alert: &AlertRow, issuer: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(alert).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.insert("console".into(), format!("{issuer}/admin/alerts").into());
    }
    v
}

fn mail_of(alert: &AlertRow, to: &str, issuer: &str) -> Result<Mail, super::MailError> {
    let about = match (&alert.user_id, &alert.address) {
        (Some(u), _) => format!("account {u}"),
        (None, Some(ip)) => format!("address {ip}"),
        (None, None) => "the deployment".to_owned(),
    };
    let subject = format!("[Visage alert] {}: {about}", alert.rule);
    let body = format!(
        "Rule {rule}: {count} in {window} s reached for {about} at {at} (UTC).\nWhat Visage did: {action}.\n\nAcknowledge or resolve it in the console: {issuer}/admin/alerts\nAlert id: {id}\n",
        rule = alert.rule,
        count = alert.count,
        window = alert.window_seconds,
        at = crate::clock::utc_minutes(alert.raised_at),
        action = alert.action,
        id = alert.id,
    );
    super::messages::operator_mail(to, &subject, &body)
}

async fn post(
    http: &reqwest::Client,
    cfg: &AlertsConfig,
    body: String,
    now: i64,
) -> Result<(), String> {
    let r = http
        .post(&cfg.webhook_url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature(&cfg.webhook_secret, now, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", r.status()))
    }
}

/// Tell the operators of every alert nobody was told of yet; how many.
pub async fn deliver(state: &Outbox<'_>, http: &reqwest::Client) -> usize {
    let cfg = &state.config.alerts;
    let now = state.clock.now();
    let claimed = state
        .db
        .run(move |c| {
            let mut mine = vec![];
            for a in repo::unnotified(c, 20)? {
                if repo::claim_notice(c, &a.id, now)? {
                    mine.push(a);
                }
            }
            Ok::<_, crate::db::DbError>(mine)
        })
        .await;
    let alerts = match claimed {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("alerts: {e}");
            return 0;
        }
    };
    let issuer = &state.config.issuer;
    for alert in &alerts {
        tracing::warn!(alert = %alert.id, rule = %alert.rule, "alert: {}", alert.action);
        for to in &cfg.mail_to {
            let sent = match mail_of(alert, to, issuer) {
                Ok(mail) => state.mailer.send(mail).await,
                Err(e) => Err(e),
            };
            if let Err(e) = sent {
                tracing::error!("alert {} not mailed to {to}: {e}", alert.id);
            }
        }
        if !cfg.webhook_url.is_empty() {
            let body = payload(alert, issuer).to_string();
            if let Err(e) = post(http, cfg, body, now).await {
                tracing::error!("alert {} not posted to the webhook: {e}", alert.id);
            }
        }
    }
    alerts.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_hmac_sha256_of_the_time_and_the_body() {
        // Known answer computed independently: Python `hmac.new(key, b"1700000000.{}", sha256)`.
        let sig = super::signature("0123456789abcdef0123456789abcdef", 1_700_000_000, "{}");
        assert_eq!(
            sig,
            "t=1700000000,v1=417adf36b901772f658597a76d329694e335e65fc0849d7715c3ca33406309b5"
        );
    }
}

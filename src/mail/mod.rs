//! Outgoing email over SMTP (lettre): one connection per message; volume is
//! a few codes per sign-up or recovery.

pub mod alerts;
pub mod invitations;
pub mod messages;
pub mod operators;

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, MailTls};

/// What the mails of the running server need from it: the database (who
/// the person is), the mailer, the texts, the settings and the time.
pub struct Outbox<'a> {
    pub db: &'a crate::db::Db,
    pub mailer: &'a Mailer,
    pub i18n: &'a crate::i18n::Catalog,
    pub config: &'a crate::config::Config,
    pub clock: &'a dyn crate::clock::Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("'{0}' is not a valid recipient")]
    Recipient(String),
    #[error("building the message failed: {0}")]
    Build(String),
    #[error("the SMTP server refused or could not be reached: {0}")]
    Smtp(String),
}

/// A message ready to send: subject and text and HTML bodies.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone)]
pub struct Mailer {
    cfg: MailConfig,
}

impl Mailer {
    pub fn new(cfg: &MailConfig) -> Mailer {
        Mailer { cfg: cfg.clone() }
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
        let c = &self.cfg;
        let smtp = |e: lettre::transport::smtp::Error| MailError::Smtp(e.to_string());
        let mut b = match c.tls {
            MailTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host),
            MailTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host).map_err(smtp)?
            }
            MailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host).map_err(smtp)?,
        }
        .port(c.port)
        .timeout(Some(Duration::from_secs(c.timeout_seconds)));
        if !c.username.is_empty() {
            b = b.credentials(Credentials::new(c.username.clone(), c.password.clone()));
        }
        Ok(b.build())
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let from: Mailbox = self
            .cfg
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?;
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Recipient(mail.to.clone()))?;
        let msg = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport()?
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Smtp(e.to_string()))
    }
}

//! The emails Visage sends, rendered from `templates/mail/*.{txt,html}`.

use askama::Template;

use crate::i18n::Tr;

use super::{Mail, MailError};

#[derive(Template)]
#[template(path = "mail/code.txt")]
struct CodeText<'a> {
    body: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "mail/code.html")]
struct CodeHtml<'a> {
    body: &'a str,
    code: &'a str,
    lang: &'a str,
}

/// Why a code is sent.
#[derive(Debug, Clone, Copy)]
pub enum CodePurpose {
    VerifyEmail,
    Recover,
    SignIn,
}

/// A one-time code mail in the person's language.
pub fn code_mail(
    tr: &Tr<'_>,
    purpose: CodePurpose,
    to: &str,
    code: &str,
) -> Result<Mail, MailError> {
    let (subject, body) = match purpose {
        CodePurpose::VerifyEmail => ("mail.verify.subject", "mail.verify.body"),
        CodePurpose::Recover => ("mail.recover.subject", "mail.recover.body"),
        CodePurpose::SignIn => ("mail.signin.subject", "mail.signin.body"),
    };
    let args = [("code", code)];
    build(
        to,
        &tr.f(subject, &args),
        &tr.f(body, &args),
        code,
        tr.code(),
    )
}

/// "The face check of your account is locked" in the person's language.
pub fn face_locked_mail(tr: &Tr<'_>, to: &str, count: i64, until: &str) -> Result<Mail, MailError> {
    let count = count.to_string();
    let args = [("count", count.as_str()), ("until", until)];
    let subject = tr.f("mail.face_locked.subject", &args);
    build(
        to,
        &subject,
        &tr.f("mail.face_locked.body", &args),
        "",
        tr.code(),
    )
}

/// The account's sign-in methods changed (`what`: a `change.*` key).
pub fn changed_mail(tr: &Tr<'_>, to: &str, what: &str, when: &str) -> Result<Mail, MailError> {
    let what = tr.t(&format!("change.{what}"));
    let args = [("what", what), ("when", when)];
    build(
        to,
        tr.t("mail.changed.subject"),
        &tr.f("mail.changed.body", &args),
        "",
        tr.code(),
    )
}

/// The account was signed in to from a browser it had not used: which
/// browser, from which network, when, and what to do if it was not them.
pub fn new_browser_mail(
    tr: &Tr<'_>,
    to: &str,
    (browser, network): (&str, Option<&str>),
    when: &str,
    account: &str,
) -> Result<Mail, MailError> {
    let unknown = tr.t("mail.new_browser.unknown");
    let browser = Some(browser).filter(|b| !b.is_empty()).unwrap_or(unknown);
    let args = [
        ("browser", browser),
        ("network", network.unwrap_or(unknown)),
        ("when", when),
        ("account", account),
    ];
    build(
        to,
        tr.t("mail.new_browser.subject"),
        &tr.f("mail.new_browser.body", &args),
        "",
        tr.code(),
    )
}

/// The account of this address was deleted (sent after the fact, to the
/// address it had).
pub fn deleted_mail(tr: &Tr<'_>, to: &str, when: &str) -> Result<Mail, MailError> {
    build(
        to,
        tr.t("mail.deleted.subject"),
        &tr.f("mail.deleted.body", &[("when", when)]),
        "",
        tr.code(),
    )
}

/// An administrator decided a registration held for approval: approved
/// (`link` signs in), rejected, or rejected with the account it made.
pub fn registration_mail(
    tr: &Tr<'_>,
    to: &str,
    (approved, new_account): (bool, bool),
    registered: &str,
    link: &str,
) -> Result<Mail, MailError> {
    let (subject, body) = match (approved, new_account) {
        (true, _) => (
            "mail.approval.approved.subject",
            "mail.approval.approved.body",
        ),
        (false, false) => (
            "mail.approval.rejected.subject",
            "mail.approval.rejected.body",
        ),
        (false, true) => (
            "mail.approval.rejected.subject",
            "mail.approval.rejected_account.body",
        ),
    };
    let args = [("registered", registered), ("link", link)];
    build(to, tr.t(subject), &tr.f(body, &args), "", tr.code())
}

/// A sign-up invitation link, in the deployment's default language.
pub fn invitation_mail(tr: &Tr<'_>, to: &str, link: &str, until: &str) -> Result<Mail, MailError> {
    let args = [("link", link), ("until", until)];
    build(
        to,
        &tr.f("mail.invitation.subject", &args),
        &tr.f("mail.invitation.body", &args),
        "",
        tr.code(),
    )
}

fn build(to: &str, subject: &str, body: &str, code: &str, lang: &str) -> Result<Mail, MailError> {
    let render = |r: Result<String, askama::Error>| r.map_err(|e| MailError::Build(e.to_string()));
    Ok(Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: render(CodeText { body, code }.render())?,
        html: render(CodeHtml { body, code, lang }.render())?,
    })
}

/// The person's face template goes on `on` unless they use it before.
pub fn face_expiring_mail(
    tr: &Tr<'_>,
    to: &str,
    on: &str,
    account: &str,
) -> Result<Mail, MailError> {
    build(
        to,
        tr.t("mail.face_expiring.subject"),
        &tr.f(
            "mail.face_expiring.body",
            &[("on", on), ("account", account)],
        ),
        "",
        tr.code(),
    )
}

/// An alert to an operator (English: operators' mails are not translated).
pub fn operator_mail(to: &str, subject: &str, body: &str) -> Result<Mail, MailError> {
    build(to, subject, body, "", "en")
}

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
    };
    let body = tr.f(body, &[("code", code)]);
    let render = |r: Result<String, askama::Error>| r.map_err(|e| MailError::Build(e.to_string()));
    Ok(Mail {
        to: to.to_owned(),
        subject: tr.f(subject, &[("code", code)]),
        text: render(CodeText { body: &body, code }.render())?,
        html: render(
            CodeHtml {
                body: &body,
                code,
                lang: tr.code(),
            }
            .render(),
        )?,
    })
}

//! What people read comes from the catalogues (`i18n/en.toml`,
//! `i18n/vi.toml`), not from literals in the handlers: a sentence written
//! in `src/web/handlers` or the extractors would reach a Vietnamese page in
//! English. The admin console's templates take theirs from
//! `i18n/admin.*.toml` the same way.

use std::path::Path;

/// Literals in `line` that read as a sentence for people: a capital, a
/// space, and a full stop, question or exclamation mark at the end. A first
/// word in capitals (`POST /authorize needs …`) is a protocol description
/// for the developer of the application, in English as RFC 6749 has it.
fn sentences(line: &str) -> Vec<String> {
    let parts: Vec<&str> = line.split('"').collect();
    parts
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && s.split(' ')
                    .next()
                    .is_some_and(|w| w.chars().any(|c| c.is_ascii_lowercase()))
                && s.contains(' ')
                && (s.ends_with('.') || s.ends_with('?') || s.ends_with('!'))
        })
        .map(|s| (*s).to_owned())
        .collect()
}

#[test]
fn handlers_take_what_people_read_from_the_catalogues() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut files: Vec<_> = std::fs::read_dir(root.join("handlers"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.push(root.join("extract.rs"));
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") || t.contains("tracing::") {
                continue;
            }
            for s in sentences(line) {
                found.push(format!("{}:{}: {s}", f.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "literals for people outside i18n:\n{}",
        found.join("\n")
    );
    assert_eq!(sentences(r#"x("That passkey does not exist.")"#).len(), 1);
}

/// Words a console template may show as they are: identifiers (algorithms,
/// roles, levels, error-rate names) and product names in code samples.
const IDENTIFIERS: [&str; 15] = [
    "RS256",
    "ES256",
    "EdDSA",
    "passkey",
    "face",
    "auditor",
    "admin",
    "owner",
    "FMR",
    "FNMR",
    "PKCE",
    "Node",
    "openid-client",
    "Python",
    "Authlib",
];

/// `html` without its `open`…`close` parts.
fn without(html: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        rest = rest[i..]
            .find(close)
            .map_or("", |j| &rest[i + j + close.len()..]);
    }
    out.push_str(rest);
    out
}

/// The words of `html` that a reader sees, outside template code, tags,
/// and `<pre>` / `<code>` samples.
fn visible_words(html: &str) -> Vec<String> {
    let text = without(&without(html, "<pre>", "</pre>"), "<code>", "</code>");
    let mut chars = text.chars().peekable();
    let mut out = Vec::new();
    let mut depth = 0;
    let mut word = String::new();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        match (c, next) {
            ('{', Some('{' | '%')) => {
                depth += 1;
                chars.next();
            }
            ('}' | '%', Some('}')) if depth > 0 => {
                depth -= 1;
                chars.next();
            }
            ('<', _) if depth == 0 => depth += 1,
            ('>', _) if depth > 0 => depth -= 1,
            _ if depth == 0 && (c.is_alphanumeric() || c == '-') => word.push(c),
            _ => {
                if word.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
                    out.push(std::mem::take(&mut word));
                }
                word.clear();
            }
        }
    }
    if word.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
        out.push(word);
    }
    out
}

#[test]
fn the_console_takes_what_people_read_from_the_catalogues() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/admin");
    let mut found = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let html = std::fs::read_to_string(e.path()).unwrap();
        for w in visible_words(&html) {
            if !IDENTIFIERS.contains(&w.as_str()) {
                found.push(format!("{}: {w}", e.path().display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "console words outside i18n:\n{}",
        found.join("\n")
    );
    assert_eq!(
        visible_words("<p>Hello {{ x }} <code>ok</code></p>"),
        ["Hello"]
    );
}

//! What people read comes from the catalogues (`i18n/en.toml`,
//! `i18n/vi.toml`), not from literals in the handlers: a sentence written
//! in `src/web/handlers` or the extractors would reach a Vietnamese page in
//! English. (The admin console is English-only for now.)

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

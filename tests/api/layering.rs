//! The top-level modules form layers, never a cycle: a module uses only
//! modules below it (lib.rs lists the order). Found by reading `crate::X`
//! paths in each module's source, outside its tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// module -> modules it uses (outside `#[cfg(test)]`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let uses = g.entry(top.clone()).or_default();
        for part in code.split("crate::").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                uses.insert(name);
            }
        }
    }
    g
}

#[test]
fn the_top_level_modules_have_no_import_cycle() {
    let g = graph();
    assert!(g.len() > 10, "{g:?}");
    // Peel off modules that use nothing left; what remains is in a cycle.
    let mut left: BTreeSet<String> = g.keys().cloned().collect();
    loop {
        let free: Vec<String> = left
            .iter()
            .filter(|m| g[*m].iter().all(|d| !left.contains(d)))
            .cloned()
            .collect();
        if free.is_empty() {
            break;
        }
        for m in free {
            left.remove(&m);
        }
    }
    let edges: Vec<String> = left
        .iter()
        .flat_map(|m| {
            g[m].iter()
                .filter(|d| left.contains(*d))
                .map(move |d| format!("{m} -> {d}"))
        })
        .collect();
    assert!(
        left.is_empty(),
        "modules in a cycle: {left:?}; edges: {edges:?}"
    );
}

/// Source files other than `allowed` whose code outside `#[cfg(test)]`
/// contains any of `patterns`.
fn files_using(allowed: &str, patterns: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files
        .iter()
        .filter(|f| !f.ends_with(allowed))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            patterns.iter().any(|p| code.contains(p))
        })
        .map(|f| f.display().to_string())
        .collect()
}

/// Transactions go through `DbConnection::write_transaction` (db/write.rs):
/// a plain `.transaction(` is deferred on SQLite and fails with "database is
/// locked" when another writer commits between its read and its write.
#[test]
fn every_transaction_takes_the_write_lock_first_on_sqlite() {
    let plain = files_using("db/write.rs", &[".transaction(", ".transaction::<"]);
    assert!(plain.is_empty(), "use write_transaction in {plain:?}");
}

/// Handlers and pages say what an answer means (`web::error::Reply`,
/// `ApiFailure`, `OAuthError`); web/error.rs alone turns that into an HTTP
/// status, so a status cannot drift from its meaning page by page.
#[test]
fn http_status_codes_are_chosen_only_in_web_error() {
    let chosen = files_using("web/error.rs", &["StatusCode::"]);
    assert!(chosen.is_empty(), "StatusCode:: in {chosen:?}");
}

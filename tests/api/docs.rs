//! The reference documents list what the code has: every configuration key
//! is in docs/configuration.md, every command and subcommand in docs/cli.md.

use clap::CommandFactory;
use serde_json::Value;

fn doc(name: &str) -> String {
    let p = format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Dotted paths of the leaves of a configuration (tables are walked,
/// anything else is a key).
fn keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    Value::Object(inner) if !inner.is_empty() => keys(v, &path, out),
                    _ => out.push(path),
                }
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

#[test]
fn every_configuration_key_is_documented() {
    let cfg = serde_json::to_value(visage::config::Config::default()).unwrap();
    let mut all = Vec::new();
    keys(&cfg, "", &mut all);
    assert!(all.len() > 40, "{all:?}");
    let text = doc("configuration.md");
    // `a.b.c` is documented as itself, or in the row of its table `a.b`
    // that names `c` (a rule written `{ max, window_seconds, block_seconds }`).
    let documented = |k: &str| {
        text.contains(&format!("`{k}`"))
            || k.rsplit_once('.').is_some_and(|(table, leaf)| {
                text.lines()
                    .any(|l| l.contains(&format!("`{table}`")) && l.contains(leaf))
            })
    };
    let missing: Vec<&String> = all.iter().filter(|k| !documented(k)).collect();
    assert!(
        missing.is_empty(),
        "not in docs/configuration.md: {missing:?}"
    );
}

#[test]
fn every_command_is_documented() {
    let text = doc("cli.md");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut missing = Vec::new();
    for top in visage::cli::Cli::command().get_subcommands() {
        let head = format!("visage {}", top.get_name());
        let own: Vec<&&str> = lines
            .iter()
            .filter(|l| l.starts_with(&head) || l.contains(&format!("`{head}")))
            .collect();
        if own.is_empty() {
            missing.push(head.clone());
            continue;
        }
        for sub in top.get_subcommands() {
            let name = sub.get_name();
            let listed = own.iter().any(|l| {
                l.split(|c: char| !(c.is_alphanumeric() || c == '-'))
                    .any(|w| w == name)
            });
            if !listed {
                missing.push(format!("{head} {name}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/cli.md: {missing:?}");
}

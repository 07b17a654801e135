//! `packaging/visage.service` (issue 16): a unit systemd accepts without a
//! warning, for this very binary, and hardened (the exposure score of
//! `systemd-analyze security` stays in its "OK" band).

use std::process::Command;

use crate::services::{require, Service};

#[test]
fn the_systemd_unit_is_valid_and_hardened() {
    require(Service::Systemd);
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/visage.service"
    ))
    .unwrap();
    for hardening in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ReadWritePaths=/var/lib/visage",
        "KillSignal=SIGTERM",
    ] {
        assert!(unit.lines().any(|l| l == hardening), "{hardening}");
    }
    // The unit, pointing at the binary under test (verify checks it runs).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("visage.service");
    let unit = unit.replace("/usr/local/bin/visage", env!("CARGO_BIN_EXE_visage"));
    std::fs::write(&path, unit).unwrap();
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && said.trim().is_empty(), "{said}");
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    let score: f32 = report
        .lines()
        .find_map(|l| l.split("visage.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    assert!(score <= 2.0, "exposure {score} (OK is below 4):\n{report}");
}

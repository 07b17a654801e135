//! `visage backup` / `visage restore` (issue 16): a backup taken while the
//! server runs restores into a new data directory where people sign in and
//! tokens issued before go on working; the file is sealed (no readable data,
//! opens only under the deployment's master key, any change detected).

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::*;

/// `visage --data-dir DIR --database-url URL ARGS…`: (success, output).
pub(crate) fn visage(dir: &Path, url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_visage"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--database-url", url])
        .args(args)
        .env_remove("VISAGE_DATA_DIR")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_a_new_data_dir() {
    let app = spawn_app().await;
    let url = app.config.database_url();
    let data = app.config.data_dir.clone();
    let file = tempfile::tempdir().unwrap();
    let backup = file.path().join("visage.backup");
    let arg = backup.display().to_string();
    if url.starts_with("postgres") {
        let (ok, said) = visage(&data, &url, &["backup", "--to", &arg]);
        assert!(!ok && said.contains("pg_dump"), "{said}");
        return;
    }
    let secret = app.confidential();
    app.user();
    let before = app.tokens_for_rp(&secret).await;

    let (ok, said) = visage(&data, &url, &["backup", "--to", &arg]);
    assert!(ok, "{said}");
    assert!(said.contains("1 accounts"), "{said}");
    let sealed = std::fs::read(&backup).unwrap();
    assert!(sealed.starts_with(b"VISAGE-BACKUP 1\n"));
    for plain in [
        EMAIL.as_bytes(),
        b"SQLite format 3".as_slice(),
        b"CREATE TABLE".as_slice(),
    ] {
        assert!(
            !sealed.windows(plain.len()).any(|w| w == plain),
            "readable data in the backup"
        );
    }
    // It does not overwrite a file.
    let (ok, said) = visage(&data, &url, &["backup", "--to", &arg]);
    assert!(!ok && said.contains("exists"), "{said}");

    // A new data dir: refused without the master key, then with another one.
    let new = tempfile::tempdir().unwrap();
    let new_url = format!("sqlite://{}", new.path().join("visage.db").display());
    let (ok, said) = visage(new.path(), &new_url, &["restore", "--from", &arg]);
    assert!(!ok && said.contains("master.key"), "{said}");
    std::fs::write(
        new.path().join("master.key"),
        "bm90IHRoZSBrZXkgb2YgdGhpcyBkZXBsb3ltZW50ISE=\n",
    )
    .unwrap();
    let (ok, said) = visage(new.path(), &new_url, &["restore", "--from", &arg]);
    assert!(!ok && said.contains("another master key"), "{said}");
    std::fs::copy(data.join("master.key"), new.path().join("master.key")).unwrap();
    // A changed byte anywhere is detected.
    let mut changed = sealed.clone();
    if let Some(b) = changed.last_mut() {
        *b ^= 1;
    }
    let tampered = file.path().join("tampered.backup");
    std::fs::write(&tampered, changed).unwrap();
    let (ok, said) = visage(
        new.path(),
        &new_url,
        &["restore", "--from", &tampered.display().to_string()],
    );
    assert!(!ok && said.contains("changed"), "{said}");
    assert!(
        !new.path().join("visage.db").exists(),
        "nothing half-written"
    );

    let (ok, said) = visage(new.path(), &new_url, &["restore", "--from", &arg]);
    assert!(ok, "{said}");
    // Restoring over a database needs --force.
    let (ok, said) = visage(new.path(), &new_url, &["restore", "--from", &arg]);
    assert!(!ok && said.contains("--force"), "{said}");

    // The restored deployment: the same issuer, people sign in, and the
    // refresh token issued before the backup still works.
    let (dir, issuer) = (new.path().to_path_buf(), app.issuer.clone());
    let restored = spawn_with(move |c| {
        c.data_dir = dir;
        c.database_url = new_url;
        c.issuer = issuer;
    })
    .await;
    let r = restored.login("/login", EMAIL, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the account came back");
    let rt = before["refresh_token"].as_str().unwrap();
    let t = restored.refresh_rp(&secret, rt).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
}

//! Master key rotation (issue 17): `visage keys rotate-master` killed inside
//! a batch resumes where it stopped; the running server learns the new key
//! meanwhile; at the end every sealed field opens under the new key only,
//! client secrets and the audit chain still verify, and a server given the
//! retired key refuses to start.

use std::process::Command;

use reqwest::StatusCode;
use visage::crypto::KeyVersion;
use visage::db::master_keys::{self, SealedField, SealedRow};

use crate::backup::visage;
use crate::helpers::{spawn_app, TestApp};

/// Associated data of each sealed column (the stored format).
fn aad(field: SealedField, row: &SealedRow) -> String {
    match field {
        SealedField::MasterKeyMaterial => format!("master_key_material/sealed/{}", row.id),
        SealedField::AuditDetails => format!("audit_events/detail/{}", row.id),
        SealedField::SigningKeys => format!("signing_keys/private_key/{}", row.id),
        SealedField::FaceTemplates => {
            format!("face_templates/{}/{}/{}", row.user_id, row.id, row.model_id)
        }
        SealedField::RefreshGrace => format!("tokens/grace_response/{}", row.id),
    }
}

/// Per field: (rows, rows that open under `key`).
fn opening(app: &TestApp, key: &KeyVersion) -> Vec<(SealedField, usize, usize)> {
    SealedField::ALL
        .into_iter()
        .map(|field| {
            let rows = app
                .db
                .run_sync(|c| master_keys::batch(c, field, "", 10_000))
                .unwrap();
            let open = rows
                .iter()
                .filter(|r| key.open(&aad(field, r), &r.sealed).is_ok())
                .count();
            (field, rows.len(), open)
        })
        .collect()
}

/// `visage keys rotate-master` (no settling) made to abort at `crash_at`
/// (debug builds): (exited well, what it printed).
fn crashing(dir: &std::path::Path, url: &str, batch: &str, crash_at: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_visage"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--database-url", url])
        .args(["keys", "rotate-master", "--settle-seconds", "0"])
        .args(["--batch-size", batch])
        .env_remove("VISAGE_DATA_DIR")
        .env("VISAGE_CRASH_AT", crash_at)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn key_file(path: &std::path::Path) -> KeyVersion {
    KeyVersion::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A face template of `user_id` sealed under the server's key.
fn store_template(app: &TestApp, user_id: &str) {
    use visage::biometrics::template::{self, Template};
    let t = Template {
        embedding: vec![0.0625; 512],
        enrolled: vec![0.0625; 512],
        refreshes: 0,
        frames: 3,
        quality: 0.9,
        left: None,
        right: None,
    };
    let sealed = template::seal(&app.master_key, &user_id.into(), "tpl-1", "sface@1", &t).unwrap();
    let row = visage::db::face_templates::FaceTemplateRow {
        id: "tpl-1".into(),
        user_id: user_id.into(),
        model_id: "sface@1".into(),
        sealed,
        frames: 3,
        created_at: 0,
    };
    app.db
        .run_sync(|c| visage::db::face_templates::replace(c, &row))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_killed_inside_a_batch_resumes_and_every_sealed_field_opens_under_the_new_key() {
    let app = spawn_app().await;
    let (dir, url) = (app.config.data_dir.clone(), app.config.database_url());
    let secret = app.confidential();
    let user_id = app.user();
    store_template(&app, &user_id);
    let first = app.tokens_for_rp(&secret).await;
    let rt = first["refresh_token"].as_str().unwrap();
    let rotated = app.refresh_rp(&secret, rt).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let (ok, out) = visage(&dir, &url, &["keys", "rotate"]);
    assert!(ok, "{out}");
    let old = key_file(&app.config.master_key_path());
    let before = opening(&app, &old);
    assert!(
        before.iter().all(|(_, n, open)| *n > 0 && n == open),
        "every sealed column has rows, all under the first key: {before:?}"
    );

    // Killed inside its third batch of one row: the first signing key's
    // re-sealing is never committed.
    let (ok, out) = crashing(&dir, &url, "1", "master_key.batch:3");
    assert!(!ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("re-sealed 1 of 1"))
            .count(),
        2,
        "two batches committed before the crash: {lines:?}"
    );
    let next = dir.join("master.key.next");
    let new = key_file(&next);
    assert_ne!(new.id(), old.id());
    let halfway = opening(&app, &new);
    assert_eq!(halfway[0].0, SealedField::MasterKeyMaterial);
    assert_eq!(
        halfway[0].2, halfway[0].1,
        "stable keys re-sealed: {halfway:?}"
    );
    assert_eq!(halfway[1].0, SealedField::AuditDetails);
    assert_eq!(
        halfway[1].2, 0,
        "the crashed batch left no trace: {halfway:?}"
    );

    // The running server learns the new key within the controls' reload
    // (5 s), seals under it and still opens what is under the old one.
    app.clock.advance(5);
    let fresh = app.tokens_for_rp(&secret).await;
    let again = app
        .refresh_rp(&secret, fresh["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let grace = opening(&app, &new)[4];
    assert_eq!(grace.0, SealedField::RefreshGrace);
    assert!(
        grace.2 >= 1,
        "the newest refresh retry is sealed under the new key: {grace:?}"
    );

    // Run again, and killed once more: after the last batch, before the
    // key files move. The next run only moves them.
    let (ok, out) = crashing(&dir, &url, "2", "master_key.files:1");
    assert!(!ok && out.contains("rotation finished"), "{out}");
    assert_eq!(key_file(&app.config.master_key_path()).id(), old.id());
    let (ok, out) = visage(
        &dir,
        &url,
        &["keys", "rotate-master", "--settle-seconds", "0"],
    );
    assert!(ok, "{out}");
    assert!(out.contains("the last rotation had finished"), "{out}");
    assert_eq!(app.count("master_key_rotations"), 1, "no second rotation");
    assert_eq!(key_file(&app.config.master_key_path()).id(), new.id());
    let retired = dir.join(format!("master.key.retired-{}", old.id()));
    assert_eq!(key_file(&retired).id(), old.id());
    for (field, n, open) in opening(&app, &new) {
        assert_eq!(open, n, "every {} opens under the new key", field.name());
    }
    for (field, _, open) in opening(&app, &old) {
        assert_eq!(open, 0, "no {} opens under the old key", field.name());
    }

    // The server carries on under the new key alone; so does a server
    // started with the new key file; secrets and the audit chain survive.
    app.clock.advance(5);
    let r = app.tokens_for_rp(&secret).await;
    assert!(r["id_token"].is_string());
    let peer = app.spawn_peer().await;
    let r = peer.tokens_for_rp(&secret).await;
    assert!(r["access_token"].is_string(), "{r}");
    let (ok, out) = visage(&dir, &url, &["audit-verify"]);
    assert!(ok && out.contains("audit log intact"), "{out}");
    assert!(
        app.audited("master_key.rotation_finished", "ok") == 1,
        "the rotation is in the audit log"
    );

    // A server given the retired key is told so and does not start.
    let stale = tempfile::tempdir().unwrap();
    std::fs::copy(&retired, stale.path().join("master.key")).unwrap();
    let (ok, out) = visage(stale.path(), &url, &["keys", "list"]);
    assert!(!ok, "{out}");
    assert!(out.contains("retired"), "{out}");

    // A second rotation while this server still runs with the first key
    // file: it follows from the key it learnt, not the one it was given.
    let (ok, out) = crashing(&dir, &url, "500", "master_key.batch:1");
    assert!(!ok, "{out}");
    app.clock.advance(5);
    let r = app.tokens_for_rp(&secret).await;
    assert!(r["id_token"].is_string(), "{r}");
    let (ok, out) = visage(
        &dir,
        &url,
        &["keys", "rotate-master", "--settle-seconds", "0"],
    );
    assert!(ok && out.contains("rotation finished"), "{out}");
    let third = key_file(&app.config.master_key_path());
    assert_ne!(third.id(), new.id());
    // The finish reaches this server too; what it seals now opens under
    // the third key alone.
    app.clock.advance(5);
    let r = app.tokens_for_rp(&secret).await;
    let again = app
        .refresh_rp(&secret, r["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    for (field, n, open) in opening(&app, &third) {
        assert_eq!(open, n, "every {} opens under the third key", field.name());
    }
}

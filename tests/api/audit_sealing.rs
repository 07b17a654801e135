//! Audit details are sealed at rest (issue 17): AES-256-GCM under the master
//! key, bound to table, column and event number. Someone with the database
//! alone reads no reason, address or e-mail in them; an auditor reads them
//! through the admin API; moving a sealed detail to another event is found
//! by `visage audit-verify`.

use reqwest::StatusCode;
use serde_json::json;
use visage::auth::roles::Role;

use crate::admin_api::{admin_client, bearer, call, owner_token};
use crate::backup::visage;
use crate::helpers::{spawn_app, TestApp};
use crate::retention::diesel_exec;

/// Every stored byte of the audit events (plain columns and sealed details).
fn raw_audit_bytes(app: &TestApp) -> Vec<u8> {
    let rows = app.db.run_sync(visage::db::audit::all).unwrap();
    let mut out = Vec::new();
    for r in rows {
        out.extend(r.detail.as_bytes());
        out.extend(r.sealed_detail.unwrap_or_default());
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn audit_details_are_sealed_at_rest_and_an_auditor_reads_them() {
    let app = spawn_app().await;
    let (dir, url) = (app.config.data_dir.clone(), app.config.database_url());
    let owner = owner_token(&app).await;
    let reason = "INC-4242: credential stuffing from a hosting range";
    let (s, b) = call(
        &app,
        "POST",
        "/incidents/blocked-networks",
        &owner,
        Some(json!({ "network": "198.51.100.0/24", "reason": reason })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // The database alone: neither the reason nor the range is readable.
    let raw = raw_audit_bytes(&app);
    assert!(!raw.is_empty());
    assert!(!contains(&raw, "INC-4242"), "the reason is stored in clear");
    assert!(
        !contains(&raw, "198.51.100.0/24"),
        "the range is stored in clear"
    );
    assert!(
        app.count("audit_events WHERE sealed_detail IS NULL") == 0,
        "every event's detail is sealed"
    );

    // An auditor reads the detail through the API.
    let secret = admin_client(&app, "watch", Some(Role::Auditor));
    let auditor = bearer(&app, "watch", &secret, "admin:read").await;
    let (s, page) = call(
        &app,
        "GET",
        "/audit?action=incident.block_network",
        &auditor,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["detail"]["reason"], reason, "{page}");
    let (ok, out) = visage(&dir, &url, &["audit-verify"]);
    assert!(ok, "{out}");

    // Someone with write access to the database moves a sealed detail onto
    // another event: it is found, and the event shows it cannot be opened.
    let (first, last): (i64, i64) = (
        app.count("audit_events WHERE seq = 1"),
        app.count("audit_events"),
    );
    assert!(first == 1 && last >= 2);
    diesel_exec(
        &app,
        &format!(
            "UPDATE audit_events SET sealed_detail = (SELECT sealed_detail FROM audit_events WHERE seq = {last}) WHERE seq = 1"
        ),
    );
    let (ok, out) = visage(&dir, &url, &["audit-verify"]);
    assert!(!ok && out.contains("broken at event 1"), "{out}");
    let (s, page) = call(&app, "GET", "/audit", &auditor, None).await;
    assert_eq!(s, StatusCode::OK);
    let moved = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["seq"] == 1)
        .cloned()
        .unwrap_or_default();
    assert!(
        moved["detail"]["sealed"].is_string(),
        "a moved detail does not open: {moved}"
    );
}

//! Template refresh (`face.template_refresh`): a confident match moves the
//! person's template a step towards the face just seen, never far from the
//! enrolled one; off by default, nothing moves.

use reqwest::StatusCode;
use visage::biometrics::embed::cosine;
use visage::biometrics::template::{self, Template, DRIFT_CAP};
use visage::db::face_templates::FaceTemplateRow;

use crate::face_attacks::{audited_scores, clip, enrolled_with, shown, Victim};

/// The person's stored template row.
pub(crate) fn template_row(v: &Victim) -> FaceTemplateRow {
    let uid = visage::ids::UserId::from(v.uid.as_str());
    v.app
        .db
        .run_sync(|c| visage::db::face_templates::for_user(c, &uid))
        .unwrap()
        .expect("enrolled")
}

/// The person's template, opened with the deployment's key: (sealed bytes, template).
pub(crate) fn template_of(v: &Victim) -> (Vec<u8>, Template) {
    let uid = visage::ids::UserId::from(v.uid.as_str());
    let row = template_row(v);
    let t = template::open(&v.app.master_key, &uid, &row.id, &row.model_id, &row.sealed).unwrap();
    (row.sealed, t)
}

/// The person in front of the camera answers a new challenge.
async fn bona_fide(v: &Victim) {
    let (s, msg) = v
        .answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, true))
        .await;
    assert_eq!(s, StatusCode::OK, "bona fide answer: {msg}");
}

#[tokio::test]
async fn a_confident_match_refreshes_the_template_within_its_drift_cap() {
    let v = enrolled_with(|c| c.face.template_refresh = true).await;
    let (sealed, before) = template_of(&v);
    assert_eq!(before.refreshes, 0);
    bona_fide(&v).await;
    bona_fide(&v).await;
    let (resealed, after) = template_of(&v);
    assert_ne!(resealed, sealed, "sealed anew");
    assert_eq!(after.refreshes, 2, "each confident match is one step");
    assert_eq!(after.enrolled, before.enrolled, "the anchor is kept");
    assert_ne!(after.embedding, before.embedding);
    assert!(cosine(&after.embedding, &after.enrolled) >= DRIFT_CAP);
    let scores = audited_scores(&v.app);
    assert_eq!(scores.len(), 2);
    assert!(
        scores.iter().all(|s| s["template_refreshed"] == true),
        "the audit says so: {scores:?}"
    );
}

#[tokio::test]
async fn without_template_refresh_a_match_leaves_the_template_as_enrolled() {
    let v = enrolled_with(|_| {}).await;
    let (sealed, _) = template_of(&v);
    bona_fide(&v).await;
    let (resealed, after) = template_of(&v);
    assert_eq!(resealed, sealed);
    assert_eq!(after.refreshes, 0);
    assert!(audited_scores(&v.app)[0]
        .get("template_refreshed")
        .is_none());
}

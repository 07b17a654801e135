//! The template's turned views (issue 14): enrolment keeps the face as it
//! turned, and every turn of a later check is held to the enrolled view of
//! its side, not only to the frontal frames of the same answer.

use reqwest::StatusCode;
use visage::biometrics::embed::cosine;
use visage::biometrics::template;

use crate::face_attacks::{audited_scores, clip, enrolled, shown, Victim};
use crate::face_refresh::{template_of, template_row};

/// Answer a new challenge with the clip, lit as asked: (status, error).
async fn the_person(v: &Victim) -> (StatusCode, String) {
    v.answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, true))
        .await
}

#[tokio::test]
async fn the_enrolment_keeps_the_turned_view_and_each_check_is_held_to_it() {
    let v = enrolled().await;
    let (_, t) = template_of(&v);
    // The enrolment's challenge was centre, then a turn to the right.
    let right = t.right.clone().expect("the turn to the right is kept");
    assert!(t.left.is_none(), "no left turn was asked for");
    let apart = cosine(&right, &t.embedding);
    assert!(
        apart < 0.99,
        "a view of its own, not the frontal face: {apart}"
    );
    let (s, msg) = the_person(&v).await;
    assert_eq!(s, StatusCode::OK, "the person: {msg}");
    let scores = audited_scores(&v.app);
    let turn = scores[0]["turn_similarity"].as_f64().expect("audited");
    let threshold = scores[0]["same_person_threshold"].as_f64().unwrap();
    assert!(turn >= threshold, "{scores:?}");

    // Someone else's turn where the person's is enrolled (here: the view
    // reversed, as far from the person as a view can be): the same frontal
    // frames still match, the turn does not, and the check is refused.
    let uid = visage::ids::UserId::from(v.uid.as_str());
    let row = template_row(&v);
    let mut other = t.clone();
    other.right = Some(right.iter().map(|x| -x).collect());
    let sealed = template::seal(&v.app.master_key, &uid, &row.id, &row.model_id, &other).unwrap();
    v.app
        .db
        .run_sync(|c| visage::db::face_templates::reseal(c, &row.id, &sealed))
        .unwrap();
    let (s, msg) = the_person(&v).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("does not match"), "{msg}");
    let scores = audited_scores(&v.app);
    let last = scores.last().unwrap();
    let (sim, mt) = (
        last["similarity"].as_f64().unwrap(),
        last["match_threshold"].as_f64().unwrap(),
    );
    assert!(sim >= mt, "the frontal frames alone would match: {last}");
    assert!(
        last["turn_similarity"].as_f64().unwrap() < threshold,
        "{last}"
    );
}

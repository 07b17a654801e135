//! Recordings of a person's earlier answers replayed for new challenges
//! (issue 14, liveness bound to the moment): the server draws each new
//! screen-light sequence unlike every sequence the person answered, so no
//! such recording follows it — not only most of the time.

use reqwest::StatusCode;
use visage::biometrics::screen_light::{likeness, MAX_LIKENESS};

use crate::face_attacks::{clip, colour_of, enrolled, shown};
use crate::helpers::*;

#[tokio::test]
async fn no_new_challenge_is_followed_by_a_recording_of_an_earlier_answer() {
    let v = enrolled().await;
    // The person verifies once more; malware on their computer records it.
    let (mut second, mut second_colours) = (Vec::new(), Vec::new());
    let (s, msg) = v
        .answer(|i, step| {
            let f = shown(&clip(i, step["action"].as_str().unwrap()), step, true);
            second.push(f.clone());
            second_colours.extend(colour_of(step));
            f
        })
        .await;
    assert_eq!(s, StatusCode::OK, "bona fide answer: {msg}");

    // Each recording replayed, frame by frame at the page's pace, for new
    // challenges: every one is lit by a sequence unlike both recordings',
    // and refused.
    for round in 0..10 {
        let recording = if round % 2 == 0 { &v.recorded } else { &second };
        let mut shown_now = Vec::new();
        let (s, msg) = v
            .answer(|i, step| {
                shown_now.extend(colour_of(step));
                recording[i].clone()
            })
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "round {round}: {msg}");
        assert!(msg.contains("light of the screen"), "round {round}: {msg}");
        for earlier in [&v.recorded_colours, &second_colours] {
            let l = likeness(&shown_now, earlier);
            assert!(
                l < MAX_LIKENESS,
                "round {round}: likeness {l} to {earlier:?}"
            );
        }
    }
    assert_eq!(v.app.audited("face.verify", "success"), 1);
    assert_eq!(v.app.audited("face.verify", "failure"), 10);
    assert_eq!(
        v.app
            .count(&format!("face_light_history WHERE user_id = '{}'", v.uid)),
        12,
        "every answered sequence is remembered"
    );
}

/// The remembered sequences, on either database: the newest 50 of a
/// person's, newest first; none left once the account is gone.
#[tokio::test]
async fn the_newest_answered_sequences_are_remembered_until_the_account_goes() {
    use visage::auth::face::ANSWERS_REMEMBERED;
    use visage::db::face_light_history as history;
    let app = spawn_app().await;
    let (uid, other) = (app.user(), app.user_with("bob@example.com", PASSWORD));
    let (u, o): (visage::ids::UserId, visage::ids::UserId) =
        (uid.as_str().into(), other.as_str().into());
    let recent = app
        .db
        .run_sync(move |c| {
            for at in 0..ANSWERS_REMEMBERED + 5 {
                history::record(c, &u, &format!("[{at}]"), 1_000 + at, ANSWERS_REMEMBERED)?;
            }
            history::record(c, &o, "[0]", 1_000, ANSWERS_REMEMBERED)?;
            history::recent(c, &u, ANSWERS_REMEMBERED)
        })
        .unwrap();
    let newest: Vec<String> = (5..ANSWERS_REMEMBERED + 5)
        .rev()
        .map(|at| format!("[{at}]"))
        .collect();
    assert_eq!(recent, newest);
    let mine = format!("face_light_history WHERE user_id = '{uid}'");
    assert_eq!(app.count(&mine), ANSWERS_REMEMBERED, "the oldest are gone");
    let u: visage::ids::UserId = uid.as_str().into();
    app.db
        .run_sync(move |c| visage::db::users::delete(c, &u))
        .unwrap();
    assert_eq!(app.count(&mine), 0, "erased with the account");
    assert_eq!(app.count("face_light_history"), 1, "another person's stays");
}

//! The room behind the face is what tells a camera from an injected
//! picture (`sensor_noise`, `moved_copy`, `room_tilt`, `room_swing`), so an
//! answer must show it: an injector that sends a close-up, the face filling
//! the frame, or frames of differing sizes, left those checks nothing to
//! compare and was judged by the face alone (issue 14, "injection and
//! animation", with other photos).

use image::{imageops, RgbImage};
use reqwest::StatusCode;

use crate::face::best;
use crate::face_attacks::{audited_scores, clip, enrolled, frame, shown, still_posed, CENTRE};

/// The frame cut down to the face: a close-up portrait of the victim, the
/// face filling the frame as in many profile photos.
fn close_up(img: &RgbImage) -> RgbImage {
    let [x, y, w, h] = best().analyze(img, false).expect("a face").face.bbox;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let (cw, ch) = (1.8 * w, 2.1 * w);
    let left = (cx - cw / 2.0).max(0.0) as u32;
    let top = (cy - ch / 2.0).max(0.0) as u32;
    imageops::crop_imm(img, left, top, cw as u32, ch as u32).to_image()
}

/// The attacker injects, in real time over HTTP with the victim's passkey
/// session, a close-up photo of the victim warped into each step's head
/// position and tinted to each step's colour: every frame is that one
/// picture, but no room shows around the face to say so. Refused as
/// showing too little of the room; the person's own answer passes.
#[tokio::test]
async fn a_close_up_still_that_hides_the_room_is_refused() {
    let v = enrolled().await;
    let still = close_up(&frame(CENTRE[0]));
    let face = best().analyze(&still, false).expect("a face").face;
    // The tint and the JPEG sometimes undo the warp's turn (refused for
    // the movement): the attacker tries again until the turn is shown.
    let mut shown_turn = false;
    for attempt in 0..4 {
        let (s, msg) = v
            .answer(|i, step| shown(&still_posed(&still, &face, i, step), step, true))
            .await;
        let scores = audited_scores(&v.app).remove(attempt);
        assert_eq!(s, StatusCode::BAD_REQUEST, "{msg} {scores}");
        if scores["active"] != true {
            continue;
        }
        assert!(msg.contains("too little of the room"), "{msg} {scores}");
        // The face alone would have let it through.
        assert!(scores["screen_light"].as_f64().unwrap() >= 0.8, "{scores}");
        assert!(
            scores["similarity"].as_f64().unwrap() >= scores["match_threshold"].as_f64().unwrap(),
            "{scores}"
        );
        assert!(scores["background_changed"].is_null(), "{scores}");
        shown_turn = true;
        break;
    }
    assert!(shown_turn, "the warped close-up never showed the turn");

    let (s, msg) = v
        .answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, true))
        .await;
    assert_eq!(s, StatusCode::OK, "{msg}");
}

/// The same injector with the victim's usual photo, every other frame two
/// pixels narrower: no two consecutive frames could be compared pixel for
/// pixel. A camera's frames of one check are all one size: refused.
#[tokio::test]
async fn frames_of_differing_sizes_are_refused() {
    let v = enrolled().await;
    let still = frame(CENTRE[0]);
    let face = best().analyze(&still, false).expect("a face").face;
    let (s, msg) = v
        .answer(|i, step| {
            let posed = still_posed(&still, &face, i, step);
            let posed = if i % 2 == 1 {
                imageops::crop_imm(&posed, 0, 0, posed.width() - 2, posed.height()).to_image()
            } else {
                posed
            };
            shown(&posed, step, true)
        })
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg}");
    assert!(msg.contains("differ in size"), "{msg}");
}

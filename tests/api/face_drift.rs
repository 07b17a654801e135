//! A virtual camera panning, zooming or rolling slowly over one photo
//! (issue 14, "frames derived from one image share its texture and sensor
//! noise"): the whole picture moves a little more each frame, so most of
//! the room's pixels change and the frozen-background check alone would
//! let it through; once the motion (a shift, zoom, roll or shear of the
//! whole picture) is undone the room is the same picture again, where a
//! camera's frames differ by their fresh noise (`biometrics::moved_copy`).
//! Moved by less than that motion can be read (a jitter of a tenth of a
//! pixel), the picture's flat parts stay as they were, where a camera's
//! noise changes them (`sensor_noise::flat_changed`).

use image::RgbImage;
use reqwest::StatusCode;
use visage::biometrics::{attack, moved_copy, room_tilt, sensor_noise};

use crate::face::best;
use crate::face_attacks::{audited_scores, clip, enrolled, frame, shown, still_posed, CENTRE};

/// What reads a moved picture as one picture, from the audited scores.
type Reading = fn(&serde_json::Value);

/// Once the motion is undone, little of the room differs.
fn read_once_undone(scores: &serde_json::Value) {
    let after = scores["background_after_motion"].as_f64().unwrap();
    assert!(after < f64::from(moved_copy::MIN_CHANGED), "{scores}");
}

/// Too little motion to read, and the room's flat parts did not change.
fn read_where_flat(scores: &serde_json::Value) {
    assert!(scores["background_after_motion"].is_null(), "{scores}");
    let flat = scores["background_flat_changed"].as_f64().unwrap();
    assert!(flat < f64::from(sensor_noise::MIN_FLAT_CHANGED), "{scores}");
}

/// The attacker injects, in real time over HTTP with the victim's passkey
/// session, one still of the victim warped into each step's head position,
/// the whole picture then moved by `whole` in frame i, each frame tinted to
/// its step's colour as shown: refused as one picture moved (`reading`),
/// though every other check would have let it through; the person's own
/// answer passes.
async fn refused_as_one_picture_moved(whole: fn(&RgbImage, usize) -> RgbImage, reading: Reading) {
    let v = enrolled().await;
    let still = frame(CENTRE[0]);
    let face = best().analyze(&still, false).expect("a face").face;
    let (s, msg) = v
        .answer(|i, step| shown(&whole(&still_posed(&still, &face, i, step), i), step, true))
        .await;
    let scores = audited_scores(&v.app).remove(0);
    eprintln!("the moved still's scores: {scores}");
    assert_eq!(s, StatusCode::BAD_REQUEST, "{msg} {scores}");
    assert!(msg.contains("did not change between frames"), "{msg}");
    // Its room changed as a camera's would, as the frames lie ...
    let changed = scores["background_changed"].as_f64().unwrap();
    assert!(changed >= f64::from(sensor_noise::MIN_CHANGED), "{scores}");
    // ... but it is one picture.
    reading(&scores);
    // Every other check would have let it through.
    assert_eq!(scores["active"], true, "{scores}");
    assert!(scores["screen_light"].as_f64().unwrap() >= 0.8, "{scores}");
    assert!(
        scores["same_person"].as_f64().unwrap()
            >= scores["same_person_threshold"].as_f64().unwrap(),
        "{scores}"
    );
    assert!(
        scores["similarity"].as_f64().unwrap() >= scores["match_threshold"].as_f64().unwrap(),
        "{scores}"
    );
    // The room neither turned nor changed shape past its limits (the
    // default shape limit is 1).
    let turned = scores["room_turned"].as_f64().unwrap();
    assert!(turned <= f64::from(room_tilt::MAX_DEG), "{scores}");
    let reshaped = scores["room_reshaped"].as_f64();
    assert!(reshaped.is_none_or(|r| r <= 1.0), "{scores}");

    // The person in front of the camera, the room behind moving with the
    // car: no one motion of the picture explains that change (no reading),
    // or what is left once it is undone is a camera's.
    let (s, msg) = v
        .answer(|i, step| shown(&clip(i, step["action"].as_str().unwrap()), step, true))
        .await;
    assert_eq!(s, StatusCode::OK, "{msg}");
    let genuine = &audited_scores(&v.app)[1];
    let after = genuine["background_after_motion"].as_f64();
    assert!(
        !matches!(after, Some(a) if a < f64::from(moved_copy::MIN_CHANGED)),
        "{genuine}"
    );
    assert!(
        genuine["background_changed"].as_f64().unwrap() > 0.5,
        "{genuine}"
    );
    let flat = genuine["background_flat_changed"].as_f64().unwrap();
    assert!(
        flat >= f64::from(sensor_noise::MIN_FLAT_CHANGED),
        "{genuine}"
    );
}

/// Drifted by 0.7 + 0.9 · i pixels across (and 0.6 times that down).
#[tokio::test]
async fn one_still_drifted_whole_each_frame_is_refused() {
    refused_as_one_picture_moved(attack::drifted, read_once_undone).await;
}

/// Zoomed in by 0.8 % and rolled by 0.25° more each frame about the
/// picture's centre: no one shift explains it (refused since the motion
/// undone is a zoom, roll or shear as well as a shift).
#[tokio::test]
async fn one_still_zoomed_and_rolled_whole_each_frame_is_refused() {
    refused_as_one_picture_moved(attack::zoomed, read_once_undone).await;
}

/// Crept by under a third of a pixel a frame (0.25 · (i + 1) across, 0.6
/// times that down): each frame's resampling softens the picture
/// differently, so over the whole room no motion explains half the change
/// (accepted before); at the room's edges the motion does (refused since
/// its share is judged there).
#[tokio::test]
async fn one_still_crept_by_a_fraction_of_a_pixel_each_frame_is_refused() {
    refused_as_one_picture_moved(attack::crept, read_once_undone).await;
}

/// Jittered within a tenth of a pixel of where it lies, a place of its own
/// in each frame (no two frames 0.15 px apart, never drifting): too little
/// motion for any to be read, and resampling and JPEG change enough of the
/// room's textured parts for the frozen check (accepted before); its flat
/// parts stay as they were, where a camera's noise changes them.
#[tokio::test]
async fn one_still_jittered_by_a_hair_each_frame_is_refused() {
    refused_as_one_picture_moved(attack::jittered, read_where_flat).await;
}

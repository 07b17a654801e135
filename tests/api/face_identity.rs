//! One person throughout a face check (issue 14, identity continuity):
//! the frames that answer each action are held to the person of the centre
//! steps, so one answer made of two people's frames is refused, whichever
//! steps the second person's frames are put in.

use image::RgbImage;
use visage::biometrics::answer::{examine, Thresholds, Upload};
use visage::biometrics::attack;
use visage::biometrics::challenge::{issue_with, Action, Capture};

use crate::face::{best, faces};
use crate::face_attacks::{face_box, frame, CENTRE, TURNED};

fn bytes(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// Someone else, facing the camera (a dev image), pasted over the face box
/// of a frame of the clip, so the track does not jump.
fn someone_else_over(base: &RgbImage) -> RgbImage {
    let other = image::open(faces("dev/images/img7.jpg"))
        .expect("a dev face image (../shared/faces)")
        .to_rgb8();
    attack::pasted(base, face_box(base), &other, face_box(&other))
}

/// The face in `img` warped until it shows a turn to the right.
fn turned_right(img: &RgbImage) -> RgbImage {
    let face = best().analyze(img, false).expect("a face").face;
    attack::turned(best(), img, &face, Action::TurnRight, 0.0)
}

/// The examination of an answer to centre → turn right, one frame per step.
fn examined(frames: Vec<RgbImage>) -> visage::biometrics::decision::LivenessDecision {
    let capture = Capture {
        frames: frames.len(),
        blink_frames: 0,
        screen_light: false,
        ..Capture::default()
    };
    let ch = issue_with(0, 600, vec![Action::Center, Action::TurnRight]).planned(capture);
    let uploads: Vec<Upload> = frames
        .iter()
        .enumerate()
        .map(|(k, img)| Upload {
            timestamp_ms: 1_000 + 330 * k as i64,
            bytes: bytes(img),
        })
        .collect();
    let t = Thresholds::of(best(), 2);
    examine(best(), &ch, &uploads, t, 1).unwrap().liveness
}

/// The person's photos for the centre, and someone else doing the turn who
/// also faces the camera in the last centre step: the frontal frames the
/// examination picked were then one of each person, and each turned frame
/// of the other person was held to their mean (about 0.7 from either
/// face), so the answer passed as one person (1 of 172 `two_people`
/// answers of `face attack-eval` before this). Now the frontal frames come
/// from the centre's steps and are held to each other, and the turn's own
/// steps to them: refused, and so is the same answer with the other person
/// in the turn's steps only.
#[test]
fn two_peoples_frames_in_one_answer_are_refused_wherever_they_are_put() {
    let genuine: Vec<RgbImage> = CENTRE.iter().chain(&TURNED).map(|i| frame(*i)).collect();
    let ok = examined(genuine.clone());
    assert!(ok.live, "the person's own answer passes: {ok:?}");
    let turn_by_someone_else = |centre_too: bool| -> Vec<RgbImage> {
        genuine
            .iter()
            .enumerate()
            .map(|(k, img)| match k {
                3 if centre_too => someone_else_over(img),
                0..=3 => img.clone(),
                _ => turned_right(&someone_else_over(img)),
            })
            .collect()
    };
    for centre_too in [true, false] {
        let d = examined(turn_by_someone_else(centre_too));
        assert!(
            !d.live,
            "two people passed (centre too: {centre_too}): {d:?}"
        );
        let same = d.same_person.unwrap();
        eprintln!("two people (centre too: {centre_too}): same person {same}");
        assert!(
            same < d.same_person_threshold.unwrap(),
            "refused as two people, not for something else: {d:?}"
        );
    }
}

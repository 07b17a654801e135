//! A camera's frames each carry fresh sensor noise: between two frames
//! taken 300 ms apart, almost every pixel of the room behind the person
//! changes a little, even where nothing moved. Frames made from one
//! picture (a still injected into the browser, warped into a head turn and
//! tinted to the screen's colours) share that picture's pixels wherever the
//! forgery left them alone, so most of their background does not change
//! at all. An injector that adds fresh noise to every frame is not caught
//! by this (docs/face-liveness.md "Face liveness: what it catches").

use image::RgbImage;

use super::detect::Face;
use super::BiometricError;

/// Least share of a frame the room must fill, outside both faces' boxes
/// grown by half on each side, for a pair of frames to be read. The real
/// carphone recording shows 47–58 %; a close-up portrait, the face filling
/// the frame, shows none, and left every check of the room nothing to
/// compare (docs/face-liveness.md, "Close-ups and frame sizes").
pub const MIN_ROOM: f32 = 0.05;

/// Below this share of room the camera page asks the person to move back
/// (`quality::Hint::Farther`): twice the least, so a head turn, which
/// widens the face's box, does not cross it during the check.
pub const ASK_FARTHER: f32 = 2.0 * MIN_ROOM;

/// Share of a `w` × `h` frame outside the face's box grown by half on each
/// side: the room the checks read.
pub fn room_share((w, h): (u32, u32), face: &Face) -> f32 {
    let [x, y, bw, bh] = face.bbox;
    let (w, h) = (w as f32, h as f32);
    let across = ((x + 1.5 * bw).min(w) - (x - bw / 2.0).max(0.0)).max(0.0);
    let down = ((y + 1.5 * bh).min(h) - (y - bh / 2.0).max(0.0)).max(0.0);
    1.0 - across * down / (w * h).max(1.0)
}

/// Share of the background's pixels (sampled) that differ at all between
/// two frames of the same size; None when the sizes differ or too little
/// of the background (under [`MIN_ROOM`]) is left outside both faces.
pub fn changed_share(a: &RgbImage, b: &RgbImage, fa: &Face, fb: &Face) -> Option<f32> {
    if a.dimensions() != b.dimensions() {
        return None;
    }
    // Outside each face's box grown by half on each side (hair, neck).
    let (mut seen, mut changed) = (0u32, 0u32);
    for py in (0..a.height()).step_by(2) {
        for px in (0..a.width()).step_by(2) {
            let (x, y) = (px as f32, py as f32);
            if fa.near(x, y) || fb.near(x, y) {
                continue;
            }
            seen += 1;
            if a.get_pixel(px, py) != b.get_pixel(px, py) {
                changed += 1;
            }
        }
    }
    let all = a.width().div_ceil(2) * a.height().div_ceil(2);
    (seen > 0 && seen as f32 >= MIN_ROOM * all as f32).then(|| changed as f32 / seen as f32)
}

/// A camera's frames of one check are all one size: frames that differ
/// could not be compared pixel for pixel by any check of the room.
pub fn one_size(sizes: impl IntoIterator<Item = (u32, u32)>) -> Result<(), BiometricError> {
    let mut sizes = sizes.into_iter();
    let first = sizes.next();
    match sizes.find(|s| Some(*s) != first) {
        Some((w, h)) => Err(BiometricError::Challenge(format!(
            "the frames of one check differ in size ({w}x{h} among them): \
             send them all from one camera"
        ))),
        None => Ok(()),
    }
}

/// Why the room refuses an answer of `pairs` consecutive pairs of frames,
/// `shares` the [`changed_share`] of those that could be read: most pairs
/// show too little of the room to be read, or most are one picture
/// ([`frozen`]).
pub fn refusal(shares: &[f32], pairs: usize, moved_copies: usize) -> Option<&'static str> {
    if 2 * shares.len() < pairs {
        Some(
            "too little of the room shows around your face: hold the camera a little \
             farther away",
        )
    } else if frozen(shares, moved_copies) {
        Some(
            "the picture behind the face did not change between frames as a camera's does \
             (turn off any virtual background)",
        )
    } else {
        None
    }
}

/// Below this share of changed background pixels, two frames are frozen
/// copies of one picture there. Measured (docs/face.md): consecutive frames
/// of the real carphone recording change 96–100 % of their background,
/// frames made from one still 0–1 %.
pub const MIN_CHANGED: f32 = 0.1;

/// Whether most consecutive pairs of frames share a frozen background:
/// `shares` as [`changed_share`] reads each pair, `moved_copies` the pairs
/// among the others that are one picture moved whole
/// (`moved_copy::Moved::is_copy`).
pub fn frozen(shares: &[f32], moved_copies: usize) -> bool {
    let still = shares.iter().filter(|s| **s < MIN_CHANGED).count() + moved_copies;
    !shares.is_empty() && 2 * still > shares.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face() -> Face {
        Face::boxed([30.0, 30.0, 20.0, 24.0])
    }

    /// A flat grey room with a camera's noise (seeded).
    fn noisy(seed: u64) -> RgbImage {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        RgbImage::from_fn(120, 100, |_, _| {
            let v = 128u8.saturating_add_signed(rng.gen_range(-2..=2));
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn camera_frames_change_everywhere_and_copies_of_one_picture_do_not() {
        let (a, b) = (noisy(1), noisy(2));
        let fresh = changed_share(&a, &b, &face(), &face()).unwrap();
        assert!(fresh > 0.5, "{fresh}");
        // The same picture with only the face redrawn (warped, tinted).
        let mut copy = a.clone();
        for y in 30..54 {
            for x in 30..50 {
                copy.put_pixel(x, y, image::Rgb([200, 150, 130]));
            }
        }
        let same = changed_share(&a, &copy, &face(), &face()).unwrap();
        assert_eq!(same, 0.0);
        assert!(frozen(&[same, same, fresh], 0));
        assert!(
            !frozen(&[fresh, same, fresh], 0),
            "one repeated frame is not a forgery"
        );
        assert!(
            frozen(&[fresh, same, fresh], 1),
            "nor one moved copy, but both are"
        );
        assert!(!frozen(&[], 0));
    }

    #[test]
    fn a_face_that_fills_the_frame_leaves_no_room_to_read() {
        let (a, b) = (noisy(1), noisy(2));
        // The face's box grown by half on each side covers the whole frame
        // but for a strip at the right: 2 of 60 sampled columns (3 %,
        // under the least share), then 4 (7 %).
        let close = Face::boxed([29.0, 30.0, 58.0, 60.0]);
        assert_eq!(changed_share(&a, &b, &close, &close), None);
        assert!((room_share((120, 100), &close) - 4.0 / 120.0).abs() < 1e-6);
        let farther = Face::boxed([28.0, 30.0, 56.0, 60.0]);
        assert!(changed_share(&a, &b, &farther, &farther).is_some());
        assert!((room_share((120, 100), &farther) - 8.0 / 120.0).abs() < 1e-6);
        // Most pairs unread: refused as hiding the room, even if the pairs
        // read are a camera's.
        let why = refusal(&[0.9], 3, 0).unwrap();
        assert!(why.contains("too little of the room"), "{why}");
        assert_eq!(refusal(&[0.9, 0.9], 3, 0), None);
        assert!(refusal(&[0.0, 0.0], 3, 0)
            .unwrap()
            .contains("did not change"));
    }

    #[test]
    fn frames_of_one_check_are_one_size() {
        assert!(one_size([(640, 480), (640, 480)]).is_ok());
        assert!(one_size([]).is_ok());
        let e = one_size([(640, 480), (640, 480), (638, 480)]).unwrap_err();
        assert!(e.to_string().contains("638x480"), "{e}");
    }
}

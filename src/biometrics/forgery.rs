//! Forged frames made from real ones, as an attacker would make them: a
//! still warped, tilted, swung, sheared or drifted into the movement, lit
//! by the screen's colours, another face pasted in, a print or screen
//! recaptured. Used by the attack evaluation (`attack`) and the attack
//! tests.

use image::{imageops, RgbImage};

use super::align;
use super::challenge::{self, Action, Colour};
use super::detect::Face;
use super::engine::FaceEngine;
use super::quality::pose;

/// The screen's light on the face: `colour` added to the face, fading
/// towards its edges (the room behind is too far to be lit).
pub fn lit(img: &RgbImage, face_box: [f32; 4], colour: Colour, strength: f32) -> RgbImage {
    let rgb = colour.rgb().map(|c| c * 255.0);
    let [x, y, w, h] = face_box;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let mut out = img.clone();
    for (px, py, p) in out.enumerate_pixels_mut() {
        let d = ((px as f32 - cx) / (w * 0.6)).powi(2) + ((py as f32 - cy) / (h * 0.6)).powi(2);
        let a = strength * (1.0 - d).max(0.0);
        for (v, c) in p.0.iter_mut().zip(&rgb) {
            *v = (f32::from(*v) * (1.0 - a) + c * a).round() as u8;
        }
    }
    out
}

/// A still face "turned" by a 2D warp: pixels around the nose slide
/// towards the image's right by `amount` face widths (negative: left); the
/// eyes and the outline move less (a cheap animation of one photo).
pub fn warped(img: &RgbImage, face: &Face, amount: f32) -> RgbImage {
    let (w, nose) = (face.bbox[2], face.landmarks[2]);
    let sigma2 = 2.0 * (0.22 * w).powi(2);
    let shift = |x: f32, y: f32| {
        amount * w * (-((x - nose.x).powi(2) + (y - nose.y).powi(2)) / sigma2).exp()
    };
    let max_x = img.width().saturating_sub(1) as f32;
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let sx = (x as f32 - shift(x as f32, y as f32))
            .round()
            .clamp(0.0, max_x);
        *img.get_pixel(sx as u32, y)
    })
}

/// A still face warped until it shows `turn` (a larger warp each try).
pub fn turned(
    engine: &FaceEngine,
    img: &RgbImage,
    face: &Face,
    turn: Action,
    extra: f32,
) -> RgbImage {
    let sign = if turn == Action::TurnLeft { -1.0 } else { 1.0 };
    let mut out = warped(img, face, sign * (0.12 + extra));
    for amount in [0.16, 0.2, 0.25, 0.3] {
        if shows_clearly(engine, &out, turn) {
            break;
        }
        out = warped(img, face, sign * (amount + extra));
    }
    out
}

/// The whole picture rotated in plane by `degrees` about the face's
/// centre (bilinear): a photo tilted, not a head turned.
pub fn tilted(img: &RgbImage, face: &Face, degrees: f32) -> RgbImage {
    let (cx, cy) = face.centre();
    let (sin, cos) = degrees.to_radians().sin_cos();
    align::warp(img, img.dimensions(), |u, v| {
        let (dx, dy) = (u - cx, v - cy);
        (cx + cos * dx + sin * dy, cy - sin * dx + cos * dy)
    })
}

/// The whole picture moved by `d` pixels across and 0.6 times that down
/// (bilinear).
fn panned(img: &RgbImage, d: f32) -> RgbImage {
    align::warp(img, img.dimensions(), |u, v| (u - d, v - 0.6 * d))
}

/// The whole picture of frame `i` moved by 0.7 + 0.9 · `i` pixels across
/// and 0.6 times that down: a photo panned slowly, so no pixel of it stays
/// as it was.
pub fn drifted(img: &RgbImage, i: usize) -> RgbImage {
    panned(img, 0.7 + 0.9 * i as f32)
}

/// The whole picture of frame `i` moved by 0.25 · (`i` + 1) pixels across
/// and 0.6 times that down: a pan slower than [`drifted`], under a third
/// of a pixel a frame, where each frame's resampling changes the room
/// about as much as the motion does.
pub fn crept(img: &RgbImage, i: usize) -> RgbImage {
    panned(img, 0.25 * (i + 1) as f32)
}

/// The whole picture of frame `i` moved to its own place within a tenth of
/// a pixel of where it lies, across and down (a fixed scatter, not a
/// path): a virtual camera's jitter over one photo. No two frames lie more
/// than 0.15 px apart, under the least motion `moved_copy` reads, and
/// they never drift, so comparing frames farther apart reads no more.
pub fn jittered(img: &RgbImage, i: usize) -> RgbImage {
    // The fractional parts of multiples of the golden ratio: spread evenly
    // over [0, 1) whatever the number of frames.
    let spread = |k: f32| (k * 0.618_034).fract();
    let (dx, dy) = (0.1 * spread(i as f32 + 1.0), 0.1 * spread(i as f32 + 5.5));
    align::warp(img, img.dimensions(), |u, v| (u - dx, v - dy))
}

/// The whole picture of frame `i` zoomed in by 0.8 % more each frame and
/// rolled by 0.25° more, about the picture's centre (bilinear): a virtual
/// camera's slow zoom and roll over one photo. The room keeps its shape
/// (`room_swing`) and turns by less than `room_tilt` allows.
pub fn zoomed(img: &RgbImage, i: usize) -> RgbImage {
    let k = (i + 1) as f32;
    let zoom = 1.0 + 0.008 * k;
    let (sin, cos) = (0.25 * k).to_radians().sin_cos();
    let (cx, cy) = (img.width() as f32 / 2.0, img.height() as f32 / 2.0);
    align::warp(img, img.dimensions(), |u, v| {
        let (x, y) = ((u - cx) / zoom, (v - cy) / zoom);
        (cx + cos * x + sin * y, cy - sin * x + cos * y)
    })
}

/// A warp of a whole still by an amount (degrees, a slope), about a face.
pub type Warp = fn(&RgbImage, &Face, f32) -> RgbImage;

/// The whole picture sheared across by `slope` (each row shifted by
/// `slope` times its height above or below the face's centre): the nose,
/// below the eyes, slides sideways against them as in a turn.
pub fn sheared(img: &RgbImage, face: &Face, slope: f32) -> RgbImage {
    let (cx, cy) = face.centre();
    align::warp(img, img.dimensions(), |u, v| {
        (cx + (u - cx) - slope * (v - cy), v)
    })
}

/// The whole picture as a flat print of it would look turned by
/// `degrees` about the vertical line through the face (perspective, the
/// camera's focal length one picture width): the cheapest 3D-looking
/// animation of one photo.
pub fn swung(img: &RgbImage, face: &Face, degrees: f32) -> RgbImage {
    let (cx, cy) = face.centre();
    let f = img.width() as f32;
    let (sin, cos) = degrees.to_radians().sin_cos();
    align::warp(img, img.dimensions(), |u, v| {
        let (du, dv) = (u - cx, v - cy);
        let px = du * f / (f * cos - du * sin).max(1e-3);
        let py = dv * (f + px * sin) / f;
        (cx + px, cy + py)
    })
}

/// How far past the turn threshold a warped still must read before an
/// attacker trusts it: the step's light and the JPEG on the way move the
/// detector's yaw by up to a fifth of the threshold, and a frame that
/// reads as a turn only before them fails the movement check by chance.
const CLEAR_TURN: f32 = 1.4;

/// Whether the detector reads `img`'s face as clearly showing `turn`.
fn shows_clearly(engine: &FaceEngine, img: &RgbImage, turn: Action) -> bool {
    engine
        .analyze(img, false)
        .is_ok_and(|a| challenge::classify(pose(&a.face).0 / CLEAR_TURN) == turn)
}

/// The first of `amounts` (each tried either way) whose `make` the
/// detector reads as clearly showing `turn` (`CLEAR_TURN`); the largest
/// when none does.
fn first_showing(
    engine: &FaceEngine,
    turn: Action,
    amounts: &[f32],
    make: impl Fn(f32) -> RgbImage,
) -> RgbImage {
    for amount in amounts {
        for sign in [1.0, -1.0] {
            let out = make(sign * amount);
            if shows_clearly(engine, &out, turn) {
                return out;
            }
        }
    }
    make(amounts.last().copied().unwrap_or_default())
}

/// A still photo swung in perspective until the face seems to show `turn`
/// (a larger swing each try, either way), if any does.
pub fn swung_into(engine: &FaceEngine, img: &RgbImage, face: &Face, turn: Action) -> RgbImage {
    first_showing(engine, turn, &[15.0, 25.0, 35.0, 45.0, 55.0], |d| {
        swung(img, face, d)
    })
}

/// A still photo sheared across until the face seems to show `turn` (a
/// larger slope each try, either way), if any does.
pub fn sheared_into(engine: &FaceEngine, img: &RgbImage, face: &Face, turn: Action) -> RgbImage {
    first_showing(engine, turn, &[0.2, 0.3, 0.4, 0.5, 0.6, 0.7], |k| {
        sheared(img, face, k)
    })
}

/// A still photo tilted in plane until the face seems to show `turn`
/// (a larger tilt each try, either way), if any tilt does.
pub fn tilted_into(engine: &FaceEngine, img: &RgbImage, face: &Face, turn: Action) -> RgbImage {
    first_showing(engine, turn, &[8.0, 12.0, 16.0, 20.0, 25.0, 30.0], |d| {
        tilted(img, face, d)
    })
}

/// `other`'s face (box `other_box`) pasted over `base`'s face box, resized
/// to it, so a face track does not jump.
pub fn pasted(
    base: &RgbImage,
    base_box: [f32; 4],
    other: &RgbImage,
    other_box: [f32; 4],
) -> RgbImage {
    let [ox, oy, ow, oh] = other_box.map(|v| v.max(1.0) as u32);
    let [bx, by, bw, bh] = base_box.map(|v| v.max(1.0) as u32);
    let crop = imageops::crop_imm(other, ox, oy, ow, oh).to_image();
    let patch = imageops::resize(&crop, bw, bh, imageops::FilterType::Triangle);
    let mut out = base.clone();
    imageops::replace(&mut out, &patch, i64::from(bx), i64::from(by));
    out
}

/// A print or screen held to the camera, as far as software can say: the
/// recapture blurs, flattens the contrast (gamma), and adds the moiré of a
/// pixel grid.
pub fn recaptured(img: &RgbImage) -> RgbImage {
    let soft = imageops::blur(img, 1.2);
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let p = soft.get_pixel(x, y).0;
        let moire = 8.0 * ((x as f32 * 0.9).sin() * (y as f32 * 0.7).sin());
        image::Rgb(p.map(|v| {
            let g = 255.0 * (f32::from(v) / 255.0).powf(0.8) * 0.85 + 20.0 + moire;
            g.clamp(0.0, 255.0) as u8
        }))
    })
}

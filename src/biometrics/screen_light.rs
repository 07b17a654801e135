//! The screen-light challenge: while the page captures, it shows a random,
//! server-chosen sequence of colours around the camera view; the light of
//! the screen falls on the face (much more than on the room behind it), so
//! the face's colour, measured against the background, follows the
//! sequence. Frames recorded earlier, for another sequence or for none,
//! do not.
//!
//! What it does not catch: an attacker who injects frames in real time and
//! tints them to the sequence as it is shown (docs/face.md "Face liveness").

use image::RgbImage;

use super::challenge::Colour;
use super::detect::Face;

/// The face's colour relative to the background, per frame: log
/// chromaticities `(ln R/G, ln B/G)` of the face minus those of the
/// background. A camera's white balance multiplies every pixel by the same
/// channel gains, which cancel in this difference.
pub fn response(img: &RgbImage, face: &Face) -> [f32; 2] {
    let [x, y, w, h] = face.bbox;
    // The skin of cheeks, nose and lower forehead.
    let inner = [x + 0.2 * w, y + 0.25 * h, x + 0.8 * w, y + 0.85 * h];
    // Background: outside the face box grown by half on each side.
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let outer = [cx - w, cy - h, cx + w, cy + h];
    let inside =
        |b: &[f32; 4], px: f32, py: f32| px >= b[0] && px < b[2] && py >= b[1] && py < b[3];
    let (mut fs, mut bs) = ([1.0f64; 3], [1.0f64; 3]);
    // Every second pixel each way is plenty for a mean.
    for py in (0..img.height()).step_by(2) {
        for px in (0..img.width()).step_by(2) {
            let (fx, fy) = (px as f32, py as f32);
            let sums = if inside(&inner, fx, fy) {
                &mut fs
            } else if !inside(&outer, fx, fy) {
                &mut bs
            } else {
                continue;
            };
            let p = img.get_pixel(px, py).0;
            for (s, v) in sums.iter_mut().zip(p) {
                *s += f64::from(v);
            }
        }
    }
    let chroma = |s: [f64; 3]| [(s[0] / s[1]).ln(), (s[2] / s[1]).ln()];
    let (f, b) = (chroma(fs), chroma(bs));
    [(f[0] - b[0]) as f32, (f[1] - b[1]) as f32]
}

/// The shift a colour's light gives the response: more red raises
/// ln R/G, more blue raises ln B/G, more green lowers both.
pub fn expected(c: Colour) -> [f32; 2] {
    let [r, g, b] = c.rgb();
    [r - g, b - g]
}

/// Correlation at or above which the face followed the colours.
pub const MIN_CORRELATION: f32 = 0.8;

/// How well the responses follow the colours: Pearson correlation of the
/// centred responses with the centred expected shifts (both coordinates of
/// every frame), or None when fewer than three colours were shown.
pub fn correlation(colours: &[Colour], responses: &[[f32; 2]]) -> Option<f32> {
    if colours.len() != responses.len() || colours.len() < 3 {
        return None;
    }
    let n = colours.len() as f32;
    let exp: Vec<[f32; 2]> = colours.iter().map(|c| expected(*c)).collect();
    let mean = |v: &[[f32; 2]]| {
        let s = v.iter().fold([0.0, 0.0], |a, x| [a[0] + x[0], a[1] + x[1]]);
        [s[0] / n, s[1] / n]
    };
    let (me, mo) = (mean(&exp), mean(responses));
    let (mut eo, mut ee, mut oo) = (0.0f32, 0.0f32, 0.0f32);
    for (e, o) in exp.iter().zip(responses) {
        for (((ek, ok), mek), mok) in e.iter().zip(o).zip(me).zip(mo) {
            let (de, dob) = (ek - mek, ok - mok);
            eo += de * dob;
            ee += de * de;
            oo += dob * dob;
        }
    }
    if ee <= f32::EPSILON || oo <= f32::EPSILON {
        return Some(0.0);
    }
    Some(eo / (ee.sqrt() * oo.sqrt()))
}

/// Whether the face followed the colours.
pub fn followed(colours: &[Colour], responses: &[[f32; 2]]) -> (bool, f32) {
    let r = correlation(colours, responses).unwrap_or(0.0);
    (r >= MIN_CORRELATION, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::challenge::{colours, colours_from};

    fn shifted(seq: &[Colour], gain: f32) -> Vec<[f32; 2]> {
        seq.iter()
            .map(|c| {
                let e = expected(*c);
                [0.05 + gain * e[0], -0.02 + gain * e[1]]
            })
            .collect()
    }

    #[test]
    fn a_face_lit_by_the_sequence_follows_it_and_one_lit_by_another_does_not() {
        let seq = colours(9);
        assert!(followed(&seq, &shifted(&seq, 0.03)).0);
        assert!(!followed(&seq, &[[0.05, -0.02]; 9]).0, "no light at all");
        assert_eq!(correlation(&seq[..2], &shifted(&seq[..2], 0.03)), None);
    }

    /// How often an answer recorded for one random sequence passes for
    /// another: the chance a replay gets through the light check alone.
    /// Seeded, so the figure is the same on every run; over 10^6 pairs
    /// (`VISAGE_LIGHT_TRIALS=1000000`) 656, i.e. 0.66 per 1000 at 9 colours.
    #[test]
    fn a_recording_for_another_sequence_rarely_follows_a_new_one() {
        use rand::SeedableRng;
        let trials: usize = std::env::var("VISAGE_LIGHT_TRIALS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        let mut rng = rand::rngs::StdRng::seed_from_u64(14);
        let passes = (0..trials)
            .filter(|_| {
                let old = colours_from(&mut rng, 9);
                let new = colours_from(&mut rng, 9);
                followed(&new, &shifted(&old, 0.03)).0
            })
            .count();
        eprintln!("replay passes {passes} of {trials}");
        // The claim (docs/face.md): under 1 in 1000; fail at 2 in 1000.
        assert!(passes * 500 <= trials, "{passes} of {trials}");
    }
}

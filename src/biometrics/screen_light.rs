//! The screen-light challenge: while the page captures, it shows a random,
//! server-chosen sequence of colours around the camera view; the light of
//! the screen falls on the face (much more than on the room behind it), so
//! the face's colour, measured against the background, follows the
//! sequence. Frames recorded earlier, for another sequence or for none,
//! do not.
//!
//! What it does not catch: an attacker who injects frames in real time and
//! tints them to the sequence as it is shown (docs/face-liveness.md "Face liveness").

use image::RgbImage;

use super::challenge::Colour;
use super::detect::Face;

/// What one lit frame shows: the face's colour relative to the
/// background, and the mean linear colour of each.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    /// Log chromaticities `(ln R/G, ln B/G)` of the face minus those of the
    /// background. A camera's white balance multiplies every pixel by the
    /// same channel gains, which cancel in this difference.
    pub chroma: [f32; 2],
    /// Mean RGB (0–255) of the face's skin.
    pub face: [f32; 3],
    /// Mean RGB of the room: the background beside and above the head
    /// (below the chin are the neck and shoulders, as near the screen as
    /// the face).
    pub room: [f32; 3],
}

/// Read a frame: the skin of cheeks, nose and lower forehead, and the
/// background outside the face box grown by half on each side (for the
/// room, only what is above the chin).
pub fn read(img: &RgbImage, face: &Face) -> Reading {
    let [x, y, w, h] = face.bbox;
    let inner = [x + 0.2 * w, y + 0.25 * h, x + 0.8 * w, y + 0.85 * h];
    let inside =
        |b: &[f32; 4], px: f32, py: f32| px >= b[0] && px < b[2] && py >= b[1] && py < b[3];
    let chin = y + h;
    let (mut fs, mut bs, mut rs) = ([1.0f64; 3], [1.0f64; 3], [0.0f64; 3]);
    let (mut fn_, mut rn) = (0u32, 0u32);
    let add = |sums: &mut [f64; 3], p: [u8; 3]| {
        for (s, v) in sums.iter_mut().zip(p) {
            *s += f64::from(v);
        }
    };
    // Every second pixel each way is plenty for a mean.
    for py in (0..img.height()).step_by(2) {
        for px in (0..img.width()).step_by(2) {
            let (fx, fy) = (px as f32, py as f32);
            let p = img.get_pixel(px, py).0;
            if inside(&inner, fx, fy) {
                add(&mut fs, p);
                fn_ += 1;
            } else if !face.near(fx, fy) {
                add(&mut bs, p);
                if fy < chin {
                    add(&mut rs, p);
                    rn += 1;
                }
            }
        }
    }
    let chroma = |s: [f64; 3]| [(s[0] / s[1]).ln(), (s[2] / s[1]).ln()];
    let (f, b) = (chroma(fs), chroma(bs));
    let mean = |s: [f64; 3], n: u32| s.map(|v| (v / f64::from(n.max(1))) as f32);
    Reading {
        chroma: [(f[0] - b[0]) as f32, (f[1] - b[1]) as f32],
        face: mean(fs, fn_),
        room: mean(rs, rn),
    }
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

/// How alike two colour sequences are to the check: the correlation of
/// `b`'s expected shifts with `a`'s colours, step by step over the steps
/// both have (-1 when fewer than three). A recording lit by `b` follows
/// `a` about as well as this, less its noise.
pub fn likeness(a: &[Colour], b: &[Colour]) -> f32 {
    let n = a.len().min(b.len());
    let shifts: Vec<[f32; 2]> = b.iter().take(n).map(|c| expected(*c)).collect();
    correlation(a.get(..n).unwrap_or_default(), &shifts).unwrap_or(-1.0)
}

/// Likeness below which a new sequence is drawn to every earlier one the
/// person answered: a recording of that answer then correlates with it
/// far below [`MIN_CORRELATION`] (noise lowers a recording's correlation;
/// lifting it by 0.3 was never seen).
pub const MAX_LIKENESS: f32 = 0.5;

/// Draws tried before settling for the least alike one. A random sequence
/// of 8 is unlike 50 earlier ones about 7 times in 100.
const DRAWS: usize = 4_000;

/// A random colour sequence of `n` (`challenge::colours_from`) whose
/// likeness to each of `earlier` is below [`MAX_LIKENESS`]; when none of
/// [`DRAWS`] draws is, the least alike.
pub fn unlike(rng: &mut impl rand::Rng, n: usize, earlier: &[Vec<Colour>]) -> Vec<Colour> {
    let mut best: Option<(f32, Vec<Colour>)> = None;
    for _ in 0..DRAWS {
        let seq = super::challenge::colours_from(rng, n);
        let worst = earlier
            .iter()
            .map(|e| likeness(&seq, e))
            .fold(-1.0f32, f32::max);
        if worst < MAX_LIKENESS {
            return seq;
        }
        if best.as_ref().is_none_or(|(w, _)| worst < *w) {
            best = Some((worst, seq));
        }
    }
    best.map_or_else(|| super::challenge::colours_from(rng, n), |(_, s)| s)
}

/// How much light of the colours shown a region received: the
/// least-squares slope of its centred mean RGB on the centred colours
/// (0–1 per channel), in pixel values per unit of colour.
fn light(colours: &[Colour], rgb: &[[f32; 3]]) -> f32 {
    let n = colours.len().max(1) as f32;
    let shown: Vec<[f32; 3]> = colours.iter().map(|c| c.rgb()).collect();
    let mean = |v: &[[f32; 3]]| {
        let s = v
            .iter()
            .fold([0.0f32; 3], |a, x| [a[0] + x[0], a[1] + x[1], a[2] + x[2]]);
        s.map(|c| c / n)
    };
    let (mc, mr) = (mean(&shown), mean(rgb));
    let (mut cr, mut cc) = (0.0f32, 0.0f32);
    for (c, r) in shown.iter().zip(rgb) {
        for (((ck, rk), mck), mrk) in c.iter().zip(r).zip(mc).zip(mr) {
            cr += (ck - mck) * (rk - mrk);
            cc += (ck - mck).powi(2);
        }
    }
    if cc <= f32::EPSILON {
        0.0
    } else {
        cr / cc
    }
}

/// Default of `face.screen_light_max_spill`: the most light the room behind
/// may receive, as a share of what the face receives. The face is nearer
/// the screen than the room behind it and catches far more of its light;
/// a print or a screen held to the camera is one flat surface that the
/// light falls on evenly, the printed face and its printed background
/// alike, however bright the screen (docs/face-liveness.md "Face liveness: what it
/// catches").
pub const MAX_SPILL: f32 = 0.5;

/// What the light check saw.
#[derive(Debug, Clone, Copy)]
pub struct Followed {
    /// Correlation of the face's response with the colours.
    pub correlation: f32,
    /// The room's light as a share of the face's.
    pub spill: f32,
}

impl Followed {
    /// Why the face did not follow the colours, or None when it did.
    pub fn refusal(&self, max_spill: f32) -> Option<&'static str> {
        if self.correlation < MIN_CORRELATION {
            Some("the light of the screen was not seen on the face")
        } else if self.spill > max_spill {
            Some("the light of the screen fell on what is behind the face as much as on the face")
        } else {
            None
        }
    }
}

/// How the face followed the colours: the correlation of its response,
/// and the room's share of the light.
pub fn followed(colours: &[Colour], readings: &[Reading]) -> Followed {
    let chroma: Vec<[f32; 2]> = readings.iter().map(|r| r.chroma).collect();
    let face: Vec<[f32; 3]> = readings.iter().map(|r| r.face).collect();
    let room: Vec<[f32; 3]> = readings.iter().map(|r| r.room).collect();
    let on_face = light(colours, &face);
    let spill = if on_face <= f32::EPSILON {
        f32::INFINITY
    } else {
        light(colours, &room) / on_face
    };
    Followed {
        correlation: correlation(colours, &chroma).unwrap_or(0.0),
        spill,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biometrics::challenge::{colours, colours_from};

    /// Readings of frames lit by `seq`: the face's relative response
    /// `gain` times the expected shift; `on_face` and `on_room` of
    /// each colour's light (0–255 per unit) added to the regions' colours.
    fn readings(seq: &[Colour], gain: f32, on_face: f32, on_room: f32) -> Vec<Reading> {
        seq.iter()
            .map(|c| {
                let (e, rgb) = (expected(*c), c.rgb());
                Reading {
                    chroma: [0.05 + gain * e[0], -0.02 + gain * e[1]],
                    face: [0, 1, 2].map(|k| [150.0, 110.0, 90.0][k] + on_face * rgb[k]),
                    room: [0, 1, 2].map(|k| 80.0 + on_room * rgb[k]),
                }
            })
            .collect()
    }

    #[test]
    fn a_face_lit_by_the_sequence_follows_it_and_one_lit_by_another_does_not() {
        let seq = colours(9);
        let face = followed(&seq, &readings(&seq, 0.2, 20.0, 1.0));
        assert_eq!(face.refusal(MAX_SPILL), None, "{face:?}");
        let dark = followed(&seq, &readings(&seq, 0.0, 0.0, 0.0));
        assert!(dark.refusal(MAX_SPILL).is_some(), "no light at all");
        assert_eq!(correlation(&seq[..2], &[[0.0; 2]; 2]), None);
    }

    /// A print or a screen held to the camera is one flat surface: the
    /// light falls on its background as much as on its face, and what is
    /// left of it in the face's relative colour, however well it follows
    /// the colours, does not pass — at any brightness of the screen.
    #[test]
    fn a_flat_surface_lit_as_evenly_as_its_background_is_refused() {
        let seq = colours(9);
        for strength in [5.0, 20.0, 80.0] {
            let flat = followed(&seq, &readings(&seq, 0.05, strength, strength));
            assert!(flat.correlation >= MIN_CORRELATION, "{flat:?}");
            let why = flat.refusal(MAX_SPILL).expect("a flat surface refused");
            assert!(why.contains("behind the face"), "{why}");
        }
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
                let chroma: Vec<[f32; 2]> = old
                    .iter()
                    .map(|c| {
                        let e = expected(*c);
                        [0.05 + 0.03 * e[0], -0.02 + 0.03 * e[1]]
                    })
                    .collect();
                correlation(&new, &chroma).is_some_and(|r| r >= MIN_CORRELATION)
            })
            .count();
        eprintln!("replay passes {passes} of {trials}");
        // The claim (docs/face.md): under 1 in 1000; fail at 2 in 1000.
        assert!(passes * 500 <= trials, "{passes} of {trials}");
    }

    /// A recording lit by one of the person's earlier answered sequences,
    /// replayed for a new challenge: drawn unlike them (`unlike`), the new
    /// sequence is followed by none; drawn as before (`colours_from`),
    /// some new sequences are followed by an earlier answer's recording.
    #[test]
    fn a_new_sequence_is_unlike_every_earlier_answer() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(18);
        let earlier: Vec<Vec<Colour>> = (0..50).map(|_| colours_from(&mut rng, 8)).collect();
        // What a recording lit by `e` measures: its shifts, faint.
        let recorded = |e: &[Colour]| -> Vec<[f32; 2]> {
            e.iter().map(|c| expected(*c).map(|v| 0.03 * v)).collect()
        };
        let followed_by_a_recording = |new: &[Colour]| {
            earlier
                .iter()
                .any(|e| correlation(new, &recorded(e)).is_some_and(|r| r >= MIN_CORRELATION))
        };
        let (mut old_way, mut new_way) = (0, 0);
        for _ in 0..2_000 {
            let new = unlike(&mut rng, 8, &earlier);
            assert!(earlier.iter().all(|e| likeness(&new, e) < MAX_LIKENESS));
            new_way += usize::from(followed_by_a_recording(&new));
            old_way += usize::from(followed_by_a_recording(&colours_from(&mut rng, 8)));
        }
        eprintln!("new challenges an earlier answer follows: {old_way} drawn at random, {new_way} drawn unlike");
        assert_eq!(new_way, 0);
        assert!(old_way > 0, "the danger the draw avoids is real");
    }
}

//! A stress set derived from real photos (`visage face eval --stress`): the
//! second image of every pair degraded as a webcam or a bad room degrades a
//! face — light, blur, resolution, compression, noise — so the error rates
//! at the shipped threshold can be read per condition. Pose and expression
//! cannot be made from a 2D photo honestly; the pairs' own photos vary in
//! both.

use image::{imageops, Rgb, RgbImage};
use rand::{Rng, SeedableRng};

/// One way of degrading a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Under-exposed: half the light, gamma 1.5.
    Dark,
    /// Over-exposed: 1.7× the light, clipped.
    Bright,
    /// Lit from one side: light falls from 1.2× to 0.3× across the image.
    SideLight,
    /// Out of focus: Gaussian blur of 0.4 % of the image's longer side (5 px at 1280).
    Blur,
    /// Far from a small camera: the longer side down to 240 px and back.
    LowResolution,
    /// JPEG at quality 15.
    Jpeg15,
    /// Sensor noise: Gaussian, σ = 14 levels, seeded.
    Noise,
}

impl Condition {
    pub const ALL: [Condition; 7] = [
        Condition::Dark,
        Condition::Bright,
        Condition::SideLight,
        Condition::Blur,
        Condition::LowResolution,
        Condition::Jpeg15,
        Condition::Noise,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Condition::Dark => "dark",
            Condition::Bright => "bright",
            Condition::SideLight => "side_light",
            Condition::Blur => "blur",
            Condition::LowResolution => "low_resolution",
            Condition::Jpeg15 => "jpeg_q15",
            Condition::Noise => "noise",
        }
    }

    /// The photo under this condition.
    pub fn apply(self, img: &RgbImage) -> RgbImage {
        let (w, h) = img.dimensions();
        let map = |f: &dyn Fn(u32, f32) -> f32| {
            RgbImage::from_fn(w, h, |x, y| {
                Rgb(img
                    .get_pixel(x, y)
                    .0
                    .map(|v| f(x, f32::from(v)).clamp(0.0, 255.0) as u8))
            })
        };
        match self {
            Condition::Dark => map(&|_, v| 255.0 * (v * 0.5 / 255.0).powf(1.5)),
            Condition::Bright => map(&|_, v| v * 1.7),
            Condition::SideLight => {
                let span = w.max(2) as f32 - 1.0;
                map(&|x, v| v * (1.2 - 0.9 * x as f32 / span))
            }
            Condition::Blur => imageops::fast_blur(img, 0.004 * w.max(h) as f32),
            Condition::LowResolution => {
                let s = 240.0 / w.max(h) as f32;
                if s >= 1.0 {
                    return img.clone();
                }
                let (sw, sh) = (
                    ((w as f32 * s) as u32).max(1),
                    ((h as f32 * s) as u32).max(1),
                );
                let small = imageops::resize(img, sw, sh, imageops::FilterType::Triangle);
                imageops::resize(&small, w, h, imageops::FilterType::Triangle)
            }
            Condition::Jpeg15 => {
                let mut out = Vec::new();
                let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 15);
                if img.write_with_encoder(enc).is_err() {
                    return img.clone();
                }
                image::load_from_memory(&out).map_or_else(|_| img.clone(), |d| d.to_rgb8())
            }
            Condition::Noise => {
                let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(w) << 32 | u64::from(h));
                let mut out = img.clone();
                for p in out.pixels_mut() {
                    for v in p.0.iter_mut() {
                        // Box–Muller.
                        let (u1, u2): (f32, f32) = (rng.gen_range(1e-7..1.0), rng.gen());
                        let n = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
                        *v = (f32::from(*v) + 14.0 * n).clamp(0.0, 255.0) as u8;
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_condition_changes_the_photo_and_keeps_its_size() {
        let img = RgbImage::from_fn(400, 300, |x, y| {
            Rgb([(x % 251) as u8, (y % 241) as u8, 128])
        });
        let mean = |i: &RgbImage| i.pixels().map(|p| f64::from(p.0[1])).sum::<f64>() / 120_000.0;
        for c in Condition::ALL {
            let out = c.apply(&img);
            assert_eq!(out.dimensions(), img.dimensions(), "{}", c.name());
            assert_ne!(out, img, "{}", c.name());
        }
        assert!(mean(&Condition::Dark.apply(&img)) < mean(&img) * 0.6);
        assert!(mean(&Condition::Bright.apply(&img)) > mean(&img) * 1.3);
        assert_eq!(
            Condition::Noise.apply(&img),
            Condition::Noise.apply(&img),
            "seeded"
        );
    }
}

//! Resizing around the models: SIMD (AVX2/SSE4.1/Neon) bilinear resampling
//! with `fast_image_resize`, cropping inside the resize (no copy of the
//! crop). The filter is the same triangle filter `image::imageops` uses,
//! so scores do not move; the time goes down several-fold (docs/face.md "Speed").

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use ndarray::Array4;

/// `img`'s region `(x, y, w, h)` resized to `out_w`×`out_h`.
pub fn crop_resize(
    img: &RgbImage,
    region: (u32, u32, u32, u32),
    out_w: u32,
    out_h: u32,
) -> RgbImage {
    let (x, y, w, h) = region;
    let fallback = || {
        let crop = image::imageops::crop_imm(img, x, y, w, h).to_image();
        image::imageops::resize(&crop, out_w, out_h, image::imageops::FilterType::Triangle)
    };
    let Ok(src) = ImageRef::new(img.width(), img.height(), img.as_raw(), PixelType::U8x3) else {
        return fallback();
    };
    let mut dst = Image::new(out_w.max(1), out_h.max(1), PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .crop(x as f64, y as f64, w.max(1) as f64, h.max(1) as f64);
    if Resizer::new().resize(&src, &mut dst, &options).is_err() {
        return fallback();
    }
    RgbImage::from_raw(dst.width(), dst.height(), dst.into_vec()).unwrap_or_else(fallback)
}

/// `img` as a `[1, 3, height, width]` tensor (top-left on a zero canvas):
/// plane `c` holds channel `order[c]` of each pixel as `(v - mean[c]) * scale`.
pub fn planes(
    img: &RgbImage,
    width: usize,
    height: usize,
    order: [usize; 3],
    mean: [f32; 3],
    scale: f32,
) -> Array4<f32> {
    let mut arr = Array4::<f32>::zeros((1, 3, height, width));
    if let Some(data) = arr.as_slice_mut() {
        let planes = data.chunks_exact_mut((width * height).max(1));
        for ((plane, ch), m) in planes.zip(order).zip(mean) {
            for (row, pixels) in plane.chunks_exact_mut(width.max(1)).zip(img.rows()) {
                for (v, p) in row.iter_mut().zip(pixels) {
                    *v = (p.0.get(ch).copied().unwrap_or(0) as f32 - m) * scale;
                }
            }
        }
    }
    arr
}

/// The whole of `img` resized to `out_w`×`out_h`.
pub fn resize(img: &RgbImage, out_w: u32, out_h: u32) -> RgbImage {
    crop_resize(img, (0, 0, img.width(), img.height()), out_w, out_h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_image_crates_triangle_filter() {
        let img = RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8])
        });
        let ours = crop_resize(&img, (100, 50, 300, 280), 80, 80);
        let crop = image::imageops::crop_imm(&img, 100, 50, 300, 280).to_image();
        let theirs = image::imageops::resize(&crop, 80, 80, image::imageops::FilterType::Triangle);
        let diff: f64 = ours
            .as_raw()
            .iter()
            .zip(theirs.as_raw())
            .map(|(a, b)| (*a as f64 - *b as f64).abs())
            .sum::<f64>()
            / ours.as_raw().len() as f64;
        assert!(diff < 3.0, "mean absolute difference {diff}");
        assert_eq!(resize(&img, 320, 240).dimensions(), (320, 240));
    }
}

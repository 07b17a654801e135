//! Decoding uploaded images with size limits and EXIF orientation applied.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

use super::BiometricError;

/// Largest accepted encoded image.
pub const MAX_BYTES: usize = 15 * 1024 * 1024;
/// Largest accepted decoded side and pixel budget (guards against bombs).
pub const MAX_SIDE: u32 = 8192;
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Width and height from the image header alone (nothing is decoded), so
/// an oversized frame is refused before any expensive work.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), BiometricError> {
    if bytes.len() > MAX_BYTES {
        return Err(BiometricError::TooLarge(format!(
            "{} bytes (limit {MAX_BYTES})",
            bytes.len()
        )));
    }
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| BiometricError::Decode(e.to_string()))?
        .into_dimensions()
        .map_err(|e| BiometricError::Decode(e.to_string()))
}

/// Decode JPEG, PNG or WebP bytes into RGB, upright.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, BiometricError> {
    if bytes.len() > MAX_BYTES {
        return Err(BiometricError::TooLarge(format!(
            "{} bytes (limit {MAX_BYTES})",
            bytes.len()
        )));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| BiometricError::Decode(e.to_string()))?;
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png | image::ImageFormat::WebP)
    ) {
        return Err(BiometricError::Decode(
            "not a JPEG, PNG or WebP image".into(),
        ));
    }
    if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_complete(bytes) {
        return Err(BiometricError::Decode(
            "the JPEG is truncated or corrupt (no end-of-image marker)".into(),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(too_large_or_decode)?;
    let orientation = decoder
        .orientation()
        .map_err(|e| BiometricError::Decode(e.to_string()))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(too_large_or_decode)?;
    img.apply_orientation(orientation);
    if img.width() < 32 || img.height() < 32 {
        return Err(BiometricError::Decode(format!(
            "the image is only {}×{} pixels",
            img.width(),
            img.height()
        )));
    }
    Ok(img.to_rgb8())
}

/// The decoder is lenient with truncated files (it pads them with grey);
/// an upload that lost its end-of-image marker is refused instead.
fn jpeg_complete(bytes: &[u8]) -> bool {
    let tail = bytes.get(bytes.len().saturating_sub(64)..).unwrap_or(bytes);
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn too_large_or_decode(e: image::ImageError) -> BiometricError {
    match e {
        image::ImageError::Limits(l) => BiometricError::TooLarge(l.to_string()),
        other => BiometricError::Decode(other.to_string()),
    }
}

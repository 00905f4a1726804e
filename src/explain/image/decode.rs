//! Images in: JPEG or PNG bytes → 8-bit RGB, within documented limits.
//!
//! Grey images are spread to three equal channels and an alpha channel is dropped (what
//! Pillow's `convert("RGB")` does), so SLIC always sees an H×W×3 array.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// The largest image driftwatch explains, in pixels (4096 × 4096). Every coalition is one
/// masked copy, so a larger image costs more than its SHAP values are worth.
pub const MAX_PIXELS: u64 = 4096 * 4096;
/// The largest side, in pixels.
pub const MAX_SIDE: u32 = 16_384;

/// An 8-bit RGB image, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<u8>,
}

impl Rgb {
    pub fn new(height: usize, width: usize, pixels: Vec<u8>) -> Result<Self, String> {
        if pixels.len() != height * width * 3 {
            return Err(format!(
                "{} bytes for a {width}×{height} RGB image (expected {})",
                pixels.len(),
                height * width * 3
            ));
        }
        Ok(Self {
            height,
            width,
            pixels,
        })
    }
}

/// Decodes `bytes` (JPEG or PNG, recognised by content); `name` names the image in messages.
pub fn decode(bytes: &[u8], name: &str) -> Result<Rgb, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("{name}: {e}"))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        Some(other) => {
            return Err(format!(
                "{name}: a {other:?} image; driftwatch reads JPEG and PNG"
            ));
        }
        None => return Err(format!("{name}: not a JPEG or PNG image")),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits.clone());
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| format!("{name}: {e}"))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "{name}: {w}×{h} pixels is more than driftwatch explains ({MAX_PIXELS} pixels, 4096×4096)"
        ));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("{name}: {e}"))?;
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| format!("{name}: the image does not decode ({e})"))?;
    let rgb = img.to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    Rgb::new(h, w, rgb.into_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_png_names_the_image() {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3]))
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let ok = decode(&png, "a.png").unwrap();
        assert_eq!(
            (ok.height, ok.width, &ok.pixels[..3]),
            (4, 4, &[1, 2, 3][..])
        );
        let err = decode(&png[..png.len() / 2], "a.png").unwrap_err();
        assert!(err.starts_with("a.png: the image does not decode"), "{err}");
        let err = decode(b"hello", "b.jpg").unwrap_err();
        assert_eq!(err, "b.jpg: not a JPEG or PNG image");
    }
}

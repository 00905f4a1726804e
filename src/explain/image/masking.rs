//! What the model sees for a coalition of segments: each present segment keeps the image's
//! pixels, each absent one takes the baseline's (Clarify: "segment j present ⇒ original
//! pixels, absent ⇒ the baseline image's pixels").

use super::decode::Rgb;
use super::slic::Segments;

/// An image, its baseline (same size) and its segments.
pub struct Masker<'a> {
    pub image: &'a Rgb,
    pub baseline: &'a Rgb,
    pub segments: &'a Segments,
}

impl Masker<'_> {
    /// The masked image for `present[segment - 1]`.
    pub fn masked(&self, present: &[bool]) -> Vec<u8> {
        let mut out = self.baseline.pixels.clone();
        for (i, &label) in self.segments.labels.iter().enumerate() {
            if present[label as usize - 1] {
                out[i * 3..i * 3 + 3].copy_from_slice(&self.image.pixels[i * 3..i * 3 + 3]);
            }
        }
        out
    }
}

/// The baseline for `image`: the configured baseline resized to its size (bilinear), else
/// uniform noise seeded by the image's name, so a rerun sends the same requests.
pub fn baseline_for(image: &Rgb, configured: Option<&Rgb>, name: &str) -> Rgb {
    match configured {
        Some(b) if (b.height, b.width) == (image.height, image.width) => b.clone(),
        Some(b) => {
            let src = image::RgbImage::from_raw(b.width as u32, b.height as u32, b.pixels.clone())
                .unwrap_or_default();
            let resized = image::imageops::resize(
                &src,
                image.width as u32,
                image.height as u32,
                image::imageops::FilterType::Triangle,
            );
            Rgb {
                height: image.height,
                width: image.width,
                pixels: resized.into_raw(),
            }
        }
        None => {
            let mut rng =
                crate::stats::rng::Rng::seeded(xxhash_rust::xxh3::xxh3_64(name.as_bytes()));
            let pixels = (0..image.pixels.len())
                .map(|_| (rng.next_u64() >> 56) as u8)
                .collect();
            Rgb {
                height: image.height,
                width: image.width,
                pixels,
            }
        }
    }
}

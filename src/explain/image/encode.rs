//! Images out: the bodies an endpoint is sent (PNG, JPEG, or NumPy arrays of many images)
//! and the heat maps driftwatch writes.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

/// JPEG quality of every JPEG driftwatch writes (requests and heat maps): high, so the
/// model sees the masked image rather than compression artefacts.
pub const JPEG_QUALITY: u8 = 95;

/// A PNG of RGB `pixels` (fast compression: the endpoint decodes it once).
pub fn png(pixels: &[u8], height: usize, width: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(
        Cursor::new(&mut out),
        CompressionType::Fast,
        FilterType::Sub,
    )
    .write_image(pixels, width as u32, height as u32, ExtendedColorType::Rgb8)
    .map_err(|e| format!("PNG encoding: {e}"))?;
    Ok(out)
}

/// A JPEG of RGB `pixels`.
pub fn jpeg(pixels: &[u8], height: usize, width: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut out), JPEG_QUALITY)
        .write_image(pixels, width as u32, height as u32, ExtendedColorType::Rgb8)
        .map_err(|e| format!("JPEG encoding: {e}"))?;
    Ok(out)
}

/// A NumPy `.npy` (format 1.0) of `images` uint8 arrays, shape (N, H, W, 3).
pub fn npy(images: &[Vec<u8>], height: usize, width: usize) -> Vec<u8> {
    let mut out = npy_header(images.len(), height, width);
    for img in images {
        out.extend_from_slice(img);
    }
    out
}

/// The header of a `.npy` of `n` uint8 images (H, W, 3); the pixels follow it.
pub fn npy_header(n: usize, height: usize, width: usize) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '|u1', 'fortran_order': False, 'shape': ({n}, {height}, {width}, 3), }}"
    );
    // Magic, version, header length, then the header padded with spaces to a multiple of
    // 64 bytes and ended by a newline.
    let unpadded = 10 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    let header_len = dict.len() + pad + 1;
    let mut out = Vec::with_capacity(10 + header_len);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npy_header_is_aligned_and_names_the_shape() {
        let out = npy(&[vec![1; 12], vec![2; 12]], 2, 2);
        let header_len = u16::from_le_bytes([out[8], out[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&out[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 2, 2, 3)"), "{header}");
        assert!(header.ends_with('\n'));
        assert_eq!(out.len(), 10 + header_len + 24);
    }

    #[test]
    fn a_png_decodes_to_the_same_pixels() {
        let px: Vec<u8> = (0..48).map(|i| (i * 5) as u8).collect();
        let bytes = png(&px, 4, 4).unwrap();
        let back = super::super::decode::decode(&bytes, "x.png").unwrap();
        assert_eq!(back.pixels, px);
    }
}

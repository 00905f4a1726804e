//! A heat map of one label's attributions over the image: each segment tinted by its SHAP
//! value — blue where it raises the score, red where it lowers it (Clarify's colours),
//! opacity ∝ |value| / the largest |value| — and the segments' borders in yellow (as
//! scikit-image's `mark_boundaries` draws them).

use super::decode::Rgb;
use super::slic::Segments;

const BLUE: [f64; 3] = [30.0, 90.0, 255.0];
const RED: [f64; 3] = [230.0, 40.0, 40.0];
const BORDER: [u8; 3] = [255, 255, 0];
/// The opacity of the segment with the largest |value|.
const MAX_ALPHA: f64 = 0.65;

/// RGB pixels of the heat map of `values` (one per segment) over `image`.
pub fn heatmap(image: &Rgb, segments: &Segments, values: &[f64]) -> Vec<u8> {
    let top = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (h, w) = (segments.height, segments.width);
    let mut out = image.pixels.clone();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let label = segments.labels[i];
            let border = (x + 1 < w && segments.labels[i + 1] != label)
                || (y + 1 < h && segments.labels[i + w] != label);
            let px = &mut out[i * 3..i * 3 + 3];
            if border {
                px.copy_from_slice(&BORDER);
                continue;
            }
            let v = values.get(label as usize - 1).copied().unwrap_or(0.0);
            if top <= 0.0 || v == 0.0 {
                continue;
            }
            let alpha = MAX_ALPHA * v.abs() / top;
            let tint = if v > 0.0 { BLUE } else { RED };
            for (c, t) in px.iter_mut().zip(tint) {
                *c = ((1.0 - alpha) * f64::from(*c) + alpha * t).round() as u8;
            }
        }
    }
    out
}

/// `pixels` (RGB, `width` wide) with each box's outline drawn in `colour`, 2 pixels wide
/// (corners normalised to [0, 1]).
pub fn outline(pixels: &mut [u8], height: usize, width: usize, bbox: [f64; 4], colour: [u8; 3]) {
    if height == 0 || width == 0 {
        return;
    }
    let px = |v: f64, n: usize| ((v.clamp(0.0, 1.0) * n as f64) as usize).min(n - 1);
    let (x0, y0, x1, y1) = (
        px(bbox[0], width),
        px(bbox[1], height),
        px(bbox[2], width),
        px(bbox[3], height),
    );
    let mut put = |x: usize, y: usize| {
        let i = (y * width + x) * 3;
        pixels[i..i + 3].copy_from_slice(&colour);
    };
    for t in 0..2 {
        for x in x0..=x1 {
            put(x, (y0 + t).min(height - 1));
            put(x, y1.saturating_sub(t));
        }
        for y in y0..=y1 {
            put((x0 + t).min(width - 1), y);
            put(x1.saturating_sub(t), y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_positive_segment_turns_blue_and_a_negative_one_red() {
        let image = Rgb::new(1, 4, vec![128; 12]).unwrap();
        let segments = Segments {
            height: 1,
            width: 4,
            labels: vec![1, 1, 2, 2],
            segments: 2,
        };
        let out = heatmap(&image, &segments, &[1.0, -0.5]);
        assert!(out[2] > out[0], "blue: {:?}", &out[..3]);
        assert_eq!(&out[3..6], &BORDER); // the last pixel of segment 1 borders segment 2
        assert!(out[9] > out[11], "red: {:?}", &out[9..12]);
    }
}

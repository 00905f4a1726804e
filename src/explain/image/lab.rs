//! 8-bit RGB → the scaled CIE Lab values scikit-image's `slic` clusters on.
//!
//! Step by step as scikit-image 0.26 does it: `img_as_float` (× (1/255), a product, not a
//! quotient), the whole image stretched to [0, 1] by its own minimum and maximum over all
//! channels, `rgb2xyz` (sRGB linearisation, then the matrix product — which NumPy hands to
//! BLAS, whose kernels fuse the three products as `fma(b, m2, fma(g, m1, r·m0))`),
//! `xyz2lab` (D65, 2°), and finally × 1/compactness. Each pixel's three values are
//! independent of every other pixel's except through the stretch.
//!
//! NumPy on AVX-512 machines computes `power` and `cbrt` with its own vector routines, which
//! differ from the C library's in the last bit for a few percent of inputs; driftwatch uses
//! the C library's (what NumPy uses elsewhere). The label maps do not depend on that last
//! bit except at exact ties, which the tests on photographs did not meet.

/// sRGB (linear) → XYZ, scikit-image's `xyz_from_rgb`.
const XYZ_FROM_RGB: [[f64; 3]; 3] = [
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
];
/// The D65 / 2° reference white.
const WHITE: [f64; 3] = [0.95047, 1.0, 1.08883];

/// `pixels`: RGB bytes, row-major; returns L, a, b per pixel (same layout) × `ratio`.
pub fn scaled_lab(pixels: &[u8], ratio: f64) -> Vec<f64> {
    let unit = 1.0 / 255.0;
    let (lo, hi) = pixels
        .iter()
        .fold((u8::MAX, u8::MIN), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    let (imin, imax) = (f64::from(lo) * unit, f64::from(hi) * unit);
    // Every channel value is one of 256 levels: linearise each level once.
    let linear: Vec<f64> = (0..=255u8)
        .map(|k| {
            let mut v = f64::from(k) * unit - imin;
            if imax != imin {
                v /= imax - imin;
            }
            if v > 0.04045 {
                ((v + 0.055) / 1.055).powf(2.4)
            } else {
                v / 12.92
            }
        })
        .collect();
    let mut out = Vec::with_capacity(pixels.len());
    for px in pixels.chunks_exact(3) {
        let [r, g, b] = [0, 1, 2].map(|c| linear[usize::from(px[c])]);
        let f = [0, 1, 2].map(|i| {
            let m = XYZ_FROM_RGB[i];
            let xyz = b.mul_add(m[2], g.mul_add(m[1], r * m[0]));
            let t = xyz / WHITE[i];
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        });
        out.push((116.0 * f[1] - 16.0) * ratio);
        out.push((500.0 * (f[0] - f[1])) * ratio);
        out.push((200.0 * (f[1] - f[2])) * ratio);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_and_black_are_the_ends_of_l() {
        // Black (0) and white (255): the stretch leaves them, L = 0 and 100, a = b ≈ 0.
        let lab = scaled_lab(&[0, 0, 0, 255, 255, 255], 1.0);
        assert!(lab[0].abs() < 1e-12);
        assert!((lab[3] - 100.0).abs() < 1e-9);
        assert!(lab[4].abs() < 0.02 && lab[5].abs() < 0.02);
    }

    #[test]
    fn an_image_is_stretched_to_its_own_range() {
        // Only the levels 10 and 20: stretched, they are black and white.
        let lab = scaled_lab(&[10, 10, 10, 20, 20, 20], 1.0);
        assert!(lab[0].abs() < 1e-12);
        assert!((lab[3] - 100.0).abs() < 1e-9);
    }
}

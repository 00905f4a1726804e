//! scikit-image's `regular_grid` for a (1, H, W) volume: the seeds' starts and steps.
//!
//! SLIC calls it twice — once for the seeds (with the requested count) and once inside the
//! k-means (with the number of seeds it got), and the two can give different steps; both
//! calls are reproduced, with NumPy's rounding (half to even) and truncating casts.

/// One axis of the grid: seeds at `start, start + step, …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    pub start: usize,
    pub step: usize,
}

/// The grid over a (depth, height, width) volume for `n_points` seeds, axis by axis
/// (`None` = the whole axis, step 1: scikit-image's `slice(None)` when the volume holds
/// fewer points than asked for).
pub fn regular_grid(shape: [usize; 3], n_points: usize) -> [Axis; 3] {
    let whole = Axis { start: 0, step: 1 };
    let space: f64 = shape.iter().map(|&d| d as f64).product();
    if space <= n_points as f64 {
        return [whole; 3];
    }
    // Dimensions in ascending order (a stable order for ties, as NumPy's small-array sort).
    let mut order = [0usize, 1, 2];
    order.sort_by_key(|&i| shape[i]);
    let sorted: [f64; 3] = order.map(|i| shape[i] as f64);
    let n = n_points as f64;
    let mut steps = [(space / n).powf(1.0 / 3.0); 3];
    if sorted.iter().zip(&steps).any(|(d, s)| d < s) {
        for dim in 0..3 {
            steps[dim] = sorted[dim];
            let rest: f64 = sorted[dim + 1..].iter().product();
            let root = 1.0 / (3 - dim - 1) as f64;
            for s in &mut steps[dim + 1..] {
                *s = (rest / n).powf(root);
            }
            if sorted.iter().zip(&steps).all(|(d, s)| d >= s) {
                break;
            }
        }
    }
    let mut axes = [whole; 3];
    for (k, &dim) in order.iter().enumerate() {
        axes[dim] = Axis {
            start: (steps[k] / 2.0).floor() as usize,
            step: steps[k].round_ties_even() as usize,
        };
    }
    axes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_square_image_gets_square_cells() {
        // 100×100 for 100 points: steps 10, starts 5 (scikit-image: slice(5, None, 10)).
        let g = regular_grid([1, 100, 100], 100);
        assert_eq!(g[0], Axis { start: 0, step: 1 });
        assert_eq!(g[1], Axis { start: 5, step: 10 });
        assert_eq!(g[2], Axis { start: 5, step: 10 });
    }

    #[test]
    fn fewer_pixels_than_points_is_every_pixel() {
        assert_eq!(regular_grid([1, 3, 3], 20), [Axis { start: 0, step: 1 }; 3]);
    }

    #[test]
    fn a_thin_image_takes_its_whole_short_side() {
        // 1×2×200 for 10 points: the short side (2) is smaller than √(400/10) ≈ 6.3, so it
        // is one step and the long side gets 400/2/10 = 20.
        let g = regular_grid([1, 2, 200], 10);
        assert_eq!(g[1], Axis { start: 1, step: 2 });
        assert_eq!(
            g[2],
            Axis {
                start: 10,
                step: 20
            }
        );
    }
}

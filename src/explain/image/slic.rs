//! scikit-image's `slic` (0.26) on an 8-bit RGB image with Clarify's arguments:
//! `n_segments`, `compactness`, and every other argument at its default (`max_num_iter=10`,
//! `sigma=0`, Lab, `enforce_connectivity=True`, `min_size_factor=0.5`,
//! `max_size_factor=3`, `start_label=1`). Same arithmetic in the same order, so the same
//! label map: seeds on scikit-image's regular grid, ten rounds of windowed k-means over
//! (y, x, L, a, b) — spatial distance × 1/step², colour distance on Lab / compactness, a
//! pixel moving only to a strictly nearer centre, centres starting with colour 0 — then the
//! connectivity pass.

use super::connectivity;
use super::grid::{Axis, regular_grid};
use super::lab::scaled_lab;

/// k-means rounds (scikit-image's `max_num_iter`).
const ROUNDS: usize = 10;

/// A label map: `labels[y * width + x]` ∈ 1..=segments, numbered as scikit-image numbers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segments {
    pub height: usize,
    pub width: usize,
    pub labels: Vec<u32>,
    /// The largest label (labels are 1..=segments, every one used).
    pub segments: usize,
}

/// One k-means centre: position and colour (NaN once it has lost every pixel, as in
/// scikit-image, after which it never wins a pixel again).
#[derive(Debug, Clone, Copy)]
struct Centre {
    y: f64,
    x: f64,
    colour: [f64; 3],
}

/// SLIC superpixels of `pixels` (RGB bytes, row-major, `height` × `width`).
pub fn slic(
    pixels: &[u8],
    height: usize,
    width: usize,
    n_segments: usize,
    compactness: f64,
) -> Segments {
    debug_assert_eq!(pixels.len(), height * width * 3);
    let lab = scaled_lab(pixels, 1.0 / compactness);
    let seeds = regular_grid([1, height, width], n_segments);
    let mut centres = grid_centres(seeds, height, width);
    let step = seeds.iter().map(|a| a.step as f64).fold(f64::MIN, f64::max);
    // The k-means asks for a grid again, with the number of seeds it was given.
    let window = regular_grid([1, height, width], centres.len());
    let labels = kmeans(&lab, height, width, &mut centres, step, window);
    let per = (height * width) as f64 / centres.len() as f64;
    let min_size = (0.5 * per) as usize;
    let max_size = (3.0 * per) as usize;
    let labels = connectivity::enforce(&labels, height, width, min_size, max_size);
    let segments = labels.iter().copied().max().unwrap_or(0) as usize;
    Segments {
        height,
        width,
        labels,
        segments,
    }
}

fn grid_centres(grid: [Axis; 3], height: usize, width: usize) -> Vec<Centre> {
    let mut centres = Vec::new();
    for y in (grid[1].start..height).step_by(grid[1].step) {
        for x in (grid[2].start..width).step_by(grid[2].step) {
            centres.push(Centre {
                y: y as f64,
                x: x as f64,
                colour: [0.0; 3],
            });
        }
    }
    centres
}

/// The k-means rounds; returns each pixel's centre + 1.
fn kmeans(
    lab: &[f64],
    height: usize,
    width: usize,
    centres: &mut [Centre],
    step: f64,
    window: [Axis; 3],
) -> Vec<u32> {
    let n = height * width;
    let mut nearest = vec![0u32; n];
    let mut distance = vec![f64::MAX; n];
    // scikit-image passes the step as a float32 and squares it there.
    let step32 = step as f32;
    let spatial_weight = 1.0 / f64::from(step32 * step32);
    let (wy, wx) = (2 * window[1].step, 2 * window[2].step);
    for _ in 0..ROUNDS {
        distance.fill(f64::MAX);
        let mut change = false;
        for (k, c) in centres.iter().enumerate() {
            if c.y.is_nan() {
                continue;
            }
            let y_min = (c.y - wy as f64).max(0.0) as usize;
            let y_max = (c.y + wy as f64 + 1.0).min(height as f64) as usize;
            let x_min = (c.x - wx as f64).max(0.0) as usize;
            let x_max = (c.x + wx as f64 + 1.0).min(width as f64) as usize;
            for y in y_min..y_max {
                let dy = c.y - y as f64;
                let dy = dy * dy;
                for x in x_min..x_max {
                    let dx = c.x - x as f64;
                    let dx = dx * dx;
                    // z: the centre's z is 0 and so is every pixel's.
                    let mut d = (0.0 + dy + dx) * spatial_weight;
                    let p = (y * width + x) * 3;
                    let mut colour = 0.0;
                    for (ch, centre) in c.colour.iter().enumerate() {
                        let t = lab[p + ch] - centre;
                        colour += t * t;
                    }
                    d += colour;
                    let i = y * width + x;
                    if distance[i] > d {
                        nearest[i] = k as u32 + 1;
                        distance[i] = d;
                        change = true;
                    }
                }
            }
        }
        if !change {
            break;
        }
        update(lab, width, &nearest, centres);
    }
    nearest
}

/// Each centre becomes the mean of its pixels (sums in raster order, then one division).
fn update(lab: &[f64], width: usize, nearest: &[u32], centres: &mut [Centre]) {
    let mut sums = vec![[0.0f64; 6]; centres.len()];
    let mut counts = vec![0usize; centres.len()];
    for (i, &label) in nearest.iter().enumerate() {
        if label == 0 {
            continue;
        }
        let k = label as usize - 1;
        let s = &mut sums[k];
        counts[k] += 1;
        s[1] += (i / width) as f64;
        s[2] += (i % width) as f64;
        for ch in 0..3 {
            s[3 + ch] += lab[i * 3 + ch];
        }
    }
    for ((c, s), &n) in centres.iter_mut().zip(&sums).zip(&counts) {
        let n = n as f64;
        c.y = s[1] / n;
        c.x = s[2] / n;
        c.colour = [s[3] / n, s[4] / n, s[5] / n];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_flat_halves_are_two_segments() {
        // Left half black, right half white, 2 seeds: the two halves.
        let (h, w) = (8, 16);
        let mut px = vec![0u8; h * w * 3];
        for y in 0..h {
            for x in w / 2..w {
                px[(y * w + x) * 3..(y * w + x) * 3 + 3].fill(255);
            }
        }
        let s = slic(&px, h, w, 2, 10.0);
        assert_eq!(s.segments, 2);
        for y in 0..h {
            for x in 0..w {
                assert_eq!(s.labels[y * w + x], if x < w / 2 { 1 } else { 2 });
            }
        }
    }
}

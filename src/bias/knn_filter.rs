//! A single-precision first pass over the flip test's k-d tree leaves, that never loses a
//! neighbour.
//!
//! With a dozen features the k-th neighbour is about as far as the spread of each feature, so
//! a k-d tree cannot prune much: a query scans a quarter of the points or more, and the scan
//! is arithmetic-bound. In `f32` a vector register holds twice the lanes, so the scan runs at
//! twice the rate. The pass only chooses candidates: it keeps every point whose `f64`
//! distance can be within the current k-th (a rounding-error bound, below, makes the
//! threshold generous), and the search computes the `f64` distance of each candidate exactly
//! as before. So the neighbours, ties and order are the same as the `f64` scan's, bit for bit.
//!
//! The bound. Write a = c − q for a point c and query q (one dimension), u = 2⁻²⁴ (f32's unit
//! roundoff) and τ = 2⁻¹⁴⁹ (its smallest step). Rounding c and q to f32 and subtracting gives
//! a' with |a' − a| ≤ δ = 2.01·u·(|c| + |q|) + 3τ, so over all dimensions
//! ‖a'‖ ≤ ‖a‖ + Δ with Δ = ‖δ‖ (|c| bounded by the tree's bounding box). The f32 sum of n
//! squares is at most ‖a'‖²·(1 + u)ⁿ⁺¹ plus 2(n + 1)τ of subnormal steps. And an `f64`
//! distance d ≤ worst means ‖a‖² ≤ worst·(1 + 10⁻⁶) with room to spare. Hence every point
//! with d ≤ worst has its f32 sum ≤ (√worst·(1 + 10⁻⁶) + Δ)²·(1 + u)ⁿ⁺¹·(1 + 10⁻⁶) + 2(n + 1)τ,
//! rounded up to an f32. Coordinates beyond 10¹⁵ (whose f32 squares could overflow) turn the
//! pass off, and the exact scan runs alone.

use crate::wide::widest;

/// Beyond this magnitude a coordinate's f32 square, summed, could overflow.
const MAX_MAGNITUDE: f64 = 1e15;
/// f32's unit roundoff, 2⁻²⁴.
const U: f64 = f32::EPSILON as f64 / 2.0;
/// f32's smallest subnormal step, 2⁻¹⁴⁹.
const TAU: f64 = 1.401_298_464_324_817e-45;
/// Generous cover for the `f64` arithmetic of the distances and of the bound itself.
const F64_ROOM: f64 = 1e-6;

/// The tree's points in f32, in the tree's layout, and the largest magnitude per dimension.
pub struct Filter {
    points: Vec<f32>,
    magnitude: Vec<f64>,
}

/// Finite and at most [`MAX_MAGNITUDE`] in size.
fn in_range(x: f64) -> bool {
    x.abs() <= MAX_MAGNITUDE
}

/// One query prepared for the pass: its coordinates in f32 and its rounding slack Δ.
pub struct Query32 {
    x: Vec<f32>,
    slack: f64,
    /// (1 + u)ⁿ⁺¹ · (1 + 10⁻⁶) and 2(n + 1)τ, fixed per query (a threshold is made per leaf).
    growth: f64,
    steps: f64,
}

impl Filter {
    /// `points` in any layout (candidates are addressed the same way); `lo`/`hi` bound every
    /// coordinate per dimension. `None` when a coordinate is too large (or not finite) for
    /// the bound.
    pub fn new(points: &[f64], lo: &[f64], hi: &[f64]) -> Option<Self> {
        let magnitude: Vec<f64> = lo
            .iter()
            .zip(hi)
            .map(|(l, h)| l.abs().max(h.abs()))
            .collect();
        if !magnitude.iter().all(|m| in_range(*m)) {
            return None;
        }
        // Padded by a word: the kernel reads whole words of every column, past a leaf's
        // last point into the next column (or the padding), and masks those lanes off.
        let mut points32 = Vec::with_capacity(points.len() + WORD);
        points32.extend(points.iter().map(|&x| x as f32));
        points32.extend([0.0; WORD]);
        Some(Self {
            points: points32,
            magnitude,
        })
    }

    /// The query in f32 with its slack, or `None` (then its leaves are scanned exactly).
    pub fn query(&self, q: &[f64]) -> Option<Query32> {
        if q.len() != self.magnitude.len() || !q.iter().all(|x| in_range(*x)) {
            return None;
        }
        let squares: f64 = q
            .iter()
            .zip(&self.magnitude)
            .map(|(x, m)| {
                let delta = 2.01 * U * (m + x.abs()) + 3.0 * TAU;
                delta * delta
            })
            .sum();
        let n = q.len() as f64;
        Some(Query32 {
            x: q.iter().map(|&x| x as f32).collect(),
            slack: squares.sqrt() * (1.0 + F64_ROOM),
            growth: (1.0 + U).powf(n + 1.0) * (1.0 + F64_ROOM),
            steps: 2.0 * (n + 1.0) * TAU,
        })
    }

    /// Marks in `masks` (bit j of word j / 64) the points of the leaf stored at
    /// `[start * dims, end * dims)` (dimension-major) that may be within `worst` of the query.
    pub fn candidates(&self, start: usize, end: usize, q: &Query32, worst: f64, masks: &mut [u64]) {
        let from = (start * q.x.len()).min(self.points.len());
        candidates(
            &self.points[from..],
            end - start,
            &q.x,
            q.threshold(worst),
            masks,
        );
    }
}

impl Query32 {
    /// The f32 threshold that every point with `f64` distance ≤ `worst` passes.
    fn threshold(&self, worst: f64) -> f32 {
        if !worst.is_finite() {
            return f32::INFINITY;
        }
        let reach = worst.sqrt() * (1.0 + F64_ROOM) + self.slack;
        round_up(reach * reach * self.growth + self.steps)
    }
}

/// The smallest f32 at least `t` (t ≥ 0).
fn round_up(t: f64) -> f32 {
    let t32 = t as f32;
    if f64::from(t32) >= t || t32.is_infinite() {
        t32
    } else {
        f32::from_bits(t32.to_bits() + 1)
    }
}

/// Points per kernel pass: one mask word, four AVX-512 registers of sums.
const WORD: usize = 64;

widest! {
    /// Bit j of `masks[j / 64]` set when point j of `len` points has an f32 squared distance
    /// to `q` ≤ `threshold` (`block` dimension-major: coordinate k of point j at
    /// `k * len + j`, and a word of anything after the last column; without it, a word's bits
    /// are all set, which only costs exact distances).
    fn candidates, candidates_avx512, candidates_avx2, candidates_versions => candidates_portable(
        block: &[f32],
        len: usize,
        q: &[f32],
        threshold: f32,
        masks: &mut [u64],
    )
}

#[inline(always)]
fn candidates_portable(block: &[f32], len: usize, q: &[f32], threshold: f32, masks: &mut [u64]) {
    'words: for (w, mask) in masks.iter_mut().enumerate().take(len.div_ceil(WORD)) {
        let first = w * WORD;
        let mut acc = [0.0f32; WORD];
        for (k, qk) in q.iter().enumerate() {
            let Some(col) = block.get(k * len + first..k * len + first + WORD) else {
                *mask = u64::MAX;
                continue 'words;
            };
            for (a, c) in acc.iter_mut().zip(col) {
                *a += (c - qk) * (c - qk);
            }
        }
        let mut bits = 0u64;
        for (j, &a) in acc.iter().enumerate() {
            bits |= u64::from(a <= threshold) << j;
        }
        *mask = bits;
    }
    // Lanes past the leaf's end stay out of the mask.
    if !len.is_multiple_of(WORD)
        && let Some(last) = masks.get_mut(len / WORD)
    {
        *last &= (1u64 << (len % WORD)) - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(seed: u64) -> impl FnMut() -> u64 {
        let mut rng = crate::stats::rng::Rng::seeded(seed);
        move || rng.next_u64() >> 11
    }

    /// The `f64` squared distance the exact scan computes (sequential, unfused).
    fn exact(p: &[f64], q: &[f64]) -> f64 {
        p.iter()
            .zip(q)
            .fold(0.0, |acc, (c, x)| acc + (c - x) * (c - x))
    }

    /// Every point whose exact distance is within `worst` is a candidate, for thresholds at
    /// exactly a point's distance (the tightest case), at every scale the pass accepts.
    #[test]
    fn never_drops_a_point_within_the_worst() {
        let mut next = numbers(2024);
        let mut checked = 0;
        for (scale, dims, len) in [
            (1.0, 12, 192),
            (1e-3, 5, 70),
            (1e6, 13, 64),
            (1e14, 3, 129),
            (1e-40, 4, 65),
            (0.0, 2, 3),
        ] {
            for round in 0..40 {
                let mut unit = || (next() % 2_000_001) as f64 / 1_000_000.0 - 1.0;
                // Row-major for the exact side, dimension-major for the pass.
                let rows: Vec<Vec<f64>> = (0..len)
                    .map(|_| (0..dims).map(|_| unit() * scale).collect())
                    .collect();
                // Half the queries sit on a point, some a hair off it: near-ties.
                let q: Vec<f64> = match round % 3 {
                    0 => rows[round % len].clone(),
                    1 => rows[round % len]
                        .iter()
                        .map(|x| x * (1.0 + 1e-9) + scale * 1e-12)
                        .collect(),
                    _ => (0..dims).map(|_| unit() * scale).collect(),
                };
                let mut block = vec![0.0; len * dims];
                for (j, row) in rows.iter().enumerate() {
                    for (k, x) in row.iter().enumerate() {
                        block[k * len + j] = *x;
                    }
                }
                let lo: Vec<f64> = (0..dims)
                    .map(|k| rows.iter().map(|r| r[k]).fold(f64::INFINITY, f64::min))
                    .collect();
                let hi: Vec<f64> = (0..dims)
                    .map(|k| rows.iter().map(|r| r[k]).fold(f64::NEG_INFINITY, f64::max))
                    .collect();
                let filter = Filter::new(&block, &lo, &hi).expect("in range");
                let query = filter.query(&q).expect("in range");
                let dist: Vec<f64> = rows.iter().map(|r| exact(r, &q)).collect();
                let mut masks = vec![0u64; len.div_ceil(64)];
                for &worst in dist.iter().step_by(7) {
                    filter.candidates(0, len, &query, worst, &mut masks);
                    for (j, d) in dist.iter().enumerate() {
                        if *d <= worst {
                            assert_eq!(masks[j / 64] >> (j % 64) & 1, 1, "scale {scale} point {j}");
                            checked += 1;
                        }
                    }
                    let tail = len % 64;
                    if tail != 0 {
                        assert_eq!(masks[len / 64] >> tail, 0, "no bit past the leaf");
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn out_of_range_coordinates_turn_the_pass_off() {
        assert!(Filter::new(&[1e16, 0.0], &[0.0, 0.0], &[1e16, 0.0]).is_none());
        let f = Filter::new(&[1.0, 2.0], &[1.0, 2.0], &[1.0, 2.0]).expect("in range");
        assert!(f.query(&[f64::NAN, 0.0]).is_none());
        assert!(f.query(&[2e15, 0.0]).is_none());
        assert!(f.query(&[0.0]).is_none(), "wrong width");
        assert!(f.query(&[0.5, -3.0]).is_some());
    }

    #[test]
    fn thresholds_round_up_and_infinity_passes_everything() {
        for t in [0.0, 1e-300, 0.1, 1.0 / 3.0, 12345.678, 3.4e38, 1e39] {
            assert!(f64::from(round_up(t)) >= t, "{t}");
        }
        let f = Filter::new(&[0.0; 6], &[0.0; 2], &[0.0; 2]).expect("in range");
        let q = f.query(&[1e14, 1e14]).expect("in range");
        let mut masks = [0u64; 1];
        f.candidates(0, 3, &q, f64::INFINITY, &mut masks);
        assert_eq!(masks[0], 0b111, "every point, and nothing past the leaf");
    }

    #[test]
    fn wide_kernels_mark_what_the_portable_one_marks() {
        let mut next = numbers(9);
        for (len, dims) in [(192usize, 12usize), (7, 3), (1, 1), (65, 11), (130, 2)] {
            let mut block: Vec<f32> = (0..len * dims)
                .map(|_| (next() % 10_000) as f32 / 97.0)
                .collect();
            block.extend([f32::NAN; WORD]);
            let q: Vec<f32> = (0..dims)
                .map(|_| (next() % 10_000) as f32 / 101.0)
                .collect();
            let mut want = vec![0u64; len.div_ceil(64)];
            let threshold = 40.0 * dims as f32;
            candidates_portable(&block, len, &q, threshold, &mut want);
            // Against the definition, one point at a time.
            for j in 0..len {
                let d = q.iter().enumerate().fold(0.0f32, |acc, (k, x)| {
                    let c = block[k * len + j];
                    acc + (c - x) * (c - x)
                });
                assert_eq!(
                    want[j / 64] >> (j % 64) & 1 == 1,
                    d <= threshold,
                    "point {j}"
                );
            }
            if len % 64 != 0 {
                assert_eq!(want[len / 64] >> (len % 64), 0, "no bit past the leaf");
            }
            // Without the word after the last column, every bit of the words short of it.
            if len % 64 != 0 {
                let mut unpadded = vec![0u64; want.len()];
                candidates_portable(&block[..len * dims], len, &q, threshold, &mut unpadded);
                assert_eq!(unpadded.last().copied(), Some(u64::MAX >> (64 - len % 64)));
            }
            for (name, kernel) in candidates_versions() {
                let mut got = vec![0u64; want.len()];
                // SAFETY: each wide kernel was pushed only when its feature was detected.
                unsafe { kernel(&block, len, &q, threshold, &mut got) };
                assert_eq!(got, want, "{name}");
            }
        }
    }
}

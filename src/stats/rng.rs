//! A small seeded generator (xoshiro256**, seeded by SplitMix64) for Kernel SHAP's random
//! coalitions. numpy's MT19937 stream is not reproduced (see the reference): sampled results
//! are compared statistically, and a given seed always gives the same coalitions.

#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn seeded(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n - 1)
    }

    /// An index drawn with probabilities `p` (summing to 1).
    pub fn choice(&mut self, p: &[f64]) -> usize {
        let u = self.unit();
        let mut acc = 0.0;
        for (i, &pi) in p.iter().enumerate() {
            acc += pi;
            if u < acc {
                return i;
            }
        }
        p.len() - 1
    }

    /// A uniformly random subset of `k` of `0..n` (a partial Fisher-Yates shuffle).
    /// Into `idx`, reused across draws: Kernel SHAP draws thousands per row.
    pub fn subset_into(&mut self, n: usize, k: usize, idx: &mut Vec<usize>) {
        idx.clear();
        idx.extend(0..n);
        for i in 0..k.min(n) {
            let j = i + self.below(n - i);
            idx.swap(i, j);
        }
        idx.truncate(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::seeded(7), Rng::seeded(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut r = Rng::seeded(1);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[r.choice(&[0.5, 0.25, 0.25])] += 1;
        }
        assert!(
            (counts[0] as f64 / 30_000.0 - 0.5).abs() < 0.02,
            "{counts:?}"
        );
        let mut s = vec![99];
        r.subset_into(10, 4, &mut s);
        assert_eq!(s.len(), 4);
        assert!(s.iter().all(|&i| i < 10));
    }
}

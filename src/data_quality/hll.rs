//! The `distinct_count` of a String column: Deequ's `ApproxCountDistinct`, HyperLogLog++ with
//! a relative error of 5 % (p = 9, 512 registers) over Spark's `xxhash64` of the value's
//! UTF-8 bytes with seed 42.
//!
//! Exact for the registers; the estimate is Deequ's (`DeequHyperLogLogPlusPlusUtils.count`):
//! linear counting `m·ln(m/V)` (V empty registers) while that is at most 400, else the raw
//! HyperLogLog estimate, less HLL++'s empirical bias below 5·m = 2560 (the mean bias of the
//! 6 measured raw estimates nearest to it, [`super::hll_bias`]).

const P: u32 = 9;
const M: usize = 1 << P;
const SEED: u64 = 42;
/// Spark's `THRESHOLDS(p − 4)` for p = 9.
const LINEAR_COUNTING_LIMIT: f64 = 400.0;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hll {
    registers: Vec<u8>,
}

impl Default for Hll {
    fn default() -> Self {
        Self {
            registers: vec![0; M],
        }
    }
}

impl Hll {
    pub fn add(&mut self, value: &str) {
        let x = xxh64(value.as_bytes(), SEED);
        let idx = (x >> (64 - P)) as usize;
        let w = (x << P) | (1u64 << (P - 1));
        let pw = (w.leading_zeros() + 1) as u8;
        if pw > self.registers[idx] {
            self.registers[idx] = pw;
        }
    }

    pub fn merge(&mut self, o: &Hll) {
        for (a, &b) in self.registers.iter_mut().zip(&o.registers) {
            *a = (*a).max(b);
        }
    }

    /// The estimate, rounded to the nearest integer as Spark's `Math.round` does.
    pub fn estimate(&self) -> f64 {
        let m = M as f64;
        let (raw, linear) = self.raw_and_linear();
        let corrected = if raw < 5.0 * m { raw - bias(raw) } else { raw };
        let estimate = if linear <= LINEAR_COUNTING_LIMIT {
            linear
        } else {
            corrected
        };
        // Java's Math.round: floor(x + 0.5).
        (estimate + 0.5).floor()
    }

    /// The raw HyperLogLog estimate, and linear counting's (+∞ when no register is empty).
    fn raw_and_linear(&self) -> (f64, f64) {
        let m = M as f64;
        let mut z_inverse = 0.0;
        let mut empty = 0.0;
        for &r in &self.registers {
            z_inverse += 1.0 / f64::from(1u32 << r.min(31));
            if r == 0 {
                empty += 1.0;
            }
        }
        let alpha_m2 = (0.7213 / (1.0 + 1.079 / m)) * m * m;
        let raw = alpha_m2 / z_inverse;
        let linear = if empty > 0.0 {
            m * (m / empty).ln()
        } else {
            f64::INFINITY
        };
        (raw, linear)
    }
}

/// Measured raw estimates a bias is interpolated from (Spark's `K`).
const NEIGHBOURS: usize = 6;

/// HLL++'s bias at raw estimate `e`: the mean bias of the [`NEIGHBOURS`] measured estimates
/// nearest to it (by squared distance), the window slid from the binary search's insertion
/// point as Spark slides it.
fn bias(e: f64) -> f64 {
    use super::hll_bias::{BIASES, RAW_ESTIMATES};
    let n = RAW_ESTIMATES.len();
    let nearest = RAW_ESTIMATES.partition_point(|&x| x < e);
    let distance = |i: usize| (e - RAW_ESTIMATES[i]) * (e - RAW_ESTIMATES[i]);
    let mut low = (nearest + 1).saturating_sub(NEIGHBOURS);
    let mut high = (low + NEIGHBOURS).min(n);
    while high < n && distance(high) < distance(low) {
        low += 1;
        high += 1;
    }
    BIASES[low..high].iter().sum::<f64>() / (high - low) as f64
}

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

fn round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge_round(acc: u64, v: u64) -> u64 {
    (acc ^ round(0, v)).wrapping_mul(P1).wrapping_add(P4)
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[i..i + 4]);
    u64::from(u32::from_le_bytes(a))
}

/// XXH64 (what Spark's `XXH64.hashUnsafeBytes` computes).
pub fn xxh64(data: &[u8], seed: u64) -> u64 {
    let len = data.len();
    let mut i = 0;
    let mut h = if len >= 32 {
        let mut v = [
            seed.wrapping_add(P1).wrapping_add(P2),
            seed.wrapping_add(P2),
            seed,
            seed.wrapping_sub(P1),
        ];
        while i + 32 <= len {
            for (k, lane) in v.iter_mut().enumerate() {
                *lane = round(*lane, u64_at(data, i + 8 * k));
            }
            i += 32;
        }
        let mut h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        for lane in v {
            h = merge_round(h, lane);
        }
        h
    } else {
        seed.wrapping_add(P5)
    };
    h = h.wrapping_add(len as u64);
    while i + 8 <= len {
        h = (h ^ round(0, u64_at(data, i)))
            .rotate_left(27)
            .wrapping_mul(P1)
            .wrapping_add(P4);
        i += 8;
    }
    if i + 4 <= len {
        h = (h ^ u32_at(data, i).wrapping_mul(P1))
            .rotate_left(23)
            .wrapping_mul(P2)
            .wrapping_add(P3);
        i += 4;
    }
    while i < len {
        h = (h ^ u64::from(data[i]).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
        i += 1;
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from the reference implementation (PyPI `xxhash`, `xxh64_intdigest(b, seed=42)`).
    #[test]
    fn xxh64_is_the_reference_hash() {
        assert_eq!(xxh64(b"Paris", 42), 11423730058454014194);
        assert_eq!(xxh64(b"", 42), 11002672306508523268);
        assert_eq!(xxh64(&[b'a'; 40], 42), 10173006335051932861);
    }

    #[test]
    fn small_cardinalities_are_counted_by_linear_counting() {
        let mut h = Hll::default();
        assert_eq!(h.estimate(), 0.0);
        for v in ["a", "b", "c", "a", "b"] {
            h.add(v);
        }
        assert_eq!(h.estimate(), 3.0);
        let mut big = Hll::default();
        (0..100).for_each(|i| big.add(&format!("v{i}")));
        let e = big.estimate();
        assert!((e - 100.0).abs() <= 10.0, "{e}");
        let (mut a, mut b) = (Hll::default(), Hll::default());
        (0..50).for_each(|i| a.add(&format!("v{i}")));
        (50..100).for_each(|i| b.add(&format!("v{i}")));
        a.merge(&b);
        assert_eq!(a, big);
    }

    /// Spark 3.3.2's `approx_count_distinct(v, 0.05)` (the container's Spark; generated by the
    /// fixture's script) over "value-0" … "value-{n−1}": the registers, linear counting and the
    /// bias-corrected estimate. Spark's own query also counts linearly while the raw estimate
    /// is at most 2.5·m (1,280); Deequ's does not, so there the comparison is skipped.
    #[test]
    fn estimates_are_sparks() {
        let golden: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/sagemaker_data_quality/spark_hll.json"
        ))
        .unwrap();
        let mut compared = 0;
        for case in golden["cases"].as_array().unwrap() {
            let n = case["distinct"].as_u64().unwrap();
            let mut h = Hll::default();
            (0..n).for_each(|i| h.add(&format!("value-{i}")));
            let (raw, linear) = h.raw_and_linear();
            if linear > LINEAR_COUNTING_LIMIT && raw <= 2.5 * M as f64 {
                continue;
            }
            compared += 1;
            assert_eq!(
                h.estimate(),
                case["spark_estimate"].as_f64().unwrap(),
                "{n} distinct"
            );
        }
        assert!(compared >= 18, "{compared}");
    }
}

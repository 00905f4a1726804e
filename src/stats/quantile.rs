//! Quantiles of bootstrap samples (numpy's default "linear" method), for percentile
//! intervals.

/// The `q`-quantile (0 ≤ q ≤ 1) of `sorted` (ascending, non-empty), interpolating linearly
/// between order statistics.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let (a, b) = (sorted[lo], sorted[hi]);
    if lo == hi || a == b {
        return a;
    }
    let frac = h - lo as f64;
    if !(b - a).is_finite() {
        // An infinite order statistic: take the nearer one rather than inf − inf.
        return if frac < 0.5 { a } else { b };
    }
    a + frac * (b - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_interpolation_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert!((quantile(&v, 0.025) - 1.075).abs() < 1e-12);
        assert_eq!(quantile(&[1.0, f64::INFINITY], 0.5), f64::INFINITY);
    }
}

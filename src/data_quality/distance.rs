//! The baseline drift distance of Deequ's `Distance`, as the container's
//! `baseline_drift_check` computes it: the largest gap between two CDFs (numeric: read from the
//! two KLL sketches' rank maps; categorical: between the relative frequencies), and, in
//! `Robust` mode, that gap less the two-sample Kolmogorov–Smirnov allowance
//! `1.8·√((n+m)/(n·m))` (never below 0).
//!
//! The rank maps are Deequ's ([`Kll::rank_map`]): a value repeated in a sketch counts once,
//! and n, m are the totals of those maps. On a discrete feature this understates drift
//! (deequ#392); it is what every SageMaker baseline was judged with, so it is the default,
//! and [`Cdf::Weighted`] (the sketches' real CDFs, every item with its weight) is the
//! corrected option.

use std::collections::BTreeMap;

use super::kll::Kll;

/// Which CDF a numeric distance reads from a sketch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cdf {
    /// Deequ's rank map: a repeated value counts once (SageMaker's distances).
    #[default]
    Distinct,
    /// Every item with its weight: the sketch's estimate of the true CDF.
    Weighted,
}

/// `comparison_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `Simple`: the largest gap.
    Simple,
    /// `Robust`: the gap less the allowance for the samples' sizes.
    Robust,
}

fn select(linf: f64, n: f64, m: f64, method: Method) -> f64 {
    match method {
        Method::Simple => linf,
        Method::Robust => (linf - 1.8 * ((n + m) / (n * m)).sqrt()).max(0.0),
    }
}

/// The running rank of the last entry ≤ `x` (`getRank(item, rankMap)`).
fn rank_in(map: &[(f64, u64)], x: f64) -> u64 {
    let end = map.partition_point(|&(v, _)| v.total_cmp(&x).is_le());
    if end == 0 { 0 } else { map[end - 1].1 }
}

/// The two-sample Kolmogorov–Smirnov test at level `alpha`: whether a largest CDF gap
/// `linf` between samples of `n` and `m` values is more than sampling explains
/// (`linf > c(α)·√((n+m)/(n·m))`, c(α) = √(−ln(α/2)/2)).
pub fn ks_rejects(linf: f64, n: f64, m: f64, alpha: f64) -> bool {
    let c = (-(alpha / 2.0).ln() / 2.0).sqrt();
    n > 0.0 && m > 0.0 && linf > c * ((n + m) / (n * m)).sqrt()
}

/// Between two numeric sketches; `None` when either is empty.
pub fn numeric(a: &Kll, b: &Kll, method: Method) -> Option<f64> {
    numeric_with(a, b, method, Cdf::Distinct).map(|(d, _, _)| d)
}

/// Between two numeric sketches, reading `cdf`: the distance and the two totals (n, m).
pub fn numeric_with(a: &Kll, b: &Kll, method: Method, cdf: Cdf) -> Option<(f64, f64, f64)> {
    let rank_map = |k: &Kll| match cdf {
        Cdf::Distinct => k.rank_map(),
        Cdf::Weighted => k.weighted_rank_map(),
    };
    let (ra, rb) = (rank_map(a), rank_map(b));
    let n = ra.last()?.1 as f64;
    let m = rb.last()?.1 as f64;
    let mut linf: f64 = 0.0;
    for &(x, _) in ra.iter().chain(&rb) {
        let d = (rank_in(&ra, x) as f64 / n - rank_in(&rb, x) as f64 / m).abs();
        linf = linf.max(d);
    }
    Some((select(linf, n, m, method), n, m))
}

/// Between two categorical distributions (value → count); `None` when either is empty.
pub fn categorical(
    a: &BTreeMap<String, u64>,
    b: &BTreeMap<String, u64>,
    method: Method,
) -> Option<f64> {
    let n: f64 = a.values().map(|&c| c as f64).sum();
    let m: f64 = b.values().map(|&c| c as f64).sum();
    if n == 0.0 || m == 0.0 {
        return None;
    }
    let mut linf: f64 = 0.0;
    for key in a.keys().chain(b.keys()) {
        let pa = a.get(key).copied().unwrap_or(0) as f64 / n;
        let pb = b.get(key).copied().unwrap_or(0) as f64 / m;
        linf = linf.max((pa - pb).abs());
    }
    Some(select(linf, n, m, method))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(xs: &[f64]) -> Kll {
        let mut k = Kll::default();
        xs.iter().for_each(|&x| k.update(x));
        k
    }

    /// Deequ's own test vectors (`DistanceTest`).
    #[test]
    fn deequs_test_vectors() {
        let (a, b) = (sketch(&[1.0, 2.0, 3.0, 4.0]), sketch(&[2.0, 3.0, 4.0, 5.0]));
        assert_eq!(numeric(&a, &b, Method::Simple), Some(0.25));
        assert_eq!(numeric(&a, &b, Method::Robust), Some(0.0));
        let map = |kv: &[(&str, u64)]| kv.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let a = map(&[("a", 10), ("b", 20), ("c", 25), ("d", 10), ("e", 5)]);
        let b = map(&[("a", 11), ("b", 20), ("c", 25), ("d", 10), ("e", 10)]);
        assert_eq!(
            categorical(&a, &b, Method::Simple),
            Some(0.06015037593984962)
        );
        assert_eq!(categorical(&a, &b, Method::Robust), Some(0.0));
    }

    /// deequ#392, kept: two 0/1 columns with any proportions are "the same" distribution.
    #[test]
    fn a_repeated_value_counts_once_as_in_every_sagemaker_baseline() {
        let a = sketch(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let b = sketch(&[0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(numeric(&a, &b, Method::Simple), Some(0.0));
        assert_eq!(numeric(&a, &Kll::default(), Method::Simple), None);
    }
}

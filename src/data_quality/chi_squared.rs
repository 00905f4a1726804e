//! `categorical_drift_method: ChiSquared`: Deequ's chi-square distance between a window's
//! categorical counts and the baseline's (Deequ ≥ 2.0.3, `Distance.categoricalChiSquareTest`),
//! and the Pearson goodness-of-fit test it runs (Spark MLlib's `Statistics.chiSqTest`).
//!
//! Deequ rescales the baseline's counts to the window's total over the baseline's categories
//! (window values the baseline never saw do not count), merges the smallest expected
//! category into the next smallest until the table is valid (two categories: every expected
//! count ≥ 10, Cochran; more: at most 20 % of them below 5, Yates), and returns the test's
//! p-value (`Robust`) or its statistic (`Simple`). Deequ picks the smallest category from a
//! hash map, so among equal counts its choice is arbitrary; here it is the first in byte
//! order, so the same data always give the same distance.

use std::collections::BTreeMap;

use super::distance::Method;

/// Expected counts at most this small count against a two-category table (Cochran).
const COCHRAN: f64 = 10.0;
/// … and against larger tables (Yates), of which at most [`YATES_SHARE`] may be below it.
const YATES: f64 = 5.0;
const YATES_SHARE: f64 = 0.2;

/// `ln Γ(x)` for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized lower incomplete gamma function P(a, x): its series below a + 1, one
/// minus the continued fraction of Q above (as Commons Math, which Spark's test calls).
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        return (sum * front).min(1.0);
    }
    // Lentz's method for the continued fraction of Q(a, x).
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    1.0 - front * h
}

/// The chi-squared distribution's CDF with `df` degrees of freedom.
pub fn chi2_cdf(x: f64, df: f64) -> f64 {
    gamma_p(df / 2.0, x / 2.0)
}

/// Pearson's goodness-of-fit test of `observed` against `expected` (rescaled to the
/// observed total when the totals differ by 1e-7 or more): (statistic, p-value), as Spark
/// computes them (`1 − CDF`). `None` when a category has neither expected nor observed
/// counts (Spark refuses the table); a category expected never but observed is an infinite
/// statistic with p-value 0, as Spark returns it.
pub fn pearson(observed: &[f64], expected: &[f64]) -> Option<(f64, f64)> {
    let obs_sum: f64 = observed.iter().sum();
    let exp_sum: f64 = expected.iter().sum();
    let scale = if (obs_sum - exp_sum).abs() < 1e-7 {
        1.0
    } else {
        obs_sum / exp_sum
    };
    let df = observed.len().saturating_sub(1) as f64;
    let mut statistic = 0.0;
    for (&o, &e) in observed.iter().zip(expected) {
        if e == 0.0 {
            if o == 0.0 {
                return None;
            }
            return Some((f64::INFINITY, 0.0));
        }
        let e = e * scale;
        statistic += (o - e) * (o - e) / e;
    }
    Some((statistic, 1.0 - chi2_cdf(statistic, df)))
}

/// The smallest expected category (first in byte order among equals).
fn smallest(expected: &BTreeMap<String, f64>) -> Option<(String, f64)> {
    expected
        .iter()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, v)| (k.clone(), *v))
}

/// Merges small expected categories until the table is valid for the test.
fn regroup(sample: &mut BTreeMap<String, f64>, expected: &mut BTreeMap<String, f64>) {
    while expected.len() >= 2 {
        let (floor, allowed) = if expected.len() > 2 {
            (YATES, (YATES_SHARE * expected.len() as f64) as usize)
        } else {
            (COCHRAN, 0)
        };
        if expected.values().filter(|&&e| e < floor).count() <= allowed {
            return;
        }
        let Some((min_key, min_expected)) = smallest(expected) else {
            return;
        };
        expected.remove(&min_key);
        let min_observed = sample.remove(&min_key).unwrap_or(0.0);
        let Some((next_key, next_expected)) = smallest(expected) else {
            return;
        };
        let next_observed = sample.get(&next_key).copied().unwrap_or(0.0);
        expected.insert(next_key.clone(), next_expected + min_expected);
        sample.insert(next_key, min_observed + next_observed);
    }
}

/// Deequ's chi-square distance of the window's counts (`sample`) from the baseline's:
/// the p-value (`Robust`) or the statistic (`Simple`); an error saying why when the test
/// cannot be run.
pub fn distance(
    sample: &BTreeMap<String, u64>,
    baseline: &BTreeMap<String, u64>,
    method: Method,
) -> Result<f64, String> {
    let sample_sum: f64 = sample
        .iter()
        .filter(|(k, _)| baseline.contains_key(*k))
        .map(|(_, &c)| c as f64)
        .sum();
    let expected_sum: f64 = baseline.values().map(|&c| c as f64).sum();
    if sample_sum == 0.0 || expected_sum == 0.0 {
        return Err(
            "none of the window's values is among the baseline's categories: the chi-square test cannot be run (see categorical_values_check)"
                .into(),
        );
    }
    let mut expected: BTreeMap<String, f64> = baseline
        .iter()
        .map(|(k, &c)| (k.clone(), c as f64 / expected_sum * sample_sum))
        .collect();
    let mut observed: BTreeMap<String, f64> =
        sample.iter().map(|(k, &c)| (k.clone(), c as f64)).collect();
    regroup(&mut observed, &mut expected);
    if observed.len() < 2 {
        return Err(
            "fewer than 2 categories are left after merging the small ones: the chi-square test needs 2"
                .into(),
        );
    }
    let (obs, exp): (Vec<f64>, Vec<f64>) = expected
        .iter()
        .map(|(k, &e)| (observed.get(k).copied().unwrap_or(0.0), e))
        .unzip();
    let (statistic, p) = pearson(&obs, &exp).ok_or(
        "a category has neither expected nor observed values: the chi-square test is undefined",
    )?;
    Ok(match method {
        Method::Simple => statistic,
        Method::Robust => p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden() -> Vec<serde_json::Value> {
        let text =
            include_str!("../../tests/fixtures/sagemaker_data_quality/chi_squared_scipy.json");
        serde_json::from_str(text).unwrap()
    }

    fn floats(v: &serde_json::Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    /// scipy.stats.chisquare and chi2 (generated by the fixture's script).
    #[test]
    fn pearson_and_the_cdf_are_scipys() {
        for case in golden() {
            if let Some(obs) = case.get("observed") {
                let (s, p) = pearson(&floats(obs), &floats(&case["expected"])).unwrap();
                let (ws, wp) = (
                    case["statistic"].as_f64().unwrap(),
                    case["p_value"].as_f64().unwrap(),
                );
                assert!((s - ws).abs() <= 1e-9 * ws.max(1.0), "{case}: {s}");
                assert!((p - wp).abs() <= 1e-9, "{case}: {p}");
            } else {
                let (x, df) = (case["x"].as_f64().unwrap(), case["df"].as_f64().unwrap());
                let cdf = chi2_cdf(x, df);
                assert!(
                    (cdf - case["cdf"].as_f64().unwrap()).abs() <= 1e-9,
                    "{case}: {cdf}"
                );
                assert!(
                    (1.0 - cdf - case["sf"].as_f64().unwrap()).abs() <= 1e-9,
                    "{case}"
                );
            }
        }
    }

    /// Regression: the statistic and the p-value were swapped for a category observed but
    /// never expected.
    #[test]
    fn a_category_never_expected_is_certain_drift() {
        assert_eq!(
            pearson(&[3.0, 1.0], &[4.0, 0.0]),
            Some((f64::INFINITY, 0.0))
        );
        assert_eq!(pearson(&[4.0, 0.0], &[4.0, 0.0]), None);
    }

    fn counts(kv: &[(&str, u64)]) -> BTreeMap<String, u64> {
        kv.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn the_baseline_is_rescaled_to_the_windows_known_values() {
        // The window's "z" is not in the baseline: it neither counts nor is tested.
        let sample = counts(&[("a", 10), ("b", 20), ("c", 30), ("z", 40)]);
        let baseline = counts(&[("a", 100), ("b", 100), ("c", 100)]);
        let p = distance(&sample, &baseline, Method::Robust).unwrap();
        let (_, want) = pearson(&[10.0, 20.0, 30.0], &[20.0, 20.0, 20.0]).unwrap();
        assert_eq!(p, want);
        assert_eq!(distance(&sample, &baseline, Method::Simple).unwrap(), 10.0);
    }

    #[test]
    fn small_categories_are_merged_into_the_next_smallest() {
        // Expected (rescaled to 100): a 50, b 45, c 3, d 2 → 2 of 4 below 5, ⌊0.2·4⌋ = 0
        // allowed: d goes into c (5), then none below 5 → the test on a, b, c+d.
        let sample = counts(&[("a", 40), ("b", 50), ("c", 6), ("d", 4)]);
        let baseline = counts(&[("a", 500), ("b", 450), ("c", 30), ("d", 20)]);
        let p = distance(&sample, &baseline, Method::Robust).unwrap();
        let (_, want) = pearson(&[40.0, 50.0, 10.0], &[50.0, 45.0, 5.0]).unwrap();
        assert!((p - want).abs() < 1e-15, "{p} vs {want}");
        // Two categories need 10 expected each: 9 + 91 merges into one, and no test is left.
        let two = distance(
            &counts(&[("a", 5), ("b", 95)]),
            &counts(&[("a", 9), ("b", 91)]),
            Method::Robust,
        );
        assert!(two.unwrap_err().contains("fewer than 2 categories"));
        assert!(
            distance(&counts(&[("z", 5)]), &counts(&[("a", 9)]), Method::Robust)
                .unwrap_err()
                .contains("none of the window's values")
        );
    }
}

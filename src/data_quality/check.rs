//! A window's profile against a data-quality baseline → SageMaker's violations, one check
//! type at a time, as the developer guide defines them:
//! - `data_type_check`: the share of the present values of the baseline's type (Deequ's
//!   ratio: values of exactly that type over present values) is below
//!   `datatype_check_threshold`;
//! - `completeness_check`: the share of present values is below the feature's `completeness`;
//! - `baseline_drift_check`: the distance to the baseline's distribution (numeric: the KLL
//!   sketches; String: the categorical buckets) exceeds `comparison_threshold`
//!   (`categorical_comparison_threshold` for String features);
//! - `missing_column_check` / `extra_column_check`: the window has fewer / more columns than
//!   the baseline's constraints;
//! - `categorical_values_check`: the share of a String feature's present values inside the
//!   baseline's `domains` is below `domain_content_threshold` (1.0 in suggested baselines:
//!   any unknown value). Its description is Deequ's generic sentence, the only one seen for
//!   this check in SageMaker's files (`Value: 0.49… does not meet the constraint
//!   requirement! `, trailing space included).
//!
//! The data-type, completeness and drift sentences are the ones real SageMaker outputs carry;
//! the column-count sentences are driftwatch's (none is public).
//!
//! Violations come feature by feature in the baseline's order, checks in the order above
//! (SageMaker's files list them in no documented order). A check that cannot be made (no
//! baseline statistics for drift, a feature absent from the window) is reported as not
//! checked by the caller, never as passed.

use std::collections::BTreeMap;

use super::chi_squared;
use super::datatype::InferredType;
use super::distance::{self, Cdf, Method};
use super::kll::Kll;
use super::profile::{ColumnProfile, Profile};
use crate::sagemaker::data_quality::{
    Constraints, DataViolationEntry, DataViolations, FeatureConstraints, Statistics,
};
use crate::sagemaker::jackson::java_double;

/// One violation, in constraint_violations.json's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct DataViolation {
    pub feature_name: String,
    pub constraint_check_type: &'static str,
    pub description: String,
}

/// What could not be checked, and why (for the record and the report).
#[derive(Debug, Clone, PartialEq)]
pub struct NotChecked {
    pub feature_name: String,
    pub check: &'static str,
    pub reason: String,
}

/// A feature's drift distance from its baseline, whether or not it violates.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub feature_name: String,
    pub distance: f64,
    pub threshold: f64,
    /// Between categorical distributions (else between KLL sketches).
    pub categorical: bool,
    /// How the distance was measured, and so which side of the threshold violates.
    pub measure: Measure,
    /// With the significant check: whether the gap is more than sampling noise at these
    /// sample sizes explains (a distance beyond its threshold but not significant is not a
    /// violation).
    pub significant: Option<bool>,
}

/// What a drift distance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// A largest CDF or frequency gap (`LInfinity`): violates above the threshold.
    LInfinity,
    /// `ChiSquared`, `Robust`: the test's p-value, which violates **below** the threshold.
    ChiSquaredPValue,
    /// `ChiSquared`, `Simple`: the test's statistic, above the threshold.
    ChiSquaredStatistic,
}

impl Measure {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LInfinity => "linf",
            Self::ChiSquaredPValue => "chi_squared_p_value",
            Self::ChiSquaredStatistic => "chi_squared_statistic",
        }
    }

    fn violates(self, distance: f64, threshold: f64) -> bool {
        match self {
            Self::ChiSquaredPValue => distance < threshold,
            Self::LInfinity | Self::ChiSquaredStatistic => distance > threshold,
        }
    }
}

/// driftwatch's options for the drift check; the defaults are SageMaker's.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DriftOptions {
    /// The CDF numeric distances read (`check.drift_cdf`).
    pub cdf: Cdf,
    /// The significant check at this confidence (`check: {mode: significant}`): a distance
    /// violates only when a two-sample test at the features' Bonferroni-shared level also
    /// rejects "same distribution".
    pub significant: Option<f64>,
}

#[derive(Debug, Default, PartialEq)]
pub struct CheckOutcome {
    pub violations: Vec<DataViolation>,
    pub not_checked: Vec<NotChecked>,
    /// Every distance computed, in the baseline's feature order.
    pub drift: Vec<Drift>,
}

impl CheckOutcome {
    /// constraint_violations.json.
    pub fn file(&self) -> DataViolations {
        DataViolations {
            violations: self
                .violations
                .iter()
                .map(|v| DataViolationEntry {
                    feature_name: v.feature_name.clone(),
                    constraint_check_type: v.constraint_check_type.to_string(),
                    description: v.description.clone(),
                })
                .collect(),
        }
    }
}

fn pct(x: f64) -> String {
    java_double(x * 100.0)
}

fn enabled(s: &str) -> bool {
    !s.eq_ignore_ascii_case("disabled")
}

fn parse_type(s: &str) -> Option<InferredType> {
    Some(match s {
        "Fractional" => InferredType::Fractional,
        "Integral" => InferredType::Integral,
        "Boolean" => InferredType::Boolean,
        "String" => InferredType::String,
        "Unknown" => InferredType::Unknown,
        _ => return None,
    })
}

/// Checks `window` against the baseline's constraints (and statistics, for drift).
pub fn check(
    constraints: &Constraints,
    baseline: Option<&Statistics>,
    window: &Profile,
    options: DriftOptions,
) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    let cfg = &constraints.monitoring_config;
    if !enabled(&cfg.evaluate_constraints) {
        return out;
    }
    let columns: BTreeMap<&str, &ColumnProfile> = window
        .names
        .iter()
        .map(String::as_str)
        .zip(&window.columns)
        .collect();
    // The significant check's level for each comparison: the features that can be compared
    // share 1 − confidence (Bonferroni), so a window without drift alerts at most that often.
    let comparable = constraints
        .features
        .iter()
        .filter(|f| {
            columns.contains_key(f.name.as_str())
                && baseline.is_some_and(|b| b.features.iter().any(|s| s.name == f.name))
        })
        .count();
    let alpha = options
        .significant
        .map(|confidence| (1.0 - confidence) / comparable.max(1) as f64);
    let drift = DriftRule {
        cdf: options.cdf,
        alpha,
    };
    for f in &constraints.features {
        let Some(c) = columns.get(f.name.as_str()) else {
            out.not_checked.push(NotChecked {
                feature_name: f.name.clone(),
                check: "all",
                reason: "the window has no such column".into(),
            });
            continue;
        };
        feature_checks(f, c, window.rows, constraints, baseline, drift, &mut out);
    }
    let (n, m) = (window.names.len(), constraints.features.len());
    let columns_sentence = format!(
        "Number of columns in current dataset: {n}, Number of columns in baseline constraints: {m}"
    );
    if n < m {
        out.violations.push(DataViolation {
            feature_name: String::new(),
            constraint_check_type: "missing_column_check",
            description: format!(
                "There are missing columns in current dataset. {columns_sentence}"
            ),
        });
    } else if n > m {
        out.violations.push(DataViolation {
            feature_name: String::new(),
            constraint_check_type: "extra_column_check",
            description: format!("There are extra columns in current dataset. {columns_sentence}"),
        });
    }
    out
}

/// The drift check's settings for one execution.
#[derive(Debug, Clone, Copy)]
struct DriftRule {
    cdf: Cdf,
    /// Each comparison's level in the significant check.
    alpha: Option<f64>,
}

fn feature_checks(
    f: &FeatureConstraints,
    c: &ColumnProfile,
    rows: u64,
    constraints: &Constraints,
    baseline: Option<&Statistics>,
    rule: DriftRule,
    out: &mut CheckOutcome,
) {
    let cfg = &constraints.monitoring_config;
    let violation = |check: &'static str, description: String| DataViolation {
        feature_name: f.name.clone(),
        constraint_check_type: check,
        description,
    };
    let present = c.present();
    // data_type_check
    if let Some(expected) = parse_type(&f.inferred_type)
        && expected != InferredType::Unknown
        && present > 0
    {
        let observed = c.types.of(expected) as f64 / present as f64;
        if observed < cfg.datatype_check_threshold {
            out.violations.push(violation(
                "data_type_check",
                format!(
                    "Data type match requirement is not met. Expected data type: {}, Expected match: {}%. Observed: Only {}% of data is {}.",
                    f.inferred_type,
                    pct(cfg.datatype_check_threshold),
                    pct(observed),
                    f.inferred_type
                ),
            ));
        }
    }
    // completeness_check
    if let Some(expected) = f.completeness
        && rows > 0
    {
        let observed = present as f64 / rows as f64;
        if observed < expected {
            out.violations.push(violation(
                "completeness_check",
                format!(
                    "Data completeness requirement is not met. Expected: {}%. Observed: Only {}%.",
                    pct(expected),
                    pct(observed)
                ),
            ));
        }
    }
    // baseline_drift_check
    let d = &cfg.distribution_constraints;
    if enabled(&d.perform_comparison) {
        let method = if d.comparison_method.eq_ignore_ascii_case("simple") {
            Method::Simple
        } else {
            Method::Robust
        };
        let chi_squared = d
            .categorical_drift_method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("chisquared"));
        match drift(f, c, baseline, method, chi_squared, rule) {
            Ok(m) => {
                let threshold = if m.categorical {
                    d.categorical_comparison_threshold
                        .unwrap_or(d.comparison_threshold)
                } else {
                    d.comparison_threshold
                };
                let beyond = m.measure.violates(m.distance, threshold);
                if beyond && m.significant != Some(false) {
                    let description = match m.measure {
                        Measure::ChiSquaredPValue => format!(
                            "Baseline drift p-value: {} is below threshold: {}",
                            java_double(m.distance),
                            java_double(threshold)
                        ),
                        _ => format!(
                            "Baseline drift distance: {} exceeds threshold: {}",
                            java_double(m.distance),
                            java_double(threshold)
                        ),
                    };
                    out.violations
                        .push(violation("baseline_drift_check", description));
                }
                out.drift.push(Drift {
                    feature_name: f.name.clone(),
                    distance: m.distance,
                    threshold,
                    categorical: m.categorical,
                    measure: m.measure,
                    significant: m.significant,
                });
            }
            Err(reason) => out.not_checked.push(NotChecked {
                feature_name: f.name.clone(),
                check: "baseline_drift_check",
                reason,
            }),
        }
    }
    // categorical_values_check
    if let Some(domains) = f.string_constraints.as_ref().map(|s| &s.domains)
        && !domains.is_empty()
    {
        match &c.counts {
            Some(counts) if present > 0 => {
                let unknown: u64 = counts
                    .iter()
                    .filter(|(v, _)| !domains.contains(v))
                    .map(|(_, n)| n)
                    .sum();
                let known = 1.0 - unknown as f64 / present as f64;
                if known < cfg.domain_content_threshold {
                    out.violations.push(violation(
                        "categorical_values_check",
                        format!(
                            "Value: {} does not meet the constraint requirement! ",
                            java_double(known)
                        ),
                    ));
                }
            }
            Some(_) => {}
            None => out.not_checked.push(NotChecked {
                feature_name: f.name.clone(),
                check: "categorical_values_check",
                reason: "the window has too many distinct values to count them exactly".into(),
            }),
        }
    }
}

/// One feature's drift, measured.
struct Measured {
    distance: f64,
    categorical: bool,
    measure: Measure,
    significant: Option<bool>,
}

/// The distance to the baseline's distribution, how it was measured, and (with the
/// significant check) whether it is beyond noise.
fn drift(
    f: &FeatureConstraints,
    c: &ColumnProfile,
    baseline: Option<&Statistics>,
    method: Method,
    chi_squared: bool,
    rule: DriftRule,
) -> Result<Measured, String> {
    let b = baseline
        .ok_or("no baseline statistics")?
        .features
        .iter()
        .find(|b| b.name == f.name)
        .ok_or("the baseline statistics have no such feature")?;
    if let Some(ns) = &b.numerical_statistics {
        let theirs = Kll::from_data(&ns.distribution.kll.sketch.data);
        let (d, _, _) = distance::numeric_with(&c.sketch, &theirs, method, rule.cdf)
            .ok_or("no numeric values to compare")?;
        // The test reads the real CDFs and sizes, whatever the distance reads.
        let significant = rule.alpha.map(|alpha| {
            distance::numeric_with(&c.sketch, &theirs, Method::Simple, Cdf::Weighted)
                .is_some_and(|(linf, n, m)| distance::ks_rejects(linf, n, m, alpha))
        });
        return Ok(Measured {
            distance: d,
            categorical: false,
            measure: Measure::LInfinity,
            significant,
        });
    }
    if let Some(ss) = &b.string_statistics {
        let theirs: BTreeMap<String, u64> = ss
            .distribution
            .iter()
            .flat_map(|d| &d.categorical.buckets)
            .map(|b| (b.value.clone(), b.count))
            .collect();
        let ours: BTreeMap<String, u64> = c
            .counts
            .as_ref()
            .ok_or("the window has too many distinct values to count them exactly")?
            .iter()
            .map(|(k, &v)| (k.clone(), v))
            .collect();
        if chi_squared {
            let d = chi_squared::distance(&ours, &theirs, method)?;
            let measure = match method {
                Method::Robust => Measure::ChiSquaredPValue,
                Method::Simple => Measure::ChiSquaredStatistic,
            };
            let significant = rule.alpha.map(|alpha| {
                chi_squared::distance(&ours, &theirs, Method::Robust).is_ok_and(|p| p < alpha)
            });
            return Ok(Measured {
                distance: d,
                categorical: true,
                measure,
                significant,
            });
        }
        let d = distance::categorical(&ours, &theirs, method).ok_or("no values to compare")?;
        let significant = rule.alpha.map(|alpha| {
            let n: f64 = ours.values().map(|&v| v as f64).sum();
            let m: f64 = theirs.values().map(|&v| v as f64).sum();
            distance::categorical(&ours, &theirs, Method::Simple)
                .is_some_and(|linf| distance::ks_rejects(linf, n, m, alpha))
        });
        return Ok(Measured {
            distance: d,
            categorical: true,
            measure: Measure::LInfinity,
            significant,
        });
    }
    Err("the baseline statistics have no distribution for it".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_quality::suggest::suggest;

    fn profile(names: &[&str], rows: &[&[Option<&str>]]) -> Profile {
        let mut p = Profile::new(names.iter().map(|s| s.to_string()).collect());
        for r in rows {
            p.add_row(r.iter().copied());
        }
        p
    }

    fn types(o: &CheckOutcome) -> Vec<(&str, &str)> {
        o.violations
            .iter()
            .map(|v| (v.feature_name.as_str(), v.constraint_check_type))
            .collect()
    }

    #[test]
    fn each_check_type_fires_on_its_own_fault() {
        let rows: Vec<Vec<Option<&str>>> = (0..100)
            .map(|i| vec![Some(["1", "2", "3"][i % 3]), Some(["a", "b"][i % 2])])
            .collect();
        let rows: Vec<&[Option<&str>]> = rows.iter().map(Vec::as_slice).collect();
        let base = profile(&["n", "s"], &rows);
        let constraints = suggest(&base);
        let stats = base.statistics();
        let same = check(&constraints, Some(&stats), &base, DriftOptions::default());
        assert!(same.violations.is_empty() && same.not_checked.is_empty());
        assert_eq!(same.drift.len(), 2);
        assert!(same.drift.iter().all(|d| d.distance == 0.0));

        // Completeness: a third of `n` missing; an unknown category; drift on `s`.
        let rows: Vec<Vec<Option<&str>>> = (0..90)
            .map(|i| {
                vec![
                    (i % 3 != 0).then_some("2"),
                    Some(if i < 60 { "a" } else { "z" }),
                ]
            })
            .collect();
        let rows: Vec<&[Option<&str>]> = rows.iter().map(Vec::as_slice).collect();
        let o = check(
            &constraints,
            Some(&stats),
            &profile(&["n", "s"], &rows),
            DriftOptions::default(),
        );
        assert_eq!(
            types(&o),
            [
                ("n", "completeness_check"),
                ("s", "baseline_drift_check"),
                ("s", "categorical_values_check")
            ]
        );
        assert_eq!(
            o.violations[0].description,
            "Data completeness requirement is not met. Expected: 100.0%. Observed: Only 66.66666666666666%."
        );
        assert!(
            o.violations[1]
                .description
                .starts_with("Baseline drift distance: ")
        );
        assert_eq!(
            o.violations[2].description,
            "Value: 0.6666666666666667 does not meet the constraint requirement! "
        );

        // A float in an Integral column; a column more, then one less.
        let o = check(
            &constraints,
            Some(&stats),
            &profile(&["n", "s", "x"], &[&[Some("2.5"), Some("a"), Some("1")]]),
            DriftOptions::default(),
        );
        assert_eq!(types(&o)[0], ("n", "data_type_check"));
        assert_eq!(types(&o).last(), Some(&("", "extra_column_check")));
        let o = check(
            &constraints,
            Some(&stats),
            &profile(&["n"], &[&[Some("1")]]),
            DriftOptions::default(),
        );
        assert_eq!(types(&o).last(), Some(&("", "missing_column_check")));
        assert_eq!(o.not_checked[0].feature_name, "s");

        // evaluate_constraints: Disabled checks nothing.
        let mut off = constraints.clone();
        off.monitoring_config.evaluate_constraints = "Disabled".into();
        assert_eq!(
            check(
                &off,
                Some(&stats),
                &profile(&["n"], &[&[Some("x")]]),
                DriftOptions::default()
            ),
            CheckOutcome::default()
        );
    }

    /// A 0/1 feature whose share of ones went from 10 % to 90 %, and a String one whose
    /// proportions moved: the drift each option measures.
    fn drifted(n: usize) -> (Constraints, Statistics, Profile) {
        let rows = |ones: usize, a_share: usize| -> Vec<Vec<Option<&'static str>>> {
            (0..n)
                .map(|i| {
                    vec![
                        Some(if i % 10 < ones { "1" } else { "0" }),
                        Some(if i % 10 < a_share { "a" } else { "b" }),
                    ]
                })
                .collect()
        };
        let base_rows = rows(1, 5);
        let base_rows: Vec<&[Option<&str>]> = base_rows.iter().map(Vec::as_slice).collect();
        let base = profile(&["n", "s"], &base_rows);
        let now_rows = rows(9, 8);
        let now_rows: Vec<&[Option<&str>]> = now_rows.iter().map(Vec::as_slice).collect();
        let mut constraints = suggest(&base);
        constraints
            .monitoring_config
            .distribution_constraints
            .comparison_method = "Simple".into();
        (
            constraints,
            base.statistics(),
            profile(&["n", "s"], &now_rows),
        )
    }

    #[test]
    fn the_weighted_cdf_sees_the_drift_sagemakers_rank_map_misses() {
        let (constraints, stats, now) = drifted(1000);
        let compat = check(&constraints, Some(&stats), &now, DriftOptions::default());
        assert_eq!(
            compat.drift[0].distance, 0.0,
            "deequ#392: 0/1 columns look alike"
        );
        let weighted = DriftOptions {
            cdf: Cdf::Weighted,
            significant: None,
        };
        let fixed = check(&constraints, Some(&stats), &now, weighted);
        assert!(
            (fixed.drift[0].distance - 0.8).abs() < 1e-12,
            "{:?}",
            fixed.drift[0]
        );
        assert!(fixed.violations.iter().any(|v| v.feature_name == "n"));
    }

    #[test]
    fn chi_squared_reports_a_p_value_that_violates_below_the_threshold() {
        let (mut constraints, stats, now) = drifted(1000);
        let d = &mut constraints.monitoring_config.distribution_constraints;
        d.categorical_drift_method = Some("ChiSquared".into());
        d.comparison_method = "Robust".into();
        let o = check(&constraints, Some(&stats), &now, DriftOptions::default());
        let s = o.drift.iter().find(|d| d.feature_name == "s").unwrap();
        assert_eq!(s.measure, Measure::ChiSquaredPValue);
        assert!(s.distance < 1e-12, "{s:?}");
        let v = o.violations.iter().find(|v| v.feature_name == "s").unwrap();
        assert!(
            v.description.starts_with("Baseline drift p-value: "),
            "{v:?}"
        );
        assert!(v.description.contains("is below threshold: 0.1"), "{v:?}");
        // The same proportions: p = 1, no violation.
        let (constraints2, stats2, _) = drifted(1000);
        let mut c = constraints2.clone();
        c.monitoring_config
            .distribution_constraints
            .categorical_drift_method = Some("ChiSquared".into());
        c.monitoring_config
            .distribution_constraints
            .comparison_method = "Robust".into();
        let base = {
            let rows: Vec<Vec<Option<&str>>> = (0..500)
                .map(|i| {
                    vec![
                        Some(if i % 10 < 1 { "1" } else { "0" }),
                        Some(if i % 10 < 5 { "a" } else { "b" }),
                    ]
                })
                .collect();
            let rows: Vec<&[Option<&str>]> = rows.iter().map(Vec::as_slice).collect();
            profile(&["n", "s"], &rows)
        };
        let same = check(&c, Some(&stats2), &base, DriftOptions::default());
        let s = same.drift.iter().find(|d| d.feature_name == "s").unwrap();
        assert!((s.distance - 1.0).abs() < 1e-12, "{s:?}");
        assert!(!same.violations.iter().any(|v| v.feature_name == "s"));
    }

    #[test]
    fn the_significant_check_lets_a_small_windows_noise_pass() {
        // 20 rows: the categorical gap (0.3) is beyond the 0.1 threshold but within what 20
        // and 20 values explain; at 1,000 rows it is far beyond.
        let significant = DriftOptions {
            cdf: Cdf::Distinct,
            significant: Some(0.95),
        };
        let (constraints, stats, now) = drifted(20);
        let o = check(&constraints, Some(&stats), &now, significant);
        let s = o.drift.iter().find(|d| d.feature_name == "s").unwrap();
        assert!(
            s.distance > s.threshold && s.significant == Some(false),
            "{s:?}"
        );
        assert!(!o.violations.iter().any(|v| v.feature_name == "s"));
        let plain = check(&constraints, Some(&stats), &now, DriftOptions::default());
        assert!(plain.violations.iter().any(|v| v.feature_name == "s"));
        let (constraints, stats, now) = drifted(1000);
        let o = check(&constraints, Some(&stats), &now, significant);
        let s = o.drift.iter().find(|d| d.feature_name == "s").unwrap();
        assert_eq!(s.significant, Some(true));
        assert!(o.violations.iter().any(|v| v.feature_name == "s"));
    }
}

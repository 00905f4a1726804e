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

use super::datatype::InferredType;
use super::distance::{self, Method};
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
    for f in &constraints.features {
        let Some(c) = columns.get(f.name.as_str()) else {
            out.not_checked.push(NotChecked {
                feature_name: f.name.clone(),
                check: "all",
                reason: "the window has no such column".into(),
            });
            continue;
        };
        feature_checks(f, c, window.rows, constraints, baseline, &mut out);
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

fn feature_checks(
    f: &FeatureConstraints,
    c: &ColumnProfile,
    rows: u64,
    constraints: &Constraints,
    baseline: Option<&Statistics>,
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
        match drift(f, c, baseline, method) {
            Ok((distance, categorical)) => {
                let threshold = if categorical {
                    d.categorical_comparison_threshold
                        .unwrap_or(d.comparison_threshold)
                } else {
                    d.comparison_threshold
                };
                out.drift.push(Drift {
                    feature_name: f.name.clone(),
                    distance,
                    threshold,
                    categorical,
                });
                if distance > threshold {
                    out.violations.push(violation(
                        "baseline_drift_check",
                        format!(
                            "Baseline drift distance: {} exceeds threshold: {}",
                            java_double(distance),
                            java_double(threshold)
                        ),
                    ));
                }
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

/// The distance to the baseline's distribution, and whether it is categorical.
fn drift(
    f: &FeatureConstraints,
    c: &ColumnProfile,
    baseline: Option<&Statistics>,
    method: Method,
) -> Result<(f64, bool), String> {
    let b = baseline
        .ok_or("no baseline statistics")?
        .features
        .iter()
        .find(|b| b.name == f.name)
        .ok_or("the baseline statistics have no such feature")?;
    if let Some(ns) = &b.numerical_statistics {
        let theirs = Kll::from_data(&ns.distribution.kll.sketch.data);
        return distance::numeric(&c.sketch, &theirs, method)
            .map(|d| (d, false))
            .ok_or_else(|| "no numeric values to compare".into());
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
        return distance::categorical(&ours, &theirs, method)
            .map(|d| (d, true))
            .ok_or_else(|| "no values to compare".into());
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
        let same = check(&constraints, Some(&stats), &base);
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
        let o = check(&constraints, Some(&stats), &profile(&["n", "s"], &rows));
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
        );
        assert_eq!(types(&o)[0], ("n", "data_type_check"));
        assert_eq!(types(&o).last(), Some(&("", "extra_column_check")));
        let o = check(
            &constraints,
            Some(&stats),
            &profile(&["n"], &[&[Some("1")]]),
        );
        assert_eq!(types(&o).last(), Some(&("", "missing_column_check")));
        assert_eq!(o.not_checked[0].feature_name, "s");

        // evaluate_constraints: Disabled checks nothing.
        let mut off = constraints.clone();
        off.monitoring_config.evaluate_constraints = "Disabled".into();
        assert_eq!(
            check(&off, Some(&stats), &profile(&["n"], &[&[Some("x")]])),
            CheckOutcome::default()
        );
    }
}

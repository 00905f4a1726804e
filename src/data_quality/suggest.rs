//! The constraints a baseline suggests (`DefaultModelMonitor.suggest_baseline`'s
//! constraints.json), by Deequ's rules as the container applies them:
//! - `completeness` 1.0 for a complete column; for one between 20 % and 100 % complete, the
//!   lower end of its 95 % binomial interval truncated to two decimals (Deequ's
//!   `RetainCompletenessRule`); none below 20 %.
//! - `num_constraints.is_non_negative` for numeric columns: whether the minimum is ≥ 0.
//! - `string_constraints.domains` for a String column whose values are mostly repeated (at most
//!   10 % of its distinct values seen once, Deequ's `CategoricalRangeRule`), most frequent
//!   first.
//! - `monitoring_config`: the container's defaults (thresholds 1.0 for data types and
//!   domains, 0.1 for drift, `Robust`, `LInfinity`).

use super::datatype::InferredType;
use super::profile::{ColumnProfile, Profile};
use crate::sagemaker::data_quality::{
    Constraints, DistributionConstraints, FeatureConstraints, MonitoringConfig, NumConstraints,
    StringConstraints,
};

pub fn suggest(profile: &Profile) -> Constraints {
    Constraints {
        version: 0.0,
        features: profile
            .names
            .iter()
            .zip(&profile.columns)
            .map(|(name, c)| feature(name, c, profile.rows))
            .collect(),
        monitoring_config: MonitoringConfig {
            evaluate_constraints: "Enabled".into(),
            emit_metrics: "Enabled".into(),
            datatype_check_threshold: 1.0,
            domain_content_threshold: 1.0,
            distribution_constraints: DistributionConstraints {
                categorical_comparison_threshold: Some(0.1),
                categorical_drift_method: Some("LInfinity".into()),
                ..DistributionConstraints::default()
            },
        },
    }
}

fn feature(name: &str, c: &ColumnProfile, rows: u64) -> FeatureConstraints {
    let t = c.inferred_type();
    FeatureConstraints {
        name: name.to_string(),
        inferred_type: t.as_str().to_string(),
        completeness: completeness(c.present(), rows),
        num_constraints: (t.is_numeric() && c.moments.n > 0).then_some(NumConstraints {
            is_non_negative: c.moments.min >= 0.0,
        }),
        string_constraints: (t == InferredType::String)
            .then(|| domains(c))
            .flatten()
            .map(|domains| StringConstraints { domains }),
    }
}

fn completeness(present: u64, rows: u64) -> Option<f64> {
    if rows == 0 {
        return None;
    }
    let p = present as f64 / rows as f64;
    if p == 1.0 {
        return Some(1.0);
    }
    if !(p > 0.2 && p < 1.0) {
        return None;
    }
    Some(truncate_2(p - 1.96 * (p * (1.0 - p) / rows as f64).sqrt()))
}

/// `BigDecimal(x).setScale(2, RoundingMode.DOWN).toDouble`: the decimal text of `x` cut after
/// two fraction digits (toward zero).
fn truncate_2(x: f64) -> f64 {
    let text = format!("{x}");
    let cut = match text.split_once('.') {
        Some((int, frac)) => format!("{int}.{}", &frac[..frac.len().min(2)]),
        None => text,
    };
    cut.parse().unwrap_or(x)
}

fn domains(c: &ColumnProfile) -> Option<Vec<String>> {
    let counts = c.counts.as_ref()?;
    if counts.is_empty() {
        return None;
    }
    let singletons = counts.values().filter(|&&n| n == 1).count();
    if singletons as f64 / counts.len() as f64 > 0.1 {
        return None;
    }
    let mut values = super::profile::sorted(counts);
    // Most frequent first; ties by value, last first (Deequ sorts ascending and reverses).
    values.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(a.0)));
    Some(values.into_iter().map(|(k, _)| k.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_is_deequs_lower_bound_truncated() {
        assert_eq!(completeness(10, 10), Some(1.0));
        // p = 0.7, n = 10: 0.7 − 1.96·√(0.021) = 0.41597… → 0.41.
        assert_eq!(completeness(7, 10), Some(0.41));
        assert_eq!(completeness(2, 10), None);
        assert_eq!(truncate_2(0.999), 0.99);
        assert_eq!(truncate_2(-0.123), -0.12);
    }

    #[test]
    fn a_mostly_repeated_string_column_gets_its_domain() {
        let mut c = ColumnProfile::new();
        for v in ["a", "b", "a", "c", "b", "a", "c", "c", "c"] {
            c.add(Some(v));
        }
        assert_eq!(domains(&c), Some(vec!["c".into(), "a".into(), "b".into()]));
        c.add(Some("z"));
        // One value of four seen once: 25 % > 10 %.
        assert_eq!(domains(&c), None);
    }
}

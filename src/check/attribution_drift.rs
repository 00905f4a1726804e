//! The feature attribution drift check: for each label in both the baseline and the current
//! analysis.json, the nDCG of the current global SHAP values against the baseline's; below
//! the threshold (0.9 by default) is a violation.
//!
//! Choices where SageMaker is silent: features are aligned by name over the baseline's
//! features (one missing from the current run counts as attribution 0, with a warning);
//! negative baseline values (possible with `agg_method: median`) are ranked by magnitude
//! (relevance |value|), with a warning — sklearn would raise; a label missing on either side
//! is a warning, not a violation.
//!
//! A text analysis (`global_top_shap_text` on both sides) is judged by its units: per text
//! column, the nDCG of the window's top units against the baseline's, over the union of the
//! two lists (a unit missing from one list counts 0 there, so new words at the top of the
//! window lower the score just as baseline words dropping out do); with several text columns
//! the lowest.

use super::NotChecked;
use crate::explain::ndcg::ndcg;
use crate::sagemaker::analysis::NotSignificant;
use crate::sagemaker::{AnalysisDoc, AttributionViolation, MetricValue, OrderedMap, ShapLabel};

pub const DEFAULT_THRESHOLD: f64 = 0.9;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttributionCheck {
    pub violations: Vec<AttributionViolation>,
    /// nDCG per label compared.
    pub ndcg: OrderedMap<f64>,
    pub warnings: Vec<String>,
    /// Labels below the threshold whose nDCG interval reaches it (significant mode).
    pub not_significant: Vec<NotSignificant>,
    /// Labels judged (whatever the verdict), and why the others were not.
    pub checked: usize,
    pub not_checked: NotChecked,
}

/// The nDCG of `current` global values against a baseline label's, features aligned by the
/// baseline's names; with the warnings the alignment needs. An error when it cannot be
/// computed.
pub fn label_ndcg(
    label: &str,
    baseline: &ShapLabel,
    current: &dyn Fn(&str) -> Option<f64>,
) -> Result<(f64, Vec<String>), String> {
    let mut warnings = Vec::new();
    let mut rel = Vec::new();
    let mut score = Vec::new();
    let mut missing = Vec::new();
    for (feature, v) in baseline.global_shap_values.iter() {
        let Some(x) = v.get() else {
            return Err(format!(
                "label {label}: baseline value of {feature} is not a number: not checked"
            ));
        };
        rel.push(x);
        score.push(match current(feature) {
            Some(y) => y,
            None => {
                missing.push(feature.to_string());
                0.0
            }
        });
    }
    if !missing.is_empty() {
        warnings.push(format!(
            "label {label}: features {} are missing from this analysis; counted as attribution 0",
            missing.join(", ")
        ));
    }
    if rel.iter().any(|x| *x < 0.0) {
        warnings.push(format!(
            "label {label}: negative baseline attributions; nDCG ranks by magnitude"
        ));
        rel.iter_mut().for_each(|x| *x = x.abs());
        score.iter_mut().for_each(|x| *x = x.abs());
    }
    ndcg(&rel, &score)
        .map(|v| (v, warnings))
        .map_err(|e| format!("label {label}: nDCG not computed: {e}"))
}

/// The units' nDCG of a text label (see the module doc); `None` when the baseline has no
/// `global_top_shap_text`.
pub fn units_ndcg(
    label: &str,
    baseline: &ShapLabel,
    current: &ShapLabel,
) -> Option<Result<(f64, Vec<String>), String>> {
    if baseline.global_top_shap_text.is_empty() {
        return None;
    }
    let mut warnings = Vec::new();
    let mut lowest: Option<f64> = None;
    for (column, base) in baseline.global_top_shap_text.iter() {
        let empty = OrderedMap::new();
        let cur = current.global_top_shap_text.get(column).unwrap_or_else(|| {
            warnings.push(format!(
                "label {label}: text column {column} has no top units in this analysis; counted as attribution 0"
            ));
            &empty
        });
        let value = |m: &OrderedMap<MetricValue>, unit: &str| {
            m.get(unit).and_then(|v| v.get()).map_or(0.0, f64::abs)
        };
        let units: Vec<&str> = base
            .keys()
            .chain(cur.keys().filter(|u| !base.contains_key(u)))
            .collect();
        let rel: Vec<f64> = units.iter().map(|u| value(base, u)).collect();
        let score: Vec<f64> = units.iter().map(|u| value(cur, u)).collect();
        match ndcg(&rel, &score) {
            Ok(v) => lowest = Some(lowest.map_or(v, |l: f64| l.min(v))),
            Err(e) => {
                return Some(Err(format!(
                    "label {label}: nDCG of text column {column}'s units not computed: {e}"
                )));
            }
        }
    }
    lowest.map(|v| Ok((v, warnings)))
}

/// Checks the current attributions against the baseline's. In significant mode
/// (`significant` = the check's confidence), a label below the threshold violates only when
/// the upper bound of its nDCG interval (in the analysis' `driftwatch.ndcg_intervals`) is
/// below it too.
pub fn check(
    current: &AnalysisDoc,
    baseline: &AnalysisDoc,
    threshold: f64,
    significant: Option<f64>,
) -> AttributionCheck {
    let mut out = AttributionCheck::default();
    let (Some(cur), Some(base)) = (current.kernel_shap(), baseline.kernel_shap()) else {
        out.warnings.push(
            "the baseline has no explanations.kernel_shap: feature attribution drift was not checked".into(),
        );
        out.not_checked.no_baseline += current.kernel_shap().map_or(0, |c| c.len());
        return out;
    };
    for (label, b) in base.iter() {
        let Some(c) = cur.get(label) else {
            out.warnings.push(format!(
                "label {label} is in the baseline but not in this analysis: not checked"
            ));
            out.not_checked.no_value += 1;
            continue;
        };
        if b.global_shap_values.is_empty() || c.global_shap_values.is_empty() {
            out.warnings.push(format!(
                "label {label}: global_shap_values missing: not checked"
            ));
            out.not_checked.no_value += 1;
            continue;
        }
        let lookup = |f: &str| c.global_shap_values.get(f).and_then(|v| v.get());
        let judged = units_ndcg(label, b, c).unwrap_or_else(|| label_ndcg(label, b, &lookup));
        let v = match judged {
            Ok((v, warnings)) => {
                out.warnings.extend(warnings);
                v
            }
            Err(e) => {
                out.warnings.push(e);
                out.not_checked.no_value += 1;
                continue;
            }
        };
        out.ndcg.insert(label, v);
        if v >= threshold {
            out.checked += 1;
            continue;
        }
        let Some(confidence) = significant else {
            out.violations
                .push(AttributionViolation::new(label, v, threshold));
            out.checked += 1;
            continue;
        };
        let interval = current
            .driftwatch
            .as_ref()
            .and_then(|d| d.ndcg_intervals.get(label));
        match interval.and_then(|i| i.bounds()) {
            Some((lo, hi)) if hi < threshold => {
                let mut violation = AttributionViolation::new(label, v, threshold);
                violation.description.push_str(&format!(
                    " ({}% confidence interval [{}, {}] lies below it)",
                    crate::sagemaker::pyfmt::metric_text(confidence * 100.0).trim_end_matches(".0"),
                    crate::sagemaker::pyfmt::py_float_repr(lo),
                    crate::sagemaker::pyfmt::py_float_repr(hi)
                ));
                out.violations.push(violation);
                out.checked += 1;
            }
            Some((lo, hi)) => {
                out.checked += 1;
                out.not_significant.push(NotSignificant {
                    stage: "explanations.kernel_shap".into(),
                    facet: String::new(),
                    facet_value: label.to_string(),
                    metric_name: "nDCG".into(),
                    value: MetricValue::new(v),
                    baseline: MetricValue::new(threshold),
                    lower: MetricValue::new(lo),
                    upper: MetricValue::new(hi),
                })
            }
            None => {
                out.not_checked.no_interval += 1;
                out.warnings.push(format!(
                    "label {label}: nDCG {v} is below {threshold} but has no interval ({}): not judged",
                    interval
                        .and_then(|i| i.note.clone())
                        .unwrap_or_else(|| "none computed".into())
                ))
            }
        }
    }
    for label in cur.keys().filter(|l| !base.contains_key(l)) {
        out.warnings
            .push(format!("label {label} is not in the baseline: not checked"));
        out.not_checked.no_baseline += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn analysis(values: Value) -> AnalysisDoc {
        serde_json::from_value(json!({"version": "1.0", "explanations": {"kernel_shap": {"label0": {"global_shap_values": values, "expected_value": 0.5}}}})).unwrap()
    }

    fn text_analysis(units: Value) -> AnalysisDoc {
        serde_json::from_value(json!({"version": "1.0", "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"review": 1.0}, "expected_value": 0.5, "global_top_shap_text": {"review": units}}}}})).unwrap()
    }

    #[test]
    fn text_is_judged_by_its_top_units_over_both_vocabularies() {
        let base = text_analysis(json!({"great": 0.5, "bad": 0.4, "love": 0.3}));
        let same = check(
            &text_analysis(json!({"great": 0.6, "bad": 0.3, "love": 0.2})),
            &base,
            0.9,
            None,
        );
        assert_eq!(same.ndcg.get("label0"), Some(&1.0));
        // New words on top: relevance 0 in the baseline, so the ranking is poor.
        let drifted =
            text_analysis(json!({"refund": 0.9, "broken": 0.8, "late": 0.7, "great": 0.1}));
        let c = check(&drifted, &base, 0.9, None);
        let v = *c.ndcg.get("label0").unwrap();
        assert!(v < 0.9, "{v}");
        assert_eq!(c.violations.len(), 1);
        // sklearn: ndcg_score([[.5,.4,.3,0,0,0]], [[.1,0,0,.9,.8,.7]])
        assert!((v - 0.5268440609730348).abs() < 1e-9, "{v}");
    }

    #[test]
    fn reversed_ranking_violates_with_sagemakers_wording() {
        let base = analysis(json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}));
        let cur = analysis(json!({"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}));
        let c = check(&cur, &base, 0.9, None);
        assert_eq!(c.violations.len(), 1);
        let v = &c.violations[0];
        assert_eq!(v.metric_name, "shap");
        assert_eq!(v.constraint_check_type, "feature_attribution_drift_check");
        assert!(
            v.description
                .starts_with("Feature attribution drift 0.7222"),
            "{}",
            v.description
        );
        assert!(v.description.ends_with("exceeds threshold 0.9"));
        assert!(check(&base, &base, 0.9, None).violations.is_empty());
    }

    #[test]
    fn missing_features_labels_and_negative_values_warn() {
        let base = analysis(json!({"a": -1, "b": 2}));
        let cur = analysis(json!({"b": 2}));
        let c = check(&cur, &base, 0.9, None);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        let c = check(&cur, &AnalysisDoc::default(), 0.9, None);
        assert!(c.violations.is_empty() && c.warnings.len() == 1);
    }
}

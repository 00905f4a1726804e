//! The bias drift check: for each (stage, facet, facet value, metric) in both files, a
//! violation when the current value is farther from neutral than the baseline's.
//!
//! Neutral is 0 for every metric, DI included, as SageMaker's service judges it; with
//! `check: {di_neutral: 1}` DI is judged by |current − 1| > |baseline − 1| (`DiNeutral`).
//! Equality is not a violation. A metric that is null
//! (errored) on either side, or absent from the baseline, is not judged but reported as a
//! warning, so a silent gap in the check never looks like a pass.

use std::collections::HashMap;

use super::NotChecked;
use crate::config::check::{CheckConfig, CheckMode};
use crate::sagemaker::analysis::{InsufficientData, NotSignificant};
use crate::sagemaker::analysis::{MetricAt, MetricNote};
use crate::sagemaker::pyfmt::metric_text;
use crate::sagemaker::verdict::DiNeutral;
use crate::sagemaker::{AnalysisDoc, BiasViolation, MetricValue, Stage};

#[derive(Debug, Default, PartialEq)]
pub struct CheckOutcome {
    pub violations: Vec<BiasViolation>,
    pub warnings: Vec<String>,
    /// Facet groups too small to judge (significant mode).
    pub insufficient: Vec<InsufficientData>,
    /// Point values beyond the baseline whose intervals are not (significant mode).
    pub not_significant: Vec<NotSignificant>,
    /// Metrics compared with the baseline (whatever the verdict), and why the others were not.
    pub checked: usize,
    pub not_checked: NotChecked,
    /// Metrics beyond the baseline without an interval to judge by (significant mode).
    pub not_judged: Vec<MetricNote>,
    /// Baseline values that make their constraint meaningless (each also a warning).
    pub unusable_baselines: Vec<MetricNote>,
}

/// How the metrics are judged: the check's settings and, for significant mode, the sizes of
/// each facet entry — (stage, facet, facet value) → its [`Sizes`].
pub struct Gate<'a> {
    pub check: &'a CheckConfig,
    pub group_sizes: &'a HashMap<(Stage, String, String), Sizes>,
}

/// The records a facet entry's metrics rest on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sizes {
    /// The smaller side of the facet split.
    pub smaller_side: u64,
    /// CDD's conditioning groups: how many, and the records of the smallest.
    pub groups: usize,
    pub smallest_group: u64,
}

/// Checks a current bias analysis against a baseline one: SageMaker's rule, or (significant
/// mode) a violation only when the current value's whole interval (in the analysis'
/// `driftwatch.intervals`) lies beyond the baseline constraint.
pub fn check(current: &AnalysisDoc, baseline: &AnalysisDoc, gate: &Gate<'_>) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    for stage in Stage::ALL {
        if current.stage(stage).is_none() {
            continue;
        }
        if baseline.stage(stage).is_none() {
            out.warnings.push(format!(
                "the baseline has no {}: they are not checked",
                stage.key()
            ));
            out.not_checked.no_baseline += current.metrics_in(stage).count();
            continue;
        }
        for m in current.metrics_in(stage) {
            match judge(current, baseline, &m, gate, &mut out) {
                Judged::Checked => out.checked += 1,
                Judged::NoValue => out.not_checked.no_value += 1,
                Judged::NoBaseline => out.not_checked.no_baseline += 1,
                Judged::TooFewRecords => out.not_checked.too_few_records += 1,
                Judged::NoInterval => out.not_checked.no_interval += 1,
            }
        }
    }
    out
}

/// Whether a metric was compared with its baseline (whatever the verdict), or why not.
enum Judged {
    Checked,
    NoValue,
    NoBaseline,
    TooFewRecords,
    NoInterval,
}

/// Judges one metric; records its violation, note or warning in `out`.
fn judge(
    current: &AnalysisDoc,
    baseline: &AnalysisDoc,
    m: &MetricAt<'_>,
    gate: &Gate<'_>,
    out: &mut CheckOutcome,
) -> Judged {
    let (stage, name, facet, fv) = (m.stage, m.metric.name.as_str(), m.facet, m.facet_value);
    let Some(base) = baseline.metric(stage, facet, fv, name) else {
        out.warnings.push(format!(
            "{name} for facet {facet}={fv} is not in the baseline: not checked"
        ));
        return Judged::NoBaseline;
    };
    let rule = gate.check.di_neutral;
    if let Some(note) = base
        .value
        .get()
        .and_then(|b| unusable_baseline(name, b, rule))
    {
        out.warnings.push(format!(
            "the baseline {name} for facet {facet}={fv} is {note}"
        ));
        out.unusable_baselines.push(MetricNote {
            stage: stage.key().to_string(),
            facet: facet.to_string(),
            facet_value: fv.to_string(),
            metric_name: name.to_string(),
            note: format!("the baseline is {note}"),
        });
    }
    let (c, b) = match (m.value(), base.value.get()) {
        (Some(c), Some(b)) => (c, b),
        (None, _) => {
            out.warnings.push(format!(
                "{name} for facet {facet}={fv} has no value in this analysis: not checked"
            ));
            return Judged::NoValue;
        }
        (_, None) => {
            out.warnings.push(format!(
                "{name} for facet {facet}={fv} has no value in the baseline: not checked"
            ));
            return Judged::NoBaseline;
        }
    };
    let significant = gate.check.mode == CheckMode::Significant;
    if significant {
        let key = (stage, facet.to_string(), fv.to_string());
        let sizes = gate.group_sizes.get(&key).copied().unwrap_or_default();
        let min = gate.check.min_records;
        let too_few =
            |metric_name: Option<String>, records: u64, note: Option<String>| InsufficientData {
                stage: stage.key().to_string(),
                facet: facet.to_string(),
                facet_value: fv.to_string(),
                metric_name,
                records,
                min_records: min,
                note,
            };
        if sizes.smaller_side < min {
            let noted = out.insufficient.iter().any(|i| {
                i.stage == stage.key()
                    && i.facet == facet
                    && i.facet_value == fv
                    && i.metric_name.is_none()
            });
            if !noted {
                out.insufficient
                    .push(too_few(None, sizes.smaller_side, None));
            }
            return Judged::TooFewRecords;
        }
        // CDD averages a disparity over the group variable's groups: in groups of a few
        // records it is biased by the window's size (empty label cells count as zero), so a
        // small window differs from a large baseline even without drift.
        if matches!(name, "CDDL" | "CDDPL") && sizes.smallest_group < min {
            out.insufficient.push(too_few(
                Some(name.to_string()),
                sizes.smallest_group,
                Some(format!(
                    "the smallest of the {} groups of the group variable has {} records",
                    sizes.groups, sizes.smallest_group
                )),
            ));
            return Judged::TooFewRecords;
        }
    }
    if rule.distance(name, c) <= rule.distance(name, b) {
        return Judged::Checked;
    }
    if !significant {
        out.violations
            .push(BiasViolation::new(facet, fv, name, c, b));
        return Judged::Checked;
    }
    let bounds = current.interval(stage, facet, fv, name);
    let Some((lo, hi)) = bounds.and_then(|i| i.bounds()) else {
        let note = format!(
            "beyond the baseline but no interval ({})",
            bounds
                .and_then(|i| i.note.clone())
                .unwrap_or_else(|| "none computed".into())
        );
        out.warnings.push(format!(
            "{name} for facet {facet}={fv} is {note}: not judged"
        ));
        out.not_judged.push(MetricNote {
            stage: stage.key().to_string(),
            facet: facet.to_string(),
            facet_value: fv.to_string(),
            metric_name: name.to_string(),
            note,
        });
        return Judged::NoInterval;
    };
    let (n, db) = (rule.neutral(name), rule.distance(name, b));
    if lo > n + db || hi < n - db {
        let mut v = BiasViolation::new(facet, fv, name, c, b);
        v.description.push_str(&format!(
            " ({}% simultaneous confidence interval [{}, {}] lies beyond it)",
            metric_text(gate.check.confidence * 100.0).trim_end_matches(".0"),
            metric_text(lo),
            metric_text(hi)
        ));
        out.violations.push(v);
    } else {
        out.not_significant.push(NotSignificant {
            stage: stage.key().to_string(),
            facet: facet.to_string(),
            facet_value: fv.to_string(),
            metric_name: name.to_string(),
            value: MetricValue::new(c),
            baseline: MetricValue::new(b),
            lower: MetricValue::new(lo),
            upper: MetricValue::new(hi),
        });
    }
    Judged::Checked
}

/// Baseline values no analysis can produce (outside the metric's range: a hand-edited
/// constraint gone wrong) or that no value can ever exceed (±Infinity, a bound of the range):
/// either way the check passes forever, so say so instead of reporting "ok". The words follow
/// "the baseline is".
pub(crate) fn unusable_baseline(name: &str, b: f64, rule: DiNeutral) -> Option<String> {
    let (lo, hi) = crate::bias::metrics::range(name)?;
    if b < lo || b > hi {
        return Some(format!(
            "{}, outside the values {name} can take [{}, {}]: no analysis produces it; it is checked as |{name} - {}| > {}",
            metric_text(b),
            metric_text(lo),
            metric_text(hi),
            metric_text(rule.neutral(name)),
            metric_text(rule.distance(name, b))
        ));
    }
    let reach = rule.distance(name, lo).max(rule.distance(name, hi));
    (rule.distance(name, b) >= reach).then(|| {
        format!(
            "{}: no value of {name} is farther from {} than that, so it can never be violated",
            metric_text(b),
            metric_text(rule.neutral(name))
        )
    })
}

#[cfg(test)]
mod tests {
    use super::check as check_fn;
    use super::*;
    use serde_json::{Value, json};

    fn sagemaker() -> Gate<'static> {
        static SIZES: std::sync::LazyLock<HashMap<(Stage, String, String), Sizes>> =
            std::sync::LazyLock::new(HashMap::new);
        static CHECK: CheckConfig = CheckConfig::DEFAULT;
        Gate {
            check: &CHECK,
            group_sizes: &SIZES,
        }
    }

    fn analysis(metrics: Value) -> AnalysisDoc {
        serde_json::from_value(json!({"version": "1.0", "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
            "facets": {"Sex": [{"value_or_threshold": "0", "metrics": metrics}]}}}))
        .unwrap()
    }

    #[test]
    fn baselines_that_can_never_be_violated_are_warned_about() {
        let base = analysis(json!([
            {"name": "DCA", "value": "-Infinity"},
            {"name": "TE", "value": "Infinity"},
            {"name": "DI", "value": -0.2},
            {"name": "DPL", "value": 1.0},
            {"name": "KL", "value": 0.3},
        ]));
        let cur = analysis(json!([
            {"name": "DCA", "value": 5.0},
            {"name": "TE", "value": -3.0},
            {"name": "DI", "value": 0.0},
            {"name": "DPL", "value": -1.0},
            {"name": "KL", "value": 0.1},
        ]));
        let out = check(&cur, &base, &sagemaker());
        assert!(out.violations.is_empty());
        assert_eq!(
            (
                out.checked,
                out.not_checked.total(),
                out.unusable_baselines.len()
            ),
            (5, 0, 4)
        );
        let about = |m: &str| {
            out.warnings
                .iter()
                .find(|w| w.starts_with(&format!("the baseline {m} ")))
                .cloned()
                .unwrap_or_default()
        };
        assert!(
            about("DCA").contains("-Infinity: no value of DCA is farther from 0.0"),
            "{:?}",
            out.warnings
        );
        assert!(about("TE").contains("can never be violated"));
        assert!(about("DPL").contains("can never be violated"));
        assert!(
            about("DI").contains("is -0.2, outside the values DI can take [0.0, Infinity]"),
            "{}",
            about("DI")
        );
        assert_eq!(about("KL"), "");
    }

    #[test]
    fn metrics_without_a_comparison_are_counted_as_not_checked() {
        let base = analysis(json!([
            {"name": "DPL", "value": 0.1},
            {"name": "GE", "value": null, "error": "x"},
        ]));
        let cur = analysis(json!([
            {"name": "DPL", "value": null, "error": "No positive labels in set"},
            {"name": "GE", "value": 0.5},
            {"name": "KL", "value": 0.5},
        ]));
        let out = check(&cur, &base, &sagemaker());
        assert_eq!(out.checked, 0);
        assert_eq!(
            out.not_checked,
            NotChecked {
                no_value: 1,
                no_baseline: 2,
                ..NotChecked::default()
            }
        );
        assert_eq!(
            out.not_checked.describe(),
            "1 without a value, 2 without a baseline value"
        );
    }

    #[test]
    fn farther_from_neutral_is_a_violation() {
        let base = analysis(json!([
            {"name": "DCR", "value": 0.027874251497005953},
            {"name": "TE", "value": 2.916666666666667},
            {"name": "DPPL", "value": 0.2},
            {"name": "DI", "value": 0.17798594847775176},
            {"name": "AD", "value": 0.1},
            {"name": "GE", "value": null, "error": "x"},
        ]));
        let cur = analysis(json!([
            {"name": "DCR", "value": -0.07650793650793647},
            {"name": "TE", "value": "Infinity"},
            {"name": "DPPL", "value": -0.1},
            // SageMaker's real batch-transform run: DI moved away from 1 but not from 0, and
            // was not a violation.
            {"name": "DI", "value": 0.08311688311688312},
            {"name": "AD", "value": 0.1},
            {"name": "GE", "value": 0.5},
        ]));
        let out = check(&cur, &base, &sagemaker());
        let names: Vec<&str> = out
            .violations
            .iter()
            .map(|v| v.metric_name.as_str())
            .collect();
        assert_eq!(names, ["DCR", "TE"]);
        assert_eq!(
            out.violations[0].description,
            "Metric value -0.07650793650793647 doesn't meet the baseline constraint requirement 0.027874251497005953"
        );
        assert_eq!(
            out.violations[1].description,
            "Metric value Infinity doesn't meet the baseline constraint requirement 2.916666666666667"
        );
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("GE") && w.contains("baseline"))
        );
    }

    /// SageMaker measures DI from 0 like every metric; `di_neutral: 1` measures it from 1.
    #[test]
    fn di_is_measured_from_zero_as_sagemaker_does_or_from_one_on_request() {
        static SIZES: std::sync::LazyLock<HashMap<(Stage, String, String), Sizes>> =
            std::sync::LazyLock::new(HashMap::new);
        let from_one = CheckConfig {
            di_neutral: DiNeutral::One,
            ..CheckConfig::DEFAULT
        };
        let one = Gate {
            check: &from_one,
            group_sizes: &SIZES,
        };
        let base = analysis(json!([{"name": "DI", "value": 0.9}]));
        let violations = |value: Value, gate: &Gate<'_>| {
            check(
                &analysis(json!([{"name": "DI", "value": value}])),
                &base,
                gate,
            )
            .violations
            .len()
        };
        for (value, sagemaker_rule, ratio_rule) in [
            (json!(1.05), 1, 0),
            (json!(0.85), 0, 1),
            (json!("Infinity"), 1, 1),
            (json!(0.9), 0, 0),
        ] {
            assert_eq!(
                violations(value.clone(), &sagemaker()),
                sagemaker_rule,
                "{value}"
            );
            assert_eq!(violations(value.clone(), &one), ratio_rule, "{value}");
        }
    }

    #[test]
    fn significant_mode_judges_by_the_whole_interval_and_skips_small_groups() {
        let base = analysis(json!([
            {"name": "DPPL", "value": 0.1},
            {"name": "DI", "value": 0.9},
            {"name": "CI", "value": 0.1},
        ]));
        let mut cur = analysis(json!([
            {"name": "DPPL", "value": 0.3},
            {"name": "DI", "value": 0.5},
            {"name": "CI", "value": 0.2},
        ]));
        let iv = |lo: f64, hi: f64| json!({"lower": lo, "upper": hi, "confidence": 0.95, "resamples": 1000});
        cur.driftwatch = Some(
            serde_json::from_value(
                json!({"version": "t", "intervals": {"post_training_bias_metrics": {"Sex": {"0": {
                // Wholly beyond 0.1: a violation. DI: [0.6, 0.95] reaches back within 1 ± 0.1.
                "DPPL": iv(0.15, 0.45), "DI": iv(0.6, 0.95),
                "CI": {"confidence": 0.95, "resamples": 1000, "note": "cannot"}}}}}}),
            )
            .unwrap(),
        );
        let check = CheckConfig {
            mode: CheckMode::Significant,
            di_neutral: DiNeutral::One,
            ..CheckConfig::default()
        };
        let key = (Stage::PostTraining, "Sex".to_string(), "0".to_string());
        let sized = |n| Sizes {
            smaller_side: n,
            groups: 0,
            smallest_group: 0,
        };
        let sizes: HashMap<_, _> = [(key.clone(), sized(40))].into_iter().collect();
        let gate = Gate {
            check: &check,
            group_sizes: &sizes,
        };
        let out = check_fn(&cur, &base, &gate);
        assert_eq!(out.violations.len(), 1, "{out:?}");
        assert_eq!(
            out.violations[0].description,
            "Metric value 0.3 doesn't meet the baseline constraint requirement 0.1 (95% simultaneous confidence interval [0.15, 0.45] lies beyond it)"
        );
        assert_eq!(out.not_significant.len(), 1);
        assert_eq!(out.not_significant[0].metric_name, "DI");
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("CI") && w.contains("not judged"))
        );
        // A group under min_records is not judged, and says so.
        let small: HashMap<_, _> = [(key, sized(12))].into_iter().collect();
        let out = check_fn(
            &cur,
            &base,
            &Gate {
                check: &check,
                group_sizes: &small,
            },
        );
        assert!(out.violations.is_empty());
        assert_eq!(out.insufficient.len(), 1);
        assert_eq!(out.insufficient[0].records, 12);
    }
}

//! `dashboard.json`: driftwatch's own file beside a schedule's dated folders, one entry per
//! execution with what the dashboard charts. The page is rebuilt from this one small file
//! after every execution, instead of from every folder of the history.
//!
//! Values are rounded to 6 significant digits (a chart needs no more; the reports and
//! analysis.json keep the exact ones). Each execution holds its values by position in
//! `series`, with one flag character per position (`Verdict::flag`), so a history grows by
//! about 460 bytes per execution for 21 metrics (4 MB a year, hourly).

use crate::sagemaker::verdict::DiNeutral;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sagemaker::data_quality::{DataViolations, Statistics};
use crate::sagemaker::model_quality::ModelQualityStatistics;
use crate::sagemaker::time::rfc3339;
use crate::sagemaker::verdict::{Verdict, bias_verdict};
use crate::sagemaker::{
    AnalysisDoc, ConstraintViolations, ExecutionRecord, FailureClass, MetricValue, MonitoringType,
    Status,
};

/// Bumped when the file's shape changes; an older file is rebuilt from the ledger.
pub const FORMAT: u32 = 1;

/// How many features' global SHAP values each execution keeps per label: the largest.
pub const TOP_FEATURES: usize = 8;

/// A flag for a position an execution has no value for (the series appeared later).
pub const ABSENT: char = ' ';

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub format: u32,
    pub schedule: String,
    pub endpoint: String,
    pub monitoring_type: MonitoringType,
    /// What position i of every execution's `values` and `flags` is.
    pub series: Vec<Series>,
    /// In scheduled-time order, one per time.
    pub executions: Vec<Point>,
}

/// What a series measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeriesKey {
    Bias {
        stage: String,
        facet: String,
        facet_value: String,
        metric: String,
    },
    /// Attribution drift: the nDCG of a label's global SHAP values against the baseline's.
    Ndcg { label: String },
    /// One feature's global SHAP value for a label.
    Shap { label: String, feature: String },
    /// A data-quality feature's baseline drift distance.
    Drift { feature: String },
    /// A data-quality feature's share of present values.
    Completeness { feature: String },
    /// A model-quality metric measured on the labelled records (its constraint's threshold
    /// the series' baseline).
    Quality { metric: String },
    /// A model-quality metric estimated without labels (never a measurement).
    Estimated { metric: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    #[serde(flatten)]
    pub key: SeriesKey,
    /// The constraint as of the latest execution: the baseline value (bias metric, SHAP
    /// value) or the nDCG threshold.
    #[serde(default)]
    pub baseline: MetricValue,
    /// What a bias metric is measured from, as of the latest execution (0, or 1 for DI
    /// judged with `check: {di_neutral: 1}`): the allowed band is drawn around it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub neutral: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    #[serde(with = "rfc3339")]
    pub scheduled_time: DateTime<Utc>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_class: Option<FailureClass>,
    pub records: usize,
    pub violations: usize,
    pub not_computed: usize,
    pub not_checked: usize,
    /// Why metrics were not computed: the distinct errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_computed_reasons: Vec<String>,
    /// The execution's report, relative to the schedule's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    pub values: Vec<MetricValue>,
    pub flags: String,
}

impl Point {
    /// The flag at series position `i` (`ABSENT` past the end).
    pub fn flag(&self, i: usize) -> char {
        self.flags.chars().nth(i).unwrap_or(ABSENT)
    }

    pub fn value(&self, i: usize) -> Option<f64> {
        self.values.get(i).and_then(|v| v.get())
    }
}

/// What one execution left: its record and, when it completed, its files.
pub struct Execution<'a> {
    pub record: &'a ExecutionRecord,
    pub analysis: Option<&'a AnalysisDoc>,
    pub violations: Option<&'a ConstraintViolations>,
    /// A data-quality execution's statistics.json and constraint_violations.json.
    pub data_quality: Option<(&'a Statistics, Option<&'a DataViolations>)>,
    /// A model-quality execution's statistics.json (its checks in driftwatch's block).
    pub model_quality: Option<&'a ModelQualityStatistics>,
    /// The report's path relative to the schedule's folder, when there is one.
    pub report: Option<String>,
}

/// The baseline an execution was judged against (the schedule's current one).
#[derive(Clone, Copy)]
pub struct Constraints<'a> {
    pub baseline: Option<&'a AnalysisDoc>,
}

/// `x` to 6 significant digits (±∞ kept).
fn round6(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{x:.5e}").parse().unwrap_or(x)
}

impl History {
    pub fn new(schedule: &str, endpoint: &str, monitoring_type: MonitoringType) -> Self {
        Self {
            format: FORMAT,
            schedule: schedule.to_string(),
            endpoint: endpoint.to_string(),
            monitoring_type,
            series: Vec::new(),
            executions: Vec::new(),
        }
    }

    fn position(&mut self, key: SeriesKey, baseline: Option<f64>, latest: bool) -> usize {
        let i = match self.series.iter().position(|s| s.key == key) {
            Some(i) => i,
            None => {
                self.series.push(Series {
                    key,
                    baseline: MetricValue::default(),
                    neutral: 0.0,
                });
                self.series.len() - 1
            }
        };
        if latest {
            self.series[i].baseline = MetricValue::from(baseline);
        }
        i
    }

    /// Adds (or replaces) the entry of `e`'s scheduled time. The series' constraints follow
    /// the latest execution's.
    pub fn upsert(&mut self, e: &Execution<'_>, constraints: Constraints<'_>) {
        let t = e.record.scheduled_time;
        let latest = self.executions.last().is_none_or(|p| p.scheduled_time <= t);
        let mut cells: Vec<(usize, Option<f64>, char)> = Vec::new();
        if let Some(a) = e.analysis {
            for m in a.metrics() {
                let key = SeriesKey::Bias {
                    stage: m.stage.key().to_string(),
                    facet: m.facet.to_string(),
                    facet_value: m.facet_value.to_string(),
                    metric: m.metric.name.clone(),
                };
                let base = constraints.baseline.and_then(|b| {
                    b.metric(m.stage, m.facet, m.facet_value, &m.metric.name)
                        .and_then(|x| x.value.get())
                });
                let i = self.position(key, base, latest);
                if latest {
                    self.series[i].neutral = DiNeutral::of(a).neutral(&m.metric.name);
                }
                let verdict = bias_verdict(a, &m, constraints.baseline, e.violations);
                cells.push((i, m.value(), verdict.flag()));
            }
            self.shap_cells(a, e.violations, constraints, latest, &mut cells);
        }
        if let Some((stats, violations)) = e.data_quality {
            self.data_quality_cells(stats, violations, latest, &mut cells);
        }
        if let Some(stats) = e.model_quality {
            self.model_quality_cells(stats, latest, &mut cells);
        }
        let width = cells.iter().map(|c| c.0 + 1).max().unwrap_or(0);
        let mut values = vec![MetricValue::default(); width];
        let mut flags = vec![ABSENT; width];
        for (i, v, f) in cells {
            values[i] = MetricValue::from(v.map(round6));
            flags[i] = f;
        }
        let r = e.record;
        let mut reasons: Vec<String> = Vec::new();
        for m in e.analysis.into_iter().flat_map(|a| a.metrics()) {
            if let Some(err) = &m.metric.error
                && !reasons.contains(err)
            {
                reasons.push(err.clone());
            }
        }
        let point = Point {
            scheduled_time: t,
            status: r.status,
            failure_reason: r.failure_reason.clone(),
            failure_class: r.failure_class,
            records: r.counts.records_merged,
            violations: r.counts.violations,
            not_computed: r.counts.metrics_not_computed,
            not_checked: r.counts.metrics_not_checked,
            not_computed_reasons: reasons,
            report: e.report.clone(),
            values,
            flags: flags.into_iter().collect(),
        };
        match self
            .executions
            .binary_search_by_key(&t, |p| p.scheduled_time)
        {
            Ok(i) => self.executions[i] = point,
            Err(i) => self.executions.insert(i, point),
        }
    }

    /// nDCG per label, and the largest global SHAP values per label (and a text model's top
    /// units).
    fn shap_cells(
        &mut self,
        a: &AnalysisDoc,
        violations: Option<&ConstraintViolations>,
        constraints: Constraints<'_>,
        latest: bool,
        cells: &mut Vec<(usize, Option<f64>, char)>,
    ) {
        let Some(labels) = a.kernel_shap() else {
            return;
        };
        let noise = |label: &str| {
            a.driftwatch.as_ref().is_some_and(|d| {
                d.not_significant
                    .iter()
                    .any(|n| n.metric_name == "nDCG" && n.facet_value == label)
            })
        };
        for (label, l) in labels.iter() {
            let ndcg = a.ndcg(label);
            let flag = if violations.is_some_and(|v| v.attribution().any(|x| x.label == label)) {
                Verdict::Violation.flag()
            } else if noise(label) {
                Verdict::WithinNoise.flag()
            } else if ndcg.is_some() {
                Verdict::Ok.flag()
            } else {
                Verdict::NoBaseline.flag()
            };
            let threshold = a.driftwatch.as_ref().and_then(|d| d.ndcg_threshold);
            let i = self.position(
                SeriesKey::Ndcg {
                    label: label.to_string(),
                },
                threshold,
                latest,
            );
            cells.push((i, ndcg, flag));
            let mut top: Vec<(&str, f64)> = l
                .global_shap_values
                .iter()
                .filter_map(|(f, v)| Some((f, v.get()?)))
                .collect();
            top.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(y.0)));
            for (feature, v) in top.into_iter().take(TOP_FEATURES) {
                let base = constraints
                    .baseline
                    .and_then(|b| b.kernel_shap()?.get(label)?.global_shap_values.get(feature))
                    .and_then(|x| x.get());
                let i = self.position(
                    SeriesKey::Shap {
                        label: label.to_string(),
                        feature: feature.to_string(),
                    },
                    base,
                    latest,
                );
                cells.push((i, Some(v), Verdict::NoBaseline.flag()));
            }
            // A text model: the window's top units too (series named `column · unit`), each
            // with the baseline's value for the same unit.
            for (column, units) in l.global_top_shap_text.iter() {
                for (unit, v) in units.iter().take(TOP_FEATURES) {
                    let base = constraints
                        .baseline
                        .and_then(|b| {
                            b.kernel_shap()?
                                .get(label)?
                                .global_top_shap_text
                                .get(column)?
                                .get(unit)
                        })
                        .and_then(|x| x.get());
                    let i = self.position(
                        SeriesKey::Shap {
                            label: label.to_string(),
                            feature: format!("{column} · {unit}"),
                        },
                        base,
                        latest,
                    );
                    cells.push((i, v.get(), Verdict::NoBaseline.flag()));
                }
            }
        }
    }

    /// Each feature's drift distance (its threshold the series' constraint) and completeness.
    fn data_quality_cells(
        &mut self,
        stats: &Statistics,
        violations: Option<&DataViolations>,
        latest: bool,
        cells: &mut Vec<(usize, Option<f64>, char)>,
    ) {
        let violates = |feature: &str, check: &str| {
            violations.is_some_and(|v| {
                v.violations
                    .iter()
                    .any(|x| x.feature_name == feature && x.constraint_check_type == check)
            })
        };
        let block = stats.driftwatch.as_ref();
        let not_checked = |feature: &str, check: &str| {
            block.is_some_and(|b| {
                b.not_checked.iter().any(|n| {
                    n.feature_name == feature
                        && (n.constraint_check_type == check || n.constraint_check_type == "all")
                })
            })
        };
        for d in block.iter().flat_map(|b| &b.baseline_drift) {
            let i = self.position(
                SeriesKey::Drift {
                    feature: d.name.clone(),
                },
                Some(d.threshold),
                latest,
            );
            let flag = if d.violation {
                Verdict::Violation.flag()
            } else {
                Verdict::Ok.flag()
            };
            cells.push((i, Some(d.distance), flag));
        }
        for f in &stats.features {
            let common = f
                .numerical_statistics
                .as_ref()
                .map(|n| n.common)
                .or_else(|| f.string_statistics.as_ref().map(|s| s.common));
            let Some(c) = common.filter(|c| c.num_present + c.num_missing > 0) else {
                continue;
            };
            let i = self.position(
                SeriesKey::Completeness {
                    feature: f.name.clone(),
                },
                None,
                latest,
            );
            let flag = if violates(&f.name, "completeness_check") {
                Verdict::Violation.flag()
            } else if block.is_none() || not_checked(&f.name, "completeness_check") {
                Verdict::NoBaseline.flag()
            } else {
                Verdict::Ok.flag()
            };
            let share = c.num_present as f64 / (c.num_present + c.num_missing) as f64;
            cells.push((i, Some(share), flag));
        }
    }

    /// Each metric measured (the constrained ones, or all when there are no constraints;
    /// the best-constant references left out) and each estimated.
    fn model_quality_cells(
        &mut self,
        stats: &ModelQualityStatistics,
        latest: bool,
        cells: &mut Vec<(usize, Option<f64>, char)>,
    ) {
        let block = stats.driftwatch.as_ref();
        let checks = block.map(|b| b.checks.as_slice()).unwrap_or_default();
        for (name, m) in stats.scalars() {
            if name.contains("best_constant") {
                continue;
            }
            let check = checks.iter().find(|c| c.metric_name == name);
            let i = self.position(
                SeriesKey::Quality {
                    metric: name.clone(),
                },
                check.map(|c| c.threshold),
                latest,
            );
            let flag = match check {
                Some(c) if c.violation => Verdict::Violation.flag(),
                Some(_) => Verdict::Ok.flag(),
                None => Verdict::NoBaseline.flag(),
            };
            cells.push((i, m.value.is_finite().then_some(m.value), flag));
        }
        for e in block
            .and_then(|b| b.estimate.as_ref())
            .iter()
            .flat_map(|e| &e.metrics)
        {
            let i = self.position(
                SeriesKey::Estimated {
                    metric: e.metric_name.clone(),
                },
                None,
                latest,
            );
            cells.push((i, Some(e.value), Verdict::NoBaseline.flag()));
        }
    }

    pub fn latest(&self) -> Option<&Point> {
        self.executions.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(hour: u32, status: Status) -> ExecutionRecord {
        serde_json::from_value(serde_json::json!({
            "schedule": "s", "monitoring_type": "ModelBias", "endpoint": "ep",
            "scheduled_time": format!("2024-01-19T{hour:02}:00:00Z"),
            "window_start": "2024-01-19T00:00:00Z", "window_end": "2024-01-19T01:00:00Z",
            "status": status, "failure_reason": null, "started_at": "2024-01-19T12:00:00Z",
            "finished_at": "2024-01-19T12:00:01Z", "duration_seconds": 1.0,
            "counts": crate::sagemaker::Counts::default(), "malformed": [], "warnings": [],
            "timings": {}, "outputs": {"analysis": null, "constraint_violations": null, "metrics": null, "record": ""},
            "metrics_destination": "local", "metrics_published": true, "metrics_error": null,
            "metrics_datums": 0, "driftwatch_version": "t"}))
        .unwrap()
    }

    fn analysis(facets: &[(&str, f64)]) -> AnalysisDoc {
        let entries: Vec<serde_json::Value> = facets
            .iter()
            .map(|(v, x)| serde_json::json!({"value_or_threshold": v, "metrics": [
                {"name": "DPL", "description": "d", "value": x},
                {"name": "KL", "description": "k", "value": null, "error": "No positive labels in set"}]}))
            .collect();
        serde_json::from_value(serde_json::json!({"version": "1.0",
            "pre_training_bias_metrics": {"label": "y", "facets": {"sex": entries}}}))
        .unwrap()
    }

    #[test]
    fn executions_stay_in_time_order_and_series_keep_their_positions() {
        let mut h = History::new("s", "ep", MonitoringType::ModelBias);
        let base = analysis(&[("0", 0.1)]);
        let c = Constraints {
            baseline: Some(&base),
        };
        let (r12, r10) = (record(12, Status::Completed), record(10, Status::Completed));
        let a12 = analysis(&[("0", 0.05)]);
        h.upsert(
            &Execution {
                record: &r12,
                analysis: Some(&a12),
                violations: None,
                data_quality: None,
                model_quality: None,
                report: Some("2024/01/19/12/report.html".into()),
            },
            c,
        );
        // An older time arrives later (a backfill), with a facet value not seen before.
        let a10 = analysis(&[("1", 0.5), ("0", 0.123456789)]);
        h.upsert(
            &Execution {
                record: &r10,
                analysis: Some(&a10),
                violations: None,
                data_quality: None,
                model_quality: None,
                report: None,
            },
            c,
        );
        let hours: Vec<u32> = h
            .executions
            .iter()
            .map(|p| chrono::Timelike::hour(&p.scheduled_time))
            .collect();
        assert_eq!(hours, [10, 12]);
        assert_eq!(h.series.len(), 4, "DPL and KL for sex=0 and sex=1");
        let first = &h.executions[0];
        assert_eq!(first.value(0), Some(0.123457));
        assert_eq!(first.flag(0), 'o');
        assert_eq!(first.flag(1), 'n', "KL was not computed");
        assert_eq!(first.flag(2), '-', "sex=1 is not in the baseline");
        assert_eq!(h.executions[1].flag(3), ABSENT);
        assert_eq!(first.not_computed_reasons, ["No positive labels in set"]);
        // The baseline of the latest execution is the series' constraint; a failed re-run at
        // 12:00 replaces its entry.
        assert_eq!(h.series[0].baseline.get(), Some(0.1));
        let failed = record(12, Status::Failed);
        h.upsert(
            &Execution {
                record: &failed,
                analysis: None,
                violations: None,
                data_quality: None,
                model_quality: None,
                report: None,
            },
            c,
        );
        assert_eq!(h.executions.len(), 2);
        assert_eq!(h.executions[1].status, Status::Failed);
        assert_eq!(h.executions[1].flags, "");
        let back: History = serde_json::from_slice(&serde_json::to_vec(&h).unwrap()).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn six_significant_digits() {
        assert_eq!(round6(0.123456789), 0.123457);
        assert_eq!(round6(-12345.678), -12345.7);
        assert_eq!(round6(f64::INFINITY), f64::INFINITY);
        assert_eq!(round6(0.0), 0.0);
    }
}

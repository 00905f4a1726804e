//! What an execution's files say about one metric: the verdict a report's "check" column and
//! the dashboard's markers show. One reading of the files for every page, so no page can say
//! "ok" where the check did not compare anything.

use super::analysis::{AnalysisDoc, MetricAt, MetricNote};
use super::violations::ConstraintViolations;

/// Where the bias drift check measures a metric from: a metric violates its baseline when
/// it is farther from neutral than the baseline is.
///
/// SageMaker's service measures every metric from 0, DI included (|current| > |baseline|):
/// in a real batch-transform run (tests/fixtures/sagemaker_batch) DI went from 0.178 to 0.083,
/// farther from DI's own neutral value 1, and SageMaker did not flag it. That is the default.
/// DI is a ratio whose neutral value is 1, so `check: {di_neutral: 1}` judges it by
/// |DI − 1| instead; an analysis judged so records `driftwatch.di_neutral: 1`, and every page
/// draws its allowed band from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiNeutral {
    /// SageMaker's rule: DI measured from 0, like every metric.
    #[default]
    Zero,
    /// DI measured from 1, its neutral value.
    One,
}

impl DiNeutral {
    /// How `analysis` was judged (its `driftwatch.di_neutral`).
    pub fn of(analysis: &AnalysisDoc) -> Self {
        match analysis.driftwatch.as_ref().and_then(|d| d.di_neutral) {
            Some(1.0) => Self::One,
            _ => Self::Zero,
        }
    }

    /// What an analysis records (None for SageMaker's rule, so its files stay SageMaker's).
    pub fn recorded(self) -> Option<f64> {
        match self {
            Self::Zero => None,
            Self::One => Some(1.0),
        }
    }

    pub fn neutral(self, metric: &str) -> f64 {
        match (self, metric) {
            (Self::One, "DI") => 1.0,
            _ => 0.0,
        }
    }

    pub fn distance(self, metric: &str, x: f64) -> f64 {
        (x - self.neutral(metric)).abs()
    }

    /// The band a metric may move in without violating `baseline`.
    pub fn allowed_band(self, metric: &str, baseline: f64) -> (f64, f64) {
        band_around(self.neutral(metric), baseline)
    }
}

/// The band around `neutral` that `baseline` allows: [n − d, n + d], d = |baseline − n|.
pub fn band_around(neutral: f64, baseline: f64) -> (f64, f64) {
    let d = (baseline - neutral).abs();
    (neutral - d, neutral + d)
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// No value: the metric's error (smclarify's message).
    NotComputed(String),
    Violation,
    /// Not judged (significant mode): too few records, or no interval.
    NotJudged(String),
    /// Beyond the baseline, but its interval reaches back within it: sampling noise.
    WithinNoise,
    /// Judged against a constraint that can never be violated.
    MeaninglessBaseline(String),
    Ok,
    /// The baseline has no value for this metric.
    NoBaselineValue,
    /// No baseline: nothing to check against.
    NoBaseline,
}

impl Verdict {
    /// One character per verdict, for compact histories: `V` violation, `o` ok, `~` within
    /// noise, `s` not judged, `m` meaningless baseline, `n` not computed, `-` not checked.
    pub fn flag(&self) -> char {
        match self {
            Self::Violation => 'V',
            Self::Ok => 'o',
            Self::WithinNoise => '~',
            Self::NotJudged(_) => 's',
            Self::MeaninglessBaseline(_) => 'm',
            Self::NotComputed(_) => 'n',
            Self::NoBaselineValue | Self::NoBaseline => '-',
        }
    }

    /// The words a page shows: never "ok" unless the metric was compared with a usable
    /// constraint.
    pub fn text(&self) -> String {
        match self {
            Self::NotComputed(e) => format!("not computed: {e}"),
            Self::Violation => "violation".into(),
            Self::NotJudged(why) => format!("not judged: {why}"),
            Self::WithinNoise => "within noise".into(),
            Self::MeaninglessBaseline(why) => format!("not checked: {why}"),
            Self::Ok => "ok".into(),
            Self::NoBaselineValue => "not checked: no baseline value".into(),
            Self::NoBaseline => String::new(),
        }
    }
}

fn same(n: &MetricNote, m: &MetricAt<'_>) -> bool {
    n.stage == m.stage.key()
        && n.facet == m.facet
        && n.facet_value == m.facet_value
        && n.metric_name == m.metric.name
}

/// The verdict on bias metric `m` of `analysis`, given the baseline it was checked against
/// (if any) and the violations file (if any).
pub fn bias_verdict(
    analysis: &AnalysisDoc,
    m: &MetricAt<'_>,
    baseline: Option<&AnalysisDoc>,
    violations: Option<&ConstraintViolations>,
) -> Verdict {
    let name = m.metric.name.as_str();
    if m.metric.value.get().is_none() {
        return Verdict::NotComputed(m.metric.error.clone().unwrap_or_else(|| "no value".into()));
    }
    let violated = violations.is_some_and(|v| {
        v.bias()
            .any(|x| x.facet == m.facet && x.facet_value == m.facet_value && x.metric_name == name)
    });
    if violated {
        return Verdict::Violation;
    }
    let block = analysis.driftwatch.as_ref();
    let small = block.and_then(|d| {
        d.insufficient_data.iter().find(|i| {
            i.stage == m.stage.key()
                && i.facet == m.facet
                && i.facet_value == m.facet_value
                && i.metric_name.as_deref().is_none_or(|n| n == name)
        })
    });
    if let Some(i) = small {
        return Verdict::NotJudged(format!("{} < {} records", i.records, i.min_records));
    }
    if let Some(n) = block.and_then(|d| d.not_judged.iter().find(|n| same(n, m))) {
        return Verdict::NotJudged(n.note.clone());
    }
    let noise = block.is_some_and(|d| {
        d.not_significant.iter().any(|n| {
            n.stage == m.stage.key()
                && n.facet == m.facet
                && n.facet_value == m.facet_value
                && n.metric_name == name
        })
    });
    if noise {
        return Verdict::WithinNoise;
    }
    let Some(baseline) = baseline else {
        return Verdict::NoBaseline;
    };
    if baseline
        .metric(m.stage, m.facet, m.facet_value, name)
        .and_then(|b| b.value.get())
        .is_none()
    {
        return Verdict::NoBaselineValue;
    }
    if let Some(n) = block.and_then(|d| d.unusable_baselines.iter().find(|n| same(n, m))) {
        return Verdict::MeaninglessBaseline(n.note.clone());
    }
    Verdict::Ok
}

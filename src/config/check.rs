//! How an execution's analysis is judged against its baseline: SageMaker's rule (the point
//! value farther from neutral than the baseline's), or driftwatch's statistically gated rule
//! (the whole confidence interval beyond it), and the settings of the intervals.

use serde_json::Value;

use super::node::{MapReader, Node, describe};
use super::problems::Problems;
use crate::sagemaker::verdict::DiNeutral;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckMode {
    /// SageMaker's check: a violation whenever the point value is beyond the baseline.
    Sagemaker,
    /// A violation only when the whole confidence interval is beyond the baseline; facet
    /// groups smaller than `min_records` are not judged.
    Significant,
}

impl CheckMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sagemaker => "sagemaker",
            Self::Significant => "significant",
        }
    }
}

/// Which CDF a data-quality schedule's numeric drift distance reads (`drift_cdf`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DriftCdf {
    /// Deequ's: a value repeated in a sketch counts once (deequ#392), as every SageMaker
    /// baseline was judged.
    #[default]
    Sagemaker,
    /// Every sketch item with its weight: the real CDF.
    Weighted,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckConfig {
    pub mode: CheckMode,
    /// Of the bootstrap intervals (default 0.95).
    pub confidence: f64,
    /// Bootstrap resamples (default 1,000).
    pub resamples: usize,
    /// Facet groups (either side of a facet split) with fewer records are not judged in
    /// `significant` mode (default 30).
    pub min_records: u64,
    /// Seeds the bootstrap: the same data give the same intervals.
    pub seed: u64,
    /// The nDCG below which attribution drift is a violation (default: the analysis
    /// config's `driftwatch.ndcg_threshold`, else SageMaker's 0.9).
    pub ndcg_threshold: Option<f64>,
    /// Whether intervals are computed at all (they are shown in reports and published even
    /// in `sagemaker` mode).
    pub intervals: bool,
    /// Where DI is measured from: 0 as SageMaker's service does (default), or 1.
    pub di_neutral: DiNeutral,
    /// Data quality: the CDF numeric drift distances read.
    pub drift_cdf: DriftCdf,
}

impl CheckConfig {
    /// SageMaker's rule with 95 % intervals of 1,000 resamples (a `const`, so statics can use it).
    pub const DEFAULT: Self = Self {
        mode: CheckMode::Sagemaker,
        confidence: 0.95,
        resamples: 1000,
        min_records: 30,
        seed: 0,
        ndcg_threshold: None,
        intervals: true,
        di_neutral: DiNeutral::Zero,
        drift_cdf: DriftCdf::Sagemaker,
    };
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The most resamples a simultaneous interval draws (a cap on the cost of many facets).
pub const MAX_RESAMPLES: usize = 100_000;

impl CheckConfig {
    /// Each interval's confidence and resamples when an execution judges `comparisons`
    /// values. In significant mode the intervals are simultaneous (Bonferroni): a window
    /// without drift raises any violation with probability at most 1 − `confidence` — the
    /// alert's error rate, not each metric's — and enough resamples are drawn for at least
    /// 20 beyond each bound. In sagemaker mode they are plain `confidence` intervals.
    pub fn interval_settings(&self, comparisons: usize) -> (f64, usize) {
        match self.mode {
            CheckMode::Sagemaker => (self.confidence, self.resamples),
            CheckMode::Significant => {
                let per = 1.0 - (1.0 - self.confidence) / comparisons.max(1) as f64;
                let needed = (40.0 / (1.0 - per)).ceil() as usize;
                (per, self.resamples.max(needed).min(MAX_RESAMPLES))
            }
        }
    }
}

pub const CHECK_KEYS: &[&str] = &[
    "mode",
    "di_neutral",
    "confidence",
    "resamples",
    "min_records",
    "seed",
    "ndcg_threshold",
    "intervals",
    "drift_cdf",
];

impl CheckConfig {
    /// Reads a `check:` mapping; `path` names it in problems.
    pub fn read(path: &str, value: &Value, problems: &mut Problems) -> Option<Self> {
        let m = MapReader::new(path, value, problems)?;
        m.reject_unknown(CHECK_KEYS, problems);
        let before = problems.len();
        let mut out = Self::default();
        if let Some(v) = m.get("mode") {
            match Node::new(&m.child_path("mode"), v).as_str(problems) {
                Some("sagemaker") => out.mode = CheckMode::Sagemaker,
                Some("significant") => out.mode = CheckMode::Significant,
                Some(other) => problems.push(
                    m.child_path("mode"),
                    format!("must be sagemaker or significant, got {other:?}"),
                ),
                None => {}
            }
        }
        if let Some(v) = m.get("di_neutral") {
            match Node::new(&m.child_path("di_neutral"), v).as_f64(problems) {
                Some(0.0) => out.di_neutral = DiNeutral::Zero,
                Some(1.0) => out.di_neutral = DiNeutral::One,
                Some(x) => problems.push(
                    m.child_path("di_neutral"),
                    format!(
                        "must be 0 (SageMaker's rule: |DI| against |baseline|) or 1 (|DI - 1| against |baseline - 1|), got {x}"
                    ),
                ),
                None => {}
            }
        }
        if let Some(v) = m.get("drift_cdf") {
            match Node::new(&m.child_path("drift_cdf"), v).as_str(problems) {
                Some("sagemaker") => out.drift_cdf = DriftCdf::Sagemaker,
                Some("weighted") => out.drift_cdf = DriftCdf::Weighted,
                Some(other) => problems.push(
                    m.child_path("drift_cdf"),
                    format!(
                        "must be sagemaker (Deequ's rank map, a repeated value counted once) or weighted (every value counted), got {other:?}"
                    ),
                ),
                None => {}
            }
        }
        if let Some(v) = m.get("confidence") {
            match Node::new(&m.child_path("confidence"), v).as_f64(problems) {
                Some(c) if c > 0.5 && c < 1.0 => out.confidence = c,
                Some(c) => problems.push(
                    m.child_path("confidence"),
                    format!("must be between 0.5 and 1 (exclusive), got {c}"),
                ),
                None => {}
            }
        }
        let int = |key: &str, lo: i64, hi: i64, problems: &mut Problems| {
            m.get(key)
                .and_then(|v| Node::new(&m.child_path(key), v).as_int_in(lo, hi, problems))
        };
        if let Some(r) = int("resamples", 100, 100_000, problems) {
            out.resamples = r as usize;
        }
        if let Some(r) = int("min_records", 0, i64::from(u32::MAX), problems) {
            out.min_records = r as u64;
        }
        if let Some(s) = int("seed", 0, i64::MAX, problems) {
            out.seed = s as u64;
        }
        if let Some(v) = m.get("ndcg_threshold") {
            match Node::new(&m.child_path("ndcg_threshold"), v).as_f64(problems) {
                Some(t) if (0.0..=1.0).contains(&t) => out.ndcg_threshold = Some(t),
                Some(t) => problems.push(
                    m.child_path("ndcg_threshold"),
                    format!("must be between 0 and 1, got {t}"),
                ),
                None => {}
            }
        }
        if let Some(v) = m.get("intervals") {
            match v {
                Value::Bool(b) => out.intervals = *b,
                other => problems.push(
                    m.child_path("intervals"),
                    format!("must be true or false, got {}", describe(other)),
                ),
            }
        }
        if out.mode == CheckMode::Significant && !out.intervals {
            problems.push(
                m.child_path("intervals"),
                "significant mode judges by the intervals: they cannot be turned off",
            );
        }
        (problems.len() == before).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_drift_cdf() {
        let mut p = Problems::new();
        let c = CheckConfig::read("check", &json!({"drift_cdf": "weighted"}), &mut p).unwrap();
        assert_eq!(c.drift_cdf, DriftCdf::Weighted);
        assert_eq!(CheckConfig::default().drift_cdf, DriftCdf::Sagemaker);
        assert!(CheckConfig::read("check", &json!({"drift_cdf": "true"}), &mut p).is_none());
        let text: Vec<String> = p.into_vec().iter().map(|x| x.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("check.drift_cdf: must be sagemaker")),
            "{text:?}"
        );
    }

    #[test]
    fn reads_the_check_block() {
        let mut p = Problems::new();
        let c = CheckConfig::read(
            "check",
            &json!({"mode": "significant", "confidence": 0.9, "resamples": 500, "min_records": 20}),
            &mut p,
        )
        .unwrap();
        assert_eq!(c.mode, CheckMode::Significant);
        assert_eq!((c.confidence, c.resamples, c.min_records), (0.9, 500, 20));
        assert_eq!(c.di_neutral, DiNeutral::Zero, "SageMaker's rule by default");
        let mut p = Problems::new();
        let c = CheckConfig::read("check", &json!({"di_neutral": 1}), &mut p).unwrap();
        assert_eq!(c.di_neutral, DiNeutral::One);
        let mut p = Problems::new();
        assert!(CheckConfig::read("check", &json!({"di_neutral": 0.5}), &mut p).is_none());
        assert!(
            p.into_vec()[0]
                .to_string()
                .starts_with("check.di_neutral: must be 0 (SageMaker's rule"),
        );
        let mut p = Problems::new();
        assert!(
            CheckConfig::read("check", &json!({"mode": "strict", "resamples": 5}), &mut p)
                .is_none()
        );
        let text: Vec<String> = p.into_vec().iter().map(|x| x.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("check.mode: must be sagemaker or significant")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("check.resamples:")),
            "{text:?}"
        );
    }
}

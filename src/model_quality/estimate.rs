//! Label-free estimates of binary-classification metrics (confidence-based performance
//! estimation, as NannyML's CBPE): if the scores are calibrated, a record scored `p` is
//! positive with probability `p`, so every confusion count has a known expectation and
//! variance (a sum of independent Bernoulli draws) — without a single label.
//!
//! Expected counts: TP = Σ p over the records predicted positive, FN = Σ p over those
//! predicted negative (FP and TN the complements). Accuracy's variance is exact (Σ p(1−p)
//! over n²); precision, recall and F1 are ratios of the two independent sums, their variance
//! by the delta method; the AUC is the trapezoid area under the expected ROC curve (each
//! distinct score's expected positives and negatives), its deviation Hanley and McNeil's.
//! Intervals are normal at 95 %.
//!
//! The estimate is only as good as the calibration: [`CalibrationState`] tests it on the
//! records whose labels have arrived (calibration in the large, and Spiegelhalter's z).

use std::collections::BTreeMap;

use super::{score_key as key, score_of_key as unkey};
use crate::sagemaker::model_quality::{Calibration, EstimateError, EstimatedMetric};
use crate::stats::normal;

/// The estimate's mergeable state over some scored records: per distinct score, the
/// records predicted positive and negative. Every sum is taken from it in score order when
/// the metrics are computed, so how records were split into objects and shards never
/// changes a bit of the estimate.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EstimateState {
    pub n: u64,
    /// Score (order key) → (predicted positive, predicted negative) records.
    scores: BTreeMap<u64, (u64, u64)>,
    /// Scores outside [0, 1]: not probabilities, so nothing is estimated.
    pub out_of_range: u64,
}

/// The 95 % estimate's critical value.
const CONFIDENCE: f64 = 0.95;

/// The sums the estimate is made of.
struct Sums {
    predicted_positive: f64,
    /// Σ p over the records predicted positive / negative.
    tp: f64,
    fn_: f64,
    /// Σ p(1−p) over the records predicted positive / negative.
    var_pos: f64,
    var_neg: f64,
}

impl EstimateState {
    /// One record: its score and predicted label.
    pub fn add(&mut self, score: f64, predicted: bool) {
        if !(0.0..=1.0).contains(&score) {
            self.out_of_range += 1;
            return;
        }
        self.n += 1;
        let e = self.scores.entry(key(score)).or_default();
        if predicted {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }

    /// `n` records alike.
    pub fn add_count(&mut self, score: f64, predicted: bool, n: u64) {
        if !(0.0..=1.0).contains(&score) {
            self.out_of_range += n;
            return;
        }
        self.n += n;
        let e = self.scores.entry(key(score)).or_default();
        if predicted {
            e.0 += n;
        } else {
            e.1 += n;
        }
    }

    pub fn merge(&mut self, o: &Self) {
        self.n += o.n;
        self.out_of_range += o.out_of_range;
        for (k, (a, b)) in &o.scores {
            let e = self.scores.entry(*k).or_default();
            e.0 += a;
            e.1 += b;
        }
    }

    fn sums(&self) -> Sums {
        let mut s = Sums {
            predicted_positive: 0.0,
            tp: 0.0,
            fn_: 0.0,
            var_pos: 0.0,
            var_neg: 0.0,
        };
        for (k, (pos, neg)) in &self.scores {
            let p = unkey(*k);
            let (pos, neg) = (*pos as f64, *neg as f64);
            s.predicted_positive += pos;
            s.tp += pos * p;
            s.fn_ += neg * p;
            s.var_pos += pos * p * (1.0 - p);
            s.var_neg += neg * p * (1.0 - p);
        }
        s
    }

    /// The expected area under the ROC curve, and the expected positives and negatives.
    fn auc(&self) -> Option<(f64, f64, f64)> {
        let (mut p, mut n) = (0.0, 0.0);
        for (k, (a, b)) in &self.scores {
            let s = unkey(*k);
            let c = (a + b) as f64;
            p += c * s;
            n += c * (1.0 - s);
        }
        if p <= 0.0 || n <= 0.0 {
            return None;
        }
        let (mut tp, mut fp, mut area) = (0.0, 0.0, 0.0);
        for (k, (a, b)) in self.scores.iter().rev() {
            let s = unkey(*k);
            let c = (a + b) as f64;
            let (tp1, fp1) = (tp + c * s, fp + c * (1.0 - s));
            area += (fp1 - fp) / n * (tp1 + tp) / p / 2.0;
            tp = tp1;
            fp = fp1;
        }
        Some((area, p, n))
    }

    /// The estimated metrics with their 95 % intervals; a metric undefined for these
    /// records (no predicted positive, no expected positive) is left out. Empty when a
    /// score is not a probability.
    pub fn metrics(&self) -> Vec<EstimatedMetric> {
        if self.n == 0 || self.out_of_range > 0 {
            return Vec::new();
        }
        let z = normal::two_sided(CONFIDENCE);
        let n = self.n as f64;
        let Sums {
            predicted_positive: pp,
            tp,
            fn_,
            var_pos,
            var_neg,
        } = self.sums();
        let tn = (n - pp) - fn_;
        let mut out = Vec::new();
        let mut push = |name: &str, value: f64, sd: f64| {
            out.push(EstimatedMetric {
                metric_name: name.to_string(),
                value,
                lower: (value - z * sd).max(0.0),
                upper: (value + z * sd).min(1.0),
            });
        };
        push("accuracy", (tp + tn) / n, (var_pos + var_neg).sqrt() / n);
        if pp > 0.0 {
            push("precision", tp / pp, var_pos.sqrt() / pp);
        }
        let positives = tp + fn_;
        if positives > 0.0 {
            let d4 = positives.powi(4);
            let var = (fn_ * fn_ * var_pos + tp * tp * var_neg) / d4;
            push("recall", tp / positives, var.sqrt());
            let d = pp + positives;
            let var = (4.0 * (pp + fn_).powi(2) * var_pos + 4.0 * tp * tp * var_neg) / d.powi(4);
            push("f1", 2.0 * tp / d, var.sqrt());
        }
        if let Some((a, p, n)) = self.auc() {
            let q1 = a / (2.0 - a);
            let q2 = 2.0 * a * a / (1.0 + a);
            let var =
                (a * (1.0 - a) + (p - 1.0) * (q1 - a * a) + (n - 1.0) * (q2 - a * a)) / (p * n);
            push("auc", a, var.max(0.0).sqrt());
        }
        out
    }
}

/// The calibration test's state over labelled, scored records: per distinct score, the
/// positive and negative labels (sums taken in score order, whatever the split).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationState {
    pub n: u64,
    scores: BTreeMap<u64, (u64, u64)>,
}

/// Labelled records needed before the calibration is judged.
pub const MIN_CALIBRATION_RECORDS: u64 = 100;

impl CalibrationState {
    pub fn add(&mut self, actual: bool, score: f64) {
        if !(0.0..=1.0).contains(&score) {
            return;
        }
        self.n += 1;
        let e = self.scores.entry(key(score)).or_default();
        if actual {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }

    /// `n` records alike.
    pub fn add_count(&mut self, actual: bool, score: f64, n: u64) {
        if !(0.0..=1.0).contains(&score) {
            return;
        }
        self.n += n;
        let e = self.scores.entry(key(score)).or_default();
        if actual {
            e.0 += n;
        } else {
            e.1 += n;
        }
    }

    pub fn merge(&mut self, o: &Self) {
        self.n += o.n;
        for (k, (a, b)) in &o.scores {
            let e = self.scores.entry(*k).or_default();
            e.0 += a;
            e.1 += b;
        }
    }

    /// The verdict: `trusted` when neither test rejects calibration (each at 97.5 %, so
    /// together at 95 %), `untrusted` when one does, `unverified` with too few labels.
    /// Calibration in the large: Σ(y − p) / √Σ p(1−p); Spiegelhalter's z:
    /// Σ(y − p)(1 − 2p) / √Σ (1 − 2p)² p(1−p).
    pub fn verdict(&self) -> Calibration {
        if self.n < MIN_CALIBRATION_RECORDS {
            return Calibration {
                verdict: "unverified".into(),
                reason: format!(
                    "{} labelled records in the window: {MIN_CALIBRATION_RECORDS} are needed to check that the scores are calibrated, which the estimate assumes",
                    self.n
                ),
                labelled_records: Some(self.n),
                z: None,
            };
        }
        let (mut residual, mut variance, mut sp, mut sp_var) = (0.0, 0.0, 0.0, 0.0);
        for (k, (pos, neg)) in &self.scores {
            let p = unkey(*k);
            let (pos, neg) = (*pos as f64, *neg as f64);
            let r = pos * (1.0 - p) - neg * p;
            let v = (pos + neg) * p * (1.0 - p);
            residual += r;
            variance += v;
            sp += r * (1.0 - 2.0 * p);
            sp_var += (1.0 - 2.0 * p).powi(2) * v;
        }
        let z_large = if variance > 0.0 {
            residual / variance.sqrt()
        } else {
            0.0
        };
        let z_s = if sp_var > 0.0 {
            sp / sp_var.sqrt()
        } else {
            0.0
        };
        let critical = normal::quantile(1.0 - 0.05 / 4.0);
        let worst = if z_large.abs() > z_s.abs() {
            z_large
        } else {
            z_s
        };
        if z_large.abs() > critical || z_s.abs() > critical {
            Calibration {
                verdict: "untrusted".into(),
                reason: format!(
                    "the scores are not calibrated on the {} labelled records (calibration-in-the-large z = {z_large:.3}, Spiegelhalter z = {z_s:.3}, beyond ±{critical:.3}): the estimate is not trusted",
                    self.n
                ),
                labelled_records: Some(self.n),
                z: Some(worst),
            }
        } else {
            Calibration {
                verdict: "trusted".into(),
                reason: format!(
                    "the scores are consistent with calibration on the {} labelled records (calibration-in-the-large z = {z_large:.3}, Spiegelhalter z = {z_s:.3})",
                    self.n
                ),
                labelled_records: Some(self.n),
                z: Some(worst),
            }
        }
    }
}

/// How far each estimate on the labelled records was from what was measured on them.
pub fn versus_measured(
    estimated: &[EstimatedMetric],
    measured: &[(&'static str, Option<f64>)],
) -> Vec<EstimateError> {
    estimated
        .iter()
        .filter_map(|e| {
            let m = measured.iter().find(|(n, _)| *n == e.metric_name)?.1?;
            Some(EstimateError {
                metric_name: e.metric_name.clone(),
                estimated: e.value,
                lower: e.lower,
                upper: e.upper,
                measured: m,
                within_interval: e.lower <= m && m <= e.upper,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certain_scores_estimate_exactly() {
        let mut s = EstimateState::default();
        for _ in 0..3 {
            s.add(1.0, true);
        }
        s.add(0.0, false);
        s.add(1.0, false);
        let m = s.metrics();
        let get = |n: &str| m.iter().find(|e| e.metric_name == n).unwrap().value;
        assert_eq!(get("accuracy"), 4.0 / 5.0);
        assert_eq!(get("precision"), 1.0);
        assert_eq!(get("recall"), 3.0 / 4.0);
        assert_eq!(get("auc"), 1.0);
    }

    #[test]
    fn a_score_that_is_not_a_probability_stops_the_estimate() {
        let mut s = EstimateState::default();
        s.add(0.3, false);
        s.add(1.7, true);
        assert_eq!(s.out_of_range, 1);
        assert!(s.metrics().is_empty());
    }

    #[test]
    fn merging_equals_one_pass() {
        let mut a = EstimateState::default();
        let mut b = EstimateState::default();
        let mut whole = EstimateState::default();
        // Dyadic scores: every sum is exact, whatever the grouping.
        for (i, p) in [0.125, 0.75, 0.375, 0.875, 0.5625].iter().enumerate() {
            let s = if i < 2 { &mut a } else { &mut b };
            s.add(*p, *p > 0.5);
            whole.add(*p, *p > 0.5);
        }
        a.merge(&b);
        assert_eq!(a.metrics(), whole.metrics());
    }
}

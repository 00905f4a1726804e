//! Binary-classification metrics from mergeable state: the confusion counts of the predicted
//! labels, and the positives and negatives at each distinct score, from which the ROC curve
//! and its area are exact (no binning): the trapezoids between the curve's points at each
//! distinct score, highest first, as scikit-learn's `roc_curve` and `roc_auc_score` draw them.

use std::collections::BTreeMap;

use super::{fbeta, ratio, score_key as key};

/// The state of some rows.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BinaryState {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    pub fn_: u64,
    /// Score (as order key bits) → (positives, negatives) among the rows with that score.
    scores: BTreeMap<u64, (u64, u64)>,
}

/// SageMaker's scalar binary metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryMetrics {
    pub recall: f64,
    pub precision: f64,
    pub accuracy: f64,
    pub true_positive_rate: f64,
    pub true_negative_rate: f64,
    pub false_positive_rate: f64,
    pub false_negative_rate: f64,
    pub f0_5: f64,
    pub f1: f64,
    pub f2: f64,
    pub recall_best_constant_classifier: f64,
    pub precision_best_constant_classifier: f64,
    pub accuracy_best_constant_classifier: f64,
    pub f0_5_best_constant_classifier: f64,
    pub f1_best_constant_classifier: f64,
    pub f2_best_constant_classifier: f64,
    /// Undefined without scores, or when the rows hold one class only.
    pub auc: Option<f64>,
}

impl BinaryState {
    /// One row: the true label, the predicted label and, when there is one, the score.
    pub fn add(&mut self, actual: bool, predicted: bool, score: Option<f64>) {
        match (actual, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fn_ += 1,
        }
        if let Some(s) = score {
            let e = self.scores.entry(key(s)).or_default();
            if actual {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }

    /// `n` rows alike.
    pub fn add_count(&mut self, actual: bool, predicted: bool, score: Option<f64>, n: u64) {
        match (actual, predicted) {
            (true, true) => self.tp += n,
            (false, true) => self.fp += n,
            (false, false) => self.tn += n,
            (true, false) => self.fn_ += n,
        }
        if let Some(s) = score {
            let e = self.scores.entry(key(s)).or_default();
            if actual {
                e.0 += n;
            } else {
                e.1 += n;
            }
        }
    }

    /// The state of confusion counts alone (no scores: no curves, no AUC).
    pub fn from_counts(tp: u64, fp: u64, tn: u64, fn_: u64) -> Self {
        Self {
            tp,
            fp,
            tn,
            fn_,
            scores: BTreeMap::new(),
        }
    }

    pub fn merge(&mut self, o: &Self) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.tn += o.tn;
        self.fn_ += o.fn_;
        for (k, (p, n)) in &o.scores {
            let e = self.scores.entry(*k).or_default();
            e.0 += p;
            e.1 += n;
        }
    }

    pub fn rows(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// The ROC curve's points (false positive rate, true positive rate) from (0, 0), one per
    /// distinct score from the highest; `None` when there are no scores or one class only.
    pub fn roc(&self) -> Option<Vec<(f64, f64)>> {
        let (p, n) = self
            .scores
            .values()
            .fold((0u64, 0u64), |(a, b), (x, y)| (a + x, b + y));
        if p == 0 || n == 0 {
            return None;
        }
        let mut points = vec![(0.0, 0.0)];
        let (mut tp, mut fp) = (0u64, 0u64);
        for (pos, neg) in self.scores.values().rev() {
            tp += pos;
            fp += neg;
            points.push((fp as f64 / n as f64, tp as f64 / p as f64));
        }
        Some(points)
    }

    /// The precision–recall curve at the same thresholds, Spark's way: from recall 0 at
    /// the first threshold's precision.
    pub fn precision_recall(&self) -> crate::sagemaker::model_quality::PrecisionRecallCurve {
        let p: u64 = self.scores.values().map(|v| v.0).sum();
        let (mut tp, mut fp) = (0u64, 0u64);
        let mut precisions = Vec::new();
        let mut recalls = Vec::new();
        for (pos, neg) in self.scores.values().rev() {
            tp += pos;
            fp += neg;
            precisions.push(ratio(tp, tp + fp));
            recalls.push(ratio(tp, p));
        }
        if let Some(&first) = precisions.first() {
            precisions.insert(0, first);
            recalls.insert(0, 0.0);
        }
        crate::sagemaker::model_quality::PrecisionRecallCurve {
            precisions,
            recalls,
        }
    }

    pub fn metrics(&self) -> Option<BinaryMetrics> {
        let n = self.rows();
        if n == 0 {
            return None;
        }
        let positives = self.tp + self.fn_;
        let recall = ratio(self.tp, positives);
        let precision = ratio(self.tp, self.tp + self.fp);
        // Always predicting positive.
        let prevalence = ratio(positives, n);
        let constant_recall = if positives > 0 { 1.0 } else { 0.0 };
        let auc = self.roc().map(|points| {
            points
                .windows(2)
                .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
                .sum()
        });
        Some(BinaryMetrics {
            recall,
            precision,
            accuracy: ratio(self.tp + self.tn, n),
            true_positive_rate: recall,
            true_negative_rate: ratio(self.tn, self.tn + self.fp),
            false_positive_rate: ratio(self.fp, self.fp + self.tn),
            false_negative_rate: ratio(self.fn_, positives),
            f0_5: fbeta(precision, recall, 0.5),
            f1: fbeta(precision, recall, 1.0),
            f2: fbeta(precision, recall, 2.0),
            recall_best_constant_classifier: constant_recall,
            precision_best_constant_classifier: prevalence,
            accuracy_best_constant_classifier: prevalence,
            f0_5_best_constant_classifier: fbeta(prevalence, constant_recall, 0.5),
            f1_best_constant_classifier: fbeta(prevalence, constant_recall, 1.0),
            f2_best_constant_classifier: fbeta(prevalence, constant_recall, 2.0),
            auc,
        })
    }
}

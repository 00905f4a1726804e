//! Multiclass metrics from a mergeable confusion matrix (actual → predicted → count): the
//! accuracy and the support-weighted recall, precision and F0.5/F1/F2 over the classes either
//! side names (scikit-learn's `average="weighted"`, `zero_division=0`), and the same for the
//! best constant classifier, which always predicts the most frequent true class (the first
//! in byte order among equals).

use std::collections::BTreeMap;

use super::{fbeta, ratio};

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MulticlassState {
    /// (actual, predicted) → count.
    matrix: BTreeMap<(String, String), u64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MulticlassMetrics {
    pub accuracy: f64,
    pub weighted_recall: f64,
    pub weighted_precision: f64,
    pub weighted_f0_5: f64,
    pub weighted_f1: f64,
    pub weighted_f2: f64,
    pub accuracy_best_constant_classifier: f64,
    pub weighted_recall_best_constant_classifier: f64,
    pub weighted_precision_best_constant_classifier: f64,
    pub weighted_f0_5_best_constant_classifier: f64,
    pub weighted_f1_best_constant_classifier: f64,
    pub weighted_f2_best_constant_classifier: f64,
}

/// Per class: true count (support), predicted count, correct count.
type Tally = BTreeMap<String, (u64, u64, u64)>;

/// The support-weighted recall, precision and F-betas of a tally over `n` rows.
fn weighted(tally: &Tally, n: u64) -> [f64; 5] {
    let mut out = [0.0; 5];
    for &(support, predicted, correct) in tally.values() {
        let w = support as f64 / n as f64;
        let (r, p) = (ratio(correct, support), ratio(correct, predicted));
        for (o, v) in
            out.iter_mut()
                .zip([r, p, fbeta(p, r, 0.5), fbeta(p, r, 1.0), fbeta(p, r, 2.0)])
        {
            *o += w * v;
        }
    }
    out
}

impl MulticlassState {
    pub fn add(&mut self, actual: &str, predicted: &str) {
        *self
            .matrix
            .entry((actual.to_string(), predicted.to_string()))
            .or_default() += 1;
    }

    pub fn merge(&mut self, o: &Self) {
        for (k, c) in &o.matrix {
            *self.matrix.entry(k.clone()).or_default() += c;
        }
    }

    /// The confusion matrix, actual → predicted → count.
    /// Each (actual, predicted) cell's count, in order.
    pub fn cells(&self) -> impl Iterator<Item = (&(String, String), u64)> {
        self.matrix.iter().map(|(k, c)| (k, *c))
    }

    /// The state with these cell counts.
    pub fn from_cells<'a>(cells: impl Iterator<Item = (&'a (String, String), u64)>) -> Self {
        Self {
            matrix: cells
                .filter(|(_, c)| *c > 0)
                .map(|(k, c)| (k.clone(), c))
                .collect(),
        }
    }

    pub fn rows(&self) -> u64 {
        self.matrix.values().sum()
    }

    pub fn confusion_matrix(&self) -> BTreeMap<&str, BTreeMap<&str, u64>> {
        let mut out: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        for ((a, p), c) in &self.matrix {
            out.entry(a.as_str()).or_default().insert(p.as_str(), *c);
        }
        out
    }

    pub fn metrics(&self) -> Option<MulticlassMetrics> {
        let mut tally = Tally::new();
        let mut n = 0;
        for ((a, p), &c) in &self.matrix {
            n += c;
            tally.entry(a.clone()).or_default().0 += c;
            tally.entry(p.clone()).or_default().1 += c;
            if a == p {
                tally.entry(a.clone()).or_default().2 += c;
            }
        }
        if n == 0 {
            return None;
        }
        let correct: u64 = tally.values().map(|t| t.2).sum();
        let [r, p, f05, f1, f2] = weighted(&tally, n);
        // The best constant: every row predicted as the most frequent true class.
        let (majority, &(support, _, _)) = tally
            .iter()
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(a.0)))?;
        let constant: Tally = tally
            .iter()
            .map(|(c, &(s, _, _))| {
                let hit = c == majority;
                (
                    c.clone(),
                    (s, if hit { n } else { 0 }, if hit { s } else { 0 }),
                )
            })
            .collect();
        let [cr, cp, cf05, cf1, cf2] = weighted(&constant, n);
        Some(MulticlassMetrics {
            accuracy: ratio(correct, n),
            weighted_recall: r,
            weighted_precision: p,
            weighted_f0_5: f05,
            weighted_f1: f1,
            weighted_f2: f2,
            accuracy_best_constant_classifier: ratio(support, n),
            weighted_recall_best_constant_classifier: cr,
            weighted_precision_best_constant_classifier: cp,
            weighted_f0_5_best_constant_classifier: cf05,
            weighted_f1_best_constant_classifier: cf1,
            weighted_f2_best_constant_classifier: cf2,
        })
    }
}

//! Exact interventional TreeSHAP for in-process XGBoost models (a driftwatch extension,
//! `"driftwatch": {"shap_algorithm": "tree"}`): the Shapley values of the model's raw margin
//! (log-odds for logistic objectives) against the baseline rows, as shap's TreeExplainer
//! computes with `feature_perturbation="interventional"` and its default raw output.
//!
//! For one explained row x and one baseline row z, the margin of the hybrid row that takes x's
//! values on the features in S and z's elsewhere is a sum over trees and, within a tree, over
//! the leaves the hybrid can reach. Walking a tree with both rows: where x and z go the same
//! way the feature does not matter; where they part, x's branch needs the feature in S and z's
//! branch needs it out of S (a feature met again must keep its side). A leaf reached with the
//! features A required in S and B required out of S is the game v·[A ⊆ S, B ∩ S = ∅], whose
//! Shapley values are v·(|A|−1)!|B|!/(|A|+|B|)! for each feature of A and −v·|A|!(|B|−1)!/
//! (|A|+|B|)! for each of B. Summing over leaves, trees and the weighted baseline rows gives
//! the exact values in time linear in the tree sizes — no coalitions, no model calls.

use super::kernel_shap::Background;
use super::model::{Tree, Xgboost};

/// Which side of a split a feature was put on along the current path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Free,
    /// In S: the hybrid takes x's value.
    X,
    /// Out of S: the hybrid takes z's value.
    Z,
}

/// `(a−1)! b! / (a+b)!` and `a! (b−1)! / (a+b)!` for path lengths up to the deepest tree.
struct Weights {
    n: usize,
    x: Vec<f64>,
    z: Vec<f64>,
}

impl Weights {
    fn new(depth: usize) -> Self {
        let n = depth + 1;
        let fact = |k: usize| (1..=k).fold(1.0f64, |acc, i| acc * i as f64);
        let mut x = vec![0.0; n * n];
        let mut z = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                let total = fact(a + b);
                if a > 0 {
                    x[a * n + b] = fact(a - 1) * fact(b) / total;
                }
                if b > 0 {
                    z[a * n + b] = fact(a) * fact(b - 1) / total;
                }
            }
        }
        Self { n, x, z }
    }
}

fn depth(t: &Tree, i: usize) -> usize {
    if t.is_leaf(i) {
        0
    } else {
        1 + depth(t, t.left[i] as usize).max(depth(t, t.right[i] as usize))
    }
}

/// The state of one walk of a tree with (x, z).
struct Walk<'a> {
    tree: &'a Tree,
    x: &'a [f64],
    z: &'a [f64],
    side: Vec<Side>,
    in_x: Vec<usize>,
    in_z: Vec<usize>,
    weights: &'a Weights,
    scale: f64,
}

impl Walk<'_> {
    fn value(&self, row: &[f64], f: usize) -> f64 {
        row.get(f).copied().unwrap_or(f64::NAN)
    }

    fn visit(&mut self, i: usize, phi: &mut [f64]) {
        let t = self.tree;
        if t.is_leaf(i) {
            let (a, b) = (self.in_x.len(), self.in_z.len());
            if a + b == 0 {
                return;
            }
            let v = f64::from(t.condition[i]) * self.scale;
            let n = self.weights.n;
            for &f in &self.in_x {
                phi[f] += v * self.weights.x[a * n + b];
            }
            for &f in &self.in_z {
                phi[f] -= v * self.weights.z[a * n + b];
            }
            return;
        }
        let f = t.feature[i] as usize;
        let (cx, cz) = (
            t.child(i, self.value(self.x, f)),
            t.child(i, self.value(self.z, f)),
        );
        if cx == cz {
            return self.visit(cx, phi);
        }
        match self.side[f] {
            Side::X => self.visit(cx, phi),
            Side::Z => self.visit(cz, phi),
            Side::Free => {
                self.side[f] = Side::X;
                self.in_x.push(f);
                self.visit(cx, phi);
                self.in_x.pop();
                self.side[f] = Side::Z;
                self.in_z.push(f);
                self.visit(cz, phi);
                self.in_z.pop();
                self.side[f] = Side::Free;
            }
        }
    }
}

/// A TreeSHAP explainer: the model, the weighted baseline rows and the weight tables.
pub struct TreeShap<'a> {
    model: &'a Xgboost,
    background: &'a Background,
    weights: Weights,
    /// Σ w·margin(z): the expected value the attributions start from.
    pub expected_value: f64,
}

impl<'a> TreeShap<'a> {
    pub fn new(model: &'a Xgboost, background: &'a Background) -> Self {
        let deepest = model.trees().iter().map(|t| depth(t, 0)).max().unwrap_or(0);
        let expected_value = background
            .rows
            .iter()
            .zip(&background.weights)
            .map(|(z, w)| w * model.margin_f64(z))
            .sum();
        Self {
            model,
            background,
            weights: Weights::new(deepest),
            expected_value,
        }
    }

    /// The attributions of row `x`; they sum to `margin(x) − expected_value`.
    pub fn explain(&self, x: &[f64]) -> Vec<f64> {
        let p = self.model.num_feature;
        let mut phi = vec![0.0; p];
        let depth = self.weights.n;
        let (mut side, mut in_x, mut in_z) = (
            vec![Side::Free; p],
            Vec::with_capacity(depth),
            Vec::with_capacity(depth),
        );
        for (z, w) in self.background.rows.iter().zip(&self.background.weights) {
            for tree in self.model.trees() {
                // The path state is empty again after every walk: reused, not reallocated.
                let mut walk = Walk {
                    tree,
                    x,
                    z,
                    side: std::mem::take(&mut side),
                    in_x: std::mem::take(&mut in_x),
                    in_z: std::mem::take(&mut in_z),
                    weights: &self.weights,
                    scale: *w,
                };
                walk.visit(0, &mut phi);
                (side, in_x, in_z) = (walk.side, walk.in_x, walk.in_z);
            }
        }
        phi
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::kernel_shap::{Link, exact_shapley};
    use crate::explain::predictor::PredictError;

    use crate::explain::test_fixtures::{model, rows};

    #[test]
    fn equals_the_exact_shapley_values_of_the_margin() {
        let m = model();
        for background in [
            Background::uniform(rows("xgb_baseline.csv")),
            Background::uniform(rows("xgb_baseline.csv")[..1].to_vec()),
        ] {
            let tree = TreeShap::new(&m, &background);
            let margin = |r: &[f64]| -> Result<Vec<f64>, PredictError> {
                Ok(r.chunks(m.num_feature)
                    .map(|row| m.margin_f64(row))
                    .collect())
            };
            for x in rows("xgb_rows.csv") {
                let want = exact_shapley(&margin, &background, &x, Link::Identity).unwrap();
                let got = tree.explain(&x);
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
                }
                let total: f64 = got.iter().sum();
                assert!((total - (m.margin_f64(&x) - tree.expected_value)).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn missing_values_take_the_default_branch_on_both_sides() {
        let m = model();
        let background = Background::uniform(vec![vec![f64::NAN; m.num_feature]]);
        let tree = TreeShap::new(&m, &background);
        let margin = |r: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(r.chunks(m.num_feature)
                .map(|row| m.margin_f64(row))
                .collect())
        };
        let x = rows("xgb_rows.csv").remove(0);
        let want = exact_shapley(&margin, &background, &x, Link::Identity).unwrap();
        for (g, w) in tree.explain(&x).iter().zip(&want) {
            assert!((g - w).abs() < 1e-9);
        }
    }
}

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
//!
//! The walk is the whole cost, so the trees are laid out for it once: every node of every tree
//! in one array of small structs, and for each baseline row the side it takes at every node,
//! computed once instead of once per explained row. A tree of at most 63 inner nodes is not
//! walked at all ([`super::tree_masks`]); larger ones are. Rows are explained a block at a
//! time, tree by tree, so a tree stays in cache while the block's rows pass through it; each
//! row's sum runs in the same order (tree, baseline row, leaf) whatever the block or thread.

use super::kernel_shap::Background;
use super::model::{Xgboost, goes_left};
use super::tree_masks::{Leaves, SmallTree};

/// One node of the laid-out trees; children are indices into the same array.
#[derive(Clone, Copy)]
pub(super) struct Node {
    /// Split threshold of an inner node, value of a leaf (as XGBoost stores both).
    pub(super) condition: f32,
    pub(super) feature: u32,
    /// [`LEAF`] for a leaf.
    pub(super) left: u32,
    pub(super) right: u32,
    /// Where a missing (NaN) value goes.
    pub(super) default_left: bool,
}

pub(super) const LEAF: u32 = u32::MAX;

impl Node {
    fn goes_left(&self, v: f32) -> bool {
        goes_left(v, self.condition, self.default_left)
    }
}

/// Every tree's nodes in one array, and where each tree's root is.
pub(super) struct Forest {
    pub(super) nodes: Vec<Node>,
    roots: Vec<u32>,
}

impl Forest {
    pub(super) fn new(model: &Xgboost) -> Self {
        let mut nodes = Vec::new();
        let mut roots = Vec::with_capacity(model.trees().len());
        for t in model.trees() {
            let base = nodes.len() as u32;
            roots.push(base);
            nodes.extend((0..t.left.len()).map(|i| {
                let leaf = t.is_leaf(i);
                Node {
                    condition: t.condition[i],
                    feature: t.feature[i],
                    left: if leaf { LEAF } else { base + t.left[i] as u32 },
                    right: if leaf { LEAF } else { base + t.right[i] as u32 },
                    default_left: t.default_left(i),
                }
            }));
        }
        Self { nodes, roots }
    }

    /// Each tree's nodes as `root..end`: a tree's nodes lie from its root to the next tree's
    /// root (XGBoost stores children after their parents).
    pub(super) fn spans(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let ends = self
            .roots
            .iter()
            .skip(1)
            .copied()
            .chain([self.nodes.len() as u32]);
        self.roots.iter().copied().zip(ends)
    }

    /// Whether `row` goes left at each node (leaves: false).
    pub(super) fn sides(&self, row: &[f32]) -> Vec<bool> {
        self.nodes
            .iter()
            .map(|n| n.left != LEAF && n.goes_left(row[n.feature as usize]))
            .collect()
    }

    fn depth(&self, i: usize) -> usize {
        let n = self.nodes[i];
        if n.left == LEAF {
            0
        } else {
            1 + self
                .depth(n.left as usize)
                .max(self.depth(n.right as usize))
        }
    }
}

/// A row as XGBoost reads it: f32 values, a missing or absent feature as NaN.
pub(super) fn as_f32(row: &[f64], width: usize) -> Vec<f32> {
    (0..width)
        .map(|f| row.get(f).map_or(f32::NAN, |&v| v as f32))
        .collect()
}

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
pub(super) struct Weights {
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

    /// The weights of a feature in S and of a feature out of S at a leaf whose path requires
    /// `a` features in S and `b` out of it.
    pub(super) fn pair(&self, a: usize, b: usize) -> (f64, f64) {
        let i = a * self.n + b;
        (self.x[i], self.z[i])
    }
}

/// The state of one walk of a tree with (x, z).
struct Walk<'a> {
    nodes: &'a [Node],
    x: &'a [f32],
    /// Whether z goes left at each node.
    z_left: &'a [bool],
    side: Vec<Side>,
    in_x: Vec<usize>,
    in_z: Vec<usize>,
    weights: &'a Weights,
    scale: f64,
}

impl Walk<'_> {
    fn visit(&mut self, mut i: usize, phi: &mut [f64]) {
        loop {
            let n = self.nodes[i];
            if n.left == LEAF {
                return self.leaf(n.condition, phi);
            }
            let f = n.feature as usize;
            let (x_left, z_left) = (n.goes_left(self.x[f]), self.z_left[i]);
            let child = |left: bool| (if left { n.left } else { n.right }) as usize;
            i = match (x_left == z_left, self.side[f]) {
                (true, _) | (false, Side::X) => child(x_left),
                (false, Side::Z) => child(z_left),
                (false, Side::Free) => {
                    self.side[f] = Side::X;
                    self.in_x.push(f);
                    self.visit(child(x_left), phi);
                    self.in_x.pop();
                    self.side[f] = Side::Z;
                    self.in_z.push(f);
                    self.visit(child(z_left), phi);
                    self.in_z.pop();
                    self.side[f] = Side::Free;
                    return;
                }
            };
        }
    }

    fn leaf(&self, value: f32, phi: &mut [f64]) {
        let (a, b) = (self.in_x.len(), self.in_z.len());
        if a + b == 0 {
            return;
        }
        let v = f64::from(value) * self.scale;
        let (wx, wz) = self.weights.pair(a, b);
        let (wx, wz) = (v * wx, v * wz);
        for &f in &self.in_x {
            phi[f] += wx;
        }
        for &f in &self.in_z {
            phi[f] -= wz;
        }
    }
}

/// How a tree is explained.
enum Shape {
    Small(SmallTree),
    /// Walked from this root.
    Large(u32),
}

/// Rows explained together, tree by tree: enough to reuse a tree from cache, few enough that
/// their inputs and attributions stay in cache too.
const BLOCK: usize = 512;

/// A TreeSHAP explainer: the laid-out trees, the weighted baseline rows with their sides at
/// every node, and the weight tables.
pub struct TreeShap {
    forest: Forest,
    shapes: Vec<Shape>,
    width: usize,
    /// Per baseline row: its weight and whether it goes left at each node.
    baseline: Vec<(f64, Vec<bool>)>,
    weights: Weights,
    /// Σ w·margin(z): the expected value the attributions start from.
    pub expected_value: f64,
}

impl TreeShap {
    pub fn new(model: &Xgboost, background: &Background) -> Self {
        Self::with_small_trees(model, background, true)
    }

    /// `small: false` walks every tree (the tests hold both ways to the exact values).
    fn with_small_trees(model: &Xgboost, background: &Background, small: bool) -> Self {
        let forest = Forest::new(model);
        let width = model.num_feature;
        let deepest = forest
            .roots
            .iter()
            .map(|&r| forest.depth(r as usize))
            .max()
            .unwrap_or(0);
        let shapes = forest
            .spans()
            .map(
                |(root, end)| match SmallTree::new(&forest, root, end).filter(|_| small) {
                    Some(t) => Shape::Small(t),
                    None => Shape::Large(root),
                },
            )
            .collect();
        let expected_value = background
            .rows
            .iter()
            .zip(&background.weights)
            .map(|(z, w)| w * model.margin_f64(z))
            .sum();
        let baseline = background
            .rows
            .iter()
            .zip(&background.weights)
            .map(|(z, &w)| (w, forest.sides(&as_f32(z, width))))
            .collect();
        Self {
            forest,
            shapes,
            width,
            baseline,
            weights: Weights::new(deepest),
            expected_value,
        }
    }

    /// The attributions of row `x`; they sum to `margin(x) − expected_value`.
    #[cfg(test)]
    fn explain(&self, x: &[f64]) -> Vec<f64> {
        self.explain_rows(std::slice::from_ref(&x.to_vec()))
            .pop()
            .unwrap_or_default()
    }

    /// The attributions of each row, in order.
    pub fn explain_rows(&self, rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let mut out = Vec::with_capacity(rows.len());
        let mut scratch = Scratch::new(self.width, self.weights.n);
        for block in rows.chunks(BLOCK) {
            let xs: Vec<Vec<f32>> = block.iter().map(|r| as_f32(r, self.width)).collect();
            // The same values by column, for the small trees' directions.
            scratch.columns.clear();
            scratch
                .columns
                .extend((0..self.width).flat_map(|f| xs.iter().map(move |x| x[f])));
            let mut phi = vec![vec![0.0; self.width]; block.len()];
            for shape in &self.shapes {
                self.add_tree(shape, &xs, &mut phi, &mut scratch);
            }
            out.extend(phi);
        }
        out
    }

    /// One tree's part of the attributions of the rows `xs`, added to `phi`.
    fn add_tree(&self, shape: &Shape, xs: &[Vec<f32>], phi: &mut [Vec<f64>], s: &mut Scratch) {
        match shape {
            Shape::Small(tree) => {
                s.directions.resize(xs.len(), 0);
                s.reach.resize(xs.len(), 0);
                tree.directions(&s.columns, &mut s.directions);
                for (w, z_left) in &self.baseline {
                    tree.leaves(&self.forest, z_left, *w, &mut s.leaves);
                    tree.reach(&s.leaves, &s.directions, &mut s.reach);
                    for ((&d, &reach), p) in s.directions.iter().zip(&s.reach).zip(phi.iter_mut()) {
                        tree.add(&s.leaves, d, reach, &self.weights, p);
                    }
                }
            }
            Shape::Large(root) => {
                for (w, z_left) in &self.baseline {
                    for (x, p) in xs.iter().zip(phi.iter_mut()) {
                        // The path state is empty again after every walk: reused.
                        let mut walk = Walk {
                            nodes: &self.forest.nodes,
                            x,
                            z_left,
                            side: std::mem::take(&mut s.side),
                            in_x: std::mem::take(&mut s.in_x),
                            in_z: std::mem::take(&mut s.in_z),
                            weights: &self.weights,
                            scale: *w,
                        };
                        walk.visit(*root as usize, p);
                        (s.side, s.in_x, s.in_z) = (walk.side, walk.in_x, walk.in_z);
                    }
                }
            }
        }
    }
}

/// Working memory reused across trees and blocks.
struct Scratch {
    columns: Vec<f32>,
    directions: Vec<u64>,
    reach: Vec<u64>,
    leaves: Leaves,
    side: Vec<Side>,
    in_x: Vec<usize>,
    in_z: Vec<usize>,
}

impl Scratch {
    fn new(width: usize, depth: usize) -> Self {
        Self {
            columns: Vec::with_capacity(BLOCK * width),
            directions: Vec::with_capacity(BLOCK),
            reach: Vec::with_capacity(BLOCK),
            leaves: Leaves::default(),
            side: vec![Side::Free; width],
            in_x: Vec::with_capacity(depth),
            in_z: Vec::with_capacity(depth),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::kernel_shap::{Link, exact_shapley};
    use crate::explain::predictor::PredictError;

    use crate::explain::test_fixtures::{fixture, model, rows, xgboost};

    /// Both ways of explaining a tree: bitmasks for small trees, and the walk.
    fn explainers(m: &Xgboost, background: &Background) -> [TreeShap; 2] {
        [
            TreeShap::with_small_trees(m, background, true),
            TreeShap::with_small_trees(m, background, false),
        ]
    }

    fn exact(m: &Xgboost, background: &Background, x: &[f64]) -> Vec<f64> {
        let margin = |r: &[f64]| -> Result<Vec<f64>, PredictError> {
            Ok(r.chunks(m.num_feature)
                .map(|row| m.margin_f64(row))
                .collect())
        };
        exact_shapley(&margin, background, x, Link::Identity).unwrap()
    }

    #[test]
    fn equals_the_exact_shapley_values_of_the_margin() {
        let m = model();
        for background in [
            Background::uniform(rows("xgb_baseline.csv")),
            Background::uniform(rows("xgb_baseline.csv")[..1].to_vec()),
        ] {
            let [small, walked] = explainers(&m, &background);
            assert!(small.shapes.iter().all(|s| matches!(s, Shape::Small(_))));
            assert!(walked.shapes.iter().all(|s| matches!(s, Shape::Large(_))));
            for tree in [small, walked] {
                for x in rows("xgb_rows.csv") {
                    let want = exact(&m, &background, &x);
                    let got = tree.explain(&x);
                    for (g, w) in got.iter().zip(&want) {
                        assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
                    }
                    let total: f64 = got.iter().sum();
                    assert!((total - (m.margin_f64(&x) - tree.expected_value)).abs() < 1e-9);
                }
            }
        }
    }

    /// Trees beyond the bitmasks' 63 inner nodes are walked, alone and mixed with small trees.
    #[test]
    fn large_trees_and_mixed_forests_equal_the_exact_values() {
        let deep_text = fixture("xgb_deep_model.json");
        let mut mixed: serde_json::Value = serde_json::from_str(&deep_text).unwrap();
        let small: serde_json::Value = serde_json::from_str(&fixture("xgb_model.json")).unwrap();
        let trees =
            |v: &serde_json::Value| v["learner"]["gradient_booster"]["model"]["trees"].clone();
        let joined: Vec<serde_json::Value> = trees(&small)
            .as_array()
            .unwrap()
            .iter()
            .chain(trees(&mixed).as_array().unwrap())
            .cloned()
            .collect();
        mixed["learner"]["gradient_booster"]["model"]["trees"] = joined.into();
        let background = Background::uniform(rows("xgb_baseline.csv"));
        for (m, smalls) in [(xgboost(&deep_text), 0), (xgboost(&mixed.to_string()), 12)] {
            let tree = TreeShap::new(&m, &background);
            let small_trees = tree.shapes.iter().filter(|s| matches!(s, Shape::Small(_)));
            assert_eq!(small_trees.count(), smalls);
            for x in rows("xgb_rows.csv") {
                let want = exact(&m, &background, &x);
                let got = tree.explain(&x);
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
                }
            }
        }
    }

    #[test]
    fn missing_values_take_the_default_branch_on_both_sides() {
        let m = model();
        let mut x = rows("xgb_rows.csv").remove(0);
        let background = Background::uniform(vec![vec![f64::NAN; m.num_feature]]);
        for tree in explainers(&m, &background) {
            let want = exact(&m, &background, &x);
            for (g, w) in tree.explain(&x).iter().zip(&want) {
                assert!((g - w).abs() < 1e-9);
            }
        }
        // Missing on the explained side.
        x[1] = f64::NAN;
        let background = Background::uniform(rows("xgb_baseline.csv"));
        for tree in explainers(&m, &background) {
            let want = exact(&m, &background, &x);
            for (g, w) in tree.explain(&x).iter().zip(&want) {
                assert!((g - w).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn a_row_gets_the_same_bits_whatever_block_it_is_explained_in() {
        let m = model();
        let background = Background::uniform(rows("xgb_baseline.csv"));
        let tree = TreeShap::new(&m, &background);
        let base = rows("xgb_rows.csv");
        let many: Vec<Vec<f64>> = (0..BLOCK * 2 + 3)
            .map(|i| base[i % base.len()].clone())
            .collect();
        let together = tree.explain_rows(&many);
        for (i, phi) in together.iter().enumerate() {
            let alone = tree.explain(&many[i]);
            assert_eq!(
                phi.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                alone.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}

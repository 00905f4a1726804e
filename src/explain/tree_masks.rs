//! TreeSHAP for a small tree (at most 63 inner nodes — every tree of XGBoost's default depth
//! 6) without walking it: each path is a few bitmasks, and a row is one bitmask.
//!
//! Walking a tree with an explained row x and a baseline row z costs a dependent load and an
//! unpredictable branch per node visited. But the question a leaf asks is fixed by z alone:
//! along its path, at the nodes where z goes the leaf's way x may go either way (if it does
//! not, the feature must be out of S), and at the nodes where z goes the other way x must go
//! the leaf's way (and the feature must be in S). So per (tree, z) each leaf becomes masks
//! over the inner nodes, per x the tree becomes one mask (where x goes left at every inner
//! node, computed for a block of rows at once without branches), the leaves x can reach are
//! one more mask, and only they do arithmetic. The leaves reached and the features required in and
//! out of S are exactly the walk's ([`super::tree_shap`] keeps the walk for larger trees).

use super::tree_shap::{Forest, LEAF, Weights};
use crate::wide::widest;

/// The most inner nodes a tree may have: the masks hold one bit per inner node, and one bit
/// per leaf (a binary tree has one more leaf than inner nodes).
pub const MAX_INNER: usize = 63;

/// A tree of at most [`MAX_INNER`] inner nodes: its inner nodes numbered 0..63 (the bits of
/// the masks) and its features numbered 0..63 (the bits of the feature masks).
pub struct SmallTree {
    root: u32,
    /// Per inner bit: the model's feature, the threshold, where a missing value goes.
    feature: Vec<u32>,
    threshold: Vec<f32>,
    default_left: Vec<bool>,
    /// The inner bit of each node of the tree, by its offset from the root (leaves: unused).
    bit_of: Vec<u8>,
    /// Per inner bit, the feature bit of its feature.
    feature_bit: Vec<u64>,
    /// Per feature bit, the model's feature.
    features: Vec<usize>,
}

/// A [`SmallTree`]'s leaves as seen with one baseline row z: per leaf (numbered left to
/// right, so a subtree's leaves are consecutive bits), its path's masks; per inner node, the
/// leaves x loses by going z's way there.
#[derive(Default)]
pub struct Leaves {
    /// The inner nodes on the leaf's path where the path goes left.
    left: Vec<u64>,
    /// The path's inner nodes where z goes the leaf's way: where x goes the other way, the
    /// feature is out of S. (At the path's other nodes x must go the leaf's way, and the
    /// feature is in S.)
    free: Vec<u64>,
    /// The features of the path's other nodes: required in S.
    in_s: Vec<u64>,
    /// How many features `in_s` holds.
    a: Vec<u32>,
    /// The leaf value times the baseline row's weight.
    value: Vec<f64>,
    /// Per inner bit: the leaves of the child z does not take. A row that goes z's way at the
    /// node cannot reach them.
    lost: Vec<u64>,
    /// Where z goes left, one bit per inner node.
    z_dirs: u64,
}

impl Leaves {
    fn clear(&mut self, inner: usize) {
        self.left.clear();
        self.free.clear();
        self.in_s.clear();
        self.a.clear();
        self.value.clear();
        self.lost.clear();
        self.lost.resize(inner, 0);
        self.z_dirs = 0;
    }

    /// Every leaf, one bit each.
    fn all(&self) -> u64 {
        span(0, self.left.len())
    }
}

/// Bits `start..end`.
fn span(start: usize, end: usize) -> u64 {
    match end - start {
        0 => 0,
        64 => u64::MAX,
        n => ((1u64 << n) - 1) << start,
    }
}

/// A path from the root, as far as it goes.
#[derive(Clone, Copy, Default)]
struct Path {
    left: u64,
    free: u64,
    in_s: u64,
}

impl SmallTree {
    /// The tree rooted at `root` of `forest`, or `None` when it has more than [`MAX_INNER`]
    /// inner nodes. A tree's nodes lie from its root to the next tree's root (XGBoost stores
    /// children after their parents).
    pub fn new(forest: &Forest, root: u32, end: u32) -> Option<Self> {
        let nodes = &forest.nodes[root as usize..end as usize];
        let mut tree = Self {
            root,
            feature: Vec::new(),
            threshold: Vec::new(),
            default_left: Vec::new(),
            bit_of: vec![0; nodes.len()],
            feature_bit: Vec::new(),
            features: Vec::new(),
        };
        for (offset, n) in nodes.iter().enumerate() {
            if n.left == LEAF {
                continue;
            }
            if tree.feature.len() == MAX_INNER {
                return None;
            }
            let feature = n.feature as usize;
            let fbit = match tree.features.iter().position(|&f| f == feature) {
                Some(k) => k,
                None => {
                    tree.features.push(feature);
                    tree.features.len() - 1
                }
            };
            tree.bit_of[offset] = tree.feature.len() as u8;
            tree.feature_bit.push(1 << fbit);
            tree.feature.push(n.feature);
            tree.threshold.push(n.condition);
            tree.default_left.push(n.default_left);
        }
        Some(tree)
    }

    /// Where each row goes left, one bit per inner node, into `d`. The rows are given by
    /// column: `columns[f * rows + r]` is row r's value of feature f. One inner node at a time
    /// over all the rows, without branches, in the widest vectors the CPU has.
    pub fn directions(&self, columns: &[f32], d: &mut [u64]) {
        directions(self, columns, d);
    }

    /// The tree's leaves as seen with the baseline row whose sides are `z_left` (per node of
    /// the forest) and whose weight is `scale`, into `out`.
    pub fn leaves(&self, forest: &Forest, z_left: &[bool], scale: f64, out: &mut Leaves) {
        out.clear(self.feature.len());
        self.collect(
            forest,
            self.root as usize,
            Path::default(),
            z_left,
            scale,
            out,
        );
    }

    /// The leaves under node `i`, reached by `path`, appended to `out`; returns how many.
    fn collect(
        &self,
        forest: &Forest,
        i: usize,
        path: Path,
        z_left: &[bool],
        scale: f64,
        out: &mut Leaves,
    ) -> usize {
        let n = forest.nodes[i];
        if n.left == LEAF {
            out.left.push(path.left);
            out.free.push(path.free);
            out.in_s.push(path.in_s);
            out.a.push(path.in_s.count_ones());
            out.value.push(f64::from(n.condition) * scale);
            return 1;
        }
        let k = usize::from(self.bit_of[i - self.root as usize]);
        let bit = 1u64 << k;
        let z = z_left[i];
        if z {
            out.z_dirs |= bit;
        }
        let start = out.left.len();
        let mut first = start;
        for (child, goes_left) in [(n.left, true), (n.right, false)] {
            let mut next = path;
            if goes_left {
                next.left |= bit;
            }
            if z == goes_left {
                next.free |= bit;
            } else {
                next.in_s |= self.feature_bit[k];
            }
            let count = self.collect(forest, child as usize, next, z_left, scale, out);
            if z != goes_left {
                out.lost[k] = span(first, first + count);
            }
            first += count;
        }
        first - start
    }

    /// The leaves each row can reach against the baseline row of `leaves`, one bit per leaf,
    /// from the rows' [`Self::directions`] `d`, into `reach`: all leaves but those lost where
    /// the row goes z's way. One inner node at a time over all the rows, without branches, in
    /// the widest vectors the CPU has.
    pub fn reach(&self, leaves: &Leaves, d: &[u64], reach: &mut [u64]) {
        reachable(leaves, d, reach);
    }

    /// Adds the tree's part of the attributions of the row whose [`Self::directions`] are `d`
    /// and whose reachable leaves are `reach` against the baseline row of `leaves`.
    pub fn add(&self, leaves: &Leaves, d: u64, reach: u64, weights: &Weights, phi: &mut [f64]) {
        for_bits(reach, |j| {
            let off = d ^ leaves.left[j];
            let mut out_s = 0u64;
            for_bits(off & leaves.free[j], |k| out_s |= self.feature_bit[k]);
            let in_s = leaves.in_s[j];
            // A feature required both in and out of S: no hybrid reaches the leaf.
            let (in_s, out_s) = if out_s & in_s == 0 {
                (in_s, out_s)
            } else {
                (0, 0)
            };
            let (wx, wz) = weights.pair(leaves.a[j] as usize, out_s.count_ones() as usize);
            let value = leaves.value[j];
            let (wx, wz) = (value * wx, value * wz);
            for_bits(in_s, |f| phi[self.features[f]] += wx);
            for_bits(out_s, |f| phi[self.features[f]] -= wz);
        });
    }
}

widest! {
    /// [`SmallTree::directions`].
    fn directions, directions_avx512, directions_avx2, directions_versions => directions_portable(
        tree: &SmallTree,
        columns: &[f32],
        d: &mut [u64],
    )
}

#[inline(always)]
fn directions_portable(tree: &SmallTree, columns: &[f32], d: &mut [u64]) {
    let rows = d.len();
    d.fill(0);
    for (k, ((&f, &threshold), &default_left)) in tree
        .feature
        .iter()
        .zip(&tree.threshold)
        .zip(&tree.default_left)
        .enumerate()
    {
        let bit = 1u64 << k;
        let start = f as usize * rows;
        let Some(column) = columns.get(start..start + rows) else {
            continue;
        };
        // XGBoost's split rule (`model::goes_left`) without a branch: a missing value
        // fails `v < t`, so it goes right unless sent left explicitly.
        for (o, &v) in d.iter_mut().zip(column) {
            let left = (v < threshold) | (default_left & v.is_nan());
            *o |= if left { bit } else { 0 };
        }
    }
}

widest! {
    /// [`SmallTree::reach`].
    fn reachable, reachable_avx512, reachable_avx2, reachable_versions => reachable_portable(
        leaves: &Leaves,
        d: &[u64],
        reach: &mut [u64],
    )
}

#[inline(always)]
fn reachable_portable(leaves: &Leaves, d: &[u64], reach: &mut [u64]) {
    reach.fill(leaves.all());
    for (k, &lost) in leaves.lost.iter().enumerate() {
        for (r, &dr) in reach.iter_mut().zip(d) {
            let agrees = (!(dr ^ leaves.z_dirs) >> k) & 1;
            *r &= !(lost & agrees.wrapping_neg());
        }
    }
}

fn for_bits(mut bits: u64, mut f: impl FnMut(usize)) {
    while bits != 0 {
        f(bits.trailing_zeros() as usize);
        bits &= bits - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::test_fixtures::{model, rows};
    use crate::explain::tree_shap::as_f32;

    #[test]
    fn every_vector_width_gives_the_portable_directions_and_reach() {
        let m = model();
        let forest = Forest::new(&m);
        let mut xs = rows("xgb_rows.csv");
        // Missing values, and a row count that leaves a tail in every vector width.
        xs[1][2] = f64::NAN;
        xs[4][0] = f64::NAN;
        xs.truncate(xs.len().min(37));
        let width = m.num_feature;
        let xs: Vec<Vec<f32>> = xs.iter().map(|x| as_f32(x, width)).collect();
        let columns: Vec<f32> = (0..width)
            .flat_map(|f| xs.iter().map(move |x| x[f]))
            .collect();
        let mut baseline = as_f32(&rows("xgb_baseline.csv")[0], width);
        baseline[3] = f32::NAN;
        let z_left = forest.sides(&baseline);
        let mut checked = 0;
        for (root, end) in forest.spans() {
            let Some(tree) = SmallTree::new(&forest, root, end) else {
                continue;
            };
            let mut leaves = Leaves::default();
            tree.leaves(&forest, &z_left, 1.0, &mut leaves);
            let mut want_d = vec![0; xs.len()];
            directions_portable(&tree, &columns, &mut want_d);
            let mut want_reach = vec![0; xs.len()];
            reachable_portable(&leaves, &want_d, &mut want_reach);
            for (name, f) in directions_versions() {
                let mut d = vec![u64::MAX; xs.len()];
                // SAFETY: each wide version is listed only when the CPU has its feature.
                unsafe { f(&tree, &columns, &mut d) };
                assert_eq!(d, want_d, "{name}");
            }
            for (name, f) in reachable_versions() {
                let mut reach = vec![0; xs.len()];
                // SAFETY: as above.
                unsafe { f(&leaves, &want_d, &mut reach) };
                assert_eq!(reach, want_reach, "{name}");
            }
            checked += 1;
        }
        assert!(checked > 0);
    }
}

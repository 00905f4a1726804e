//! A k-d tree for the flip test's k-nearest-neighbour queries (Euclidean, unscaled).
//!
//! Neighbours are ordered by (squared distance, row index): equidistant points are broken by
//! row order, exactly as a stable-sorted brute force would, and the pruning rule keeps that
//! guarantee, so results never depend on the tree's shape.
//!
//! Speed matters (FT must finish on a million rows): points are copied into tree order so a
//! leaf is one contiguous dimension-major block; nearby queries walk the tree together; a
//! visited leaf's distances are computed a register block at a time with the widest vectors
//! the CPU has (bit-identical at every width) and only the points within the current k-th
//! distance are looked at one by one.

use super::knn_filter::{Filter, Query32};
use crate::wide::widest;

const LEAF_SIZE: usize = 192;
/// Points whose distance sums one kernel pass keeps in registers (4 AVX-512 registers).
const REGISTER_BLOCK: usize = 32;

/// Point storage in tree order plus the node array.
pub struct KdTree {
    dims: usize,
    /// Points in tree order; within a leaf [start, end) stored dimension-major
    /// (`pts[start * dims + k * len + j]` is coordinate k of the leaf's j-th point), so the
    /// leaf scan vectorizes across points while each point's sum keeps its sequential order.
    pts: Vec<f64>,
    /// Original index of each point in tree order.
    idx: Vec<usize>,
    nodes: Vec<Node>,
    /// Every node's bounding box: lo[dims] then hi[dims].
    boxes: Vec<f64>,
    /// Bounding box of all points (lo, hi per dimension).
    root_lo: Vec<f64>,
    root_hi: Vec<f64>,
    /// The f32 first pass over leaves (`None` for coordinates too large for its bound).
    filter: Option<Filter>,
}

/// The queries of one batched walk, their count of neighbours and their bounding box.
struct Batch<'a> {
    queries: &'a [&'a [f64]],
    /// Each query prepared for the f32 pass, when there is one.
    queries32: &'a [Option<Query32>],
    /// The queries dimension-major (`columns[d * queries.len() + i]` is coordinate d of query
    /// i), for every query's distance to a leaf's box in one vectorised pass.
    columns: &'a [f64],
    k: usize,
    lo: &'a [f64],
    hi: &'a [f64],
}

/// Per-search buffers for a leaf's distances and candidate bits, reused across leaves (every
/// element is overwritten by the scan, so they are never cleared).
#[derive(Default)]
struct Scratch {
    dist: Vec<f64>,
    masks: Vec<u64>,
    /// A batch's distances to the box of the leaf being visited.
    bounds: Vec<f64>,
}

impl Scratch {
    fn for_leaf(&mut self, len: usize) -> (&mut [f64], &mut [u64]) {
        // A leaf of identical points may exceed LEAF_SIZE.
        let want = len.max(LEAF_SIZE);
        if self.dist.len() < want {
            self.dist.resize(want, 0.0);
            self.masks.resize(want.div_ceil(64), 0);
        }
        (&mut self.dist[..len], &mut self.masks[..len.div_ceil(64)])
    }
}

enum Kind {
    Leaf {
        start: usize,
        end: usize,
    },
    /// Split on `dim`: the left child's points are ≤ `low` and the right child's ≥ `high`
    /// along `dim` (low ≤ high), which bounds the distance to each child.
    Inner {
        dim: usize,
        low: f64,
        high: f64,
        left: usize,
        right: usize,
    },
}

struct Node {
    kind: Kind,
    /// Offset of this node's bounding box (lo then hi, `dims` each) in `KdTree::boxes`.
    bbox: usize,
    /// Smallest original index in the node (for the tie-break pruning).
    min_index: usize,
}

impl KdTree {
    pub fn build(points: &[f64], dims: usize) -> Self {
        let n = points.len().checked_div(dims).unwrap_or(0);
        let mut order: Vec<usize> = (0..n).collect();
        let mut tree = Self {
            dims,
            pts: Vec::new(),
            idx: Vec::new(),
            nodes: Vec::with_capacity(2 * n / LEAF_SIZE + 1),
            boxes: Vec::new(),
            root_lo: vec![f64::INFINITY; dims],
            root_hi: vec![f64::NEG_INFINITY; dims],
            filter: None,
        };
        for i in 0..n {
            for k in 0..dims {
                let x = points[i * dims + k];
                tree.root_lo[k] = tree.root_lo[k].min(x);
                tree.root_hi[k] = tree.root_hi[k].max(x);
            }
        }
        if n > 0 {
            tree.build_node(points, &mut order, 0, n);
        }
        tree.idx = order;
        tree.pts = vec![0.0; n * dims];
        for node in &tree.nodes {
            if let Kind::Leaf { start, end } = node.kind {
                let len = end - start;
                for (j, &i) in tree.idx[start..end].iter().enumerate() {
                    for k in 0..dims {
                        tree.pts[start * dims + k * len + j] = points[i * dims + k];
                    }
                }
            }
        }
        tree.filter = Filter::new(&tree.pts, &tree.root_lo, &tree.root_hi);
        tree
    }

    /// A query prepared for the f32 pass, if the tree has one.
    fn query32(&self, q: &[f64]) -> Option<Query32> {
        self.filter.as_ref().and_then(|f| f.query(q))
    }

    fn build_node(
        &mut self,
        points: &[f64],
        order: &mut [usize],
        start: usize,
        end: usize,
    ) -> usize {
        let dims = self.dims;
        let id = self.nodes.len();
        let min_index = order[start..end]
            .iter()
            .copied()
            .min()
            .unwrap_or(usize::MAX);
        let bbox = self.boxes.len();
        self.boxes.extend(std::iter::repeat_n(f64::INFINITY, dims));
        self.boxes
            .extend(std::iter::repeat_n(f64::NEG_INFINITY, dims));
        for &i in &order[start..end] {
            for k in 0..dims {
                let x = points[i * dims + k];
                self.boxes[bbox + k] = self.boxes[bbox + k].min(x);
                self.boxes[bbox + dims + k] = self.boxes[bbox + dims + k].max(x);
            }
        }
        self.nodes.push(Node {
            kind: Kind::Leaf { start, end },
            bbox,
            min_index,
        });
        if end - start <= LEAF_SIZE {
            return id;
        }
        // Split the dimension with the widest spread at the median.
        let mut best = (0, 0.0);
        for k in 0..dims {
            let spread = self.boxes[bbox + dims + k] - self.boxes[bbox + k];
            if spread > best.1 {
                best = (k, spread);
            }
        }
        let (dim, spread) = best;
        if spread <= 0.0 {
            return id; // all points identical: one leaf
        }
        let mid = start + (end - start) / 2;
        order[start..end].select_nth_unstable_by(mid - start, |a, b| {
            points[a * dims + dim].total_cmp(&points[b * dims + dim])
        });
        let low = order[start..mid]
            .iter()
            .map(|i| points[i * dims + dim])
            .fold(f64::NEG_INFINITY, f64::max);
        let high = order[mid..end]
            .iter()
            .map(|i| points[i * dims + dim])
            .fold(f64::INFINITY, f64::min);
        let left = self.build_node(points, order, start, mid);
        let right = self.build_node(points, order, mid, end);
        self.nodes[id].kind = Kind::Inner {
            dim,
            low,
            high,
            left,
            right,
        };
        id
    }

    /// The leaf a query point descends to: sorting queries by it makes consecutive searches
    /// touch the same part of the tree, which is what keeps a large search cache-friendly.
    pub fn leaf_of(&self, q: &[f64]) -> usize {
        let mut id = 0;
        if self.nodes.is_empty() {
            return 0;
        }
        loop {
            match self.nodes[id].kind {
                Kind::Leaf { .. } => return id,
                Kind::Inner { .. } => id = self.children_by_side(id, q).0,
            }
        }
    }

    /// An inner node's children, the one on `q`'s side of the split first.
    fn children_by_side(&self, id: usize, q: &[f64]) -> (usize, usize) {
        match self.nodes[id].kind {
            Kind::Inner {
                dim,
                low,
                high,
                left,
                right,
            } => {
                // Nearer the left child's upper bound than the right child's lower one.
                if (q[dim] - low) + (q[dim] - high) < 0.0 {
                    (left, right)
                } else {
                    (right, left)
                }
            }
            Kind::Leaf { .. } => (id, id),
        }
    }

    /// The original indices of the `k` nearest points to `q`, nearest first, ties by index
    /// (one query at a time: the tests compare it with brute force and with the batch walk).
    #[cfg(test)]
    pub fn nearest(&self, q: &[f64], k: usize) -> Vec<usize> {
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
        if self.nodes.is_empty() || k == 0 {
            return Vec::new();
        }
        let q32 = self.query32(q);
        self.search(0, q, q32.as_ref(), k, &mut best, &mut Scratch::default());
        best.into_iter().map(|(_, i)| self.idx[i]).collect()
    }

    /// The k nearest neighbours of several nearby queries (e.g. those that fall in one leaf),
    /// found in one walk of the tree: a node is skipped when even the bounding box of all the
    /// queries is farther than every query's current k-th neighbour, and each visited leaf is
    /// scanned for every query it may still improve. The results equal [`Self::nearest`]
    /// for each query; the point is that a leaf's data is loaded once for the whole batch.
    pub fn nearest_batch(&self, queries: &[&[f64]], k: usize) -> Vec<Vec<usize>> {
        let mut best: Vec<Vec<(f64, usize)>> = vec![Vec::with_capacity(k + 1); queries.len()];
        if self.nodes.is_empty() || k == 0 || queries.is_empty() {
            return vec![Vec::new(); queries.len()];
        }
        let dims = self.dims;
        let mut qlo = vec![f64::INFINITY; dims];
        let mut qhi = vec![f64::NEG_INFINITY; dims];
        for q in queries {
            for d in 0..dims {
                qlo[d] = qlo[d].min(q[d]);
                qhi[d] = qhi[d].max(q[d]);
            }
        }
        let queries32: Vec<Option<Query32>> = queries.iter().map(|q| self.query32(q)).collect();
        let mut columns = vec![0.0; dims * queries.len()];
        for (i, q) in queries.iter().enumerate() {
            for (d, x) in q.iter().enumerate().take(dims) {
                columns[d * queries.len() + i] = *x;
            }
        }
        let batch = Batch {
            queries,
            queries32: &queries32,
            columns: &columns,
            k,
            lo: &qlo,
            hi: &qhi,
        };
        let mut worst_all = f64::INFINITY;
        let mut scratch = Scratch::default();
        self.search_batch(0, &batch, &mut worst_all, &mut best, &mut scratch);
        best.into_iter()
            .map(|b| b.into_iter().map(|(_, i)| self.idx[i]).collect())
            .collect()
    }

    /// Squared distance between a node's box and the queries' box.
    fn box_box_distance(&self, node: &Node, qlo: &[f64], qhi: &[f64]) -> f64 {
        let dims = self.dims;
        let lo = &self.boxes[node.bbox..node.bbox + dims];
        let hi = &self.boxes[node.bbox + dims..node.bbox + 2 * dims];
        let mut d = 0.0;
        for k in 0..dims {
            let gap = if qhi[k] < lo[k] {
                lo[k] - qhi[k]
            } else if qlo[k] > hi[k] {
                qlo[k] - hi[k]
            } else {
                0.0
            };
            d += gap * gap;
        }
        d
    }

    fn search_batch(
        &self,
        id: usize,
        batch: &Batch,
        worst_all: &mut f64,
        best: &mut [Vec<(f64, usize)>],
        scratch: &mut Scratch,
    ) {
        let node = &self.nodes[id];
        // Strictly farther than every query's k-th: nothing here can enter any list.
        if self.box_box_distance(node, batch.lo, batch.hi) > *worst_all {
            return;
        }
        match node.kind {
            Kind::Leaf { start, end } => {
                let k = batch.k;
                // Every query's distance to the leaf's box at once (`search` would take them
                // one by one: a dependent chain of adds each, 40 % of FT's walk).
                let mut bounds = std::mem::take(&mut scratch.bounds);
                bounds.clear();
                bounds.resize(batch.queries.len(), 0.0);
                self.box_distances(node, batch.columns, &mut bounds);
                for (((q, q32), b), bound) in batch
                    .queries
                    .iter()
                    .zip(batch.queries32)
                    .zip(best.iter_mut())
                    .zip(&bounds)
                {
                    if b.len() == k && !self.may_improve(node, *bound, k, b) {
                        continue;
                    }
                    self.scan_leaf((start, end), q, q32.as_ref(), k, b, scratch);
                }
                scratch.bounds = bounds;
                *worst_all = best
                    .iter()
                    .map(|b| {
                        if b.len() == k {
                            b[k - 1].0
                        } else {
                            f64::INFINITY
                        }
                    })
                    .fold(0.0, f64::max);
            }
            Kind::Inner { .. } => {
                let (l, r) = self.children_by_side(id, batch.queries[0]);
                self.search_batch(l, batch, worst_all, best, scratch);
                self.search_batch(r, batch, worst_all, best, scratch);
            }
        }
    }

    /// [`Self::box_distance`] of every query of a batch (`columns` dimension-major), each the
    /// same bits: the same terms summed in the same order, a query per vector lane.
    fn box_distances(&self, node: &Node, columns: &[f64], out: &mut [f64]) {
        let dims = self.dims;
        let lo = &self.boxes[node.bbox..node.bbox + dims];
        let hi = &self.boxes[node.bbox + dims..node.bbox + 2 * dims];
        box_distances(lo, hi, columns, out);
    }

    /// Squared distance from `q` to a node's bounding box (every dimension: a branch-free
    /// sum beats stopping early at this depth of the tree). The one-query walk's; batches use
    /// [`Self::box_distances`].
    #[cfg(test)]
    fn box_distance(&self, node: &Node, q: &[f64]) -> f64 {
        // One query is a batch of one (its coordinates are its own dimension-major columns).
        let mut d = [0.0];
        self.box_distances(node, q, &mut d);
        d[0]
    }

    /// Whether a node whose points are at squared distance ≥ `bound` may still hold a
    /// better candidate than the current k-th.
    fn may_improve(&self, node: &Node, bound: f64, k: usize, best: &[(f64, usize)]) -> bool {
        if best.len() < k {
            return true;
        }
        let (worst_d, worst_pos) = best[k - 1];
        bound < worst_d || (bound == worst_d && node.min_index < self.idx[worst_pos])
    }

    /// The one-query walk (the batch walk's reference in the tests).
    #[cfg(test)]
    fn search(
        &self,
        id: usize,
        q: &[f64],
        q32: Option<&Query32>,
        k: usize,
        best: &mut Vec<(f64, usize)>,
        scratch: &mut Scratch,
    ) {
        let node = &self.nodes[id];
        if best.len() == k {
            let bound = self.box_distance(node, q);
            if !self.may_improve(node, bound, k, best) {
                return;
            }
        }
        match node.kind {
            Kind::Leaf { start, end } => self.scan_leaf((start, end), q, q32, k, best, scratch),
            Kind::Inner { .. } => {
                let (near, far) = self.children_by_side(id, q);
                self.search(near, q, q32, k, best, scratch);
                self.search(far, q, q32, k, best, scratch);
            }
        }
    }

    /// Scans the leaf of points `[start, end)` for `q`, updating `best`.
    fn scan_leaf(
        &self,
        (start, end): (usize, usize),
        q: &[f64],
        q32: Option<&Query32>,
        k: usize,
        best: &mut Vec<(f64, usize)>,
        scratch: &mut Scratch,
    ) {
        let dims = self.dims;
        let len = end - start;
        let block = &self.pts[start * dims..end * dims];
        // Almost every point of a visited leaf is farther than the current k-th: the
        // scan marks the points within it (one bit each) so only those get the
        // per-point checks (distances are finite: FT rejects NaN and infinite
        // features, so `<=` is the exact complement of `>`).
        let mut worst = if best.len() == k {
            best[k - 1].0
        } else {
            f64::INFINITY
        };
        let (dist, masks) = scratch.for_leaf(len);
        // With the f32 pass, only its candidates get an f64 distance (the same bits
        // the full scan gives them: see `exact_distance`).
        let scanned = match (&self.filter, q32) {
            (Some(filter), Some(q32)) => {
                filter.candidates(start, end, q32, worst, masks);
                false
            }
            _ => {
                leaf_distances(block, q, worst, dist, masks);
                true
            }
        };
        for (w, &mask) in masks.iter().enumerate() {
            let mut bits = mask;
            while bits != 0 {
                let j = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let d = if scanned {
                    dist[j]
                } else {
                    exact_distance(block, len, j, q)
                };
                if d > worst {
                    continue;
                }
                let pos = start + j;
                if best.len() == k {
                    let wp = best[k - 1].1;
                    if d == worst && self.idx[pos] > self.idx[wp] {
                        continue;
                    }
                }
                let key = (d, self.idx[pos]);
                let at = best.partition_point(|(bd, bp)| (*bd, self.idx[*bp]) < key);
                best.insert(at, (d, pos));
                best.truncate(k);
                if best.len() == k {
                    worst = best[k - 1].0;
                }
            }
        }
    }
}

/// See [`KdTree::box_distances`]; every lane computes `box_distance`'s terms in its order.
#[inline(always)]
fn box_distances_portable(lo: &[f64], hi: &[f64], columns: &[f64], out: &mut [f64]) {
    let n = out.len();
    out.fill(0.0);
    for (k, (l, h)) in lo.iter().zip(hi).enumerate() {
        let Some(column) = columns.get(k * n..(k + 1) * n) else {
            return;
        };
        for (d, x) in out.iter_mut().zip(column) {
            // lo ≤ hi, so at most one side is positive: the same value as the branchy
            // (below / above / inside) form, without the mispredicted branches.
            let below = l - x;
            let above = x - h;
            let o = if below > 0.0 { below } else { 0.0 } + if above > 0.0 { above } else { 0.0 };
            *d += o * o;
        }
    }
}

widest! {
    /// [`KdTree::box_distances`] with the box given.
    fn box_distances, box_distances_avx512, box_distances_avx2, box_distances_versions
        => box_distances_portable(
        lo: &[f64],
        hi: &[f64],
        columns: &[f64],
        out: &mut [f64],
    )
}

/// The squared distance from `q` to point `j` of a dimension-major leaf `block` of `len`
/// points: each lane of [`leaf_distances`] sums the same terms in the same order, so this is
/// the same bits.
fn exact_distance(block: &[f64], len: usize, j: usize, q: &[f64]) -> f64 {
    let mut acc = 0.0;
    for (k, qk) in q.iter().enumerate() {
        let c = block[k * len + j];
        acc += (c - qk) * (c - qk);
    }
    acc
}

widest! {
    /// Writes the squared distance from `q` to each point of a dimension-major leaf `block`
    /// into `dist`, and sets bit j of `masks[j / 64]` when point j is within `worst`. Every
    /// lane sums its point's terms in dimension order with separate multiply and add, so the
    /// result is the same bits at any vector width.
    fn leaf_distances, leaf_distances_avx512, leaf_distances_avx2, leaf_distances_versions
        => leaf_distances_portable(
        block: &[f64],
        q: &[f64],
        worst: f64,
        dist: &mut [f64],
        masks: &mut [u64],
    )
}

#[inline(always)]
fn leaf_distances_portable(
    block: &[f64],
    q: &[f64],
    worst: f64,
    dist: &mut [f64],
    masks: &mut [u64],
) {
    let len = dist.len();
    // Blocks of points whose sums stay in registers across all dimensions (a dimension-outer
    // loop over the whole leaf would load and store every sum once per dimension).
    for (b, out) in dist.chunks_mut(REGISTER_BLOCK).enumerate() {
        let first = b * REGISTER_BLOCK;
        let mut acc = [0.0f64; REGISTER_BLOCK];
        if out.len() == REGISTER_BLOCK {
            for (k, qk) in q.iter().enumerate() {
                let col = &block[k * len + first..k * len + first + REGISTER_BLOCK];
                for (a, c) in acc.iter_mut().zip(col) {
                    *a += (c - qk) * (c - qk);
                }
            }
        } else {
            let width = out.len();
            for (k, qk) in q.iter().enumerate() {
                let col = &block[k * len + first..k * len + first + width];
                for (a, c) in acc.iter_mut().zip(col) {
                    *a += (c - qk) * (c - qk);
                }
            }
        }
        out.copy_from_slice(&acc[..out.len()]);
    }
    for (mask, chunk) in masks.iter_mut().zip(dist.chunks(64)) {
        let mut bits = 0u64;
        for (j, &d) in chunk.iter().enumerate() {
            bits |= u64::from(d <= worst) << j;
        }
        *mask = bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(points: &[f64], dims: usize, q: &[f64], k: usize) -> Vec<usize> {
        let n = points.len() / dims;
        let mut d: Vec<(f64, usize)> = (0..n)
            .map(|i| {
                let p = &points[i * dims..(i + 1) * dims];
                (p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum(), i)
            })
            .collect();
        d.sort_by(|a, b| a.partial_cmp(b).unwrap());
        d.into_iter().take(k).map(|x| x.1).collect()
    }

    /// Each query's neighbours from batches of the queries that share a leaf, as FT asks.
    fn batched(tree: &KdTree, queries: &[Vec<f64>], k: usize) -> Vec<(usize, Vec<usize>)> {
        let mut keyed: Vec<(usize, usize)> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| (tree.leaf_of(q), i))
            .collect();
        keyed.sort_unstable();
        let mut out = Vec::new();
        for group in keyed.chunk_by(|a, b| a.0 == b.0) {
            let qs: Vec<&[f64]> = group.iter().map(|(_, i)| queries[*i].as_slice()).collect();
            let found = tree.nearest_batch(&qs, k);
            out.extend(group.iter().map(|(_, i)| *i).zip(found));
        }
        out
    }

    fn lcg(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        }
    }

    #[test]
    fn matches_a_stable_brute_force_even_with_many_ties() {
        // A small integer grid: many exact duplicates and equidistant points.
        let mut next = lcg(12345);
        let dims = 3;
        let points: Vec<f64> = (0..600 * dims).map(|_| (next() % 4) as f64).collect();
        let tree = KdTree::build(&points, dims);
        for qi in 0..300 {
            let shift = if qi % 2 == 0 { 0.5 } else { 0.0 };
            let q: Vec<f64> = (0..dims)
                .map(|_| (next() % 5) as f64 + shift - 0.5)
                .collect();
            for k in [1, 5] {
                assert_eq!(
                    tree.nearest(&q, k),
                    brute(&points, dims, &q, k),
                    "query {q:?} k={k}"
                );
            }
        }
    }

    #[test]
    fn matches_brute_force_on_continuous_data_in_many_dimensions() {
        let mut next = lcg(99);
        let dims = 12;
        let points: Vec<f64> = (0..2000 * dims)
            .map(|_| (next() % 10_000) as f64 / 997.0)
            .collect();
        let tree = KdTree::build(&points, dims);
        for _ in 0..100 {
            let q: Vec<f64> = (0..dims)
                .map(|_| (next() % 10_000) as f64 / 991.0)
                .collect();
            assert_eq!(tree.nearest(&q, 5), brute(&points, dims, &q, 5));
        }
    }

    #[test]
    fn batched_queries_equal_single_queries_and_brute_force() {
        let mut next = lcg(7);
        let dims = 4;
        // Integer coordinates: plenty of exact ties for the index tie-break.
        let points: Vec<f64> = (0..3000 * dims).map(|_| (next() % 6) as f64).collect();
        let tree = KdTree::build(&points, dims);
        let queries: Vec<Vec<f64>> = (0..400)
            .map(|_| (0..dims).map(|_| (next() % 7) as f64 - 0.5).collect())
            .collect();
        for (i, found) in batched(&tree, &queries, 5) {
            assert_eq!(found, brute(&points, dims, &queries[i], 5));
            assert_eq!(found, tree.nearest(&queries[i], 5));
        }
    }

    #[test]
    fn wide_leaf_distances_are_the_portable_bits() {
        let mut next = lcg(5);
        for (len, dims) in [(192usize, 13usize), (7, 3), (1, 1), (33, 11), (130, 2)] {
            let block: Vec<f64> = (0..len * dims)
                .map(|_| (next() % 100_000) as f64 / 7.3 - 6000.0)
                .collect();
            let q: Vec<f64> = (0..dims).map(|_| (next() % 1000) as f64 / 3.1).collect();
            let words = len.div_ceil(64);
            let mut want = vec![0.0; len];
            let mut want_masks = vec![0u64; words];
            // Any threshold: the median distance marks about half the points.
            leaf_distances_portable(&block, &q, f64::INFINITY, &mut want, &mut want_masks);
            let mut sorted = want.clone();
            sorted.sort_by(f64::total_cmp);
            let worst = sorted[len / 2];
            want.iter_mut().for_each(|d| *d = 0.0);
            leaf_distances_portable(&block, &q, worst, &mut want, &mut want_masks);
            for (j, d) in want.iter().enumerate() {
                assert_eq!(want_masks[j / 64] >> (j % 64) & 1 == 1, *d <= worst);
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            for (name, kernel) in leaf_distances_versions() {
                let mut got = vec![0.0; len];
                let mut got_masks = vec![0u64; words];
                // SAFETY: each wide kernel was pushed only when its feature was detected.
                unsafe { kernel(&block, &q, worst, &mut got, &mut got_masks) };
                assert_eq!(bits(&got), bits(&want), "{name}");
                assert_eq!(got_masks, want_masks, "{name}");
            }
            for (j, d) in want.iter().enumerate() {
                assert_eq!(exact_distance(&block, len, j, &q).to_bits(), d.to_bits());
            }
        }
    }

    /// Neighbours a hair apart (f32 cannot tell them apart; the f32 pass keeps them all and
    /// the f64 distances decide), searched in batches, as FT does.
    #[test]
    fn near_ties_below_f32_precision_are_ordered_as_brute_force_orders_them() {
        let mut next = lcg(77);
        let dims = 12;
        let points: Vec<f64> = (0..4000 * dims)
            .map(|_| (next() % 3) as f64 + (next() % 5) as f64 * 1e-12)
            .collect();
        let tree = KdTree::build(&points, dims);
        assert!(tree.filter.is_some());
        let queries: Vec<Vec<f64>> = (0..300)
            .map(|_| (0..dims).map(|_| (next() % 3) as f64 + 2e-12).collect())
            .collect();
        for (i, found) in batched(&tree, &queries, 5) {
            assert_eq!(found, brute(&points, dims, &queries[i], 5));
        }
    }

    #[test]
    fn a_batch_of_box_distances_is_the_single_distances_bits() {
        let mut next = lcg(3);
        let dims = 7;
        let points: Vec<f64> = (0..1000 * dims)
            .map(|_| (next() % 2000) as f64 / 13.0 - 70.0)
            .collect();
        let tree = KdTree::build(&points, dims);
        let queries: Vec<Vec<f64>> = (0..37)
            .map(|_| {
                (0..dims)
                    .map(|_| (next() % 3000) as f64 / 11.0 - 130.0)
                    .collect()
            })
            .collect();
        let mut columns = vec![0.0; dims * queries.len()];
        for (i, q) in queries.iter().enumerate() {
            for (d, x) in q.iter().enumerate() {
                columns[d * queries.len() + i] = *x;
            }
        }
        let mut out = vec![0.0; queries.len()];
        for node in &tree.nodes {
            tree.box_distances(node, &columns, &mut out);
            for (q, got) in queries.iter().zip(&out) {
                assert_eq!(got.to_bits(), tree.box_distance(node, q).to_bits());
            }
            let (lo, hi) = tree.boxes[node.bbox..node.bbox + 2 * dims].split_at(dims);
            let mut portable = vec![0.0; queries.len()];
            box_distances_portable(lo, hi, &columns, &mut portable);
            assert_eq!(portable, out);
            for (name, version) in box_distances_versions() {
                let mut got = vec![0.0; queries.len()];
                // SAFETY: the wide versions are listed only when the CPU has their feature.
                unsafe { version(lo, hi, &columns, &mut got) };
                assert_eq!(got, portable, "{name}");
            }
        }
    }

    #[test]
    fn coordinates_too_large_for_the_f32_pass_are_searched_exactly() {
        let mut next = lcg(31);
        let dims = 5;
        let points: Vec<f64> = (0..1500 * dims)
            .map(|_| (next() % 50) as f64 * 1e15)
            .collect();
        let tree = KdTree::build(&points, dims);
        assert!(tree.filter.is_none());
        for _ in 0..60 {
            let q: Vec<f64> = (0..dims).map(|_| (next() % 60) as f64 * 1e15).collect();
            assert_eq!(tree.nearest(&q, 5), brute(&points, dims, &q, 5));
        }
        let small = KdTree::build(
            &points[..20].iter().map(|x| x / 1e15).collect::<Vec<_>>(),
            4,
        );
        assert!(small.filter.is_some());
        // A query beyond the pass's range is searched exactly in a tree that has one.
        assert_eq!(small.nearest(&[1e300, 0.0, 0.0, 0.0], 2).len(), 2);
    }

    #[test]
    fn handles_degenerate_inputs() {
        let tree = KdTree::build(&[], 2);
        assert!(tree.nearest(&[0.0, 0.0], 3).is_empty());
        let same = vec![1.0; 2 * 40];
        let tree = KdTree::build(&same, 2);
        assert_eq!(tree.nearest(&[0.0, 0.0], 3), vec![0, 1, 2]);
    }
}

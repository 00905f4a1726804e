//! A k-d tree for the flip test's k-nearest-neighbour queries (Euclidean, unscaled).
//!
//! Neighbours are ordered by (distance, row index): equidistant points are broken by row
//! order, exactly as a stable-sorted brute force would. The pruning rule keeps that
//! guarantee, so results do not depend on the tree's shape.

/// Points stored row-major in one buffer (`dims` values per point).
pub struct KdTree<'a> {
    points: &'a [f64],
    dims: usize,
    /// Point indices, permuted so each node covers a contiguous range.
    order: Vec<usize>,
    nodes: Vec<Node>,
}

struct Node {
    start: usize,
    end: usize,
    /// Bounding box of the node's points.
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// Smallest point index in the node (for the tie-break pruning).
    min_index: usize,
    children: Option<(usize, usize)>,
}

const LEAF_SIZE: usize = 16;

impl<'a> KdTree<'a> {
    pub fn build(points: &'a [f64], dims: usize) -> Self {
        let n = points.len().checked_div(dims).unwrap_or(0);
        let mut tree = Self {
            points,
            dims,
            order: (0..n).collect(),
            nodes: Vec::new(),
        };
        if n > 0 {
            tree.build_node(0, n);
        }
        tree
    }

    fn point(&self, i: usize) -> &[f64] {
        &self.points[i * self.dims..(i + 1) * self.dims]
    }

    fn build_node(&mut self, start: usize, end: usize) -> usize {
        let mut lo = vec![f64::INFINITY; self.dims];
        let mut hi = vec![f64::NEG_INFINITY; self.dims];
        let mut min_index = usize::MAX;
        for &i in &self.order[start..end] {
            min_index = min_index.min(i);
            for (k, x) in self.point(i).iter().enumerate() {
                lo[k] = lo[k].min(*x);
                hi[k] = hi[k].max(*x);
            }
        }
        let id = self.nodes.len();
        self.nodes.push(Node {
            start,
            end,
            lo: lo.clone(),
            hi: hi.clone(),
            min_index,
            children: None,
        });
        if end - start > LEAF_SIZE {
            // Split the widest dimension at the median.
            let axis = (0..self.dims)
                .max_by(|a, b| (hi[*a] - lo[*a]).total_cmp(&(hi[*b] - lo[*b])))
                .unwrap_or(0);
            if hi[axis] > lo[axis] {
                let mid = start + (end - start) / 2;
                let (points, dims) = (self.points, self.dims);
                self.order[start..end].select_nth_unstable_by(mid - start, |x, y| {
                    points[x * dims + axis].total_cmp(&points[y * dims + axis])
                });
                let left = self.build_node(start, mid);
                let right = self.build_node(mid, end);
                self.nodes[id].children = Some((left, right));
            }
        }
        id
    }

    /// The `k` nearest points to `q`, nearest first, ties by lower index.
    pub fn nearest(&self, q: &[f64], k: usize) -> Vec<usize> {
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
        if !self.nodes.is_empty() && k > 0 {
            self.search(0, q, k, &mut best);
        }
        best.into_iter().map(|(_, i)| i).collect()
    }

    fn box_distance(&self, node: &Node, q: &[f64]) -> f64 {
        q.iter()
            .enumerate()
            .map(|(k, x)| {
                let d = if *x < node.lo[k] {
                    node.lo[k] - x
                } else if *x > node.hi[k] {
                    x - node.hi[k]
                } else {
                    0.0
                };
                d * d
            })
            .sum()
    }

    fn search(&self, id: usize, q: &[f64], k: usize, best: &mut Vec<(f64, usize)>) {
        let node = &self.nodes[id];
        if best.len() == k {
            let (worst_d, worst_i) = best[k - 1];
            let bd = self.box_distance(node, q);
            if bd > worst_d || (bd == worst_d && node.min_index > worst_i) {
                return;
            }
        }
        match node.children {
            None => {
                for &i in &self.order[node.start..node.end] {
                    let d: f64 = self
                        .point(i)
                        .iter()
                        .zip(q)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    let cand = (d, i);
                    if best.len() < k || cand < best[k - 1] {
                        let pos = best.partition_point(|b| *b < cand);
                        best.insert(pos, cand);
                        best.truncate(k);
                    }
                }
            }
            Some((l, r)) => {
                let (dl, dr) = (
                    self.box_distance(&self.nodes[l], q),
                    self.box_distance(&self.nodes[r], q),
                );
                let (first, second) = if dl <= dr { (l, r) } else { (r, l) };
                self.search(first, q, k, best);
                self.search(second, q, k, best);
            }
        }
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

    #[test]
    fn matches_a_stable_brute_force_even_with_many_ties() {
        // Small integer grid: lots of exact duplicates and equidistant points.
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 4) as f64
        };
        let dims = 3;
        let points: Vec<f64> = (0..600 * dims).map(|_| next()).collect();
        let tree = KdTree::build(&points, dims);
        for qi in 0..200 {
            let q: Vec<f64> = (0..dims)
                .map(|_| next() + if qi % 2 == 0 { 0.5 } else { 0.0 })
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
}

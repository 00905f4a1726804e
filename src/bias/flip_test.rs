//! FT, the flip test: for each row of d, the majority vote of the model's predictions on its
//! k nearest neighbours in a (k = 5, or 1 when a has at most 9 rows; Euclidean distance on the
//! unscaled feature columns), compared with the model's own prediction for that row.

use super::kdtree::KdTree;
use super::metrics::{MetricValue, divide};

/// The feature matrix FT runs on: row-major, `dims` columns, or why there is none.
pub type Features = Result<(Vec<f64>, usize), String>;

pub fn flip_test(features: &Features, d: &[bool], yhat: &[bool]) -> MetricValue {
    let nd = d.iter().filter(|x| **x).count();
    let na = d.len() - nd;
    if nd == 0 {
        return Err("Facet set is empty".into());
    }
    if na == 0 {
        return Err("Negated Facet set is empty".into());
    }
    let (x, dims) = match features {
        Ok((x, dims)) => (x, *dims),
        Err(e) => return Err(e.clone()),
    };
    if dims == 0 {
        return Err(format!(
            "Found array with 0 feature(s) (shape=({na}, 0)) while a minimum of 1 is required by KNeighborsClassifier."
        ));
    }
    let mut xa = Vec::with_capacity(na * dims);
    let mut ya = Vec::with_capacity(na);
    let mut xd_rows = Vec::with_capacity(nd);
    for (i, in_d) in d.iter().enumerate() {
        let row = &x[i * dims..(i + 1) * dims];
        if *in_d {
            xd_rows.push(i);
        } else {
            xa.extend_from_slice(row);
            ya.push(yhat[i]);
        }
    }
    let k = if na > 9 { 5 } else { 1 };
    let tree = KdTree::build(&xa, dims);
    let vote = |i: usize, neighbours: &[usize]| -> i64 {
        let pos = neighbours.iter().filter(|j| ya[**j]).count();
        let neighbour_label = 2 * pos > k;
        match (yhat[i], neighbour_label) {
            (true, false) => 1,
            (false, true) => -1,
            _ => 0,
        }
    };
    // Queries grouped by the leaf they fall in (see `KdTree::nearest_batch`); the sum does
    // not depend on the order.
    let mut keyed: Vec<(usize, usize)> = xd_rows
        .iter()
        .map(|i| (tree.leaf_of(&x[i * dims..(i + 1) * dims]), *i))
        .collect();
    keyed.sort_unstable();
    let groups: Vec<&[(usize, usize)]> = keyed.chunk_by(|a, b| a.0 == b.0).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = groups.len().div_ceil(threads).max(1);
    let net: Option<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = groups
            .chunks(chunk)
            .map(|part| {
                s.spawn(|| {
                    part.iter()
                        .map(|g| {
                            let qs: Vec<&[f64]> = g
                                .iter()
                                .map(|(_, i)| &x[i * dims..(i + 1) * dims])
                                .collect();
                            let found = tree.nearest_batch(&qs, k);
                            g.iter()
                                .zip(&found)
                                .map(|((_, i), n)| vote(*i, n))
                                .sum::<i64>()
                        })
                        .sum::<i64>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok()).sum()
    });
    let net = net.ok_or("the flip test's neighbour search failed")?;
    Ok(divide(net as f64, nd as f64))
}

//! The counting behind every metric: records by facet × label × prediction (and × group
//! for CDD). Metrics are then small pure functions over these counts.

#[cfg(test)]
use polars::prelude::*;

use super::values::{Values, Weights};

/// Counts for one side of a facet split (a = not selected, d = selected).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Side {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
    pub tn: u64,
}

impl Side {
    pub fn n(&self) -> u64 {
        self.tp + self.fp + self.fn_ + self.tn
    }
    /// Rows with a positive label.
    pub fn label_pos(&self) -> u64 {
        self.tp + self.fn_
    }
    pub fn label_neg(&self) -> u64 {
        self.fp + self.tn
    }
    /// Rows predicted positive.
    pub fn pred_pos(&self) -> u64 {
        self.tp + self.fp
    }
    pub fn pred_neg(&self) -> u64 {
        self.fn_ + self.tn
    }
}

/// Confusion counts of both sides. Without predictions every row counts as predicted
/// negative, which pre-training metrics never look at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cells {
    pub a: Side,
    pub d: Side,
}

/// Per-group counts for CDD: rows of group g by (d, outcome).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupCells {
    /// (group rows, positives, positives in d, negatives, negatives in d), one per group.
    pub groups: Vec<GroupCount>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupCount {
    pub n: u64,
    pub pos: u64,
    pub pos_d: u64,
    pub neg: u64,
    pub neg_d: u64,
}

impl GroupCount {
    /// Adds `n` records, positive or not, in the facet or not.
    fn add(&mut self, n: u64, positive: bool, in_d: bool) {
        self.n += n;
        let (all, facet) = if positive {
            (&mut self.pos, &mut self.pos_d)
        } else {
            (&mut self.neg, &mut self.neg_d)
        };
        *all += n;
        if in_d {
            *facet += n;
        }
    }
}

#[cfg(test)]
fn bool_col(name: &str, v: &[bool]) -> Column {
    Column::new(name.into(), v)
}

#[cfg(test)]
fn u64_at(c: &Column, i: usize) -> PolarsResult<u64> {
    Ok(c.get(i)?.extract::<u64>().unwrap_or(0))
}

#[cfg(test)]
fn bool_at(c: &Column, i: usize) -> PolarsResult<bool> {
    Ok(matches!(c.get(i)?, AnyValue::Boolean(true)))
}

/// Counts rows by (d, y, ŷ) with one polars group-by (the oracle [`joint`]'s marginals are
/// tested against).
#[cfg(test)]
pub fn cells(d: &[bool], y: &[bool], yhat: Option<&[bool]>) -> PolarsResult<Cells> {
    let no_pred;
    let yhat = match yhat {
        Some(p) => p,
        None => {
            no_pred = vec![false; d.len()];
            &no_pred
        }
    };
    let df = DataFrame::new(
        d.len(),
        vec![bool_col("d", d), bool_col("y", y), bool_col("p", yhat)],
    )?;
    let out = df
        .lazy()
        .group_by([col("d"), col("y"), col("p")])
        .agg([len().alias("n")])
        .collect()?;
    let (cd, cy, cp, cn) = (
        out.column("d")?,
        out.column("y")?,
        out.column("p")?,
        out.column("n")?,
    );
    let mut cells = Cells::default();
    for i in 0..out.height() {
        let side = if bool_at(cd, i)? {
            &mut cells.d
        } else {
            &mut cells.a
        };
        let n = u64_at(cn, i)?;
        match (bool_at(cy, i)?, bool_at(cp, i)?) {
            (true, true) => side.tp += n,
            (false, true) => side.fp += n,
            (true, false) => side.fn_ += n,
            (false, false) => side.tn += n,
        }
    }
    Ok(cells)
}

/// Counts rows by (group, d, outcome); rows with a missing group value take no part (they
/// never compare equal to a group in smclarify). The oracle of [`joint`]'s group marginals.
#[cfg(test)]
pub fn group_cells(group: &Column, d: &[bool], outcome: &[bool]) -> PolarsResult<GroupCells> {
    let g = group.clone().with_name("g".into());
    let df = DataFrame::new(d.len(), vec![g, bool_col("d", d), bool_col("y", outcome)])?;
    let out = df
        .lazy()
        .filter(col("g").is_not_null())
        .group_by([col("g"), col("d"), col("y")])
        .agg([len().alias("n")])
        .sort(["g"], SortMultipleOptions::default())
        .collect()?;
    let (cg, cd, cy, cn) = (
        out.column("g")?,
        out.column("d")?,
        out.column("y")?,
        out.column("n")?,
    );
    let mut groups: Vec<(String, GroupCount)> = Vec::new();
    for i in 0..out.height() {
        let key = cg.get(i)?.to_string();
        if groups.last().is_none_or(|(k, _)| *k != key) {
            groups.push((key, GroupCount::default()));
        }
        let Some((_, gc)) = groups.last_mut() else {
            continue;
        };
        gc.add(u64_at(cn, i)?, bool_at(cy, i)?, bool_at(cd, i)?);
    }
    Ok(GroupCells {
        groups: groups.into_iter().map(|(_, g)| g).collect(),
    })
}

/// Rows by (group, d, y, ŷ): every count the metrics of one facet entry need. [`Cells`] and
/// both [`GroupCells`] are its marginals, so resampling these cells (the count bootstrap) is
/// resampling the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct JointCounts {
    /// Slots: one per group (in the order [`group_cells`] uses), then one for rows without a
    /// group — the only slot when there is no group variable.
    pub slots: usize,
    pub has_group: bool,
    /// `counts[((slot * 2 + d) * 2 + y) * 2 + ŷ]`.
    pub counts: Vec<u64>,
}

fn cell_index(slot: usize, d: bool, y: bool, p: bool) -> usize {
    ((slot * 2 + usize::from(d)) * 2 + usize::from(y)) * 2 + usize::from(p)
}

impl JointCounts {
    pub fn rows(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn cells(&self) -> Cells {
        self.cells_of(&self.counts)
    }

    /// The cells of other counts laid out like these (a resample), without copying them.
    pub fn cells_of(&self, counts: &[u64]) -> Cells {
        let mut c = Cells::default();
        for slot in 0..self.slots {
            for (d, side) in [(false, &mut c.a), (true, &mut c.d)] {
                side.tp += counts[cell_index(slot, d, true, true)];
                side.fp += counts[cell_index(slot, d, false, true)];
                side.fn_ += counts[cell_index(slot, d, true, false)];
                side.tn += counts[cell_index(slot, d, false, false)];
            }
        }
        c
    }

    /// Per group (rows with a group only, groups with rows only) by (d, outcome), the outcome
    /// being the label (`predicted` false) or the prediction; of `counts` laid out like these.
    pub fn groups_of(&self, counts: &[u64], predicted: bool) -> Option<GroupCells> {
        if !self.has_group {
            return None;
        }
        let mut groups = Vec::new();
        for slot in 0..self.slots - 1 {
            let mut g = GroupCount::default();
            for d in [false, true] {
                for y in [false, true] {
                    for p in [false, true] {
                        let positive = if predicted { p } else { y };
                        g.add(counts[cell_index(slot, d, y, p)], positive, d);
                    }
                }
            }
            if g.n > 0 {
                groups.push(g);
            }
        }
        Some(GroupCells { groups })
    }

    /// The records of each group (with records) of the group variable.
    pub fn group_sizes(&self) -> Vec<u64> {
        if !self.has_group {
            return Vec::new();
        }
        (0..self.slots - 1)
            .map(|slot| self.counts[slot * 8..slot * 8 + 8].iter().sum::<u64>())
            .filter(|n| *n > 0)
            .collect()
    }

    /// CDDL's groups: (group, d, label).
    pub fn label_groups(&self) -> Option<GroupCells> {
        self.groups_of(&self.counts, false)
    }

    /// CDDPL's groups: (group, d, prediction).
    pub fn pred_groups(&self) -> Option<GroupCells> {
        self.groups_of(&self.counts, true)
    }
}

/// Each row's slot among the distinct values of the group variable, sorted (numbers by
/// value, text byte by byte, false before true); rows without a value (missing, NaN) share
/// the last slot, and take no part in any group, as pandas' `groupby` drops them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSlots {
    slot: Vec<u32>,
    /// Distinct values; the slot of rows without one.
    groups: usize,
}

impl GroupSlots {
    pub fn of(values: &Values) -> Self {
        match values {
            Values::Int(v) => Self::sorted(v.iter().map(|x| Some(*x))),
            Values::Float(v) => Self::sorted(v.iter().map(|x| {
                // Bits with -0.0 folded into 0.0; the sign bit flipped (and every bit for
                // negatives) so that the unsigned order is the numeric order.
                (!x.is_nan()).then(|| {
                    let b = if *x == 0.0 { 0 } else { x.to_bits() };
                    if b >> 63 == 1 { !b } else { b | (1 << 63) }
                })
            })),
            Values::Str(v) => Self::sorted(v.iter().map(Option::as_deref)),
            Values::Bool(v) => Self::sorted(v.iter().copied()),
        }
    }

    /// Slots for keys whose order is the groups' order.
    fn sorted<K: Ord + std::hash::Hash + Copy>(keys: impl Iterator<Item = Option<K>>) -> Self {
        let mut first_seen: foldhash::HashMap<K, u32> = foldhash::HashMap::default();
        let mut raw = Vec::with_capacity(keys.size_hint().0);
        for k in keys {
            raw.push(k.map(|k| {
                let next = first_seen.len() as u32;
                *first_seen.entry(k).or_insert(next)
            }));
        }
        let mut distinct: Vec<(K, u32)> = first_seen.into_iter().collect();
        distinct.sort_unstable_by_key(|(k, _)| *k);
        let mut rank = vec![0u32; distinct.len()];
        for (r, (_, seen)) in distinct.iter().enumerate() {
            rank[*seen as usize] = r as u32;
        }
        let groups = distinct.len();
        Self {
            slot: raw
                .into_iter()
                .map(|s| s.map_or(groups as u32, |s| rank[s as usize]))
                .collect(),
            groups,
        }
    }
}

/// Counts records by (group, d, y, ŷ) in one pass (a row stands for `w[i]` records when
/// weights are given).
pub fn joint(
    group: Option<&GroupSlots>,
    d: &[bool],
    y: &[bool],
    yhat: Option<&[bool]>,
    w: Weights<'_>,
) -> JointCounts {
    let slots = group.map_or(1, |g| g.groups + 1);
    let mut counts = vec![0u64; slots * 8];
    for i in 0..d.len() {
        let slot = group.map_or(0, |g| g.slot[i] as usize);
        let p = yhat.is_some_and(|p| p[i]);
        counts[cell_index(slot, d[i], y[i], p)] += w.map_or(1, |w| w[i]);
    }
    JointCounts {
        slots,
        has_group: group.is_some(),
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_joint_counts_marginalise_to_the_cells_and_the_groups() {
        let d = [true, false, true, false, true, false, true, true];
        let y = [true, true, false, false, true, false, true, false];
        let p = [false, true, true, false, true, true, false, false];
        let g = Column::new(
            "grp".into(),
            [
                Some(3i64),
                Some(1),
                None,
                Some(3),
                Some(2),
                Some(1),
                Some(3),
                None,
            ],
        );
        let slots = GroupSlots::of(&Values::from_column(&g).unwrap());
        let j = joint(Some(&slots), &d, &y, Some(&p), None);
        assert_eq!(j.rows(), 8);
        assert_eq!(j.cells(), cells(&d, &y, Some(&p)).unwrap());
        assert_eq!(j.label_groups(), Some(group_cells(&g, &d, &y).unwrap()));
        assert_eq!(j.pred_groups(), Some(group_cells(&g, &d, &p).unwrap()));
        let none = joint(None, &d, &y, None, None);
        assert_eq!(none.cells(), cells(&d, &y, None).unwrap());
        assert_eq!(none.label_groups(), None);
    }
}

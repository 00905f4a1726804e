//! The counting behind every metric: a polars group-by over facet × label × prediction
//! (and × group for CDD). Metrics are then small pure functions over these counts.

use polars::prelude::*;

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

fn bool_col(name: &str, v: &[bool]) -> Column {
    Column::new(name.into(), v)
}

fn u64_at(c: &Column, i: usize) -> PolarsResult<u64> {
    Ok(c.get(i)?.extract::<u64>().unwrap_or(0))
}

fn bool_at(c: &Column, i: usize) -> PolarsResult<bool> {
    Ok(matches!(c.get(i)?, AnyValue::Boolean(true)))
}

/// Counts rows by (d, y, ŷ) with one polars group-by.
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
/// never compare equal to a group in smclarify).
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
        let n = u64_at(cn, i)?;
        let in_d = bool_at(cd, i)?;
        gc.n += n;
        if bool_at(cy, i)? {
            gc.pos += n;
            if in_d {
                gc.pos_d += n;
            }
        } else {
            gc.neg += n;
            if in_d {
                gc.neg_d += n;
            }
        }
    }
    Ok(GroupCells {
        groups: groups.into_iter().map(|(_, g)| g).collect(),
    })
}

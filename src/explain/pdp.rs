//! Partial dependence, as Clarify's `methods.pdp` reports it: for a feature of interest, the
//! model's average output over the dataset with that feature set to each value of a grid
//! (the other features as they are) — scikit-learn's `partial_dependence` with
//! `method="brute"`, evaluated on Clarify's grid.
//!
//! The grid (choices where SageMaker documents only the shape): a numerical feature's range
//! [min, max] is cut into `grid_resolution` equal buckets and the grid is their centres; a
//! feature whose values are all whole numbers and at most `grid_resolution` distinct is
//! categorical and the grid is its distinct values, ascending. `data_distribution` is the
//! share of rows in each bucket (the last bucket includes max) or with each value.

use super::predictor::{PredictError, Predictor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdpDataType {
    Numerical,
    Categorical,
}

impl PdpDataType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Numerical => "numerical",
            Self::Categorical => "categorical",
        }
    }
}

/// Where a feature's partial dependence is evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub data_type: PdpDataType,
    pub values: Vec<f64>,
    /// Share of the rows in each bucket / with each value.
    pub distribution: Vec<f64>,
}

/// The grid of a column (`values` without missing values; NaN are left out).
pub fn grid(values: &[f64], grid_resolution: usize) -> Result<Grid, String> {
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.is_empty() {
        return Err("the feature has no values".into());
    }
    let n = present.len() as f64;
    let mut distinct = present.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let whole = present.iter().all(|v| v.fract() == 0.0);
    if whole && distinct.len() <= grid_resolution.max(1) {
        let distribution = distinct
            .iter()
            .map(|d| present.iter().filter(|v| *v == d).count() as f64 / n)
            .collect();
        return Ok(Grid {
            data_type: PdpDataType::Categorical,
            values: distinct,
            distribution,
        });
    }
    let (lo, hi) = (distinct[0], distinct[distinct.len() - 1]);
    let k = grid_resolution.max(1);
    let width = (hi - lo) / k as f64;
    let values = (0..k).map(|i| lo + width * (i as f64 + 0.5)).collect();
    let mut counts = vec![0usize; k];
    for v in &present {
        let b = if width > 0.0 {
            (((v - lo) / width) as usize).min(k - 1)
        } else {
            0
        };
        counts[b] += 1;
    }
    Ok(Grid {
        data_type: PdpDataType::Numerical,
        values,
        distribution: counts.into_iter().map(|c| c as f64 / n).collect(),
    })
}

/// The average model output over `rows` with column `feature` set to each grid value:
/// `[output][grid value]`.
pub fn partial_dependence(
    rows: &[Vec<f64>],
    feature: usize,
    grid: &[f64],
    model: &Predictor,
) -> Result<Vec<Vec<f64>>, PredictError> {
    let n = rows.len();
    if n == 0 {
        return Err(PredictError::permanent("no rows to average over"));
    }
    let mut out: Vec<Vec<f64>> = Vec::new();
    for (g, value) in grid.iter().enumerate() {
        let mut batch = Vec::with_capacity(n * rows[0].len());
        for r in rows {
            let start = batch.len();
            batch.extend_from_slice(r);
            batch[start + feature] = *value;
        }
        let y = model.predict(&batch)?;
        if y.is_empty() || y.len() % n != 0 {
            return Err(PredictError::permanent(format!(
                "the model returned {} values for {n} rows",
                y.len()
            )));
        }
        let outputs = y.len() / n;
        if out.is_empty() {
            out = vec![vec![0.0; grid.len()]; outputs];
        } else if out.len() != outputs {
            return Err(PredictError::permanent(format!(
                "the model returned {outputs} values per row, then {}",
                out.len()
            )));
        }
        for (o, series) in out.iter_mut().enumerate() {
            let sum: f64 = (0..n).map(|i| y[i * outputs + o]).sum();
            series[g] = sum / n as f64;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::model::InProcessModel;

    #[test]
    fn grids_are_bucket_centres_or_distinct_values() {
        let g = grid(&[19.0, 20.0, 47.0, 47.5], 4).unwrap();
        assert_eq!(g.data_type, PdpDataType::Numerical);
        let want = [22.5625, 29.6875, 36.8125, 43.9375];
        assert!(
            g.values
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() < 1e-12),
            "{g:?}"
        );
        assert_eq!(g.distribution, [0.5, 0.0, 0.0, 0.5]);
        let g = grid(&[2.0, 1.0, 2.0, f64::NAN], 15).unwrap();
        assert_eq!(g.data_type, PdpDataType::Categorical);
        assert_eq!(g.values, [1.0, 2.0]);
        assert!((g.distribution[1] - 2.0 / 3.0).abs() < 1e-15);
        assert!(grid(&[f64::NAN], 3).is_err());
    }

    #[test]
    fn a_linear_model_has_a_linear_partial_dependence() {
        let m = InProcessModel::from_json(
            r#"{"type": "linear", "coef": [2.0, -1.0], "intercept": 0.5, "feature_names": ["a", "b"]}"#,
            "m",
        )
        .unwrap();
        let rows = vec![vec![1.0, 4.0], vec![3.0, 2.0]];
        let pd = partial_dependence(&rows, 0, &[0.0, 1.0], &Predictor::InProcess(m)).unwrap();
        // 2 v − mean(b) + 0.5
        assert_eq!(pd, vec![vec![-2.5, -0.5]]);
    }
}

//! `suggest-baseline --type model_quality`: a CSV dataset's model-quality statistics and the
//! constraints SageMaker's baselining job suggests from them.
//!
//! The columns are named by the SDK's attributes — by header name, or by 0-based index —
//! exactly as the call names them (the SDK's own test names `Prediction` as the ground truth
//! and `Label` as the inference; its container output is that one's). Binary labels are
//! `1`/`0` (`1.0`, `true`, `false` too); with a probability column the predicted label is the
//! probability **above** the threshold (0.5 unless `probability_threshold_attribute` says),
//! and the probabilities draw the curves and the AUC. Standard deviations, as SageMaker's
//! guide describes them, only from 200 rows: 5 samples of 80 % of the rows (seeded, so the
//! same file gives the same file), the population deviation of each metric over them; below
//! that the string `"NaN"`.

use std::path::Path;

use super::ProblemType;
use super::observation::{Observation, label_of_score, number, observe};
use super::state::QualityState;
use crate::sagemaker::model_quality::{ModelQualityConstraints, ModelQualityStatistics};
use crate::stats::rng::Rng;

/// Where the model's outputs and the labels are (`EndpointInput`'s attributes).
#[derive(Debug, Clone, PartialEq)]
pub struct Attributes {
    pub inference: Option<String>,
    pub probability: Option<String>,
    pub probability_threshold: Option<f64>,
    pub ground_truth: String,
}

/// Rows needed before standard deviations are computed (SageMaker's guide).
pub const DEVIATION_MIN_ROWS: usize = 200;
const SAMPLES: usize = 5;

#[derive(Debug, thiserror::Error)]
#[error("{at}: {reason}")]
pub struct BaselineError {
    pub at: String,
    pub reason: String,
}

fn column(name: &str, header: Option<&[String]>, what: &str) -> Result<usize, String> {
    if let Some(h) = header
        && let Some(i) = h.iter().position(|c| c == name)
    {
        return Ok(i);
    }
    name.parse::<usize>().map_err(|_| match header {
        Some(h) => format!("{what} {name:?} is neither a column of the header ({}) nor an index", h.join(", ")),
        None => format!("{what} {name:?} is not a column index (the dataset has no header: pass --header to name columns)"),
    })
}

fn read_rows(
    path: &Path,
    header: bool,
    problem: ProblemType,
    a: &Attributes,
) -> Result<Vec<Observation>, BaselineError> {
    let at = |line: Option<usize>| match line {
        Some(l) => format!("{}:{l}", path.display()),
        None => path.display().to_string(),
    };
    let text = std::fs::read(path).map_err(|e| BaselineError {
        at: at(None),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(text).map_err(|e| BaselineError {
        at: at(None),
        reason: format!("is not UTF-8 text: {e}"),
    })?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.is_empty());
    let names: Option<Vec<String>> = if header {
        lines
            .next()
            .map(|(_, l)| l.split(',').map(|c| c.trim().to_string()).collect())
    } else {
        None
    };
    let fail = |reason: String| BaselineError {
        at: at(None),
        reason,
    };
    let truth_col =
        column(&a.ground_truth, names.as_deref(), "ground_truth_attribute").map_err(fail)?;
    let inference_col = a
        .inference
        .as_deref()
        .map(|n| column(n, names.as_deref(), "inference_attribute"))
        .transpose()
        .map_err(fail)?;
    let probability_col = a
        .probability
        .as_deref()
        .map(|n| column(n, names.as_deref(), "probability_attribute"))
        .transpose()
        .map_err(fail)?;
    if inference_col.is_none() && probability_col.is_none() {
        return Err(fail(
            "give inference_attribute or probability_attribute".into(),
        ));
    }
    if problem != ProblemType::BinaryClassification && inference_col.is_none() {
        return Err(fail(
            "a regression or multiclass baseline needs inference_attribute".into(),
        ));
    }
    let threshold = a.probability_threshold.unwrap_or(0.5);
    let mut rows = Vec::new();
    for (i, line) in lines {
        let line_no = Some(i + 1);
        let cells = crate::spark_csv::split(line).map_err(|reason| BaselineError {
            at: at(line_no),
            reason,
        })?;
        let cell = |j: usize, what: &str| -> Result<String, BaselineError> {
            match cells.get(j) {
                Some(Some(c)) => Ok(c.to_string()),
                Some(None) => Err(BaselineError {
                    at: at(line_no),
                    reason: format!("{what} (column {j}) is empty"),
                }),
                None => Err(BaselineError {
                    at: at(line_no),
                    reason: format!("{what} is column {j}, the row has {} cells", cells.len()),
                }),
            }
        };
        let truth = cell(truth_col, "the ground truth")?;
        let score = probability_col
            .map(|j| {
                cell(j, "the probability").and_then(|t| {
                    number(&t, "the probability").map_err(|reason| BaselineError {
                        at: at(line_no),
                        reason,
                    })
                })
            })
            .transpose()?;
        // The inference column, or (binary, without one) the probability above the threshold.
        let predicted = match (inference_col, score) {
            (Some(j), _) => cell(j, "the inference")?,
            (None, Some(s)) => label_of_score(s, threshold).to_string(),
            (None, None) => {
                return Err(fail(
                    "give inference_attribute or probability_attribute".into(),
                ));
            }
        };
        rows.push(
            observe(problem, &truth, &predicted, score).map_err(|reason| BaselineError {
                at: at(line_no),
                reason,
            })?,
        );
    }
    if rows.is_empty() {
        return Err(fail("has no data rows".into()));
    }
    Ok(rows)
}

/// The state of the picked rows.
fn state_of(problem: ProblemType, rows: &[Observation], pick: &[usize]) -> QualityState {
    let mut s = QualityState::new(problem);
    for &i in pick {
        s.add(&rows[i]);
    }
    s
}

/// Each metric's population standard deviation over 5 seeded samples of 80 % of the rows.
fn deviations(problem: ProblemType, rows: &[Observation]) -> Vec<Option<f64>> {
    let n = rows.len();
    let mut rng = Rng::seeded(0);
    let samples: Vec<Vec<(&'static str, Option<f64>)>> = (0..SAMPLES)
        .map(|_| {
            // A partial Fisher–Yates shuffle: the first 80 % of a random permutation, in row order.
            let mut idx: Vec<usize> = (0..n).collect();
            let k = n * 4 / 5;
            for i in 0..k {
                let j = i + rng.below(n - i);
                idx.swap(i, j);
            }
            let mut pick = idx[..k].to_vec();
            pick.sort_unstable();
            state_of(problem, rows, &pick).scalars()
        })
        .collect();
    let metrics = samples.first().map_or(0, Vec::len);
    (0..metrics)
        .map(|m| {
            let values: Option<Vec<f64>> = samples.iter().map(|s| s[m].1).collect();
            values.map(|v| {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / v.len() as f64).sqrt()
            })
        })
        .collect()
}

/// The statistics and suggested constraints of a dataset.
pub fn suggest_model_quality(
    path: &Path,
    header: bool,
    problem: ProblemType,
    attributes: &Attributes,
) -> Result<(ModelQualityStatistics, ModelQualityConstraints), BaselineError> {
    let rows = read_rows(path, header, problem, attributes)?;
    let all: Vec<usize> = (0..rows.len()).collect();
    let whole = state_of(problem, &rows, &all);
    if let Some((name, _)) = whole
        .scalars()
        .into_iter()
        .find(|(name, v)| v.is_none() && *name != "auc")
    {
        return Err(BaselineError {
            at: path.display().to_string(),
            reason: format!("{name} cannot be computed for these rows (a constant ground truth?)"),
        });
    }
    let sd = if rows.len() >= DEVIATION_MIN_ROWS {
        deviations(problem, &rows)
    } else {
        Vec::new()
    };
    Ok((whole.statistics(&sd), whole.suggested_constraints()))
}

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

use super::binary::BinaryState;
use super::multiclass::MulticlassState;
use super::regression::RegressionState;
use crate::sagemaker::model_quality::{
    BinaryClassificationMetrics, ConfusionMatrix, Deviation, ItemCount, Metric, MetricConstraint,
    MetricConstraints, ModelQualityConstraints, ModelQualityStatistics,
    MulticlassClassificationMetrics, PrecisionRecallCurve, RegressionMetrics, RocCurve,
};
use crate::stats::rng::Rng;

/// `problem_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    Regression,
    BinaryClassification,
    MulticlassClassification,
}

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

/// One row, parsed for its problem type: (ground truth, prediction).
#[derive(Debug, Clone)]
enum Row {
    Regression(f64, f64),
    /// With the score, when there is a probability column.
    Binary(bool, bool, Option<f64>),
    Multiclass(String, String),
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

fn number(text: &str, what: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{what} {text:?} is not a finite number"))
}

fn binary(text: &str, what: &str) -> Result<bool, String> {
    match text.trim() {
        "1" | "1.0" | "true" | "True" => Ok(true),
        "0" | "0.0" | "false" | "False" => Ok(false),
        other => Err(format!(
            "{what} {other:?} is not a binary label (1/0, true/false): is the problem type MulticlassClassification?"
        )),
    }
}

fn read_rows(
    path: &Path,
    header: bool,
    problem: ProblemType,
    a: &Attributes,
) -> Result<Vec<Row>, BaselineError> {
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
            (None, Some(s)) => if s > threshold { "1" } else { "0" }.to_string(),
            (None, None) => {
                return Err(fail(
                    "give inference_attribute or probability_attribute".into(),
                ));
            }
        };
        let parsed = |r: Result<Row, String>| {
            r.map_err(|reason| BaselineError {
                at: at(line_no),
                reason,
            })
        };
        rows.push(parsed(match problem {
            ProblemType::Regression => number(&truth, "the ground truth")
                .and_then(|t| Ok(Row::Regression(t, number(&predicted, "the inference")?))),
            ProblemType::BinaryClassification => binary(&truth, "the ground truth")
                .and_then(|t| Ok(Row::Binary(t, binary(&predicted, "the inference")?, score))),
            ProblemType::MulticlassClassification => Ok(Row::Multiclass(
                truth.trim().to_string(),
                predicted.trim().to_string(),
            )),
        })?);
    }
    if rows.is_empty() {
        return Err(fail("has no data rows".into()));
    }
    Ok(rows)
}

/// The metrics of some rows, by name in SageMaker's order, and what only the whole has.
struct Computed {
    scalars: Vec<(&'static str, Option<f64>)>,
    confusion: Option<ConfusionMatrix>,
    curves: Option<(RocCurve, PrecisionRecallCurve)>,
}

fn compute(problem: ProblemType, rows: &[Row], pick: &[usize]) -> Computed {
    match problem {
        ProblemType::Regression => {
            let mut s = RegressionState::default();
            for &i in pick {
                if let Row::Regression(t, p) = rows[i] {
                    s.add(t, p);
                }
            }
            let m = s.metrics();
            Computed {
                scalars: vec![
                    ("mae", m.map(|m| m.mae)),
                    ("mse", m.map(|m| m.mse)),
                    ("rmse", m.map(|m| m.rmse)),
                    ("r2", m.and_then(|m| m.r2)),
                ],
                confusion: None,
                curves: None,
            }
        }
        ProblemType::BinaryClassification => {
            let mut s = BinaryState::default();
            for &i in pick {
                if let Row::Binary(actual, predicted, score) = rows[i] {
                    s.add(actual, predicted, score);
                }
            }
            let m = s.metrics();
            let f = |g: fn(&super::binary::BinaryMetrics) -> f64| m.as_ref().map(g);
            let mut confusion = ConfusionMatrix::new();
            for (actual, row) in [
                ("0", [("0", s.tn), ("1", s.fp)]),
                ("1", [("0", s.fn_), ("1", s.tp)]),
            ] {
                confusion.insert(
                    actual.into(),
                    row.iter().map(|(p, c)| (p.to_string(), *c)).collect(),
                );
            }
            let curves = s.roc().map(|points| {
                let roc = RocCurve {
                    false_positive_rates: points.iter().map(|p| p.0).collect(),
                    true_positive_rates: points.iter().map(|p| p.1).collect(),
                };
                (roc, s.precision_recall())
            });
            Computed {
                scalars: vec![
                    ("recall", f(|m| m.recall)),
                    ("precision", f(|m| m.precision)),
                    ("accuracy", f(|m| m.accuracy)),
                    (
                        "recall_best_constant_classifier",
                        f(|m| m.recall_best_constant_classifier),
                    ),
                    (
                        "precision_best_constant_classifier",
                        f(|m| m.precision_best_constant_classifier),
                    ),
                    (
                        "accuracy_best_constant_classifier",
                        f(|m| m.accuracy_best_constant_classifier),
                    ),
                    ("true_positive_rate", f(|m| m.true_positive_rate)),
                    ("true_negative_rate", f(|m| m.true_negative_rate)),
                    ("false_positive_rate", f(|m| m.false_positive_rate)),
                    ("false_negative_rate", f(|m| m.false_negative_rate)),
                    ("auc", m.as_ref().and_then(|m| m.auc)),
                    ("f0_5", f(|m| m.f0_5)),
                    ("f1", f(|m| m.f1)),
                    ("f2", f(|m| m.f2)),
                    (
                        "f0_5_best_constant_classifier",
                        f(|m| m.f0_5_best_constant_classifier),
                    ),
                    (
                        "f1_best_constant_classifier",
                        f(|m| m.f1_best_constant_classifier),
                    ),
                    (
                        "f2_best_constant_classifier",
                        f(|m| m.f2_best_constant_classifier),
                    ),
                ],
                confusion: Some(confusion),
                curves,
            }
        }
        ProblemType::MulticlassClassification => {
            let mut s = MulticlassState::default();
            for &i in pick {
                if let Row::Multiclass(actual, predicted) = &rows[i] {
                    s.add(actual, predicted);
                }
            }
            let m = s.metrics();
            let f = |g: fn(&super::multiclass::MulticlassMetrics) -> f64| m.as_ref().map(g);
            let confusion = s
                .confusion_matrix()
                .into_iter()
                .map(|(a, row)| {
                    (
                        a.to_string(),
                        row.into_iter().map(|(p, c)| (p.to_string(), c)).collect(),
                    )
                })
                .collect();
            Computed {
                scalars: vec![
                    ("accuracy", f(|m| m.accuracy)),
                    ("weighted_recall", f(|m| m.weighted_recall)),
                    ("weighted_precision", f(|m| m.weighted_precision)),
                    ("weighted_f0_5", f(|m| m.weighted_f0_5)),
                    ("weighted_f1", f(|m| m.weighted_f1)),
                    ("weighted_f2", f(|m| m.weighted_f2)),
                    (
                        "accuracy_best_constant_classifier",
                        f(|m| m.accuracy_best_constant_classifier),
                    ),
                    (
                        "weighted_recall_best_constant_classifier",
                        f(|m| m.weighted_recall_best_constant_classifier),
                    ),
                    (
                        "weighted_precision_best_constant_classifier",
                        f(|m| m.weighted_precision_best_constant_classifier),
                    ),
                    (
                        "weighted_f0_5_best_constant_classifier",
                        f(|m| m.weighted_f0_5_best_constant_classifier),
                    ),
                    (
                        "weighted_f1_best_constant_classifier",
                        f(|m| m.weighted_f1_best_constant_classifier),
                    ),
                    (
                        "weighted_f2_best_constant_classifier",
                        f(|m| m.weighted_f2_best_constant_classifier),
                    ),
                ],
                confusion: Some(confusion),
                curves: None,
            }
        }
    }
}

/// Each metric's population standard deviation over 5 seeded samples of 80 % of the rows.
fn deviations(problem: ProblemType, rows: &[Row]) -> Vec<Option<f64>> {
    let n = rows.len();
    let mut rng = Rng::seeded(0);
    let samples: Vec<Computed> = (0..SAMPLES)
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
            compute(problem, rows, &pick)
        })
        .collect();
    let metrics = samples.first().map_or(0, |s| s.scalars.len());
    (0..metrics)
        .map(|m| {
            let values: Option<Vec<f64>> = samples.iter().map(|s| s.scalars[m].1).collect();
            values.map(|v| {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / v.len() as f64).sqrt()
            })
        })
        .collect()
}

/// Metrics where more is worse (their constraint is `GreaterThanThreshold`).
const ERRORS: &[&str] = &[
    "mae",
    "mse",
    "rmse",
    "false_positive_rate",
    "false_negative_rate",
];

/// The statistics and suggested constraints of a dataset.
pub fn suggest_model_quality(
    path: &Path,
    header: bool,
    problem: ProblemType,
    attributes: &Attributes,
) -> Result<(ModelQualityStatistics, ModelQualityConstraints), BaselineError> {
    let rows = read_rows(path, header, problem, attributes)?;
    let all: Vec<usize> = (0..rows.len()).collect();
    let whole = compute(problem, &rows, &all);
    let sd = if rows.len() >= DEVIATION_MIN_ROWS {
        deviations(problem, &rows)
    } else {
        vec![None; whole.scalars.len()]
    };
    let mut metric = std::collections::HashMap::new();
    let mut constraints = MetricConstraints::new();
    for ((name, value), sd) in whole.scalars.iter().zip(&sd) {
        let Some(v) = value else { continue };
        metric.insert(
            *name,
            Metric {
                value: *v,
                standard_deviation: Deviation(*sd),
            },
        );
        if name.contains("best_constant") {
            continue;
        }
        constraints.insert(
            *name,
            MetricConstraint {
                threshold: *v,
                comparison_operator: if ERRORS.contains(name) {
                    "GreaterThanThreshold"
                } else {
                    "LessThanThreshold"
                }
                .into(),
            },
        );
    }
    let missing = |name: &str| BaselineError {
        at: path.display().to_string(),
        reason: format!("{name} cannot be computed for these rows (a constant ground truth?)"),
    };
    let get = |name: &'static str| metric.get(name).copied().ok_or_else(|| missing(name));
    let mut stats = ModelQualityStatistics {
        version: 0.0,
        dataset: ItemCount {
            item_count: rows.len() as u64,
        },
        regression_metrics: None,
        binary_classification_metrics: None,
        multiclass_classification_metrics: None,
    };
    let mut out_constraints = ModelQualityConstraints {
        version: 0.0,
        regression_constraints: None,
        binary_classification_constraints: None,
        multiclass_classification_constraints: None,
    };
    match problem {
        ProblemType::Regression => {
            stats.regression_metrics = Some(RegressionMetrics {
                mae: get("mae")?,
                mse: get("mse")?,
                rmse: get("rmse")?,
                r2: get("r2")?,
            });
            out_constraints.regression_constraints = Some(constraints);
        }
        ProblemType::BinaryClassification => {
            let (roc, pr) = whole
                .curves
                .map_or((None, None), |(r, p)| (Some(r), Some(p)));
            stats.binary_classification_metrics = Some(BinaryClassificationMetrics {
                confusion_matrix: whole.confusion.unwrap_or_default(),
                recall: get("recall")?,
                precision: get("precision")?,
                accuracy: get("accuracy")?,
                recall_best_constant_classifier: get("recall_best_constant_classifier")?,
                precision_best_constant_classifier: get("precision_best_constant_classifier")?,
                accuracy_best_constant_classifier: get("accuracy_best_constant_classifier")?,
                true_positive_rate: get("true_positive_rate")?,
                true_negative_rate: get("true_negative_rate")?,
                false_positive_rate: get("false_positive_rate")?,
                false_negative_rate: get("false_negative_rate")?,
                receiver_operating_characteristic_curve: roc,
                precision_recall_curve: pr,
                auc: metric.get("auc").copied(),
                f0_5: get("f0_5")?,
                f1: get("f1")?,
                f2: get("f2")?,
                f0_5_best_constant_classifier: get("f0_5_best_constant_classifier")?,
                f1_best_constant_classifier: get("f1_best_constant_classifier")?,
                f2_best_constant_classifier: get("f2_best_constant_classifier")?,
            });
            out_constraints.binary_classification_constraints = Some(constraints);
        }
        ProblemType::MulticlassClassification => {
            stats.multiclass_classification_metrics = Some(MulticlassClassificationMetrics {
                confusion_matrix: whole.confusion.unwrap_or_default(),
                accuracy: get("accuracy")?,
                weighted_recall: get("weighted_recall")?,
                weighted_precision: get("weighted_precision")?,
                weighted_f0_5: get("weighted_f0_5")?,
                weighted_f1: get("weighted_f1")?,
                weighted_f2: get("weighted_f2")?,
                accuracy_best_constant_classifier: get("accuracy_best_constant_classifier")?,
                weighted_recall_best_constant_classifier: get(
                    "weighted_recall_best_constant_classifier",
                )?,
                weighted_precision_best_constant_classifier: get(
                    "weighted_precision_best_constant_classifier",
                )?,
                weighted_f0_5_best_constant_classifier: get(
                    "weighted_f0_5_best_constant_classifier",
                )?,
                weighted_f1_best_constant_classifier: get("weighted_f1_best_constant_classifier")?,
                weighted_f2_best_constant_classifier: get("weighted_f2_best_constant_classifier")?,
            });
            out_constraints.multiclass_classification_constraints = Some(constraints);
        }
    }
    Ok((stats, out_constraints))
}

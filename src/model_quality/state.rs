//! Any problem type's mergeable state, and SageMaker's statistics and suggested constraints
//! from it: the one place a baseline and a monitoring window turn state into files.

use super::ProblemType;
use super::binary::{BinaryMetrics, BinaryState};
use super::multiclass::{MulticlassMetrics, MulticlassState};
use super::observation::Observation;
use super::regression::RegressionState;
use crate::sagemaker::model_quality::{
    BinaryClassificationMetrics, ConfusionMatrix, Deviation, ItemCount, Metric, MetricConstraint,
    MetricConstraints, ModelQualityConstraints, ModelQualityStatistics,
    MulticlassClassificationMetrics, RegressionMetrics, RocCurve,
};

/// The state of some records of one problem type.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum QualityState {
    Regression(RegressionState),
    Binary(BinaryState),
    Multiclass(MulticlassState),
}

pub use crate::sagemaker::model_quality::is_error_metric;

impl QualityState {
    pub fn new(problem: ProblemType) -> Self {
        match problem {
            ProblemType::Regression => Self::Regression(RegressionState::default()),
            ProblemType::BinaryClassification => Self::Binary(BinaryState::default()),
            ProblemType::MulticlassClassification => Self::Multiclass(MulticlassState::default()),
        }
    }

    pub fn problem(&self) -> ProblemType {
        match self {
            Self::Regression(_) => ProblemType::Regression,
            Self::Binary(_) => ProblemType::BinaryClassification,
            Self::Multiclass(_) => ProblemType::MulticlassClassification,
        }
    }

    /// Adds one record; a record of another problem type is a caller's bug and is ignored.
    pub fn add(&mut self, o: &Observation) {
        match (self, o) {
            (Self::Regression(s), Observation::Regression(t, p)) => s.add(*t, *p),
            (Self::Binary(s), Observation::Binary(a, p, score)) => s.add(*a, *p, *score),
            (Self::Multiclass(s), Observation::Multiclass(a, p)) => s.add(a, p),
            _ => {}
        }
    }

    /// Adds a later partition's state (of the same problem type).
    pub fn merge(&mut self, o: &Self) {
        match (self, o) {
            (Self::Regression(s), Self::Regression(o)) => s.merge(o),
            (Self::Binary(s), Self::Binary(o)) => s.merge(o),
            (Self::Multiclass(s), Self::Multiclass(o)) => s.merge(o),
            _ => {}
        }
    }

    pub fn rows(&self) -> u64 {
        match self {
            Self::Regression(s) => s.n,
            Self::Binary(s) => s.rows(),
            Self::Multiclass(s) => s.rows(),
        }
    }

    /// Every scalar metric by name, in SageMaker's order; `None` where it is undefined for
    /// these records (no records; `r2` of a constant truth; `auc` without scores or of one
    /// class).
    pub fn scalars(&self) -> Vec<(&'static str, Option<f64>)> {
        match self {
            Self::Regression(s) => {
                let m = s.metrics();
                vec![
                    ("mae", m.map(|m| m.mae)),
                    ("mse", m.map(|m| m.mse)),
                    ("rmse", m.map(|m| m.rmse)),
                    ("r2", m.and_then(|m| m.r2)),
                ]
            }
            Self::Binary(s) => {
                let m = s.metrics();
                let f = |g: fn(&BinaryMetrics) -> f64| m.as_ref().map(g);
                vec![
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
                ]
            }
            Self::Multiclass(s) => {
                let m = s.metrics();
                let f = |g: fn(&MulticlassMetrics) -> f64| m.as_ref().map(g);
                vec![
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
                ]
            }
        }
    }

    fn confusion(&self) -> Option<ConfusionMatrix> {
        match self {
            Self::Regression(_) => None,
            Self::Binary(s) => {
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
                Some(confusion)
            }
            Self::Multiclass(s) => Some(
                s.confusion_matrix()
                    .into_iter()
                    .map(|(a, row)| {
                        (
                            a.to_string(),
                            row.into_iter().map(|(p, c)| (p.to_string(), c)).collect(),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// SageMaker's statistics of these records, each metric with its deviation (`sd`, by
    /// the order of [`Self::scalars`]). An undefined metric is `"NaN"` (`auc` is left out,
    /// as the container leaves it out without probabilities); the caller says which.
    pub fn statistics(&self, sd: &[Option<f64>]) -> ModelQualityStatistics {
        let scalars = self.scalars();
        let metric = |name: &str| -> Metric {
            let i = scalars.iter().position(|(n, _)| *n == name);
            Metric {
                value: i.and_then(|i| scalars[i].1).unwrap_or(f64::NAN),
                standard_deviation: Deviation(i.and_then(|i| sd.get(i).copied().flatten())),
            }
        };
        let mut stats = ModelQualityStatistics {
            version: 0.0,
            dataset: ItemCount {
                item_count: self.rows(),
                start_time: None,
                end_time: None,
            },
            regression_metrics: None,
            binary_classification_metrics: None,
            multiclass_classification_metrics: None,
            driftwatch: None,
        };
        let confusion = self.confusion().unwrap_or_default();
        match self {
            Self::Regression(_) => {
                stats.regression_metrics = Some(RegressionMetrics {
                    mae: metric("mae"),
                    mse: metric("mse"),
                    rmse: metric("rmse"),
                    r2: metric("r2"),
                });
            }
            Self::Binary(s) => {
                let curves = s.roc().map(|points| {
                    let roc = RocCurve {
                        false_positive_rates: points.iter().map(|p| p.0).collect(),
                        true_positive_rates: points.iter().map(|p| p.1).collect(),
                    };
                    (roc, s.precision_recall())
                });
                let (roc, pr) = curves.map_or((None, None), |(r, p)| (Some(r), Some(p)));
                let auc = metric("auc");
                stats.binary_classification_metrics = Some(BinaryClassificationMetrics {
                    confusion_matrix: confusion,
                    recall: metric("recall"),
                    precision: metric("precision"),
                    accuracy: metric("accuracy"),
                    recall_best_constant_classifier: metric("recall_best_constant_classifier"),
                    precision_best_constant_classifier: metric(
                        "precision_best_constant_classifier",
                    ),
                    accuracy_best_constant_classifier: metric("accuracy_best_constant_classifier"),
                    true_positive_rate: metric("true_positive_rate"),
                    true_negative_rate: metric("true_negative_rate"),
                    false_positive_rate: metric("false_positive_rate"),
                    false_negative_rate: metric("false_negative_rate"),
                    receiver_operating_characteristic_curve: roc,
                    precision_recall_curve: pr,
                    auc: auc.value.is_finite().then_some(auc),
                    f0_5: metric("f0_5"),
                    f1: metric("f1"),
                    f2: metric("f2"),
                    f0_5_best_constant_classifier: metric("f0_5_best_constant_classifier"),
                    f1_best_constant_classifier: metric("f1_best_constant_classifier"),
                    f2_best_constant_classifier: metric("f2_best_constant_classifier"),
                });
            }
            Self::Multiclass(_) => {
                stats.multiclass_classification_metrics = Some(MulticlassClassificationMetrics {
                    confusion_matrix: confusion,
                    accuracy: metric("accuracy"),
                    weighted_recall: metric("weighted_recall"),
                    weighted_precision: metric("weighted_precision"),
                    weighted_f0_5: metric("weighted_f0_5"),
                    weighted_f1: metric("weighted_f1"),
                    weighted_f2: metric("weighted_f2"),
                    accuracy_best_constant_classifier: metric("accuracy_best_constant_classifier"),
                    weighted_recall_best_constant_classifier: metric(
                        "weighted_recall_best_constant_classifier",
                    ),
                    weighted_precision_best_constant_classifier: metric(
                        "weighted_precision_best_constant_classifier",
                    ),
                    weighted_f0_5_best_constant_classifier: metric(
                        "weighted_f0_5_best_constant_classifier",
                    ),
                    weighted_f1_best_constant_classifier: metric(
                        "weighted_f1_best_constant_classifier",
                    ),
                    weighted_f2_best_constant_classifier: metric(
                        "weighted_f2_best_constant_classifier",
                    ),
                });
            }
        }
        stats
    }

    /// The constraints SageMaker suggests from these records: each defined metric but the
    /// best-constant ones, its value the threshold, `GreaterThanThreshold` for the error
    /// metrics and `LessThanThreshold` for the scores (as the container's real files, per
    /// baseline and per monitoring window).
    pub fn suggested_constraints(&self) -> ModelQualityConstraints {
        let mut constraints = MetricConstraints::new();
        for (name, value) in self.scalars() {
            let Some(v) = value else { continue };
            if name.contains("best_constant") {
                continue;
            }
            constraints.insert(
                name,
                MetricConstraint {
                    threshold: v,
                    comparison_operator: if is_error_metric(name) {
                        "GreaterThanThreshold"
                    } else {
                        "LessThanThreshold"
                    }
                    .into(),
                },
            );
        }
        let mut out = ModelQualityConstraints {
            version: 0.0,
            regression_constraints: None,
            binary_classification_constraints: None,
            multiclass_classification_constraints: None,
        };
        match self.problem() {
            ProblemType::Regression => out.regression_constraints = Some(constraints),
            ProblemType::BinaryClassification => {
                out.binary_classification_constraints = Some(constraints)
            }
            ProblemType::MulticlassClassification => {
                out.multiclass_classification_constraints = Some(constraints)
            }
        }
        out
    }
}

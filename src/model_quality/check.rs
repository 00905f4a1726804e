//! A window's metrics against the baseline's constraints, as the container judges them: a
//! metric violates its `GreaterThanThreshold` constraint when it is greater than the
//! threshold, its `LessThanThreshold` one when it is less (the real container's files:
//! `Metric mae with 48.73… was GreaterThanThreshold '38.29…'`). driftwatch's `significant`
//! mode raises the violation only when the metric's interval lies wholly beyond the
//! threshold.

use crate::sagemaker::model_quality::{
    MetricCheck, ModelQualityConstraints, ModelQualityStatistics, ModelQualityViolation,
    ModelQualityViolations, NotComputed,
};

/// The operators driftwatch judges (SageMaker's `ComparisonOperator` spellings).
fn beyond(operator: &str, value: f64, threshold: f64) -> Option<bool> {
    match operator {
        "GreaterThanThreshold" => Some(value > threshold),
        "LessThanThreshold" => Some(value < threshold),
        "GreaterThanOrEqualToThreshold" => Some(value >= threshold),
        "LessThanOrEqualToThreshold" => Some(value <= threshold),
        _ => None,
    }
}

/// What the check came to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckOutcome {
    pub checks: Vec<MetricCheck>,
    pub not_checked: Vec<NotComputed>,
    pub violations: ModelQualityViolations,
}

/// Why constraints of one problem type cannot judge statistics of another.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "baseline_constraints hold {found}, but the schedule's problem_type {expected} has {expected_key}: the baseline was made for another problem type"
)]
pub struct WrongProblem {
    pub found: String,
    pub expected: &'static str,
    pub expected_key: &'static str,
}

/// A metric's interval by name, when it has one.
pub type IntervalOf<'a> = &'a dyn Fn(&str) -> Option<(f64, f64)>;

/// Checks `stats` against `constraints`. `interval(metric)` gives a metric's interval when
/// the significant mode asks for it (`None`: SageMaker's rule).
pub fn check(
    stats: &ModelQualityStatistics,
    constraints: &ModelQualityConstraints,
    problem: crate::sagemaker::model_quality::ProblemType,
    interval: Option<IntervalOf<'_>>,
) -> Result<CheckOutcome, WrongProblem> {
    use crate::sagemaker::model_quality::ProblemType;
    let expected_key = match problem {
        ProblemType::Regression => "regression_constraints",
        ProblemType::BinaryClassification => "binary_classification_constraints",
        ProblemType::MulticlassClassification => "multiclass_classification_constraints",
    };
    let Some(found) = constraints.problem_key() else {
        return Ok(CheckOutcome::default());
    };
    if found != expected_key {
        return Err(WrongProblem {
            found: found.into(),
            expected: problem.as_str(),
            expected_key,
        });
    }
    let scalars = stats.scalars();
    let mut out = CheckOutcome::default();
    for (name, c) in constraints.metrics().into_iter().flat_map(|m| m.iter()) {
        let Some((_, metric)) = scalars.iter().find(|(n, _)| n == name) else {
            out.not_checked.push(NotComputed {
                metric_name: name.to_string(),
                reason: format!(
                    "{name} is not a metric of {} statistics (or needs probability_attribute)",
                    problem.as_str()
                ),
            });
            continue;
        };
        if !metric.value.is_finite() {
            out.not_checked.push(NotComputed {
                metric_name: name.to_string(),
                reason: format!("{name} is undefined for this window's records"),
            });
            continue;
        }
        let Some(violates) = beyond(&c.comparison_operator, metric.value, c.threshold) else {
            out.not_checked.push(NotComputed {
                metric_name: name.to_string(),
                reason: format!(
                    "comparison_operator {:?} is not one of GreaterThanThreshold, LessThanThreshold, GreaterThanOrEqualToThreshold, LessThanOrEqualToThreshold",
                    c.comparison_operator
                ),
            });
            continue;
        };
        let significant = interval.map(|f| match f(name) {
            // The whole interval beyond the threshold, on the violating side.
            Some((lo, hi)) => {
                beyond(&c.comparison_operator, lo, c.threshold) == Some(true)
                    && beyond(&c.comparison_operator, hi, c.threshold) == Some(true)
            }
            None => false,
        });
        let violation = violates && significant.unwrap_or(true);
        out.checks.push(MetricCheck {
            metric_name: name.to_string(),
            value: metric.value,
            threshold: c.threshold,
            comparison_operator: c.comparison_operator.clone(),
            significant,
            violation,
        });
        if violation {
            out.violations.violations.push(ModelQualityViolation::new(
                name,
                metric.value,
                &c.comparison_operator,
                c.threshold,
            ));
        }
    }
    Ok(out)
}

//! One merged record read for its problem type: the ground truth and the model's output,
//! parsed the same way whether they come from a baseline dataset's cells or from a window's
//! capture joined with ground truth.

use super::ProblemType;

/// One record: (ground truth, prediction).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Observation {
    Regression(f64, f64),
    /// With the score, when there is a probability.
    Binary(bool, bool, Option<f64>),
    Multiclass(String, String),
}

/// A finite number, or why the text is not one.
pub fn number(text: &str, what: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{what} {text:?} is not a finite number"))
}

/// A binary label: `1`/`0` (`1.0`, `true`, `false` too).
pub fn binary(text: &str, what: &str) -> Result<bool, String> {
    match text.trim() {
        "1" | "1.0" | "true" | "True" => Ok(true),
        "0" | "0.0" | "false" | "False" => Ok(false),
        other => Err(format!(
            "{what} {other:?} is not a binary label (1/0, true/false): is the problem type MulticlassClassification?"
        )),
    }
}

/// The predicted label of a score: positive strictly above the threshold.
pub fn label_of_score(score: f64, threshold: f64) -> &'static str {
    if score > threshold { "1" } else { "0" }
}

/// Reads one record: the ground truth's text, the predicted label's text and the score.
pub fn observe(
    problem: ProblemType,
    truth: &str,
    predicted: &str,
    score: Option<f64>,
) -> Result<Observation, String> {
    match problem {
        ProblemType::Regression => Ok(Observation::Regression(
            number(truth, "the ground truth")?,
            number(predicted, "the inference")?,
        )),
        ProblemType::BinaryClassification => Ok(Observation::Binary(
            binary(truth, "the ground truth")?,
            binary(predicted, "the inference")?,
            score,
        )),
        ProblemType::MulticlassClassification => Ok(Observation::Multiclass(
            truth.trim().to_string(),
            predicted.trim().to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_problem_type_and_names_what_does_not_fit() {
        assert_eq!(
            observe(ProblemType::Regression, " 2.5", "3", None),
            Ok(Observation::Regression(2.5, 3.0))
        );
        assert_eq!(
            observe(ProblemType::BinaryClassification, "true", "0", Some(0.2)),
            Ok(Observation::Binary(true, false, Some(0.2)))
        );
        let e = observe(ProblemType::BinaryClassification, "cat", "0", None).unwrap_err();
        assert!(
            e.contains("\"cat\"") && e.contains("MulticlassClassification"),
            "{e}"
        );
        let e = observe(ProblemType::Regression, "NaN", "0", None).unwrap_err();
        assert!(e.contains("not a finite number"), "{e}");
        assert_eq!(label_of_score(0.5, 0.5), "0");
        assert_eq!(label_of_score(0.51, 0.5), "1");
    }
}

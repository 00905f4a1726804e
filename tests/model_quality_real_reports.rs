//! The real monitoring container's model-quality reports (a regression model's weekly
//! windows, `tests/fixtures/sagemaker_model_quality/aws_ml_jp/`): driftwatch reads every
//! statistics.json and constraints.json it wrote, and judging each window's metrics against
//! the real baseline's constraints gives the container's constraint_violations.json byte
//! for byte — its wording, its Java doubles, its empty file when nothing violated.

use std::path::PathBuf;

use driftwatch::model_quality::check::check;
use driftwatch::sagemaker::jackson::jackson_bytes;
use driftwatch::sagemaker::model_quality::{
    ModelQualityConstraints, ModelQualityStatistics, ProblemType,
};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sagemaker_model_quality/aws_ml_jp")
        .join(rel)
}

fn reports() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![fixture("reports")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "statistics.json") {
                out.push(d.clone());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_real_window_gives_the_containers_violations_byte_for_byte() {
    let baseline: ModelQualityConstraints =
        serde_json::from_slice(&std::fs::read(fixture("baseline/constraints.json")).unwrap())
            .unwrap();
    let folders = reports();
    assert_eq!(folders.len(), 20);
    let mut violating = 0;
    for dir in folders {
        let stats: ModelQualityStatistics =
            serde_json::from_slice(&std::fs::read(dir.join("statistics.json")).unwrap()).unwrap();
        let outcome = check(&stats, &baseline, ProblemType::Regression, None).unwrap();
        let expected = std::fs::read_to_string(dir.join("constraint_violations.json")).unwrap();
        assert_eq!(
            String::from_utf8(jackson_bytes(&outcome.violations)).unwrap(),
            expected,
            "{}",
            dir.display()
        );
        assert_eq!(outcome.checks.len(), 4);
        violating += usize::from(!outcome.violations.violations.is_empty());
    }
    assert!(violating >= 10, "{violating} windows violate");
}

#[test]
fn the_real_files_read_back_to_their_bytes() {
    // The baseline's constraints and every window's constraints, as driftwatch writes them.
    let mut files = vec![fixture("baseline/constraints.json")];
    files.extend(reports().into_iter().map(|d| d.join("constraints.json")));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let c: ModelQualityConstraints = serde_json::from_str(&text).unwrap();
        assert_eq!(
            String::from_utf8(jackson_bytes(&c)).unwrap(),
            text,
            "{}",
            f.display()
        );
    }
}

#[test]
fn constraints_of_another_problem_type_are_refused_by_name() {
    let baseline: ModelQualityConstraints =
        serde_json::from_slice(&std::fs::read(fixture("baseline/constraints.json")).unwrap())
            .unwrap();
    let stats: ModelQualityStatistics =
        serde_json::from_slice(&std::fs::read(reports()[0].join("statistics.json")).unwrap())
            .unwrap();
    let e = check(&stats, &baseline, ProblemType::BinaryClassification, None).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("regression_constraints") && text.contains("BinaryClassification"),
        "{text}"
    );
}

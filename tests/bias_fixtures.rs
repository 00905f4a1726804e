//! Every Clarify fixture (made with smclarify 0.5) reproduced by `driftwatch analyze` to 1e-9,
//! error strings and facet/label value strings included.

mod common;
use common::golden::assert_same_analysis;
use common::{driftwatch, repo_path};
use serde_json::Value;

/// (case name, dataset file, config file, expected file, extension block to add)
const CASES: &[(&str, &str, &str, &str, Option<&str>)] = &[
    ("ci", "ci.csv", "ci.config.json", "ci.expected.json", None),
    (
        "ci.onevsall",
        "ci.csv",
        "ci.onevsall.config.json",
        "ci.onevsall.expected.json",
        None,
    ),
    (
        "cddl",
        "cddl.csv",
        "cddl.config.json",
        "cddl.expected.json",
        None,
    ),
    (
        "dpl",
        "dpl.csv",
        "dpl.config.json",
        "dpl.expected.json",
        None,
    ),
    (
        "dpl.forced-categorical",
        "dpl.csv",
        "dpl.config.json",
        "dpl.forced-categorical.expected.json",
        Some(r#"{"label_type": "categorical"}"#),
    ),
    (
        "edge_inf",
        "edge_inf.csv",
        "edge_inf.config.json",
        "edge_inf.expected.json",
        None,
    ),
    (
        "edge_small.A",
        "edge_small.csv",
        "edge_small.A.config.json",
        "edge_small.A.expected.json",
        None,
    ),
    (
        "edge_small.empty",
        "edge_small.csv",
        "edge_small.empty.config.json",
        "edge_small.empty.expected.json",
        None,
    ),
];

/// Golden cases made by `tests/golden/make_clarify_golden.py` with smclarify 0.5.
const GOLDEN: &[&str] = &[
    "mixed_facets",
    "continuous_facet_scores",
    "continuous_label_small",
    "multiclass_label_subset",
    "float_written_facet",
];

/// Golden cases whose dataset is a parquet file pandas wrote (`to_parquet`, pyarrow), read
/// back with `read_parquet` for smclarify.
const GOLDEN_PARQUET: &[&str] = &[
    "parquet_mixed_facets",
    "parquet_floats_missing",
    "parquet_numeric_index",
];

fn run_case(
    dir: &std::path::Path,
    case: &str,
    data: &str,
    config: &str,
    expected: &str,
    extension: Option<&str>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(config)).unwrap()).unwrap();
    if let Some(ext) = extension {
        cfg["driftwatch"] = serde_json::from_str(ext).unwrap();
    }
    let cfg_path = tmp.path().join("config.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let out = tmp.path().join("out");
    let run = driftwatch(&[
        "analyze",
        "--dataset",
        dir.join(data).to_str().unwrap(),
        "--analysis-config",
        cfg_path.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{case}: {}", run.stderr);
    let actual: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analysis.json")).unwrap()).unwrap();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(expected)).unwrap()).unwrap();
    assert_same_analysis(case, &actual, &expected);
    assert!(!out.join("constraint_violations.json").exists());
}

#[test]
fn golden_cases_made_with_smclarify_are_reproduced() {
    let dir = repo_path("tests/fixtures/golden");
    for case in GOLDEN {
        run_case(
            &dir,
            case,
            &format!("{case}.csv"),
            &format!("{case}.config.json"),
            &format!("{case}.expected.json"),
            None,
        );
    }
}

#[test]
fn parquet_datasets_pandas_wrote_give_smclarifys_numbers() {
    let dir = repo_path("tests/fixtures/golden");
    for case in GOLDEN_PARQUET {
        run_case(
            &dir,
            case,
            &format!("{case}.parquet"),
            &format!("{case}.config.json"),
            &format!("{case}.expected.json"),
            None,
        );
    }
}

#[test]
fn every_shared_clarify_fixture_is_reproduced() {
    let dir = repo_path("tests/fixtures/clarify");
    for (case, data, config, expected, extension) in CASES {
        run_case(&dir, case, data, config, expected, *extension);
    }
}

#[test]
fn small_window_type_inference_is_never_silent() {
    let dir = repo_path("tests/fixtures/clarify");
    let tmp = tempfile::tempdir().unwrap();
    let run = driftwatch(&[
        "analyze",
        "--dataset",
        dir.join("dpl.csv").to_str().unwrap(),
        "--analysis-config",
        dir.join("dpl.config.json").to_str().unwrap(),
        "--output",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: label column \"label\" has only 2 distinct values but was inferred continuous"
        ),
        "{}",
        run.stderr
    );
    let a: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("analysis.json")).unwrap())
            .unwrap();
    let w = a["driftwatch"]["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|w| w.as_str().unwrap().contains("label_type")),
        "{w:?}"
    );
    assert_eq!(a["driftwatch"]["column_types"]["label"], "continuous");
}

#[test]
fn clarify_json_lines_datasets_give_the_same_numbers_as_csv() {
    // The golden case rewritten as {"features": [...], "label": ..., "score": ...} lines.
    let dir = repo_path("tests/fixtures/golden");
    let csv = std::fs::read_to_string(dir.join("continuous_facet_scores.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let feature_names: Vec<&str> = header
        .iter()
        .copied()
        .filter(|h| *h != "label" && *h != "score")
        .collect();
    let cell = |s: &str| -> Value {
        s.parse::<i64>()
            .map(Value::from)
            .or_else(|_| s.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::from(s))
    };
    let mut jsonl = String::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let get = |name: &str| cell(cells[header.iter().position(|h| *h == name).unwrap()]);
        let features: Vec<Value> = feature_names.iter().map(|n| get(n)).collect();
        let rec =
            serde_json::json!({"features": features, "label": get("label"), "score": get("score")});
        jsonl.push_str(&rec.to_string());
        jsonl.push('\n');
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("data.jsonl"), jsonl).unwrap();
    let mut cfg: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("continuous_facet_scores.config.json")).unwrap(),
    )
    .unwrap();
    cfg["dataset_type"] = "application/jsonlines".into();
    cfg["features"] = "features".into();
    let mut headers: Vec<Value> = feature_names.iter().map(|n| Value::from(*n)).collect();
    headers.push("label".into());
    cfg["headers"] = Value::Array(headers);
    std::fs::write(tmp.path().join("config.json"), cfg.to_string()).unwrap();
    let out = tmp.path().join("out");
    let run = driftwatch(&[
        "analyze",
        "--dataset",
        tmp.path().join("data.jsonl").to_str().unwrap(),
        "--analysis-config",
        tmp.path().join("config.json").to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let actual: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analysis.json")).unwrap()).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("continuous_facet_scores.expected.json")).unwrap(),
    )
    .unwrap();
    assert_same_analysis("continuous_facet_scores as JSON Lines", &actual, &expected);
}

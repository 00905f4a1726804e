//! Every Clarify fixture (made with smclarify 0.5) reproduced by `driftwatch analyze` to 1e-9,
//! error strings and facet/label value strings included.

mod common;
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

fn close(a: f64, b: f64) -> bool {
    let scale = a.abs().max(b.abs());
    (a - b).abs() <= 1e-9 * scale.max(1.0)
}

/// The expected value in fixture notation: numbers, or null with a `note` for ±∞.
fn expected_value(m: &Value) -> Option<f64> {
    match (m.get("value"), m.get("note").and_then(Value::as_str)) {
        (Some(Value::Number(n)), _) => n.as_f64(),
        (_, Some("Infinity")) => Some(f64::INFINITY),
        (_, Some("-Infinity")) => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn actual_value(m: &Value) -> Option<f64> {
    match m.get("value") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s == "Infinity" => Some(f64::INFINITY),
        Some(Value::String(s)) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

pub fn assert_same_analysis(case: &str, actual: &Value, expected: &Value) {
    for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        let (Some(a), Some(e)) = (actual.get(stage), expected.get(stage)) else {
            assert_eq!(
                actual.get(stage).is_some(),
                expected.get(stage).is_some(),
                "{case}: {stage} presence"
            );
            continue;
        };
        assert_eq!(a["label"], e["label"], "{case}: {stage}.label");
        assert_eq!(
            a["label_value_or_threshold"], e["label_value_or_threshold"],
            "{case}: {stage}.label_value_or_threshold"
        );
        let (af, ef) = (
            a["facets"].as_object().unwrap(),
            e["facets"].as_object().unwrap(),
        );
        assert_eq!(
            af.keys().collect::<Vec<_>>(),
            ef.keys().collect::<Vec<_>>(),
            "{case}: facets"
        );
        for (facet, e_entries) in ef {
            let a_entries = af[facet].as_array().unwrap();
            let e_entries = e_entries.as_array().unwrap();
            assert_eq!(a_entries.len(), e_entries.len(), "{case}: {facet} entries");
            for (ae, ee) in a_entries.iter().zip(e_entries) {
                let fv = ee["value_or_threshold"].as_str().unwrap();
                assert_eq!(
                    ae["value_or_threshold"], ee["value_or_threshold"],
                    "{case}: {facet}"
                );
                let (am, em) = (
                    ae["metrics"].as_array().unwrap(),
                    ee["metrics"].as_array().unwrap(),
                );
                let names = |v: &Vec<Value>| {
                    v.iter()
                        .map(|m| m["name"].as_str().unwrap().to_string())
                        .collect::<Vec<_>>()
                };
                assert_eq!(names(am), names(em), "{case}: {facet}={fv} metric order");
                for (a, e) in am.iter().zip(em) {
                    let what = format!("{case}: {stage} {facet}={fv} {}", e["name"]);
                    assert_eq!(a["description"], e["description"], "{what}");
                    assert_eq!(a.get("error"), e.get("error"), "{what}: error");
                    match (actual_value(a), expected_value(e)) {
                        (Some(x), Some(y)) if x.is_infinite() || y.is_infinite() => {
                            assert_eq!(x, y, "{what}")
                        }
                        (Some(x), Some(y)) => assert!(close(x, y), "{what}: {x} vs {y}"),
                        (None, None) => assert!(a["value"].is_null(), "{what}"),
                        (x, y) => panic!("{what}: {x:?} vs {y:?}"),
                    }
                }
            }
        }
    }
}

/// Golden cases made by `tests/golden/make_clarify_golden.py` with smclarify 0.5.
const GOLDEN: &[&str] = &[
    "mixed_facets",
    "continuous_facet_scores",
    "continuous_label_small",
    "multiclass_label_subset",
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

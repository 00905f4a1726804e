//! A column is typed as pandas types the text as written, on every path: a captured window
//! whose payloads write ages as `40.0` gives the analysis smclarify gives on the merged rows
//! read by pandas (golden file `float_written_facet`, made by `tests/golden/`), whether the
//! payloads are CSV or JSON and whether the window is reduced in one piece or in shards; and
//! where a facet's meaning turns on how its numbers are written, a warning says so and names
//! the pin. (And `segment_config` splits a window's rows as it splits the dataset's.)
//!
//! Regression: `run` read whole floats as integers, so by the 5 % rule the facet `age` with
//! `value_or_threshold: [40]` became "age == 40" while `analyze` and Clarify took it as the
//! threshold `(40.0, 79.0]`.

mod common;

use std::path::Path;

use common::golden::assert_same_analysis;
use common::{driftwatch, repo_path};
use serde_json::{Value, json};

const T: &str = "2024-01-19T12:00:00Z";

/// (age, sex, x1, label, score) as the golden CSV writes them.
struct Row {
    age: String,
    sex: String,
    x1: String,
    label: String,
    score: String,
}

fn golden_rows() -> Vec<Row> {
    let csv = std::fs::read_to_string(repo_path("tests/fixtures/golden/float_written_facet.csv"))
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("age,sex,x1,label,score"));
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            Row {
                age: c[0].into(),
                sex: c[1].into(),
                x1: c[2].into(),
                label: c[3].into(),
                score: c[4].into(),
            }
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    /// The CSV text of the golden file.
    Csv,
    /// JSON numbers parsed from it: `41.0` stays a float, `2` an integer.
    Json,
    /// Every other record as JSON with the facet `sex` as a float (`2.0`).
    MixedSex,
}

fn number(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn input(i: usize, r: &Row, encoding: Encoding) -> Value {
    let json_input = |sex: Value| {
        json!({"observedContentType": "application/json", "mode": "INPUT", "encoding": "JSON",
               "data": json!({"instances": [{"features": [number(&r.age), sex, number(&r.x1)]}]}).to_string()})
    };
    match encoding {
        Encoding::Csv => {
            json!({"observedContentType": "text/csv", "mode": "INPUT", "encoding": "CSV",
                                "data": format!("{},{},{}", r.age, r.sex, r.x1)})
        }
        Encoding::Json => json_input(number(&r.sex)),
        Encoding::MixedSex if i.is_multiple_of(2) => {
            json_input(json!(r.sex.parse::<i64>().unwrap() as f64))
        }
        Encoding::MixedSex => input(i, r, Encoding::Json),
    }
}

/// The golden rows captured in the hour before T, their labels as ground truth.
fn scenario(root: &Path, encoding: Encoding, executor: &str) {
    let (mut capture, mut truth) = (String::new(), String::new());
    for (i, r) in golden_rows().iter().enumerate() {
        let output = json!({"observedContentType": "text/csv", "mode": "OUTPUT",
                            "data": r.score, "encoding": "CSV"});
        let line = json!({
            "captureData": {"endpointInput": input(i, r, encoding), "endpointOutput": output},
            "eventMetadata": {"eventId": format!("e-{i}"), "inferenceId": format!("i-{i}"),
                              "inferenceTime": format!("2024-01-19T11:{:02}:{:02}Z", i / 60 % 60, i % 60)},
            "eventVersion": "0"
        });
        capture.push_str(&format!("{line}\n"));
        truth.push_str(&format!(
            "{}\n",
            json!({"groundTruthData": {"data": r.label, "encoding": "CSV"},
                   "eventMetadata": {"eventId": format!("i-{i}")}, "eventVersion": "0"})
        ));
    }
    let cdir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    let gdir = root.join("truth/2024/01/19/11");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::create_dir_all(&gdir).unwrap();
    // Two capture objects, so that three shards have something to split.
    let lines: Vec<&str> = capture.lines().collect();
    let half = lines.len() / 2;
    std::fs::write(cdir.join("a.jsonl"), lines[..half].join("\n") + "\n").unwrap();
    std::fs::write(cdir.join("b.jsonl"), lines[half..].join("\n") + "\n").unwrap();
    std::fs::write(gdir.join("g.jsonl"), truth).unwrap();
    let mut cfg: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path(
            "tests/fixtures/golden/float_written_facet.config.json",
        ))
        .unwrap(),
    )
    .unwrap();
    // The capture holds the features; the label is the ground truth, named last.
    cfg["headers"] = json!(["age", "sex", "x1", "label"]);
    cfg.as_object_mut().unwrap().remove("predicted_label");
    std::fs::write(root.join("analysis.json"), cfg.to_string()).unwrap();
    std::fs::write(
        root.join("schedules.yaml"),
        format!(
            "schedules:\n  - name: s\n    type: model_bias\n    endpoint: ep\n    cadence: hourly\n    \
             data_capture: capture\n    ground_truth: truth\n    output: out\n    analysis_config: analysis.json\n    \
             features_attribute: instances[*].features\n{executor}"
        ),
    )
    .unwrap();
}

/// analysis.json and the execution's warnings.
fn run(root: &Path) -> (Value, Vec<String>) {
    let r = driftwatch(&common::run_args(&root.join("schedules.yaml"), "s", T));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let a: Value = serde_json::from_slice(
        &std::fs::read(root.join("out/ep/s/2024/01/19/12/analysis.json")).unwrap(),
    )
    .unwrap();
    let warnings = a["driftwatch"]["warnings"]
        .as_array()
        .map(|w| w.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (a, warnings)
}

fn expected() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo_path(
            "tests/fixtures/golden/float_written_facet.expected.json",
        ))
        .unwrap(),
    )
    .unwrap()
}

fn warns_of_the_float_facet(warnings: &[String]) -> bool {
    warnings.iter().any(|w| {
        w.contains("facet column \"age\" is written as floats (e.g. 41.0)")
            && w.contains(r#""facet_types": {"age": "categorical"}"#)
    })
}

#[test]
fn a_float_written_facet_gives_smclarifys_analysis_from_csv_and_json_payloads_whole_or_sharded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for (name, encoding, executor) in [
        ("csv", Encoding::Csv, ""),
        ("json", Encoding::Json, ""),
        (
            "csv-shards",
            Encoding::Csv,
            "    executor:\n      type: local\n      shards: 3\n",
        ),
    ] {
        let root = tmp.path().join(name);
        scenario(&root, encoding, executor);
        let (a, warnings) = run(&root);
        assert_same_analysis(name, &a, &expected());
        let entry = &a["pre_training_bias_metrics"]["facets"]["age"][0];
        assert_eq!(entry["value_or_threshold"], "(40.0, 79.0]", "{name}");
        assert_eq!(a["driftwatch"]["column_types"]["facet:age"], "continuous");
        assert_eq!(a["driftwatch"]["column_types"]["facet:sex"], "categorical");
        assert!(warns_of_the_float_facet(&warnings), "{name}: {warnings:?}");
        bytes.push(std::fs::read(root.join("out/ep/s/2024/01/19/12/analysis.json")).unwrap());
    }
    assert!(
        bytes.windows(2).all(|w| w[0] == w[1]),
        "the three paths wrote different analysis.json files"
    );
}

#[test]
fn analyze_warns_of_the_float_facet_as_run_does() {
    let dir = repo_path("tests/fixtures/golden");
    let out = tempfile::tempdir().unwrap();
    let r = driftwatch(&[
        "analyze",
        "--dataset",
        dir.join("float_written_facet.csv").to_str().unwrap(),
        "--analysis-config",
        dir.join("float_written_facet.config.json")
            .to_str()
            .unwrap(),
        "--output",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("facet column \"age\" is written as floats"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_facet_written_as_2_and_as_2_0_in_one_window_is_a_float_with_a_warning_naming_the_pin() {
    let tmp = tempfile::tempdir().unwrap();
    scenario(tmp.path(), Encoding::MixedSex, "");
    let (a, warnings) = run(tmp.path());
    assert_eq!(a["driftwatch"]["column_types"]["facet:sex"], "continuous");
    assert!(
        warnings.iter().any(
            |w| w.starts_with("column \"sex\" is written as integers in")
                && w.contains("as whole floats in")
                && w.contains(r#""facet_types": {"sex": "categorical"}"#)
        ),
        "{warnings:?}"
    );

    // Pinned, the same window reads `sex` as categories again.
    let mut cfg: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("analysis.json")).unwrap())
            .unwrap();
    cfg["driftwatch"] = json!({"facet_types": {"sex": "categorical"}});
    std::fs::write(tmp.path().join("analysis.json"), cfg.to_string()).unwrap();
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    let (a, _) = run(tmp.path());
    assert_eq!(a["driftwatch"]["column_types"]["facet:sex"], "categorical");
    // The same rows as the golden file's, so smclarify's numbers.
    assert_same_analysis("mixed, pinned", &a, &expected());
}

#[test]
fn a_float_written_facet_sharded_on_ray_gives_the_same_analysis() {
    let (Some(url), Some(ray)) = (common::moto_url(), common::ray_url()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let b = common::Bucket::new(&url, "float-facet");
    let bucket = b.name.clone();
    let executor = format!(
        "    executor:\n      type: ray\n      address: {ray}\n      shards: 3\n      command: {}\n      poll: 200ms\n",
        env!("CARGO_BIN_EXE_driftwatch")
    );
    scenario(root, Encoding::Json, &executor);
    // The scenario's files, uploaded as they lie.
    for dir in ["capture/ep/AllTraffic/2024/01/19/11", "truth/2024/01/19/11"] {
        for f in std::fs::read_dir(root.join(dir)).unwrap() {
            let f = f.unwrap();
            let key = format!("{dir}/{}", f.file_name().to_string_lossy());
            b.put(&key, &std::fs::read(f.path()).unwrap());
        }
    }
    let yaml = std::fs::read_to_string(root.join("schedules.yaml"))
        .unwrap()
        .replace(
            "data_capture: capture",
            &format!("data_capture: s3://{bucket}/capture"),
        )
        .replace(
            "ground_truth: truth",
            &format!("ground_truth: s3://{bucket}/truth"),
        )
        .replace("output: out", &format!("output: s3://{bucket}/out"));
    std::fs::write(root.join("schedules.yaml"), yaml).unwrap();
    let (code, record, stderr) = common::run_record(&root.join("schedules.yaml"), "s", T, &b.env());
    assert_eq!(code, 0, "{record}\n{stderr}");
    let bytes = b
        .get("out/ep/s/2024/01/19/12/analysis.json")
        .expect("the Ray execution's analysis.json");
    let a: Value = serde_json::from_slice(&bytes).unwrap();
    assert_same_analysis("ray", &a, &expected());
    let warnings: Vec<String> = a["driftwatch"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    assert!(warns_of_the_float_facet(&warnings), "{warnings:?}");
}

#[test]
fn segments_are_the_same_through_run_and_analyze() {
    // segment_config in a model_bias schedule: the window's rows split as the dataset's are.
    let segments = json!([
        {"name_or_index": "age", "segments": [["[18, 30]"], ["(30, 50]", "(70, 80]"]], "config_name": "age"},
        {"name_or_index": "sex", "segments": [[1]], "display_aliases": ["one", "rest"]}
    ]);
    let tmp = tempfile::tempdir().unwrap();
    scenario(tmp.path(), Encoding::Json, "");
    let path = tmp.path().join("analysis.json");
    let mut cfg: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    cfg["segment_config"] = segments.clone();
    std::fs::write(&path, cfg.to_string()).unwrap();
    let (a, _) = run(tmp.path());
    let from_run = &a["driftwatch"]["segments"];
    assert_eq!(from_run.as_array().unwrap().len(), 5, "{from_run}");

    let dir = repo_path("tests/fixtures/golden");
    let mut cfg: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("float_written_facet.config.json")).unwrap(),
    )
    .unwrap();
    cfg["segment_config"] = segments;
    let config = tmp.path().join("analyze.json");
    std::fs::write(&config, cfg.to_string()).unwrap();
    let out = tmp.path().join("analyzed");
    let r = driftwatch(&[
        "analyze",
        "--dataset",
        dir.join("float_written_facet.csv").to_str().unwrap(),
        "--analysis-config",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b: Value =
        serde_json::from_slice(&std::fs::read(out.join("analysis.json")).unwrap()).unwrap();
    assert_eq!(from_run, &b["driftwatch"]["segments"]);
    assert_eq!(from_run[3]["segment"], "one");
    assert_eq!(from_run[4]["segment"], "rest");
}

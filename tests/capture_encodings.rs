//! The same captured records give the same analysis whatever the payload encoding: CSV
//! payloads, JSON payloads of the same numbers, and gzip-compressed capture files
//! (`*.jsonl.gz`); numbers written as floats (`2.0`) are floats in either encoding, as pandas
//! reads them (`tests/typing_as_clarify.rs` checks those against smclarify).

mod common;

use std::io::Write;
use std::path::Path;

use serde_json::json;

const T: &str = "2024-01-19T12:00:00Z";

/// (age, sex, hga, score, label) of 240 records in the hour before T.
fn records() -> Vec<(i64, i64, i64, f64, i64)> {
    (0..240)
        .map(|i: i64| {
            let sex = 1 + i % 2;
            let hga = i % 5;
            let score = ((i * 37) % 100) as f64 / 100.0 + 0.005;
            let label = i64::from((i * 53) % 100 < 35 + 10 * sex);
            (20 + i % 50, sex, hga, score, label)
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Csv,
    JsonInts,
    /// A client that serialises a float matrix: `2.0` for 2.
    JsonFloats,
}

fn capture_line(i: usize, r: (i64, i64, i64, f64, i64), encoding: Encoding) -> String {
    let (age, sex, hga, score, _) = r;
    let (input, output) = match encoding {
        Encoding::Csv => (
            json!({"observedContentType": "text/csv", "mode": "INPUT",
                   "data": format!("{age},{sex},{hga}"), "encoding": "CSV"}),
            json!({"observedContentType": "text/csv", "mode": "OUTPUT",
                   "data": score.to_string(), "encoding": "CSV"}),
        ),
        Encoding::JsonInts | Encoding::JsonFloats => (
            json!({"observedContentType": "application/json", "mode": "INPUT",
                   "data": if encoding == Encoding::JsonInts {
                       json!({"instances": [{"features": [age, sex, hga]}]})
                   } else {
                       json!({"instances": [{"features": [age as f64, sex as f64, hga as f64]}]})
                   }.to_string(),
                   "encoding": "JSON"}),
            json!({"observedContentType": "application/json", "mode": "OUTPUT",
                   "data": json!({"predictions": [{"score": score}]}).to_string(), "encoding": "JSON"}),
        ),
    };
    json!({
        "captureData": {"endpointInput": input, "endpointOutput": output},
        "eventMetadata": {"eventId": format!("e-{i}"), "inferenceId": format!("i-{i}"),
                          "inferenceTime": format!("2024-01-19T11:{:02}:{:02}Z", i / 6, (i % 6) * 10)},
        "eventVersion": "0"
    })
    .to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

/// A scenario directory: capture in `encoding`, ground truth, config, schedules.
fn scenario(root: &Path, encoding: Encoding, gzipped: bool) {
    let mut capture = String::new();
    let mut truth = String::new();
    for (i, r) in records().into_iter().enumerate() {
        capture.push_str(&capture_line(i, r, encoding));
        capture.push('\n');
        truth.push_str(
            &json!({"groundTruthData": {"data": r.4.to_string(), "encoding": "CSV"},
                    "eventMetadata": {"eventId": format!("i-{i}")}, "eventVersion": "0"})
            .to_string(),
        );
        truth.push('\n');
    }
    let cdir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    let gdir = root.join("truth/2024/01/19/11");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::create_dir_all(&gdir).unwrap();
    if gzipped {
        std::fs::write(cdir.join("a.jsonl.gz"), gzip(capture.as_bytes())).unwrap();
        std::fs::write(gdir.join("g.jsonl.gz"), gzip(truth.as_bytes())).unwrap();
    } else {
        std::fs::write(cdir.join("a.jsonl"), capture).unwrap();
        std::fs::write(gdir.join("g.jsonl"), truth).unwrap();
    }
    // SEX = 2 as a user writes it: no type pinned, smclarify's inference decides.
    std::fs::write(
        root.join("analysis.json"),
        r#"{"headers": ["age", "sex", "hga", "label"], "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex", "value_or_threshold": [2]}],
            "group_variable": "hga"}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("schedules.yaml"),
        "schedules:\n  - name: s\n    type: model_bias\n    endpoint: ep\n    cadence: hourly\n    \
         data_capture: capture\n    ground_truth: truth\n    output: out\n    analysis_config: analysis.json\n    \
         features_attribute: instances[*].features\n    probability_attribute: predictions[*].score\n",
    )
    .unwrap();
}

fn analysis_bytes(root: &Path) -> Vec<u8> {
    let r = common::driftwatch(&common::run_args(&root.join("schedules.yaml"), "s", T));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    std::fs::read(root.join("out/ep/s/2024/01/19/12/analysis.json")).unwrap()
}

#[test]
fn csv_and_json_payloads_give_byte_identical_analyses() {
    let tmp = tempfile::tempdir().unwrap();
    let (csv, json) = (tmp.path().join("csv"), tmp.path().join("json"));
    scenario(&csv, Encoding::Csv, false);
    scenario(&json, Encoding::JsonInts, false);
    let (a, b) = (analysis_bytes(&csv), analysis_bytes(&json));
    assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let entry = &v["pre_training_bias_metrics"]["facets"]["sex"][0];
    assert_eq!(entry["value_or_threshold"], "2");
    assert_eq!(v["driftwatch"]["column_types"]["facet:sex"], "categorical");
}

#[test]
fn a_facet_written_as_floats_is_continuous_as_clarify_reads_it_and_the_warning_names_the_pin() {
    // `[2.0, …]` is what pandas reads as a float column, so smclarify takes `sex` as
    // continuous and [2] as the threshold "> 2"; never silently: the warning says why and
    // how to pin it.
    let tmp = tempfile::tempdir().unwrap();
    scenario(tmp.path(), Encoding::JsonFloats, false);
    let v: serde_json::Value = serde_json::from_slice(&analysis_bytes(tmp.path())).unwrap();
    assert_eq!(v["driftwatch"]["column_types"]["facet:sex"], "continuous");
    let warnings = v["driftwatch"]["warnings"].to_string();
    assert!(
        warnings.contains(r#"facet column \"sex\" has only 2 distinct values"#)
            || warnings.contains(r#"facet column \"sex\" is written as floats"#),
        "{warnings}"
    );
    assert!(
        warnings.contains(r#"{\"facet_types\": {\"sex\": \"categorical\"}}"#),
        "{warnings}"
    );
}

#[test]
fn gzip_capture_and_ground_truth_give_the_same_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, zipped) = (tmp.path().join("plain"), tmp.path().join("zipped"));
    scenario(&plain, Encoding::Csv, false);
    scenario(&zipped, Encoding::Csv, true);
    assert_eq!(analysis_bytes(&plain), analysis_bytes(&zipped));
}

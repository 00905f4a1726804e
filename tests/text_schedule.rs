//! A `model_explainability` schedule over a text endpoint's capture, end to end: captured
//! reviews on moto S3, the real HTTP text model (tests/fixtures/text/text_server.py), the
//! window explained unit by unit, out.jsonl and analysis.json written to S3, and the
//! attribution-drift check by the window's top units against a baseline `analyze` made.

mod common;

use std::path::Path;

use common::{Bucket, analyze_with, driftwatch_env, moto_url, runtime_env};
use serde_json::{Value, json};

const T: &str = "2024-01-19T10:00:00Z";
const OUT: &str = "output/text-ep/reviews/2024/01/19/10";

const BASELINE_REVIEWS: &[&str] = &[
    "I love this dress!",
    "Great fun, love it",
    "Not good, not bad.",
    "Awful fit and poor fabric",
    "Nice colour, great price",
    "boring but nice",
];

const DRIFTED_REVIEWS: &[&str] = &[
    "Broken zip, broken seam",
    "Hate it. Broken!",
    "never again, hate the fabric",
    "poor, poor, broken",
    "awful and broken",
    "hate this",
];

fn capture(reviews: &[&str]) -> String {
    reviews
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": format!("\"{r}\""), "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5,0.5", "encoding": "CSV"}
                },
                "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": format!("2024-01-19T09:{:02}:00Z", 10 + i)},
                "eventVersion": "0"
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

struct Setup {
    _dir: tempfile::TempDir,
    yaml: std::path::PathBuf,
    bucket: Bucket,
    env: Vec<(&'static str, String)>,
    _server: (std::process::Child, String),
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self._server.0.kill();
        let _ = self._server.0.wait();
    }
}

/// A baseline analysed from the baseline reviews, and a schedule whose window holds `window`.
fn setup(url: &str, window: &[&str]) -> Setup {
    setup_with(url, window, "")
}

/// [`setup`] with more schedule keys (`extra`: YAML lines at the schedule's indentation).
fn setup_with(url: &str, window: &[&str], extra: &str) -> Setup {
    let server =
        common::start_model_server("python3", "tests/fixtures/text/text_server.py", "text", &[]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = json!({
        "version": "1.0",
        "headers": ["Review Text"],
        "predictor": {"endpoint_name": "text", "content_type": "text/csv", "accept_type": "text/csv",
                      "label_headers": ["negative", "positive"]},
        "methods": {"shap": {"baseline": [["[MASK]"]], "save_local_shap_values": true,
                             "text_config": {"granularity": "token", "language": "english"}},
                    "report": {"name": "report", "title": "Reviews"}}
    });
    std::fs::write(dir.path().join("explain.json"), cfg.to_string()).unwrap();
    let dataset: String = BASELINE_REVIEWS
        .iter()
        .map(|r| format!("\"{r}\"\n"))
        .collect();
    std::fs::write(dir.path().join("baseline.csv"), dataset).unwrap();
    let run = analyze_with(
        &dir.path().join("baseline.csv"),
        &dir.path().join("explain.json"),
        &dir.path().join("baseline"),
        &runtime_env(&server.1),
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let bucket = Bucket::new(url, "text");
    bucket.put(
        "capture/text-ep/AllTraffic/2024/01/19/09/10-00-000-a.jsonl",
        capture(window).as_bytes(),
    );
    let yaml = format!(
        "schedules:\n  - name: reviews\n    type: model_explainability\n    endpoint: text-ep\n    cadence: hourly\n    data_capture: s3://{b}/capture\n    output: s3://{b}/output\n    analysis_config: explain.json\n    baseline_constraints: baseline/analysis.json\n{extra}",
        b = bucket.name
    );
    let path = dir.path().join("schedules.yaml");
    std::fs::write(&path, yaml).unwrap();
    let mut env = bucket.env();
    env.push(("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.1.clone()));
    Setup {
        _dir: dir,
        yaml: path,
        bucket,
        env,
        _server: server,
    }
}

fn run(s: &Setup) -> (i32, Value) {
    let env: Vec<(&str, &str)> = s.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = driftwatch_env(
        &[
            "run",
            "--config",
            s.yaml.to_str().unwrap(),
            "--schedule",
            "reviews",
            "--at",
            T,
        ],
        &env,
    );
    let record: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r.code, record)
}

fn s3_json(b: &Bucket, key: &str) -> Value {
    serde_json::from_slice(&b.get(key).unwrap_or_else(|| panic!("{key} is in S3"))).unwrap()
}

#[test]
fn a_window_like_the_baseline_passes_with_its_units_in_s3() {
    let Some(url) = moto_url() else { return };
    let s = setup(&url, BASELINE_REVIEWS);
    let (code, record) = run(&s);
    assert_eq!(code, 0, "{record:#}");
    assert_eq!(record["status"], "Completed", "{record:#}");
    assert_eq!(record["counts"]["records_merged"], 6);
    let analysis = s3_json(&s.bucket, &format!("{OUT}/analysis.json"));
    let positive = &analysis["explanations"]["kernel_shap"]["positive"];
    assert!(
        positive["global_top_shap_text"]["Review Text"]["love"].is_number(),
        "{positive:#}"
    );
    assert_eq!(
        analysis["driftwatch"]["ndcg"]["positive"], 1.0,
        "same texts, same ranking"
    );
    let local = String::from_utf8(
        s.bucket
            .get(&format!("{OUT}/explanations_shap/out.jsonl"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(local.lines().count(), 6);
    let first: Value = serde_json::from_str(local.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["explanations"][0]["attributions"][1]["description"]["partial_text"],
        "love"
    );
    let html = String::from_utf8(s.bucket.get(&format!("{OUT}/report.html")).unwrap()).unwrap();
    assert!(
        html.contains("Top units"),
        "the execution's page lists the window's top units"
    );
}

#[test]
fn a_window_whose_top_words_changed_violates_attribution_drift() {
    let Some(url) = moto_url() else { return };
    let s = setup(&url, DRIFTED_REVIEWS);
    let (code, record) = run(&s);
    assert_eq!(code, 0, "{record:#}");
    assert_eq!(record["status"], "CompletedWithViolations", "{record:#}");
    let violations = s3_json(&s.bucket, &format!("{OUT}/constraint_violations.json"));
    let v = &violations["violations"][0];
    assert_eq!(
        v["constraint_check_type"],
        "feature_attribution_drift_check"
    );
    let analysis = s3_json(&s.bucket, &format!("{OUT}/analysis.json"));
    let ndcg = analysis["driftwatch"]["ndcg"]["positive"].as_f64().unwrap();
    assert!(ndcg < 0.9, "{ndcg}");
    let _ = Path::new(OUT);
}

#[test]
fn the_significant_check_judges_the_units_ndcg_by_its_interval() {
    let Some(url) = moto_url() else { return };
    let s = setup_with(&url, DRIFTED_REVIEWS, "    check: {mode: significant}\n");
    let (code, record) = run(&s);
    assert_eq!(code, 0, "{record:#}");
    let analysis = s3_json(&s.bucket, &format!("{OUT}/analysis.json"));
    let block = &analysis["driftwatch"];
    let ndcg = block["ndcg"]["positive"].as_f64().unwrap();
    let interval = &block["ndcg_intervals"]["positive"];
    let (lo, hi) = (
        interval["lower"].as_f64().unwrap(),
        interval["upper"].as_f64().unwrap(),
    );
    assert!(lo <= hi && ndcg < 0.9, "{interval} {ndcg}");
    // A violation only when the whole interval is below the threshold; else within noise.
    let violated = record["status"] == "CompletedWithViolations";
    assert_eq!(violated, hi < 0.9, "{record:#}\n{block:#}");
    if !violated {
        assert!(
            block["not_significant"]
                .as_array()
                .is_some_and(|n| !n.is_empty()),
            "{block:#}"
        );
    }
}

//! One target model of a multi-model endpoint (`inference_id_prefix`): its schedule gives
//! the analysis of its own invocations alone, as if the endpoint had served nothing else, on
//! every path (in one piece and sharded), and says how much traffic it left out.

mod common;

use std::path::Path;

use serde_json::{Value, json};

const T: &str = "2024-01-19T12:00:00Z";

/// (age, sex, score, label) of one model's 180 records in the hour before T; `model` shifts
/// them so the two models' analyses differ.
fn records(model: i64) -> Vec<(i64, i64, f64, i64)> {
    (0..180)
        .map(|i: i64| {
            let sex = 1 + i % 2;
            let score = ((i * (37 + 20 * model)) % 100) as f64 / 100.0 + 0.005;
            let label = i64::from((i * 53 + 17 * model) % 100 < 30 + (10 + 15 * model) * sex);
            (20 + i % 50, sex, score, label)
        })
        .collect()
}

fn capture_line(id: &str, second: usize, r: (i64, i64, f64, i64)) -> String {
    let (age, sex, score, _) = r;
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": format!("{age},{sex}"), "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": score.to_string(), "encoding": "CSV"}},
        "eventMetadata": {"eventId": format!("e-{id}"), "inferenceId": id,
                          "inferenceTime": format!("2024-01-19T11:{:02}:{:02}Z", second / 60, second % 60)},
        "eventVersion": "0"
    })
    .to_string()
}

/// A scenario: the capture of `models` (0: "fraud-a/", 1: "fraud-b/", interleaved in three
/// files, plus invocations without an InferenceId when both are there), their ground truth,
/// and a bias schedule with `prefix` as its `inference_id_prefix`.
fn scenario(root: &Path, models: &[i64], prefix: Option<&str>) {
    let mut files = [String::new(), String::new(), String::new()];
    let mut truth = String::new();
    for m in models {
        for (i, r) in records(*m).into_iter().enumerate() {
            let id = format!("fraud-{}/{i}", ["a", "b"][*m as usize]);
            let line = capture_line(&id, i * 19 % 3600, r);
            files[i % 3].push_str(&line);
            files[i % 3].push('\n');
            truth.push_str(
                &json!({"groundTruthData": {"data": r.3.to_string(), "encoding": "CSV"},
                        "eventMetadata": {"eventId": id}, "eventVersion": "0"})
                .to_string(),
            );
            truth.push('\n');
        }
    }
    if models.len() > 1 {
        // A caller that set no InferenceId: no target model of this endpoint's schedules.
        let anonymous = json!({
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                  "data": "33,1", "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                   "data": "0.9", "encoding": "CSV"}},
            "eventMetadata": {"eventId": "anonymous", "inferenceTime": "2024-01-19T11:30:00Z"},
            "eventVersion": "0"
        });
        files[0].push_str(&anonymous.to_string());
        files[0].push('\n');
    }
    let cdir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    let gdir = root.join("truth/2024/01/19/11");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::create_dir_all(&gdir).unwrap();
    for (n, f) in files.iter().enumerate() {
        std::fs::write(cdir.join(format!("{n}.jsonl")), f).unwrap();
    }
    std::fs::write(gdir.join("g.jsonl"), truth).unwrap();
    std::fs::write(
        root.join("analysis.json"),
        r#"{"headers": ["age", "sex", "label"], "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex", "value_or_threshold": [2]}]}"#,
    )
    .unwrap();
    let select = prefix.map_or(String::new(), |p| {
        format!("    inference_id_prefix: {p:?}\n")
    });
    std::fs::write(
        root.join("schedules.yaml"),
        format!(
            "schedules:\n  - name: s\n    type: model_bias\n    endpoint: ep\n    cadence: hourly\n    \
             data_capture: capture\n    ground_truth: truth\n    output: out\n    analysis_config: analysis.json\n    \
             probability_attribute: 0\n{select}"
        ),
    )
    .unwrap();
}

fn run(root: &Path, shards: Option<usize>) -> (String, Value) {
    let path = root.join("schedules.yaml");
    if let Some(n) = shards {
        let base = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{base}    executor: {{shards: {n}}}\n")).unwrap();
    }
    let r = common::driftwatch(&common::run_args(&path, "s", T));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    let analysis =
        std::fs::read_to_string(root.join("out/ep/s/2024/01/19/12/analysis.json")).unwrap();
    (analysis, record)
}

#[test]
fn a_target_models_schedule_analyses_its_invocations_as_if_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (alone, shared, sharded) = (
        tmp.path().join("alone"),
        tmp.path().join("shared"),
        tmp.path().join("sharded"),
    );
    scenario(&alone, &[1], None);
    scenario(&shared, &[0, 1], Some("fraud-b/"));
    scenario(&sharded, &[0, 1], Some("fraud-b/"));
    let (a, _) = run(&alone, None);
    let (b, record) = run(&shared, None);
    let (c, sharded_record) = run(&sharded, Some(2));
    assert_eq!(a, b, "model b among others differs from model b alone");
    assert_eq!(b, c, "sharded differs from one piece");
    for r in [&record, &sharded_record] {
        let counts = &r["counts"];
        // Model a's 180 invocations and the anonymous one are left out, and said to be.
        assert_eq!(counts["capture_not_selected"], 181, "{r}");
        assert_eq!(counts["capture_records"], 180, "{r}");
        assert_eq!(counts["records_merged"], 180, "{r}");
        // Model a's labels are not "unmatched": they are another schedule's.
        assert_eq!(counts["unmatched_captures"], 0, "{r}");
    }
    // The other model's schedule on the same capture sees the other analysis.
    let other = tmp.path().join("other");
    scenario(&other, &[0, 1], Some("fraud-a/"));
    let (d, _) = run(&other, None);
    assert_ne!(d, b);
}

#[test]
fn a_prefix_no_invocation_has_fails_saying_so() {
    let tmp = tempfile::tempdir().unwrap();
    scenario(tmp.path(), &[0, 1], Some("fraud-c/"));
    let path = tmp.path().join("schedules.yaml");
    let r = common::driftwatch(&common::run_args(&path, "s", T));
    assert_ne!(r.code, 0, "{}", r.stdout);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    let reason = record["failure_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("inference_id_prefix") && reason.contains("361 capture lines"),
        "{record}"
    );
    assert!(
        !tmp.path()
            .join("out/ep/s/2024/01/19/12/analysis.json")
            .exists()
    );
}

#[test]
fn a_bad_prefix_is_refused_by_validate_naming_the_key() {
    for (prefix, says) in [
        ("\"\"", "must not be empty"),
        (&format!("{:?}", "x".repeat(65)), "at most 64"),
        ("[a]", "inference_id_prefix"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        scenario(tmp.path(), &[0], None);
        let path = tmp.path().join("schedules.yaml");
        let base = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{base}    inference_id_prefix: {prefix}\n")).unwrap();
        let r = common::driftwatch(&["validate", "--config", path.to_str().unwrap()]);
        assert_ne!(r.code, 0, "{prefix}: {}", r.stdout);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(
            all.contains("schedules[0].inference_id_prefix") && all.contains(says),
            "{prefix}: {all}"
        );
    }
}

/// The multi-model endpoint answers for the target model a request names, and the SHAP
/// predictor names none: one model's explainability schedule must say which endpoint serves
/// that model alone.
#[test]
fn a_target_models_explainability_schedule_needs_a_shadow_endpoint() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("analysis.json"),
        r#"{"headers": ["age", "sex"], "dataset_type": "text/csv",
            "methods": {"shap": {"baseline": [[30, 1]], "num_samples": 10}},
            "predictor": {"endpoint_name": "fraud-mme", "content_type": "text/csv", "accept_type": "text/csv"}}"#,
    )
    .unwrap();
    let path = tmp.path().join("schedules.yaml");
    let schedule = |extra: &str| {
        format!(
            "schedules:\n  - name: s\n    type: model_explainability\n    endpoint: fraud-mme\n    cadence: hourly\n    \
             data_capture: capture\n    output: out\n    analysis_config: analysis.json\n    \
             inference_id_prefix: fraud-b/\n{extra}"
        )
    };
    std::fs::write(&path, schedule("")).unwrap();
    let r = common::driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_ne!(r.code, 0, "{all}");
    assert!(
        all.contains("schedules[0].inference_id_prefix") && all.contains("shadow_endpoint"),
        "{all}"
    );
    // What the SDK writes for the model (ModelConfig(model_name=…)), served by its shadow.
    let config = std::fs::read_to_string(tmp.path().join("analysis.json")).unwrap();
    let config = config.replace(
        r#""endpoint_name": "fraud-mme""#,
        r#""model_name": "fraud-b""#,
    );
    std::fs::write(tmp.path().join("analysis.json"), config).unwrap();
    std::fs::write(&path, schedule("    shadow_endpoint: fraud-b-shadow\n")).unwrap();
    let r = common::driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// On a real Ray cluster (3 shards as Ray jobs, capture on the S3 emulator), one target
/// model's analysis is the bytes of the same model's traffic alone, run in this process.
#[test]
fn a_target_models_window_sharded_on_ray_gives_the_bytes_of_its_traffic_alone() {
    let (Some(url), Some(ray)) = (common::moto_url(), common::ray_url()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (alone, shared) = (tmp.path().join("alone"), tmp.path().join("shared"));
    scenario(&alone, &[1], None);
    scenario(&shared, &[0, 1], Some("fraud-b/"));
    let (expected, _) = run(&alone, None);

    let b = common::Bucket::new(&url, "mme-ray");
    for sub in ["capture", "truth"] {
        let root = shared.join(sub);
        for entry in common::files_under(&root) {
            let key = entry
                .strip_prefix(&shared)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            b.put(&key, &std::fs::read(&entry).unwrap());
        }
    }
    let path = shared.join("schedules.yaml");
    let yaml = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "data_capture: capture",
            &format!("data_capture: s3://{}/capture", b.name),
        )
        .replace(
            "ground_truth: truth",
            &format!("ground_truth: s3://{}/truth", b.name),
        )
        .replace("output: out", &format!("output: s3://{}/out", b.name));
    let yaml = format!(
        "{yaml}    executor:\n      type: ray\n      address: {ray}\n      shards: 3\n      command: {}\n      poll: 200ms\n",
        env!("CARGO_BIN_EXE_driftwatch")
    );
    std::fs::write(&path, yaml).unwrap();
    let (code, record, stderr) = common::run_record(&path, "s", T, &b.env());
    assert_eq!(code, 0, "{record}\n{stderr}");
    assert_eq!(record["counts"]["capture_not_selected"], 181, "{record}");
    let got = b
        .get("out/ep/s/2024/01/19/12/analysis.json")
        .expect("analysis.json");
    assert_eq!(String::from_utf8(got).unwrap(), expected);
}

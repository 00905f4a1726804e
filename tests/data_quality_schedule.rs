//! `type: data_quality` schedules end to end through the real binary: a window of captured
//! records profiled into SageMaker's statistics.json (the SageMaker container's own bytes for
//! the SDK's dataset), checked against baselines (SageMaker's and suggest-baseline's), its
//! violations as `check-data` gives them for the same rows, its metrics in CloudWatch's
//! data-metrics namespace, and bad input failing precisely.

mod common;

use std::path::Path;

use driftwatch::sagemaker::data_quality::Statistics;
use driftwatch::sagemaker::jackson::jackson_bytes;
use serde_json::{Value, json};

const T: &str = "2024-01-19T12:00:00Z";
const SDK: &str = "tests/fixtures/sagemaker_data_quality/sdk";
const FOLDER: &str = "out/ep/dq/2024/01/19/12";

fn rows(file: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(common::repo_path(&format!("{SDK}/{file}")))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// One invocation: the row's first cell is the response, the others the request (the
/// container's `sagemakerCaptureJson` row is output columns, then input columns).
fn capture_line(i: usize, row: &[String], json_payloads: bool) -> String {
    let (output, input) = row.split_first().unwrap();
    let (ct, input, output) = if json_payloads {
        let numbers: Vec<Value> = input
            .iter()
            .map(|c| serde_json::from_str(c).unwrap())
            .collect();
        let out: Value = serde_json::from_str(output).unwrap();
        (
            "application/json",
            Value::Array(numbers).to_string(),
            out.to_string(),
        )
    } else {
        ("text/csv", input.join(","), output.clone())
    };
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": ct, "mode": "INPUT", "data": input, "encoding": if json_payloads {"JSON"} else {"CSV"}},
            "endpointOutput": {"observedContentType": ct, "mode": "OUTPUT", "data": output, "encoding": if json_payloads {"JSON"} else {"CSV"}}},
        "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": format!("2024-01-19T11:{:02}:{:02}Z", (i / 60) % 60, i % 60)},
        "eventVersion": "0"
    })
    .to_string()
}

/// The capture of `rows` in `files` objects (contiguous runs, in listing order).
fn write_capture(root: &Path, rows: &[Vec<String>], files: usize, json_payloads: bool) {
    let dir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    std::fs::create_dir_all(&dir).unwrap();
    let per = rows.len().div_ceil(files);
    for (n, chunk) in rows.chunks(per).enumerate() {
        let text: String = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| capture_line(n * per + i, r, json_payloads) + "\n")
            .collect();
        std::fs::write(dir.join(format!("part-{n:02}.jsonl")), text).unwrap();
    }
}

fn write_schedule(root: &Path, extra: &str) -> std::path::PathBuf {
    let path = root.join("schedules.yaml");
    std::fs::write(
        &path,
        format!(
            "schedules:\n  - name: dq\n    type: data_quality\n    endpoint: ep\n    cadence: hourly\n    \
             data_capture: capture\n    output: out\n{extra}"
        ),
    )
    .unwrap();
    path
}

fn run(root: &Path) -> (i32, Value) {
    let r = common::driftwatch(&common::run_args(&root.join("schedules.yaml"), "dq", T));
    let record = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("record ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, record)
}

fn statistics(root: &Path) -> Statistics {
    serde_json::from_slice(&std::fs::read(root.join(FOLDER).join("statistics.json")).unwrap())
        .unwrap()
}

/// SageMaker's keys only: what the container would have written.
fn sagemaker_bytes(mut s: Statistics) -> Vec<u8> {
    s.driftwatch = None;
    jackson_bytes(&s)
}

#[test]
fn a_window_of_the_sdk_dataset_gives_the_containers_statistics_whatever_the_encoding() {
    let data = rows("baseline_dataset.csv");
    let expected = std::fs::read(common::repo_path(&format!("{SDK}/statistics.json"))).unwrap();
    for json_payloads in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        write_capture(tmp.path(), &data, 1, json_payloads);
        write_schedule(tmp.path(), "");
        let (code, record) = run(tmp.path());
        assert_eq!(code, 0, "{record}");
        assert_eq!(record["status"], "Completed");
        assert_eq!(record["monitoring_type"], "DataQuality");
        assert_eq!(record["counts"]["records_merged"], 100);
        let ours = statistics(tmp.path());
        assert_eq!(
            String::from_utf8(sagemaker_bytes(ours)).unwrap(),
            String::from_utf8(expected.clone()).unwrap(),
            "json payloads: {json_payloads}"
        );
        assert!(
            !tmp.path()
                .join(FOLDER)
                .join("constraint_violations.json")
                .exists()
        );
        assert!(tmp.path().join(FOLDER).join("report.html").exists());
    }
}

#[test]
fn objects_profiled_apart_give_the_same_statistics_in_every_run() {
    let data = rows("monitor_baseline_dataset.csv");
    let mut seen = Vec::new();
    for _ in 0..2 {
        let tmp = tempfile::tempdir().unwrap();
        write_capture(tmp.path(), &data, 7, false);
        write_schedule(tmp.path(), "");
        let (code, record) = run(tmp.path());
        assert_eq!(code, 0, "{record}");
        assert_eq!(record["counts"]["capture_files"], 7);
        let s = std::fs::read(tmp.path().join(FOLDER).join("statistics.json")).unwrap();
        seen.push(s);
    }
    assert_eq!(seen[0], seen[1]);
}

/// `executor: {shards: N}` folds slices of the listing apart (each through the wire form a
/// worker's state takes) and merges every object's profile in listing order: the bytes of
/// one process, however many shards, malformed lines and ragged rows listed as before.
#[test]
fn a_window_in_shards_gives_the_bytes_of_one_process() {
    let mut data = rows("monitor_baseline_dataset.csv");
    data[30].pop();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write_capture(root, &data, 7, false);
    let object = root.join("capture/ep/AllTraffic/2024/01/19/11/part-04.jsonl");
    let text = std::fs::read_to_string(&object).unwrap();
    std::fs::write(&object, text.replacen("{", "{oops", 1)).unwrap();
    let mut seen = Vec::new();
    for executor in [
        "",
        "    executor:\n      shards: 3\n",
        "    executor:\n      shards: 7\n",
        "    executor:\n      shards: 12\n",
    ] {
        std::fs::remove_dir_all(root.join("out")).ok();
        write_schedule(root, executor);
        let (code, record) = run(root);
        assert_eq!(code, 0, "{executor}: {record}");
        let bytes = std::fs::read(root.join(FOLDER).join("statistics.json")).unwrap();
        let files: Vec<String> = std::fs::read_dir(root.join(FOLDER))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!files.iter().any(|f| f == "_shards"), "{files:?}");
        seen.push((executor, bytes, record));
    }
    let (_, whole, first) = &seen[0];
    assert_eq!(first["counts"]["capture_malformed"], 1);
    assert!(first["warnings"].to_string().contains("part-"), "{first}");
    for (executor, bytes, record) in &seen[1..] {
        assert!(bytes == whole, "statistics.json differs with {executor:?}");
        for key in ["counts", "malformed", "warnings", "status"] {
            assert_eq!(record[key], first[key], "{executor:?}: {key}");
        }
    }
}

/// A baseline suggested from the SDK's dataset; the window holds other rows of another width.
/// The violations are those `check-data` finds for the same rows, sentence for sentence.
#[test]
fn violations_are_check_datas_for_the_same_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let base = root.join("baseline");
    let r = common::driftwatch(&[
        "suggest-baseline",
        "--type",
        "data_quality",
        "--dataset",
        common::repo_path(&format!("{SDK}/baseline_dataset.csv"))
            .to_str()
            .unwrap(),
        "--output",
        base.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The window: the monitoring dataset's first six columns, its seventh column's cell
    // blanked in every fifth row (completeness), one ragged capture line.
    let mut data: Vec<Vec<String>> = rows("monitor_baseline_dataset.csv")
        .into_iter()
        .map(|r| r[..6].to_vec())
        .collect();
    for (i, r) in data.iter_mut().enumerate() {
        if i % 5 == 0 {
            r[3] = String::new();
        }
    }
    write_capture(root, &data, 3, false);
    let dir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    let mut last = std::fs::read_to_string(dir.join("part-02.jsonl")).unwrap();
    last.push_str("{not json\n");
    std::fs::write(dir.join("part-02.jsonl"), last).unwrap();
    write_schedule(
        root,
        "    baseline_constraints: baseline/constraints.json\n    baseline_statistics: baseline/statistics.json\n",
    );
    let (code, record) = run(root);
    assert_eq!(code, 0, "{record}");
    assert_eq!(record["status"], "CompletedWithViolations", "{record}");
    assert_eq!(record["counts"]["capture_malformed"], 1);
    assert!(
        record["malformed"][0]
            .as_str()
            .unwrap()
            .contains("part-02.jsonl:")
    );
    let ours: Value = serde_json::from_slice(
        &std::fs::read(root.join(FOLDER).join("constraint_violations.json")).unwrap(),
    )
    .unwrap();

    // The same rows as one CSV dataset through check-data.
    let csv: String = data.iter().map(|r| r.join(",") + "\n").collect();
    std::fs::write(root.join("window.csv"), csv).unwrap();
    let checked = root.join("checked");
    let r = common::driftwatch(&[
        "check-data",
        "--dataset",
        root.join("window.csv").to_str().unwrap(),
        "--baseline-constraints",
        base.join("constraints.json").to_str().unwrap(),
        "--baseline-statistics",
        base.join("statistics.json").to_str().unwrap(),
        "--output",
        checked.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let theirs: Value =
        serde_json::from_slice(&std::fs::read(checked.join("constraint_violations.json")).unwrap())
            .unwrap();
    // Drift distances depend on how the rows were split into sketches; the other checks do
    // not.
    let without_drift = |v: &Value| -> Vec<Value> {
        v["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["constraint_check_type"] != "baseline_drift_check")
            .cloned()
            .collect()
    };
    assert_eq!(without_drift(&ours), without_drift(&theirs));
    assert!(
        without_drift(&ours)
            .iter()
            .any(|v| v["constraint_check_type"] == "completeness_check"
                && v["feature_name"] == "_c3"),
        "{ours}"
    );
    // Every feature's distance is in driftwatch's block, and the page shows them.
    let s = statistics(root);
    let block = s.driftwatch.expect("driftwatch block");
    assert_eq!(block.baseline_drift.len(), 6);
    let page = std::fs::read_to_string(root.join(FOLDER).join("report.html")).unwrap();
    assert!(
        page.contains("completeness_check"),
        "report names the violation"
    );
    // The dashboard has the per-feature series.
    let dash: Value =
        serde_json::from_slice(&std::fs::read(root.join("out/ep/dq/dashboard.json")).unwrap())
            .unwrap();
    let kinds: Vec<&str> = dash["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"drift") && kinds.contains(&"completeness"),
        "{kinds:?}"
    );
}

#[test]
fn extra_and_missing_columns_are_violations() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::copy(
        common::repo_path(&format!("{SDK}/good_cases/constraints.json")),
        root.join("b/constraints.json"),
    )
    .unwrap();
    let n_baseline =
        serde_json::from_slice::<Value>(&std::fs::read(root.join("b/constraints.json")).unwrap())
            .unwrap()["features"]
            .as_array()
            .unwrap()
            .len();
    let data = rows("monitor_baseline_dataset.csv");
    assert!(data[0].len() > n_baseline);
    write_capture(root, &data, 2, false);
    write_schedule(root, "    baseline_constraints: b/constraints.json\n");
    let (code, record) = run(root);
    assert_eq!(code, 0, "{record}");
    let v: Value = serde_json::from_slice(
        &std::fs::read(root.join(FOLDER).join("constraint_violations.json")).unwrap(),
    )
    .unwrap();
    assert!(
        v["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["constraint_check_type"] == "extra_column_check"),
        "{v}"
    );
    // Drift without baseline statistics is not checked, and says so.
    let s = statistics(root);
    let block = s.driftwatch.unwrap();
    assert!(
        block
            .not_checked
            .iter()
            .any(|n| n.constraint_check_type == "baseline_drift_check"
                && n.reason == "no baseline statistics")
    );
    assert!(record["counts"]["metrics_not_checked"].as_u64().unwrap() > 0);
}

#[test]
fn a_baseline_that_is_not_a_data_quality_file_fails_permanently_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write_capture(root, &rows("baseline_dataset.csv"), 1, false);
    std::fs::write(
        root.join("analysis.json"),
        r#"{"version": "1.0", "post_training_bias_metrics": {}}"#,
    )
    .unwrap();
    let mut other_version = std::fs::read_to_string(common::repo_path(&format!(
        "{SDK}/good_cases/constraints.json"
    )))
    .unwrap();
    other_version = other_version.replacen("\"version\" : 0.0", "\"version\" : 2.0", 1);
    std::fs::write(root.join("v2.json"), other_version).unwrap();
    for (file, needle) in [
        ("analysis.json", "is not a data-quality constraints file"),
        ("v2.json", "has version 2"),
    ] {
        write_schedule(root, &format!("    baseline_constraints: {file}\n"));
        let (code, record) = run(root);
        assert_eq!(code, 1, "{record}");
        assert_eq!(record["status"], "Failed");
        assert_eq!(record["failure_class"], "permanent");
        let reason = record["failure_reason"].as_str().unwrap();
        assert!(reason.contains(file) && reason.contains(needle), "{reason}");
        assert!(!root.join(FOLDER).join("statistics.json").exists());
    }
}

/// Bad capture loses nothing, as for the Clarify monitors: a malformed line and a payload that
/// is not UTF-8 text are skipped and listed in the record as `object:line: reason`, the rest
/// profiled; a record of another width (a ragged row) is left out of the profile with a
/// warning naming it; a window with nothing usable fails permanently and writes nothing.
#[test]
fn bad_capture_is_named_and_the_rest_profiled() {
    use base64::Engine;
    let data = rows("baseline_dataset.csv");
    let not_utf8 = base64::engine::general_purpose::STANDARD.encode([b'1', b',', 0xff, 0xfe]);
    let mut base64_line: Value = serde_json::from_str(&capture_line(7, &data[7], false)).unwrap();
    base64_line["captureData"]["endpointInput"]["data"] = Value::String(not_utf8);
    base64_line["captureData"]["endpointInput"]["encoding"] = Value::String("BASE64".into());
    for (bad, needle) in [
        ("{\"captureData\": ".to_string(), "not valid JSON"),
        (base64_line.to_string(), "not UTF-8"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write_capture(root, &data, 2, false);
        let object = root.join("capture/ep/AllTraffic/2024/01/19/11/part-01.jsonl");
        let mut lines: Vec<String> = std::fs::read_to_string(&object)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        lines[2] = bad;
        std::fs::write(&object, lines.join("\n") + "\n").unwrap();
        write_schedule(root, "");
        let (code, record) = run(root);
        assert_eq!(code, 0, "{record}");
        assert_eq!(record["counts"]["capture_malformed"], 1, "{record}");
        assert_eq!(record["counts"]["records_merged"], 99, "{record}");
        let malformed = record["malformed"][0].as_str().unwrap();
        assert!(
            malformed.contains("part-01.jsonl:3: ") && malformed.contains(needle),
            "{malformed}"
        );
        assert_eq!(statistics(root).dataset.item_count, 99);
    }

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut ragged = data.clone();
    ragged[40].pop();
    write_capture(root, &ragged, 2, false);
    write_schedule(root, "");
    let (code, record) = run(root);
    assert_eq!(code, 0, "{record}");
    assert_eq!(record["counts"]["records_merged"], 99, "{record}");
    let warnings = record["warnings"].to_string();
    assert!(warnings.contains("part-00.jsonl:41"), "{warnings}");
    let stats = statistics(root);
    assert_eq!(stats.dataset.item_count, 99);
    assert!(
        stats
            .driftwatch
            .unwrap()
            .warnings
            .iter()
            .any(|w| w.contains("part-00.jsonl:41"))
    );

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let dir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("part-00.jsonl"), "not json\n{\n").unwrap();
    write_schedule(root, "");
    let (code, record) = run(root);
    assert_eq!(code, 1, "{record}");
    assert_eq!(record["status"], "Failed");
    assert_eq!(record["failure_class"], "permanent", "{record}");
    assert!(!root.join(FOLDER).join("statistics.json").exists());
}

/// driftwatch's drift options through a schedule: `check.drift_cdf: weighted` sees a 0/1
/// feature's shift that SageMaker's rank map cannot, `categorical_drift_method: ChiSquared`
/// judges a String feature by its p-value, and `check.mode: significant` marks each distance
/// as beyond noise or not; every distance with how it was measured in driftwatch's block.
#[test]
fn drift_options_reach_the_statistics_block() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let row = |i: usize, ones: usize, a: usize| -> Vec<String> {
        vec![
            "0.5".into(),
            if i % 10 < ones { "1" } else { "0" }.into(),
            if i % 10 < a { "a" } else { "b" }.into(),
        ]
    };
    let base: String = (0..2000).map(|i| row(i, 1, 5).join(",") + "\n").collect();
    std::fs::write(root.join("base.csv"), base).unwrap();
    let r = common::driftwatch(&[
        "suggest-baseline",
        "--type",
        "data_quality",
        "--dataset",
        root.join("base.csv").to_str().unwrap(),
        "--output",
        root.join("baseline").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let path = root.join("baseline/constraints.json");
    let mut c: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    c["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] =
        json!("ChiSquared");
    std::fs::write(&path, c.to_string()).unwrap();
    let window: Vec<Vec<String>> = (0..1000).map(|i| row(i, 9, 8)).collect();
    write_capture(root, &window, 2, false);
    write_schedule(
        root,
        "    baseline_constraints: baseline/constraints.json\n    baseline_statistics: baseline/statistics.json\n    \
         check:\n      mode: significant\n      drift_cdf: weighted\n",
    );
    let (code, record) = run(root);
    assert_eq!(code, 0, "{record}");
    assert_eq!(record["status"], "CompletedWithViolations", "{record}");
    let stats: Value =
        serde_json::from_slice(&std::fs::read(root.join(FOLDER).join("statistics.json")).unwrap())
            .unwrap();
    let drift = stats["driftwatch"]["baseline_drift"].as_array().unwrap();
    let by_name = |n: &str| drift.iter().find(|d| d["name"] == n).unwrap().clone();
    let ones = by_name("_c1");
    assert_eq!(ones["measure"], "linf");
    // Weighted: the real gap 0.8, less `Robust`'s allowance for 1,000 and 2,000 values.
    let robust = 0.8 - 1.8 * (3000.0f64 / 2_000_000.0).sqrt();
    assert!(
        (ones["distance"].as_f64().unwrap() - robust).abs() < 1e-9,
        "{ones}"
    );
    assert_eq!(ones["significant"], true);
    assert_eq!(ones["violation"], true);
    let s = by_name("_c2");
    assert_eq!(s["measure"], "chi_squared_p_value", "{s}");
    assert!(s["distance"].as_f64().unwrap() < 1e-9, "{s}");
    assert_eq!(s["violation"], true);
    let violations: Value = serde_json::from_slice(
        &std::fs::read(root.join(FOLDER).join("constraint_violations.json")).unwrap(),
    )
    .unwrap();
    let text = violations.to_string();
    assert!(text.contains("Baseline drift p-value: "), "{text}");
}

#[test]
fn validate_refuses_what_a_data_quality_schedule_cannot_use() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_schedule(
        tmp.path(),
        "    analysis_config: a.json\n    ground_truth: truth\n    record_preprocessor_script: s3://b/pre.py\n    post_analytics_processor_script: s3://b/post.py\n",
    );
    let r = common::driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    for needle in [
        "schedules[0].analysis_config: is not used by a data_quality schedule",
        "schedules[0].ground_truth: is not used by a data_quality schedule",
        "schedules[0].record_preprocessor_script: driftwatch does not run record preprocessor scripts",
        "schedules[0].post_analytics_processor_script: driftwatch does not run post-analytics scripts",
    ] {
        assert!(r.stderr.contains(needle), "{needle}\n{}", r.stderr);
    }
}

/// On S3 and CloudWatch (the emulator): the files land in SageMaker's layout and the metrics
/// in `aws/sagemaker/Endpoints/data-metrics` with `Endpoint` and `MonitoringSchedule`, the
/// numeric features' as statistic sets.
#[test]
fn on_s3_the_metrics_are_sagemakers_data_metrics() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let b = common::Bucket::new(&url, "dq");
    let data = rows("baseline_dataset.csv");
    let tmp = tempfile::tempdir().unwrap();
    write_capture(tmp.path(), &data, 2, false);
    for f in common::files_under(&tmp.path().join("capture")) {
        let key = f
            .strip_prefix(tmp.path())
            .unwrap()
            .to_string_lossy()
            .to_string();
        b.put(&key, &std::fs::read(&f).unwrap());
    }
    b.put(
        "baseline/constraints.json",
        &std::fs::read(common::repo_path(&format!(
            "{SDK}/good_cases/constraints.json"
        )))
        .unwrap(),
    );
    b.put(
        "baseline/statistics.json",
        &std::fs::read(common::repo_path(&format!("{SDK}/statistics.json"))).unwrap(),
    );
    let path = tmp.path().join("schedules.yaml");
    std::fs::write(
        &path,
        format!(
            "schedules:\n  - name: dq\n    type: data_quality\n    endpoint: ep\n    cadence: hourly\n    \
             data_capture: s3://{0}/capture\n    output: s3://{0}/out\n    \
             baseline_constraints: s3://{0}/baseline/constraints.json\n    \
             baseline_statistics: s3://{0}/baseline/statistics.json\n    cloudwatch: true\n",
            b.name
        ),
    )
    .unwrap();
    let (code, record, stderr) = common::run_record(&path, "dq", T, &b.env());
    assert_eq!(code, 0, "{record}\n{stderr}");
    assert_eq!(record["metrics_published"], true, "{record}");
    let stats = b
        .get("out/ep/dq/2024/01/19/12/statistics.json")
        .expect("statistics.json on S3");
    let s: Statistics = serde_json::from_slice(&stats).unwrap();
    assert_eq!(s.dataset.item_count, 100);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let cw = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .endpoint_url(&url)
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .build(),
    );
    let dims = [("Endpoint", "ep"), ("MonitoringSchedule", "dq")].map(|(n, v)| {
        aws_sdk_cloudwatch::types::Dimension::builder()
            .name(n)
            .value(v)
            .build()
    });
    let t = aws_sdk_cloudwatch::primitives::DateTime::from_secs(1_705_665_600);
    let stat = |name: &str, s: aws_sdk_cloudwatch::types::Statistic| {
        let out = rt
            .block_on(
                cw.get_metric_statistics()
                    .namespace("aws/sagemaker/Endpoints/data-metrics")
                    .metric_name(name)
                    .set_dimensions(Some(dims.to_vec()))
                    .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        t.secs() - 3600,
                    ))
                    .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        t.secs() + 3600,
                    ))
                    .period(7200)
                    .statistics(s.clone())
                    .send(),
            )
            .expect("GetMetricStatistics");
        let p = out.datapoints().first().cloned();
        p.and_then(|p| match s {
            aws_sdk_cloudwatch::types::Statistic::SampleCount => p.sample_count(),
            aws_sdk_cloudwatch::types::Statistic::Sum => p.sum(),
            aws_sdk_cloudwatch::types::Statistic::Maximum => p.maximum(),
            _ => p.average(),
        })
    };
    use aws_sdk_cloudwatch::types::Statistic;
    assert_eq!(
        stat("feature_data__c0", Statistic::SampleCount),
        Some(100.0)
    );
    assert_eq!(stat("feature_data__c0", Statistic::Sum), Some(231.0));
    assert_eq!(stat("feature_data__c0", Statistic::Maximum), Some(3.0));
    assert_eq!(stat("feature_non_null__c0", Statistic::Sum), Some(1.0));
    assert!(stat("feature_baseline_drift__c0", Statistic::Sum).is_some());
}

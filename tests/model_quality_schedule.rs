//! `type: model_quality` schedules end to end through the real binary: a window's captured
//! predictions merged with ground truth into SageMaker's statistics.json (the container's
//! numbers for the SDK's regression dataset), the same numbers `suggest-baseline` gives for
//! the same rows, whatever the object split or shard count; violations in the container's
//! wording; the label-free estimate before labels arrive; its metrics in CloudWatch's
//! model-metrics namespace; and bad ground truth failing precisely.

mod common;

use std::path::Path;

use driftwatch::sagemaker::jackson::jackson_bytes;
use driftwatch::sagemaker::model_quality::ModelQualityStatistics;
use serde_json::{Value, json};

const T: &str = "2024-01-19T12:00:00Z";
const FOLDER: &str = "out/ep/mq/2024/01/19/12";

/// One invocation: a CSV request, the response `output`.
fn capture_line(i: usize, output: &str) -> String {
    common::csv_capture_line(
        &format!("e{i}"),
        &format!("2024-01-19T11:{:02}:{:02}Z", (i / 60) % 60, i % 60),
        "1,2,3",
        output,
    )
}

fn truth_line(i: usize, label: &str) -> String {
    json!({"groundTruthData": {"data": label, "encoding": "CSV"}, "eventMetadata": {"eventId": format!("e{i}")}, "eventVersion": "0"})
        .to_string()
}

/// `(response, label)` per record: capture split in `files` objects; labels of the records
/// `labelled` says in one ground-truth object.
fn write_window(root: &Path, rows: &[(String, Option<String>)], files: usize) {
    let dir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    std::fs::create_dir_all(&dir).unwrap();
    let per = rows.len().div_ceil(files);
    for (n, chunk) in rows.chunks(per).enumerate() {
        let text: String = chunk
            .iter()
            .enumerate()
            .map(|(i, (out, _))| capture_line(n * per + i, out) + "\n")
            .collect();
        std::fs::write(dir.join(format!("part-{n:02}.jsonl")), text).unwrap();
    }
    let truth = root.join("truth/2024/01/19/11");
    std::fs::create_dir_all(&truth).unwrap();
    let text: String = rows
        .iter()
        .enumerate()
        .filter_map(|(i, (_, l))| Some(truth_line(i, l.as_ref()?) + "\n"))
        .collect();
    std::fs::write(truth.join("labels.jsonl"), text).unwrap();
}

fn write_schedule(root: &Path, problem: &str, extra: &str) {
    std::fs::write(
        root.join("schedules.yaml"),
        format!(
            "schedules:\n  - name: mq\n    type: model_quality\n    endpoint: ep\n    cadence: hourly\n    \
             problem_type: {problem}\n    data_capture: capture\n    ground_truth: truth\n    output: out\n{extra}"
        ),
    )
    .unwrap();
}

fn run(root: &Path) -> (i32, Value) {
    let r = common::driftwatch(&common::run_args(&root.join("schedules.yaml"), "mq", T));
    let record = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("record ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, record)
}

fn statistics(root: &Path) -> ModelQualityStatistics {
    serde_json::from_slice(&std::fs::read(root.join(FOLDER).join("statistics.json")).unwrap())
        .unwrap()
}

/// The SDK's regression dataset (`Label` the inference, `Prediction` the ground truth, as
/// the SDK's test names them).
fn sdk_rows() -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(common::repo_path(
        "tests/fixtures/sagemaker_model_quality/sdk/baseline_dataset.csv",
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[7].to_string(), Some(c[8].to_string()))
        })
        .collect()
}

/// A seeded binary window: scores, labels drawn from them (a calibrated model).
fn binary_rows(n: usize, seed: u64, labelled_every: usize) -> Vec<(String, Option<String>)> {
    // splitmix64: independent uniforms for the score and its label.
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let p = (next() * 1000.0).round() / 1000.0;
            let y = next() < p;
            (
                format!("{p}"),
                (i % labelled_every == 0).then(|| if y { "1" } else { "0" }.to_string()),
            )
        })
        .collect()
}

#[test]
fn a_window_of_the_sdk_dataset_measures_the_containers_regression_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    write_window(tmp.path(), &sdk_rows(), 3);
    std::fs::write(
        tmp.path().join("constraints.json"),
        r#"{"version": 0.0, "regression_constraints": {"mae": {"threshold": 0.4, "comparison_operator": "GreaterThanThreshold"}, "r2": {"threshold": -5.0, "comparison_operator": "LessThanThreshold"}}}"#,
    )
    .unwrap();
    write_schedule(
        tmp.path(),
        "Regression",
        "    baseline_constraints: constraints.json\n",
    );
    let (code, record) = run(tmp.path());
    assert_eq!(code, 0, "{record}");
    assert_eq!(record["status"], "CompletedWithViolations", "{record}");
    assert_eq!(record["monitoring_type"], "ModelQuality");
    assert_eq!(record["counts"]["records_merged"], 100);
    let ours = statistics(tmp.path());
    let sdk: ModelQualityStatistics = serde_json::from_slice(
        &std::fs::read(common::repo_path(
            "tests/fixtures/sagemaker_model_quality/sdk/statistics.json",
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(ours.regression_metrics, sdk.regression_metrics);
    assert_eq!(ours.dataset.item_count, 100);
    assert_eq!(
        ours.dataset.start_time.as_deref(),
        Some("2024-01-19T11:00:00Z")
    );
    assert_eq!(
        ours.dataset.end_time.as_deref(),
        Some("2024-01-19T12:00:00Z")
    );
    let violations =
        std::fs::read_to_string(tmp.path().join(FOLDER).join("constraint_violations.json"))
            .unwrap();
    assert_eq!(
        violations,
        "{\n  \"violations\" : [ {\n    \"constraint_check_type\" : \"GreaterThanThreshold\",\n    \"description\" : \"Metric mae with 0.5040653554420981 was GreaterThanThreshold '0.4'\",\n    \"metric_name\" : \"mae\"\n  } ]\n}"
    );
    // The window's own constraints, as the container writes them beside.
    let c = std::fs::read_to_string(tmp.path().join(FOLDER).join("constraints.json")).unwrap();
    assert!(c.contains("\"threshold\" : 0.5040653554420981"), "{c}");
    let block = ours.driftwatch.unwrap();
    assert_eq!(block.checks.len(), 2);
    assert_eq!(block.intervals.len(), 4, "{:?}", block.not_computed);
    assert!(tmp.path().join(FOLDER).join("report.html").exists());
    let page = std::fs::read_to_string(tmp.path().join("out/ep/mq/index.html")).unwrap();
    assert!(page.contains("Model quality"), "dashboard");
}

#[test]
fn a_binary_window_is_suggest_baselines_numbers_in_every_split_and_shard_count() {
    let rows = binary_rows(600, 3, 1);
    // The same rows as a dataset for suggest-baseline.
    let tmp = tempfile::tempdir().unwrap();
    let csv: String = std::iter::once("score,label\n".to_string())
        .chain(
            rows.iter()
                .map(|(s, l)| format!("{s},{}\n", l.as_ref().unwrap())),
        )
        .collect();
    std::fs::write(tmp.path().join("data.csv"), csv).unwrap();
    let r = common::driftwatch(&[
        "suggest-baseline",
        "--type",
        "model_quality",
        "--dataset",
        tmp.path().join("data.csv").to_str().unwrap(),
        "--header",
        "--problem-type",
        "BinaryClassification",
        "--probability-attribute",
        "score",
        "--ground-truth-attribute",
        "label",
        "--output",
        tmp.path().join("baseline").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baseline: ModelQualityStatistics = serde_json::from_slice(
        &std::fs::read(tmp.path().join("baseline/statistics.json")).unwrap(),
    )
    .unwrap();
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for (files, shards) in [(1, 0), (5, 0), (5, 3)] {
        let w = tempfile::tempdir().unwrap();
        write_window(w.path(), &rows, files);
        let executor = if shards > 0 {
            format!("    executor: {{shards: {shards}}}\n")
        } else {
            String::new()
        };
        write_schedule(w.path(), "BinaryClassification", &executor);
        let (code, record) = run(w.path());
        assert_eq!(code, 0, "{record}");
        assert_eq!(record["status"], "Completed", "{record}");
        let ours = statistics(w.path());
        let (a, b) = (
            ours.binary_classification_metrics.clone().unwrap(),
            baseline.binary_classification_metrics.clone().unwrap(),
        );
        assert_eq!(a.confusion_matrix, b.confusion_matrix);
        assert_eq!(
            a.receiver_operating_characteristic_curve,
            b.receiver_operating_characteristic_curve
        );
        for ((n1, m1), (n2, m2)) in ours.scalars().iter().zip(baseline.scalars()) {
            assert_eq!(n1, &n2);
            assert_eq!(m1.value.to_bits(), m2.value.to_bits(), "{n1}");
        }
        let e = ours.driftwatch.as_ref().unwrap().estimate.clone().unwrap();
        assert_eq!(e.records, 600);
        assert_eq!(e.calibration.verdict, "trusted", "{:?}", e.calibration);
        seen.push(jackson_bytes(&ours));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the same bytes");
}

#[test]
fn before_labels_arrive_the_window_is_estimated_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let rows: Vec<(String, Option<String>)> = binary_rows(400, 9, 1)
        .into_iter()
        .map(|(s, _)| (s, None))
        .collect();
    write_window(tmp.path(), &rows, 2);
    write_schedule(tmp.path(), "BinaryClassification", "");
    let (code, record) = run(tmp.path());
    assert_eq!(code, 0, "{record}");
    assert_eq!(record["status"], "Completed", "{record}");
    assert_eq!(record["counts"]["records_merged"], 0);
    let s = statistics(tmp.path());
    assert!(
        s.binary_classification_metrics.is_none(),
        "nothing measured"
    );
    let block = s.driftwatch.unwrap();
    let e = block.estimate.unwrap();
    assert_eq!(e.calibration.verdict, "unverified");
    assert!(e.metrics.iter().any(|m| m.metric_name == "accuracy"));
    assert!(
        record["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("no captured record of the window has ground truth yet")),
        "{record}"
    );
    let metrics =
        std::fs::read_to_string(tmp.path().join(FOLDER).join("metrics.json")).unwrap_or_default();
    assert!(!metrics.contains("model-metrics") || !metrics.contains("\"accuracy\""));
    let page = std::fs::read_to_string(tmp.path().join(FOLDER).join("report.html")).unwrap();
    assert!(page.contains("an estimate, not a measurement"));
}

#[test]
fn ground_truth_that_does_not_fit_the_problem_type_fails_naming_the_record() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rows = binary_rows(20, 1, 1);
    rows[7].1 = Some("cat".into());
    write_window(tmp.path(), &rows, 1);
    write_schedule(tmp.path(), "BinaryClassification", "");
    let (code, record) = run(tmp.path());
    assert_ne!(code, 0);
    assert_eq!(record["status"], "Failed");
    assert_eq!(record["failure_class"], "permanent", "{record}");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.contains("part-00.jsonl:8")
            && reason.contains("\"cat\"")
            && reason.contains("BinaryClassification"),
        "{reason}"
    );
    assert!(!tmp.path().join(FOLDER).join("statistics.json").exists());
}

#[test]
fn a_baseline_of_another_problem_type_fails_permanently() {
    let tmp = tempfile::tempdir().unwrap();
    write_window(tmp.path(), &sdk_rows(), 1);
    std::fs::write(
        tmp.path().join("constraints.json"),
        r#"{"version": 0.0, "binary_classification_constraints": {"f1": {"threshold": 0.4, "comparison_operator": "LessThanThreshold"}}}"#,
    )
    .unwrap();
    write_schedule(
        tmp.path(),
        "Regression",
        "    baseline_constraints: constraints.json\n",
    );
    let (code, record) = run(tmp.path());
    assert_ne!(code, 0);
    assert_eq!(record["failure_class"], "permanent", "{record}");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.contains("binary_classification_constraints"),
        "{reason}"
    );
    assert!(!tmp.path().join(FOLDER).join("statistics.json").exists());
}

#[test]
fn validate_names_what_a_model_quality_schedule_needs() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("schedules.yaml"),
        "schedules:\n  - name: mq\n    type: model_quality\n    endpoint: ep\n    cadence: hourly\n    \
         problem_type: Binary\n    data_capture: capture\n    output: out\n",
    )
    .unwrap();
    let r = common::driftwatch(&[
        "validate",
        "--config",
        tmp.path().join("schedules.yaml").to_str().unwrap(),
    ]);
    assert_ne!(r.code, 0);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("problem_type") && all.contains("BinaryClassification"),
        "{all}"
    );
    assert!(all.contains("ground_truth"), "{all}");
}

#[test]
fn on_s3_the_metrics_are_sagemakers_model_metrics() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let b = common::Bucket::new(&url, "mq");
    let tmp = tempfile::tempdir().unwrap();
    write_window(tmp.path(), &sdk_rows(), 2);
    for dir in ["capture", "truth"] {
        for f in common::files_under(&tmp.path().join(dir)) {
            let key = f
                .strip_prefix(tmp.path())
                .unwrap()
                .to_string_lossy()
                .to_string();
            b.put(&key, &std::fs::read(&f).unwrap());
        }
    }
    let path = tmp.path().join("schedules.yaml");
    std::fs::write(
        &path,
        format!(
            "schedules:\n  - name: mq\n    type: model_quality\n    endpoint: ep\n    cadence: hourly\n    \
             problem_type: Regression\n    data_capture: s3://{0}/capture\n    ground_truth: s3://{0}/truth\n    \
             output: s3://{0}/out\n    cloudwatch: true\n",
            b.name
        ),
    )
    .unwrap();
    let (code, record, stderr) = common::run_record(&path, "mq", T, &b.env());
    assert_eq!(code, 0, "{record}\n{stderr}");
    assert_eq!(record["metrics_published"], true, "{record}");
    let stats: ModelQualityStatistics = serde_json::from_slice(
        &b.get(&format!("{FOLDER}/statistics.json"))
            .expect("statistics.json on S3"),
    )
    .unwrap();
    let mae = stats.regression_metrics.unwrap().mae.value;
    let cw = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .endpoint_url(&url)
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let got = rt.block_on(async {
        cw.get_metric_statistics()
            .namespace("aws/sagemaker/Endpoints/model-metrics")
            .metric_name("mae")
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder()
                    .name("Endpoint")
                    .value("ep")
                    .build(),
            )
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder()
                    .name("MonitoringSchedule")
                    .value("mq")
                    .build(),
            )
            .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                1_705_665_600 - 60,
            ))
            .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                1_705_665_600 + 60,
            ))
            .period(60)
            .statistics(aws_sdk_cloudwatch::types::Statistic::Maximum)
            .send()
            .await
            .unwrap()
    });
    let points = got.datapoints();
    assert_eq!(points.len(), 1, "{got:?}");
    assert!((points[0].maximum().unwrap() - mae).abs() < 1e-12);
}

#[test]
fn a_multi_record_event_is_merged_whole_and_a_repeated_line_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("capture/ep/AllTraffic/2024/01/19/11");
    std::fs::create_dir_all(&dir).unwrap();
    let multi = common::csv_capture_line(
        "m",
        "2024-01-19T11:00:00Z",
        "1,2\n3,4\n5,6",
        "0.9\n0.2\n0.7",
    );
    let single = common::csv_capture_line("s", "2024-01-19T11:00:01Z", "1,2", "0.4");
    // The single record's line written twice, in two objects.
    std::fs::write(dir.join("a.jsonl"), format!("{multi}\n{single}\n")).unwrap();
    std::fs::write(dir.join("b.jsonl"), format!("{single}\n")).unwrap();
    let truth = tmp.path().join("truth/2024/01/19/11");
    std::fs::create_dir_all(&truth).unwrap();
    let label = |id: &str, data: &str| {
        json!({"groundTruthData": {"data": data, "encoding": "CSV"}, "eventMetadata": {"eventId": id}, "eventVersion": "0"}).to_string()
    };
    std::fs::write(
        truth.join("t.jsonl"),
        format!("{}\n{}\n", label("m", "1\n0\n0"), label("s", "1")),
    )
    .unwrap();
    write_schedule(tmp.path(), "BinaryClassification", "");
    let (code, record) = run(tmp.path());
    assert_eq!(code, 0, "{record}");
    assert_eq!(record["counts"]["records_merged"], 4, "{record}");
    assert_eq!(record["counts"]["unmatched_captures"], 1, "{record}");
    let m = statistics(tmp.path())
        .binary_classification_metrics
        .unwrap();
    // m: (1, 0.9→1) tp, (0, 0.2→0) tn, (0, 0.7→1) fp; s: (1, 0.4→0) fn.
    assert_eq!(m.confusion_matrix["1"]["1"], 1);
    assert_eq!(m.confusion_matrix["0"]["0"], 1);
    assert_eq!(m.confusion_matrix["0"]["1"], 1);
    assert_eq!(m.confusion_matrix["1"]["0"], 1);
}

#[test]
fn the_significant_check_raises_only_what_is_beyond_sampling_noise() {
    let rows = binary_rows(600, 3, 1);
    let mut verdicts = Vec::new();
    for mode in ["", "    check: {mode: significant}\n"] {
        let tmp = tempfile::tempdir().unwrap();
        write_window(tmp.path(), &rows, 2);
        // Thresholds just above the measured accuracy (a hair's breadth, noise) and far above
        // the measured f1 (a real drop).
        write_schedule(tmp.path(), "BinaryClassification", "");
        let (_, first) = run(tmp.path());
        assert_eq!(first["status"], "Completed", "{first}");
        let s = statistics(tmp.path());
        let m = s.binary_classification_metrics.unwrap();
        std::fs::write(
            tmp.path().join("constraints.json"),
            format!(
                r#"{{"version": 0.0, "binary_classification_constraints": {{"accuracy": {{"threshold": {}, "comparison_operator": "LessThanThreshold"}}, "f1": {{"threshold": {}, "comparison_operator": "LessThanThreshold"}}}}}}"#,
                m.accuracy.value + 0.005,
                m.f1.value + 0.3
            ),
        )
        .unwrap();
        write_schedule(
            tmp.path(),
            "BinaryClassification",
            &format!("    baseline_constraints: constraints.json\n{mode}"),
        );
        let (_, record) = run(tmp.path());
        assert_eq!(record["status"], "CompletedWithViolations", "{record}");
        let block = statistics(tmp.path()).driftwatch.unwrap();
        let violated: Vec<String> = block
            .checks
            .iter()
            .filter(|c| c.violation)
            .map(|c| c.metric_name.clone())
            .collect();
        verdicts.push(violated);
    }
    assert_eq!(verdicts[0], ["accuracy", "f1"], "SageMaker's rule: both");
    assert_eq!(verdicts[1], ["f1"], "significant: only the real drop");
}

#[test]
fn a_window_estimated_before_its_labels_is_measured_by_backfill_unlabelled() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = binary_rows(300, 5, 1);
    let unlabelled: Vec<(String, Option<String>)> =
        rows.iter().map(|(s, _)| (s.clone(), None)).collect();
    write_window(tmp.path(), &unlabelled, 2);
    write_schedule(tmp.path(), "BinaryClassification", "");
    let config = tmp.path().join("schedules.yaml");
    let backfill = |extra: &[&str]| {
        let mut args = vec![
            "backfill",
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            "mq",
            "--from",
            T,
            "--to",
            "2024-01-19T12:30:00Z",
        ];
        args.extend_from_slice(extra);
        common::driftwatch(&args)
    };
    let r = backfill(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let before = statistics(tmp.path());
    assert!(before.binary_classification_metrics.is_none());
    let estimated = before.driftwatch.unwrap().estimate.unwrap();
    // The labels arrive.
    write_window(tmp.path(), &rows, 2);
    let r = backfill(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        statistics(tmp.path())
            .binary_classification_metrics
            .is_none(),
        "a plain backfill keeps what is done"
    );
    let r = backfill(&["--unlabelled"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let after = statistics(tmp.path());
    assert_eq!(after.dataset.item_count, 300);
    let m = after.binary_classification_metrics.unwrap();
    let block = after.driftwatch.unwrap();
    let e = block.estimate.unwrap();
    // The same scores give the same estimate; now it stands beside what was measured.
    assert_eq!(e.metrics, estimated.metrics);
    let acc = e
        .versus_measured
        .iter()
        .find(|v| v.metric_name == "accuracy")
        .unwrap();
    assert_eq!(acc.measured, m.accuracy.value);
    let record: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join(FOLDER).join("execution.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["attempt"], 2, "{record}");
    // Nothing left unlabelled: a second pass skips it.
    let r = backfill(&["--unlabelled"]);
    assert_eq!(r.code, 0);
    let again: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join(FOLDER).join("execution.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(again["attempt"], 2, "{}", r.stdout);
}

/// One invocation whose response is JSON.
fn json_capture_line(i: usize, response: &Value) -> String {
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": "application/json", "mode": "INPUT", "data": "{\"features\": [1, 2, 3]}", "encoding": "JSON"},
            "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT", "data": response.to_string(), "encoding": "JSON"}},
        "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": format!("2024-01-19T11:{:02}:{:02}Z", (i / 60) % 60, i % 60)},
        "eventVersion": "0"
    })
    .to_string()
}

#[test]
fn json_responses_give_the_statistics_of_csv_ones() {
    let rows = binary_rows(300, 8, 1);
    let csv = tempfile::tempdir().unwrap();
    write_window(csv.path(), &rows, 2);
    write_schedule(csv.path(), "BinaryClassification", "");
    let (code, record) = run(csv.path());
    assert_eq!(code, 0, "{record}");
    let json_dir = tempfile::tempdir().unwrap();
    write_window(json_dir.path(), &rows, 2);
    // The same responses as JSON objects, the score found by probability_attribute.
    let dir = json_dir.path().join("capture/ep/AllTraffic/2024/01/19/11");
    for f in std::fs::read_dir(&dir).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let text: String = rows
        .iter()
        .enumerate()
        .map(|(i, (s, _))| {
            let score: f64 = s.parse().unwrap();
            json_capture_line(i, &json!({"prediction": {"score": score}})) + "\n"
        })
        .collect();
    std::fs::write(dir.join("part-00.jsonl"), text).unwrap();
    write_schedule(
        json_dir.path(),
        "BinaryClassification",
        "    probability_attribute: prediction.score\n",
    );
    let (code, record) = run(json_dir.path());
    assert_eq!(code, 0, "{record}");
    assert_eq!(
        jackson_bytes(&statistics(json_dir.path())),
        jackson_bytes(&statistics(csv.path()))
    );
}

#[test]
fn a_multiclass_window_reads_labels_from_json_responses() {
    let tmp = tempfile::tempdir().unwrap();
    let classes = ["cat", "dog", "bird"];
    let dir = tmp.path().join("capture/ep/AllTraffic/2024/01/19/11");
    std::fs::create_dir_all(&dir).unwrap();
    let truth_dir = tmp.path().join("truth/2024/01/19/11");
    std::fs::create_dir_all(&truth_dir).unwrap();
    let (mut capture, mut truth) = (String::new(), String::new());
    for i in 0..90 {
        let actual = classes[i % 3];
        let predicted = classes[(i + usize::from(i % 4 == 0)) % 3];
        capture.push_str(&json_capture_line(
            i,
            &json!({"predicted_label": predicted}),
        ));
        capture.push('\n');
        truth.push_str(&truth_line(i, actual));
        truth.push('\n');
    }
    std::fs::write(dir.join("part.jsonl"), capture).unwrap();
    std::fs::write(truth_dir.join("labels.jsonl"), truth).unwrap();
    write_schedule(
        tmp.path(),
        "MulticlassClassification",
        "    inference_attribute: predicted_label\n",
    );
    let (code, record) = run(tmp.path());
    assert_eq!(code, 0, "{record}");
    let m = statistics(tmp.path())
        .multiclass_classification_metrics
        .unwrap();
    // 23 of the 90 are shifted one class on.
    assert_eq!(m.accuracy.value, 67.0 / 90.0);
    assert_eq!(m.confusion_matrix["cat"]["dog"], 8);
}

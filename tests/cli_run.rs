//! `driftwatch run` end to end on a SageMaker-shaped scenario, on a local directory and on a
//! real S3-compatible server (moto, started by `scripts/test`): counts, outputs, the numbers
//! (equal to `analyze` on the merged CSV), drift checks against baselines, and failures.

mod common;

use std::path::{Path, PathBuf};

use common::scenario::{self, ANALYSIS_CONFIG, ANALYZE_CONFIG, SCHEDULES, T};
use common::{Run, aws_env, driftwatch, driftwatch_env, moto_url, s3_client, unique_bucket};
use serde_json::Value;

const OUT_FOLDER: &str = "census-xgb/census-bias/2024/01/19/12";

/// Where the scenario lives: a local directory, or a bucket on the emulator.
enum Backend {
    Local(PathBuf),
    S3 {
        url: String,
        bucket: String,
        client: aws_sdk_s3::Client,
        rt: tokio::runtime::Runtime,
    },
}

impl Backend {
    fn s3(url: &str, tag: &str) -> Self {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let client = s3_client(url);
        let bucket = unique_bucket(tag);
        rt.block_on(client.create_bucket().bucket(&bucket).send())
            .expect("create bucket on the emulator");
        Backend::S3 {
            url: url.to_string(),
            bucket,
            client,
            rt,
        }
    }

    fn location(&self, prefix: &str) -> String {
        match self {
            Backend::Local(root) => root.join(prefix).display().to_string(),
            Backend::S3 { bucket, .. } => format!("s3://{bucket}/{prefix}"),
        }
    }

    fn put(&self, key: &str, bytes: &[u8]) {
        match self {
            Backend::Local(root) => {
                let p = root.join(key);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, bytes).unwrap();
            }
            Backend::S3 {
                bucket, client, rt, ..
            } => {
                rt.block_on(
                    client
                        .put_object()
                        .bucket(bucket)
                        .key(key)
                        .body(bytes.to_vec().into())
                        .send(),
                )
                .expect("put object");
            }
        }
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        match self {
            Backend::Local(root) => std::fs::read(root.join(key)).ok(),
            Backend::S3 {
                bucket, client, rt, ..
            } => rt.block_on(async {
                let o = client
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .ok()?;
                Some(o.body.collect().await.ok()?.into_bytes().to_vec())
            }),
        }
    }

    fn get_json(&self, key: &str) -> Option<Value> {
        self.get(key).map(|b| serde_json::from_slice(&b).unwrap())
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Backend::Local(_) => Vec::new(),
            Backend::S3 { url, .. } => aws_env(url),
        }
    }

    fn run(&self, config: &Path) -> (Run, Value) {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = driftwatch_env(
            &[
                "run",
                "--config",
                config.to_str().unwrap(),
                "--schedule",
                "census-bias",
                "--at",
                T,
            ],
            &env,
        );
        let record: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("record on stdout ({e}): {}\n{}", r.stdout, r.stderr));
        (r, record)
    }
}

/// Writes the schedules file and analysis config into `dir`, pointing at `backend`.
fn write_config(dir: &Path, backend: &Backend, baseline: Option<&str>) -> PathBuf {
    std::fs::write(dir.join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let yaml = SCHEDULES
        .replace("{CAPTURE}", &backend.location("capture"))
        .replace("{TRUTH}", &backend.location("truth"))
        .replace("{OUTPUT}", &backend.location("output"))
        .replace(
            "{BASELINE}",
            &baseline
                .map(|b| format!("    baseline_constraints: \"{b}\""))
                .unwrap_or_default(),
        );
    let path = dir.join("schedules.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn lay_out(backend: &Backend, s: &scenario::Scenario) {
    for (key, text) in &s.capture {
        backend.put(&format!("capture/{key}"), text.as_bytes());
    }
    for (key, text) in &s.truth {
        backend.put(&format!("truth/{key}"), text.as_bytes());
    }
}

/// The metric values of an analysis.json: (stage, facet value, metric) → value.
fn metric_values(a: &Value) -> Vec<(String, String, String, Value)> {
    let mut out = Vec::new();
    for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        for (_, entries) in a[stage]["facets"].as_object().unwrap() {
            for e in entries.as_array().unwrap() {
                for m in e["metrics"].as_array().unwrap() {
                    out.push((
                        stage.to_string(),
                        e["value_or_threshold"].to_string(),
                        m["name"].as_str().unwrap().to_string(),
                        m["value"].clone(),
                    ));
                }
            }
        }
    }
    out
}

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(1.0),
        _ => a == b,
    }
}

/// A baseline like `analysis` with every numeric metric set to `value`.
fn baseline_with(analysis: &Value, value: f64) -> Value {
    let mut b = analysis.clone();
    for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        for (_, entries) in b[stage]["facets"].as_object_mut().unwrap() {
            for e in entries.as_array_mut().unwrap() {
                for m in e["metrics"].as_array_mut().unwrap() {
                    if m["value"].is_number() {
                        m["value"] = Value::from(value);
                    }
                }
            }
        }
    }
    b
}

fn the_scenario_end_to_end(backend: Backend) {
    let s = scenario::build();
    lay_out(&backend, &s);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None);

    // 1. No baseline: Completed, with the counts of everything that happened.
    let (r, record) = backend.run(&config);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(record["status"], "Completed", "{record:#}");
    assert_eq!(record["window_start"], "2024-01-19T09:00:00Z");
    assert_eq!(record["window_end"], "2024-01-19T12:00:00Z");
    let c = &record["counts"];
    assert_eq!(c["capture_files"], 6 + 1 + 2, "{c}");
    assert_eq!(c["capture_malformed"], 4, "{record:#}");
    assert_eq!(c["ground_truth_malformed"], 1, "{record:#}");
    assert_eq!(c["capture_outside_window"], s.outside_window);
    assert_eq!(c["records_merged"], s.expected_merged, "{record:#}");
    assert_eq!(c["unmatched_captures"], s.unmatched_captures, "{record:#}");
    assert_eq!(c["unmatched_labels"], s.unmatched_labels, "{record:#}");
    let malformed: Vec<&str> = record["malformed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(malformed.len(), 5);
    assert!(
        malformed
            .iter()
            .any(|m| m.contains("59-59-999-late.jsonl:2: not valid JSON")),
        "{malformed:?}"
    );
    assert!(
        malformed
            .iter()
            .any(|m| m.contains("unknown encoding \"XML\"")),
        "{malformed:?}"
    );
    assert!(
        malformed
            .iter()
            .any(|m| m.contains(":4: input record 1 has 3 features, expected 4")),
        "{malformed:?}"
    );
    assert!(
        malformed.iter().any(|m| m.contains("undecodable base64")),
        "{malformed:?}"
    );
    assert!(
        malformed.iter().any(|m| m.contains("5959.jsonl:3:")),
        "{malformed:?}"
    );
    let warnings = record["warnings"].to_string();
    assert!(warnings.contains("appear more than once"), "{warnings}");
    assert!(record["timings"]["capture_read"].is_number());
    let analysis_key = format!("output/{OUT_FOLDER}/analysis.json");
    let violations_key = format!("output/{OUT_FOLDER}/constraint_violations.json");
    let analysis = backend
        .get_json(&analysis_key)
        .expect("analysis.json written");
    assert!(backend.get(&violations_key).is_none());
    let stored_record = backend
        .get_json(&format!("output/{OUT_FOLDER}/execution.json"))
        .expect("execution.json written");
    assert_eq!(stored_record, record);
    assert_eq!(c["metrics_computed"], 21);
    assert_eq!(c["metrics_not_computed"], 0);
    // Served straight from S3, the pages and JSON open in a browser instead of downloading.
    if let Backend::S3 {
        bucket, client, rt, ..
    } = &backend
    {
        for (name, want) in [
            ("report.html", "text/html; charset=utf-8"),
            ("analysis.json", "application/json"),
        ] {
            let head = rt
                .block_on(
                    client
                        .head_object()
                        .bucket(bucket)
                        .key(format!("output/{OUT_FOLDER}/{name}"))
                        .send(),
                )
                .expect("head object");
            assert_eq!(head.content_type(), Some(want), "{name}");
        }
    }

    // 2. The numbers equal `analyze` on the records the merge must produce.
    let csv = dir.path().join("expected.csv");
    std::fs::write(&csv, &s.expected_csv).unwrap();
    std::fs::write(dir.path().join("analyze.json"), ANALYZE_CONFIG).unwrap();
    let out = dir.path().join("analyze-out");
    let a = driftwatch(&[
        "analyze",
        "--dataset",
        csv.to_str().unwrap(),
        "--analysis-config",
        dir.path().join("analyze.json").to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analysis.json")).unwrap()).unwrap();
    let (got, want) = (metric_values(&analysis), metric_values(&reference));
    assert_eq!(got.len(), 21, "every metric for the one facet value");
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((&g.0, &g.1, &g.2), (&w.0, &w.1, &w.2));
        assert!(close(&g.3, &w.3), "{g:?} vs {w:?}");
    }
    assert_eq!(
        analysis["label_value_or_threshold"],
        reference["label_value_or_threshold"]
    );

    // 3. A baseline of zeros: every non-zero metric drifted.
    let zeros = baseline_with(&analysis, 0.0);
    backend.put("baselines/zeros.json", zeros.to_string().as_bytes());
    let config = write_config(
        dir.path(),
        &backend,
        Some(&backend.location("baselines/zeros.json")),
    );
    let (r, record) = backend.run(&config);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(record["status"], "CompletedWithViolations");
    let violations = backend
        .get_json(&violations_key)
        .expect("constraint_violations.json written");
    let list = violations["violations"].as_array().unwrap();
    assert_eq!(record["counts"]["violations"], list.len());
    assert!(!list.is_empty());
    assert_eq!(list[0]["constraint_check_type"], "bias_drift_check");

    // 4. The execution's own analysis as baseline: nothing drifted, and the stale violations
    // file of the previous attempt at this T is gone.
    backend.put("baselines/same.json", analysis.to_string().as_bytes());
    let config = write_config(
        dir.path(),
        &backend,
        Some(&backend.location("baselines/same.json")),
    );
    let (r, record) = backend.run(&config);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(record["status"], "Completed");
    assert!(backend.get(&violations_key).is_none());

    assert_eq!(record["counts"]["metrics_checked"], 21, "{record:#}");
    assert_eq!(record["counts"]["metrics_not_checked"], 0);

    // 4b. Nothing could be checked (every facet group below min_records): not a green
    // window but Failed, permanent, saying why; no analysis files left behind.
    let config = write_config(
        dir.path(),
        &backend,
        Some(&backend.location("baselines/same.json")),
    );
    let mut yaml = std::fs::read_to_string(&config).unwrap();
    yaml.push_str("    check: {mode: significant, min_records: 1000000}\n");
    std::fs::write(&config, yaml).unwrap();
    let (r, record) = backend.run(&config);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(record["status"], "Failed");
    assert_eq!(record["failure_class"], "permanent");
    assert_eq!(
        record["failure_reason"],
        "none of the 21 metrics could be checked against the baseline (21 on too few records)"
    );
    assert_eq!(record["counts"]["metrics_computed"], 21);
    assert_eq!(record["counts"]["metrics_checked"], 0);
    assert!(backend.get(&analysis_key).is_none());

    // 5. A missing baseline fails the execution, naming it, and removes the earlier
    // attempt's analysis.json so the folder agrees with the record.
    let config = write_config(
        dir.path(),
        &backend,
        Some(&backend.location("baselines/missing.json")),
    );
    let (r, record) = backend.run(&config);
    assert_eq!(r.code, 1);
    assert_eq!(record["status"], "Failed");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.contains("baseline_constraints") && reason.contains("missing.json"),
        "{reason}"
    );
    assert!(backend.get(&analysis_key).is_none());
    assert_eq!(
        backend
            .get_json(&format!("output/{OUT_FOLDER}/execution.json"))
            .unwrap()["status"],
        "Failed"
    );
}

#[test]
fn bias_execution_on_a_local_directory() {
    let root = tempfile::tempdir().unwrap();
    the_scenario_end_to_end(Backend::Local(root.path().to_path_buf()));
}

#[test]
fn bias_execution_on_s3() {
    let Some(url) = moto_url() else { return };
    the_scenario_end_to_end(Backend::s3(&url, "run"));
}

#[test]
fn no_captured_data_fails_with_the_window_and_prefix() {
    let root = tempfile::tempdir().unwrap();
    let backend = Backend::Local(root.path().to_path_buf());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None);
    let (r, record) = backend.run(&config);
    assert_eq!(r.code, 1);
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "no captured data in window [2024-01-19T09:00:00Z, 2024-01-19T12:00:00Z) under "
        ) && reason.contains("capture/census-xgb"),
        "{reason}"
    );
    assert!(
        backend
            .get(&format!("output/{OUT_FOLDER}/analysis.json"))
            .is_none()
    );
    assert!(
        backend
            .get(&format!("output/{OUT_FOLDER}/execution.json"))
            .is_some()
    );
}

#[test]
fn nothing_merged_fails_with_both_counts() {
    let root = tempfile::tempdir().unwrap();
    let backend = Backend::Local(root.path().to_path_buf());
    let s = scenario::build();
    for (key, text) in &s.capture {
        backend.put(&format!("capture/{key}"), text.as_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None);
    let (r, record) = backend.run(&config);
    assert_eq!(r.code, 1);
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("nothing to merge: ")
            && reason.contains(&format!(
                "{} captured records",
                record["counts"]["capture_records"]
            ))
            && reason.contains("0 ground-truth labels"),
        "{reason}"
    );
}

#[test]
fn a_missing_bucket_fails_naming_it() {
    let Some(url) = moto_url() else { return };
    let backend = Backend::s3(&url, "nobucket");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let Backend::S3 { bucket, .. } = &backend else {
        unreachable!()
    };
    let yaml = SCHEDULES
        .replace("{CAPTURE}", "s3://no-such-bucket-driftwatch/capture")
        .replace("{TRUTH}", &format!("s3://{bucket}/truth"))
        .replace("{OUTPUT}", &format!("s3://{bucket}/output"))
        .replace("{BASELINE}", "");
    std::fs::write(dir.path().join("schedules.yaml"), yaml).unwrap();
    let (r, record) = backend.run(&dir.path().join("schedules.yaml"));
    assert_eq!(r.code, 1);
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.contains("s3://no-such-bucket-driftwatch/capture/census-xgb")
            && reason.contains("NoSuchBucket"),
        "{reason}"
    );
}

#[test]
fn an_unreachable_s3_endpoint_fails_without_hanging() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let yaml = SCHEDULES
        .replace("{CAPTURE}", "s3://unreachable-capture/capture")
        .replace("{TRUTH}", "s3://unreachable-capture/truth")
        .replace("{OUTPUT}", out.path().to_str().unwrap())
        .replace("{BASELINE}", "");
    std::fs::write(dir.path().join("schedules.yaml"), &yaml).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let env = aws_env(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = driftwatch_env(
        &[
            "run",
            "--config",
            dir.path().join("schedules.yaml").to_str().unwrap(),
            "--schedule",
            "census-bias",
            "--at",
            T,
        ],
        &env,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.contains("s3://unreachable-capture/capture") && reason.contains("cannot reach S3"),
        "{reason}"
    );
    // The record is still written to the (local) output.
    assert!(out.path().join(OUT_FOLDER).join("execution.json").exists());
}

#[test]
fn a_time_that_is_not_scheduled_is_rejected() {
    let root = tempfile::tempdir().unwrap();
    let backend = Backend::Local(root.path().to_path_buf());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None);
    let r = driftwatch(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--schedule",
        "census-bias",
        "--at",
        "2024-01-19T13:00:00Z",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("not a scheduled time of \"census-bias\"; the nearest are 2024-01-19T12:00:00Z or 2024-01-19T15:00:00Z"),
        "{}",
        r.stderr
    );
    let r = driftwatch(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--schedule",
        "nope",
        "--at",
        T,
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no schedule named \"nope\""),
        "{}",
        r.stderr
    );
}

#[test]
fn without_credentials_the_reason_names_the_missing_credentials_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let yaml = SCHEDULES
        .replace("{CAPTURE}", "s3://some-bucket/capture")
        .replace("{TRUTH}", "s3://some-bucket/truth")
        .replace("{OUTPUT}", "s3://some-bucket/output")
        .replace("{BASELINE}", "");
    let config = dir.path().join("schedules.yaml");
    std::fs::write(&config, yaml).unwrap();
    let r = common::driftwatch_bare(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            "census-bias",
            "--at",
            T,
        ],
        &[("AWS_REGION", "us-east-1")],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    let reason = record["failure_reason"].as_str().unwrap();
    // The first thing an execution touches is its claim on the output folder.
    assert!(
        reason.starts_with(
            "claiming the execution: s3://some-bucket/output/census-xgb/census-bias/2024/01/19/12/.driftwatch-claim.json: no AWS credentials found"
        ),
        "{reason}"
    );
    assert!(
        !reason.contains('\n') && !reason.contains("Attempted"),
        "one line: {reason}"
    );
    assert_eq!(record["failure_class"], "permanent");
    assert!(r.stderr.lines().count() <= 8, "{}", r.stderr);
}

#[test]
fn check_access_probes_every_location_and_names_the_cause() {
    let Some(url) = moto_url() else { return };
    let backend = Backend::s3(&url, "access");
    lay_out(&backend, &scenario::build());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &backend, None);
    let mut yaml = std::fs::read_to_string(&config).unwrap();
    yaml.push_str("    cloudwatch: true\n");
    std::fs::write(&config, yaml).unwrap();
    let env = backend.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = driftwatch_env(
        &["check-access", "--config", config.to_str().unwrap()],
        &env,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for check in [
        "capture",
        "ground_truth",
        "analysis_config",
        "output",
        "cloudwatch",
    ] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(check))
            .unwrap_or_else(|| panic!("no {check} line:\n{}", r.stdout));
        assert!(line.contains(" ok "), "{line}");
    }
    // The probe object is gone again.
    if let Backend::S3 {
        bucket, client, rt, ..
    } = &backend
    {
        let listed = rt
            .block_on(
                client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix("output/")
                    .send(),
            )
            .unwrap();
        assert!(listed.contents().is_empty(), "{:?}", listed.contents());
    }

    // A bucket that does not exist: not found, named.
    let missing = std::fs::read_to_string(&config).unwrap().replace(
        &backend.location("output"),
        "s3://dw-no-such-bucket-for-access/output",
    );
    std::fs::write(&config, missing).unwrap();
    let r = driftwatch_env(
        &["check-access", "--config", config.to_str().unwrap()],
        &env,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let line = r.stdout.lines().find(|l| l.contains(" output ")).unwrap();
    assert!(
        line.contains("FAILED not found") && line.contains("dw-no-such-bucket-for-access"),
        "{line}"
    );

    // No credentials: said first, for every location in S3.
    let r = common::driftwatch_bare(
        &["check-access", "--config", config.to_str().unwrap()],
        &[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL_S3", url.as_str()),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let capture = r.stdout.lines().find(|l| l.contains(" capture ")).unwrap();
    assert!(capture.contains("FAILED no credentials: "), "{capture}");
}

#[test]
fn the_schedules_file_and_its_analysis_config_can_live_in_s3() {
    let Some(url) = moto_url() else { return };
    let backend = Backend::s3(&url, "cfg");
    let s = scenario::build();
    lay_out(&backend, &s);
    // The schedules file names its analysis config by a relative path: its S3 neighbour.
    let yaml = SCHEDULES
        .replace("{CAPTURE}", &backend.location("capture"))
        .replace("{TRUTH}", &backend.location("truth"))
        .replace("{OUTPUT}", &backend.location("output"))
        .replace("{BASELINE}", "");
    backend.put("configs/schedules.yaml", yaml.as_bytes());
    backend.put("configs/analysis.json", ANALYSIS_CONFIG.as_bytes());
    let config = backend.location("configs/schedules.yaml");
    let mut env = backend.env();
    env.push(("DRIFTWATCH_CONFIG", config.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = driftwatch_env(&["validate"], &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("{config}: valid, 1 schedule")),
        "{}",
        r.stdout
    );
    // DRIFTWATCH_CONFIG stands in for --config on every command.
    let r = driftwatch_env(&["run", "--schedule", "census-bias", "--at", T], &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(record["status"], "Completed", "{record:#}");
    assert_eq!(record["counts"]["records_merged"], s.expected_merged);
    // A mistyped S3 URI is refused, not taken for a local path.
    let r = driftwatch_env(&["validate", "--config", "s3:/bucket/schedules.yaml"], &env);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("mistyped S3 URI"), "{}", r.stderr);
}

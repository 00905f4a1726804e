//! `executor: {type: ray}` end to end: the coordinator (`driftwatch run`) submits each shard as
//! a job to a real two-node Ray cluster on loopback (`scripts/ray`, started by the test
//! command), the jobs (`driftwatch shard`) read capture and ground truth from the S3 emulator
//! and write their states there, and the merge gives the bytes `executor: local` gives. Also:
//! a shard that fails once is retried, one that keeps failing fails the execution with its
//! own error (a permanent one is not retried), and SIGTERM stops the running jobs.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::scenario::{self, ANALYSIS_CONFIG, SCHEDULES, T};
use common::{Bucket, moto_url, ray_url, run_record};
use serde_json::Value;

const OUT_FOLDER: &str = "census-xgb/census-bias/2024/01/19/12";

/// A new bucket holding the shared scenario's capture and ground truth.
fn with_scenario(url: &str, tag: &str) -> Bucket {
    let b = Bucket::new(url, tag);
    let s = scenario::build();
    for (key, text) in &s.capture {
        b.put(&format!("capture/{key}"), text.as_bytes());
    }
    for (key, text) in &s.truth {
        b.put(&format!("truth/{key}"), text.as_bytes());
    }
    b
}

/// The scenario's schedules and analysis config.
trait ScenarioConfig {
    /// A schedules file in `dir` writing to `s3://bucket/{output}/`, with `executor`.
    fn config(&self, dir: &Path, output: &str, executor: &str) -> PathBuf;
}

impl ScenarioConfig for Bucket {
    fn config(&self, dir: &Path, output: &str, executor: &str) -> PathBuf {
        std::fs::write(dir.join("analysis.json"), ANALYSIS_CONFIG).unwrap();
        let yaml = SCHEDULES
            .replace("{CAPTURE}", &format!("s3://{}/capture", self.name))
            .replace("{TRUTH}", &format!("s3://{}/truth", self.name))
            .replace("{OUTPUT}", &format!("s3://{}/{output}", self.name))
            .replace("{BASELINE}", executor);
        let path = dir.join(format!("{output}.yaml"));
        std::fs::write(&path, yaml).unwrap();
        path
    }
}

fn run(config: &Path, env: &[(&'static str, String)]) -> (i32, Value, String) {
    run_record(config, "census-bias", T, env)
}

/// `executor:` lines for the scenario's schedule: Ray at `address`, with `extra` keys.
fn ray_executor(address: &str, shards: usize, command: &str, extra: &str) -> String {
    format!(
        "    executor:\n      type: ray\n      address: {address}\n      shards: {shards}\n      \
         command: {command}\n      poll: 200ms\n{extra}"
    )
}

/// A shell script standing in for the workers' binary: `body` runs first, then the real
/// driftwatch with the job's arguments.
fn wrapper(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n{body}\nexec {} \"$@\"\n",
            env!("CARGO_BIN_EXE_driftwatch")
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path.display().to_string()
}

/// The Ray jobs whose entrypoint mentions `needle` (a test's own temp dir).
fn jobs_mentioning(address: &str, needle: &str) -> Vec<Value> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let all: Value = rt.block_on(async {
        reqwest::get(format!("{address}/api/jobs/"))
            .await
            .expect("list Ray jobs")
            .json()
            .await
            .expect("Ray's job list is JSON")
    });
    all.as_array()
        .expect("a list of jobs")
        .iter()
        .filter(|j| j["entrypoint"].as_str().is_some_and(|e| e.contains(needle)))
        .cloned()
        .collect()
}

/// The scenario run in one piece in this process, then with 3 shards on Ray: the same bytes.
#[test]
fn a_window_sharded_on_ray_gives_the_bytes_of_a_local_run() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-same");
    let dir = tempfile::tempdir().unwrap();
    let local = b.config(dir.path(), "out-local", "");
    let (code, local_record, stderr) = run(&local, &b.env());
    assert_eq!(code, 0, "{local_record}\n{stderr}");

    let binary = env!("CARGO_BIN_EXE_driftwatch");
    let sharded = b.config(dir.path(), "out-ray", &ray_executor(&ray, 3, binary, ""));
    let (code, record, stderr) = run(&sharded, &b.env());
    assert_eq!(code, 0, "{record}\n{stderr}");
    let whole = b
        .get(&format!("out-local/{OUT_FOLDER}/analysis.json"))
        .expect("local analysis.json");
    let merged = b
        .get(&format!("out-ray/{OUT_FOLDER}/analysis.json"))
        .expect("ray analysis.json");
    assert!(
        merged == whole,
        "analysis.json differs between ray and local"
    );
    for key in ["counts", "malformed", "warnings", "status"] {
        assert_eq!(record[key], local_record[key], "{key}");
    }
    // The plan and the shard states are gone; only the execution's own files remain.
    let left = b.keys(&format!("out-ray/{OUT_FOLDER}/"));
    assert!(
        left.iter().all(|k| !k.contains("/_shards/")),
        "shard files left behind: {left:?}"
    );
    let jobs = jobs_mentioning(&ray, &sharded.display().to_string());
    assert_eq!(jobs.len(), 3, "one job per shard: {jobs:?}");
    assert!(jobs.iter().all(|j| j["status"] == "SUCCEEDED"), "{jobs:?}");
}

#[test]
fn a_shard_that_fails_once_is_submitted_again() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-retry");
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("failed-once");
    // Shard 1's first attempt fails with a transient exit code; every other attempt runs.
    let command = wrapper(
        dir.path(),
        "flaky.sh",
        &format!(
            "case \"$*\" in *'--shard 1'*) if [ ! -e {m} ]; then touch {m}; echo 'lost the node' >&2; exit 75; fi;; esac",
            m = marker.display()
        ),
    );
    let local = b.config(dir.path(), "out-local", "");
    let (code, local_record, stderr) = run(&local, &b.env());
    assert_eq!(code, 0, "{local_record}\n{stderr}");
    let config = b.config(dir.path(), "out-ray", &ray_executor(&ray, 2, &command, ""));
    let (code, record, stderr) = run(&config, &b.env());
    assert_eq!(code, 0, "{record}\n{stderr}");
    assert!(marker.exists(), "the injected failure happened");
    assert!(
        b.get(&format!("out-ray/{OUT_FOLDER}/analysis.json"))
            == b.get(&format!("out-local/{OUT_FOLDER}/analysis.json")),
        "analysis.json differs after a retried shard"
    );
    let jobs = jobs_mentioning(&ray, &config.display().to_string());
    let mut ids: Vec<&str> = jobs
        .iter()
        .filter_map(|j| j["submission_id"].as_str())
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 3, "two shards and one retry: {ids:?}");
    assert!(
        ids.iter().any(|i| i.ends_with("-1-2")),
        "shard 1's second attempt: {ids:?}"
    );
}

/// Runs the scenario in one shard on Ray whose job runs `script` instead of driftwatch, with
/// `retries`: the Failed record (no analysis.json, no shard files left) and the config.
fn failing(
    b: &Bucket,
    ray: &str,
    dir: &Path,
    output: &str,
    script: &str,
    retries: u32,
) -> (Value, PathBuf) {
    let command = wrapper(dir, &format!("{output}.sh"), script);
    let config = b.config(
        dir,
        output,
        &ray_executor(ray, 1, &command, &format!("      retries: {retries}\n")),
    );
    let (code, record, stderr) = run(&config, &b.env());
    assert_eq!(code, 1, "{record}\n{stderr}");
    assert_eq!(record["status"], "Failed", "{record}");
    assert!(
        b.get(&format!("{output}/{OUT_FOLDER}/analysis.json"))
            .is_none(),
        "no analysis.json from a failed execution"
    );
    assert!(
        b.keys(&format!("{output}/"))
            .iter()
            .all(|k| !k.contains("/_shards/")),
        "shard files left behind"
    );
    (record, config)
}

#[test]
fn a_shard_that_keeps_failing_fails_the_execution_with_its_error() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-fail");
    let dir = tempfile::tempdir().unwrap();
    // Transient each time: tried 1 + retries times, then Failed (Transient), naming the shard
    // and carrying the job's own words.
    let (record, _) = failing(
        &b,
        &ray,
        dir.path(),
        "out-transient",
        "echo 'scratch disk is full on this worker' >&2; exit 75",
        1,
    );
    assert_eq!(record["failure_class"], "transient", "{record}");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(reason.contains("shard 0 of 1"), "{reason}");
    assert!(reason.contains("after 2 of 2 attempts"), "{reason}");
    assert!(
        reason.contains("scratch disk is full on this worker"),
        "{reason}"
    );

    // Permanent (exit 1, as `driftwatch shard` exits on bad input): not submitted again.
    let (record, config) = failing(
        &b,
        &ray,
        dir.path(),
        "out-permanent",
        "echo 'error: the analysis config is not valid' >&2; exit 1",
        3,
    );
    assert_eq!(record["failure_class"], "permanent", "{record}");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(reason.contains("after 1 of 4 attempts"), "{reason}");
    assert!(reason.contains("exit code 1"), "{reason}");
    assert_eq!(
        jobs_mentioning(&ray, &config.display().to_string()).len(),
        1,
        "a permanent failure is not retried"
    );
}

#[test]
fn check_access_asks_the_cluster_before_the_first_fire() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-access");
    let dir = tempfile::tempdir().unwrap();
    let env = b.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let ray_line = |config: &Path| {
        let r = common::driftwatch_env(
            &["check-access", "--config", config.to_str().unwrap()],
            &env,
        );
        let line = r
            .stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some("ray"))
            .unwrap_or_else(|| panic!("no ray line:\n{}\n{}", r.stdout, r.stderr))
            .to_string();
        (r.code, line)
    };
    let up = b.config(dir.path(), "out", &ray_executor(&ray, 2, "driftwatch", ""));
    let (code, line) = ray_line(&up);
    assert_eq!(code, 0, "{line}");
    assert!(line.contains(" ok ") && line.contains("Ray 2."), "{line}");
    let down = b.config(
        dir.path(),
        "out-down",
        &ray_executor("http://127.0.0.1:9", 2, "driftwatch", ""),
    );
    let (code, line) = ray_line(&down);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("FAILED unreachable"), "{line}");
}

#[test]
fn an_unreachable_cluster_is_a_transient_failure_naming_it() {
    let Some(url) = moto_url() else {
        return;
    };
    let b = with_scenario(&url, "ray-gone");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("http://127.0.0.1:{port}");
    let config = b.config(
        dir.path(),
        "out",
        &ray_executor(&address, 2, "driftwatch", "      retries: 0\n"),
    );
    let (code, record, stderr) = run(&config, &b.env());
    assert_eq!(code, 1, "{record}\n{stderr}");
    assert_eq!(record["failure_class"], "transient", "{record}");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("the Ray dashboard at {address} is unreachable")),
        "{reason}"
    );
}

/// Regression: a stalled cluster ended at `max_runtime` with only "exceeded max runtime of
/// 45s", the cause in the log alone, and `_shards/{run}/plan.json` left behind.
#[test]
fn a_stalled_cluster_names_what_it_was_waiting_for_and_leaves_no_shard_folder() {
    let Some(url) = moto_url() else {
        return;
    };
    let b = with_scenario(&url, "ray-stalled");
    let dir = tempfile::tempdir().unwrap();
    let address = common::serve::silent_server();
    let executor =
        ray_executor(&address, 2, "driftwatch", "      retries: 0\n") + "    max_runtime: 4s\n";
    let config = b.config(dir.path(), "stalled", &executor);
    let (code, record, stderr) = run(&config, &b.env());
    assert_eq!(code, 1, "{record}\n{stderr}");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("exceeded max runtime of 4s; when it was reached, ")
            && reason.contains(&address),
        "{reason}"
    );
    let left: Vec<String> = b
        .keys("stalled/")
        .into_iter()
        .filter(|k| k.contains("/_shards/"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn sigterm_stops_the_running_shard_jobs() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-term");
    let dir = tempfile::tempdir().unwrap();
    let slow = wrapper(dir.path(), "slow.sh", "sleep 120");
    let config = b.config(dir.path(), "out", &ray_executor(&ray, 2, &slow, ""));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_driftwatch"))
        .args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            "census-bias",
            "--at",
            T,
        ])
        .envs(b.env())
        .env("DRIFTWATCH_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn driftwatch run");
    let needle = config.display().to_string();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let jobs = jobs_mentioning(&ray, &needle);
        if jobs.iter().any(|j| j["status"] == "RUNNING") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no shard job started running within 90 s: {jobs:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // SAFETY: signalling a child process this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "driftwatch run did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let record: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "record on stdout ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(record["status"], "Stopped", "{record}");
    // A cancelled execution leaves no shard folder (its plan and inputs) behind.
    let left: Vec<String> = b
        .keys("out/")
        .into_iter()
        .filter(|k| k.contains("/_shards/"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Every job it submitted ends STOPPED (Ray takes a moment to kill the entrypoint).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = jobs_mentioning(&ray, &needle);
        assert!(!jobs.is_empty());
        if jobs.iter().all(|j| j["status"] == "STOPPED") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "shard jobs still running after SIGTERM: {jobs:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// An explainability window on S3: the shared SHAP fixture's rows as captured CSV records,
/// the in-process XGBoost model and a sampled Kernel SHAP budget; schedules in `dir`.
fn explainability_config(b: &Bucket, dir: &Path, output: &str, executor: &str) -> PathBuf {
    let fixture = |name: &str| {
        std::fs::read_to_string(common::repo_path(&format!("tests/fixtures/shap/{name}"))).unwrap()
    };
    let rows: Vec<String> = fixture("xgb_rows.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let lines: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            serde_json::json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": row, "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5", "encoding": "CSV"}
                },
                "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": format!("2024-01-19T11:{:02}:00Z", 10 + i)},
                "eventVersion": "0"
            })
            .to_string()
        })
        .collect();
    b.put(
        "shap-capture/xgb-ep/AllTraffic/2024/01/19/11/part.jsonl",
        (lines.join("\n") + "\n").as_bytes(),
    );
    std::fs::write(dir.join("model.json"), fixture("xgb_model.json")).unwrap();
    let cfg = serde_json::json!({
        "version": "1.0",
        "headers": ["f0", "f1", "f2", "f3", "f4", "f5"],
        "methods": {"shap": {"num_clusters": 2, "num_samples": 20, "agg_method": "mean_abs",
                             "use_logit": false, "save_local_shap_values": true, "seed": 7}},
        "driftwatch": {"model": "model.json"}
    });
    std::fs::write(dir.join("explain.json"), cfg.to_string()).unwrap();
    let yaml = format!(
        "schedules:\n  - name: xgb-shap\n    type: model_explainability\n    endpoint: xgb-ep\n    cadence: hourly\n    \
         data_capture: s3://{bucket}/shap-capture\n    output: s3://{bucket}/{output}\n    analysis_config: explain.json\n{executor}",
        bucket = b.name
    );
    let path = dir.join(format!("{output}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path
}

/// Kernel SHAP (sampled, with a k-means background of the window's rows) in 3 shards on Ray:
/// the bytes of one process, local values included.
#[test]
fn an_explainability_window_sharded_on_ray_gives_the_bytes_of_a_local_run() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-shap");
    let dir = tempfile::tempdir().unwrap();
    let run_shap = |config: &Path| {
        let (code, record, stderr) =
            run_record(config, "xgb-shap", "2024-01-19T12:00:00Z", &b.env());
        assert_eq!(code, 0, "{record}\n{stderr}");
        record
    };
    let local = explainability_config(&b, dir.path(), "shap-local", "");
    let local_record = run_shap(&local);
    let binary = env!("CARGO_BIN_EXE_driftwatch");
    let sharded = explainability_config(
        &b,
        dir.path(),
        "shap-ray",
        &ray_executor(&ray, 3, binary, ""),
    );
    let record = run_shap(&sharded);
    let folder = "xgb-ep/xgb-shap/2024/01/19/12";
    for file in ["analysis.json", "explanations_shap/out.csv"] {
        let whole = b.get(&format!("shap-local/{folder}/{file}")).expect(file);
        let merged = b.get(&format!("shap-ray/{folder}/{file}")).expect(file);
        assert!(merged == whole, "{file} differs between ray and local");
    }
    assert_eq!(record["counts"], local_record["counts"]);
    assert!(
        b.keys("shap-ray/").iter().all(|k| !k.contains("/_shards/")),
        "shard files left behind"
    );
    let jobs = jobs_mentioning(&ray, &sharded.display().to_string());
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert!(jobs.iter().all(|j| j["status"] == "SUCCEEDED"), "{jobs:?}");
}

/// A data-quality window (the SDK's monitoring dataset in 5 capture objects) profiled in 3
/// shards on Ray: statistics.json and constraint_violations.json are the bytes of one process.
#[test]
fn a_data_quality_window_sharded_on_ray_gives_the_bytes_of_a_local_run() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = Bucket::new(&url, "ray-dq");
    let sdk = "tests/fixtures/sagemaker_data_quality/sdk";
    let rows: Vec<String> = std::fs::read_to_string(common::repo_path(&format!(
        "{sdk}/monitor_baseline_dataset.csv"
    )))
    .unwrap()
    .lines()
    .filter(|l| !l.is_empty())
    .map(str::to_string)
    .collect();
    for (n, chunk) in rows.chunks(rows.len().div_ceil(5)).enumerate() {
        let text: String = chunk
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let (output, input) = row.split_once(',').unwrap();
                let at = format!("2024-01-19T11:{:02}:{:02}Z", n * 10, i % 60);
                common::csv_capture_line(&format!("e{n}-{i}"), &at, input, output) + "\n"
            })
            .collect();
        b.put(
            &format!("dq-capture/ep/AllTraffic/2024/01/19/11/part-{n}.jsonl"),
            text.as_bytes(),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for file in ["statistics.json", "constraints.json"] {
        let text = std::fs::read(common::repo_path(&format!("{sdk}/good_cases/{file}")))
            .or_else(|_| std::fs::read(common::repo_path(&format!("{sdk}/{file}"))))
            .unwrap();
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let config = |output: &str, executor: &str| {
        let yaml = format!(
            "schedules:\n  - name: dq\n    type: data_quality\n    endpoint: ep\n    cadence: hourly\n    \
             data_capture: s3://{bucket}/dq-capture\n    output: s3://{bucket}/{output}\n    \
             baseline_constraints: constraints.json\n    baseline_statistics: statistics.json\n{executor}",
            bucket = b.name
        );
        let path = dir.path().join(format!("{output}.yaml"));
        std::fs::write(&path, yaml).unwrap();
        path
    };
    let run_dq = |config: &Path| {
        let (code, record, stderr) = run_record(config, "dq", "2024-01-19T12:00:00Z", &b.env());
        assert!(code == 0 || code == 1, "{record}\n{stderr}");
        assert_ne!(record["status"], "Failed", "{record}\n{stderr}");
        record
    };
    let local_record = run_dq(&config("dq-local", ""));
    let binary = env!("CARGO_BIN_EXE_driftwatch");
    let sharded = config("dq-ray", &ray_executor(&ray, 3, binary, ""));
    let record = run_dq(&sharded);
    let folder = "ep/dq/2024/01/19/12";
    for file in ["statistics.json", "constraint_violations.json"] {
        let whole = b.get(&format!("dq-local/{folder}/{file}"));
        let merged = b.get(&format!("dq-ray/{folder}/{file}"));
        assert!(merged == whole, "{file} differs between ray and local");
    }
    assert!(
        b.get(&format!("dq-local/{folder}/statistics.json"))
            .is_some()
    );
    assert_eq!(record["counts"], local_record["counts"]);
    assert_eq!(record["status"], local_record["status"]);
    assert!(
        b.keys("dq-ray/").iter().all(|k| !k.contains("/_shards/")),
        "shard files left behind"
    );
    let jobs = jobs_mentioning(&ray, &sharded.display().to_string());
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert!(jobs.iter().all(|j| j["status"] == "SUCCEEDED"), "{jobs:?}");
}

/// A model-quality window sharded on a real Ray cluster: every worker reads the whole ground
/// truth and merges its objects; the coordinator claims ids in listing order. The same
/// statistics.json, constraints.json and violations as a run in this process.
#[test]
fn a_model_quality_window_sharded_on_ray_gives_the_bytes_of_a_local_run() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = Bucket::new(&url, "ray-mq");
    let mut truth = String::new();
    for n in 0..5 {
        let text: String = (0..80)
            .map(|i| {
                let score = f64::from((n * 80 + i) % 97) / 97.0;
                let at = format!("2024-01-19T11:{:02}:{:02}Z", n * 10, i % 60);
                let id = format!("e{n}-{i}");
                let label = u32::from((n * 7 + i * 13) % 10 < 4 + (i % 3));
                // A duplicated capture line (an id seen twice) is measured once.
                if i == 0 {
                    truth.push_str(&serde_json::json!({"groundTruthData": {"data": label.to_string(), "encoding": "CSV"}, "eventMetadata": {"eventId": id}, "eventVersion": "0"}).to_string());
                    truth.push('\n');
                    return format!(
                        "{}\n{}\n",
                        common::csv_capture_line(&id, &at, "1,2", &score.to_string()),
                        common::csv_capture_line(&id, &at, "1,2", &score.to_string())
                    );
                }
                truth.push_str(&serde_json::json!({"groundTruthData": {"data": label.to_string(), "encoding": "CSV"}, "eventMetadata": {"eventId": id}, "eventVersion": "0"}).to_string());
                truth.push('\n');
                common::csv_capture_line(&id, &at, "1,2", &score.to_string()) + "\n"
            })
            .collect();
        b.put(
            &format!("mq-capture/ep/AllTraffic/2024/01/19/11/part-{n}.jsonl"),
            text.as_bytes(),
        );
    }
    b.put("mq-truth/2024/01/19/11/labels.jsonl", truth.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("constraints.json"),
        r#"{"version": 0.0, "binary_classification_constraints": {"accuracy": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"}}}"#,
    )
    .unwrap();
    let config = |output: &str, executor: &str| {
        let yaml = format!(
            "schedules:\n  - name: mq\n    type: model_quality\n    endpoint: ep\n    cadence: hourly\n    \
             problem_type: BinaryClassification\n    data_capture: s3://{bucket}/mq-capture\n    \
             ground_truth: s3://{bucket}/mq-truth\n    output: s3://{bucket}/{output}\n    \
             baseline_constraints: constraints.json\n{executor}",
            bucket = b.name
        );
        let path = dir.path().join(format!("{output}.yaml"));
        std::fs::write(&path, yaml).unwrap();
        path
    };
    let run_mq = |config: &Path| {
        let (code, record, stderr) = run_record(config, "mq", "2024-01-19T12:00:00Z", &b.env());
        assert!(code == 0 || code == 1, "{record}\n{stderr}");
        assert_eq!(
            record["status"], "CompletedWithViolations",
            "{record}\n{stderr}"
        );
        record
    };
    let local_record = run_mq(&config("mq-local", ""));
    assert_eq!(
        local_record["counts"]["records_merged"], 400,
        "{local_record}"
    );
    assert_eq!(
        local_record["counts"]["unmatched_captures"], 5,
        "{local_record}"
    );
    let binary = env!("CARGO_BIN_EXE_driftwatch");
    let sharded = config("mq-ray", &ray_executor(&ray, 3, binary, ""));
    let record = run_mq(&sharded);
    let folder = "ep/mq/2024/01/19/12";
    for file in [
        "statistics.json",
        "constraints.json",
        "constraint_violations.json",
    ] {
        let whole = b.get(&format!("mq-local/{folder}/{file}"));
        assert!(whole.is_some(), "{file}");
        let merged = b.get(&format!("mq-ray/{folder}/{file}"));
        assert!(merged == whole, "{file} differs between ray and local");
    }
    assert_eq!(record["counts"], local_record["counts"]);
    let jobs = jobs_mentioning(&ray, &sharded.display().to_string());
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert!(jobs.iter().all(|j| j["status"] == "SUCCEEDED"), "{jobs:?}");
}

/// `backfill --executor ray`: each scheduled time one Ray job running the execution in one
/// piece; the same records and analysis files as a backfill in this process, and a second
/// pass skips what the ledger says is done without submitting anything.
#[test]
fn a_backfill_on_ray_runs_each_execution_as_a_job() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-backfill");
    let dir = tempfile::tempdir().unwrap();
    let env = b.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let backfill = |config: &Path, executor: &str| {
        common::driftwatch_env(
            &[
                "backfill",
                "--config",
                config.to_str().unwrap(),
                "--schedule",
                "census-bias",
                "--from",
                "2024-01-19T09:00:00Z",
                "--to",
                "2024-01-19T15:00:00Z",
                "--executor",
                executor,
            ],
            &env,
        )
    };
    let local = b.config(dir.path(), "bf-local", "");
    let here = backfill(&local, "local");
    let binary = env!("CARGO_BIN_EXE_driftwatch");
    // The schedule's own executor shards on Ray; a backfill job runs its execution in one
    // piece (`run --in-process`), never submitting jobs of its own.
    let config = b.config(dir.path(), "bf-ray", &ray_executor(&ray, 4, binary, ""));
    let there = backfill(&config, "ray");
    assert_eq!(there.code, here.code, "{}\n{}", there.stdout, there.stderr);
    for time in ["2024/01/19/09", "2024/01/19/12"] {
        let folder = format!("census-xgb/census-bias/{time}");
        let record = |out: &str| -> Value {
            serde_json::from_slice(&b.get(&format!("{out}/{folder}/execution.json")).unwrap())
                .unwrap()
        };
        let (a, r) = (record("bf-local"), record("bf-ray"));
        for key in ["status", "counts", "failure_reason", "attempt", "warnings"] {
            assert_eq!(r[key], a[key], "{time}: {key}");
        }
        assert!(
            b.get(&format!("bf-ray/{folder}/analysis.json"))
                == b.get(&format!("bf-local/{folder}/analysis.json")),
            "{time}: analysis.json differs"
        );
    }
    let needle = config.display().to_string();
    let jobs = jobs_mentioning(&ray, &needle);
    assert_eq!(jobs.len(), 2, "one job per scheduled time: {jobs:?}");
    assert!(
        jobs.iter().all(|j| j["entrypoint"]
            .as_str()
            .is_some_and(|e| e.contains(" run --in-process "))),
        "{jobs:?}"
    );
    // The second pass: 12:00 (Completed) is skipped; 09:00 (Failed: no labels in its window)
    // runs again as attempt 2, one more job.
    let again = backfill(&config, "ray");
    assert!(
        again.stdout.contains("already in the ledger"),
        "{}",
        again.stdout
    );
    assert_eq!(jobs_mentioning(&ray, &needle).len(), 3);
    let rerun: Value = serde_json::from_slice(
        &b.get("bf-ray/census-xgb/census-bias/2024/01/19/09/execution.json")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rerun["attempt"], 2, "{rerun}");
}

/// A shard state the coordinator cannot read (here: overwritten after its job succeeded)
/// fails the execution as permanent, naming the shard — and the shard folder is still
/// removed (it was left behind when the merge failed).
#[test]
fn an_unreadable_shard_state_fails_the_execution_and_leaves_no_shard_files() {
    let (Some(url), Some(ray)) = (moto_url(), ray_url()) else {
        return;
    };
    let b = with_scenario(&url, "ray-garbled");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("local-out");
    let shards = out.join(format!("{OUT_FOLDER}/_shards"));
    let command = wrapper(
        dir.path(),
        "garble.sh",
        &format!(
            "\"{bin}\" \"$@\" || exit $?\nfor f in {dir}/*/0.json; do [ -e \"$f\" ] && echo garbage > \"$f\"; done\nexit 0",
            bin = env!("CARGO_BIN_EXE_driftwatch"),
            dir = shards.display()
        ),
    );
    let config = b.config(dir.path(), "unused", &ray_executor(&ray, 2, &command, ""));
    let yaml = std::fs::read_to_string(&config).unwrap().replace(
        &format!("s3://{}/unused", b.name),
        &out.display().to_string(),
    );
    std::fs::write(&config, yaml).unwrap();
    let (code, record, stderr) = run(&config, &b.env());
    assert_eq!(code, 1, "{record}\n{stderr}");
    assert_eq!(record["failure_class"], "permanent", "{record}");
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("shard 0 of 2: its state does not round-trip through JSON"),
        "{reason}"
    );
    let mut left = Vec::new();
    let mut stack = vec![shards.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                left.push(e.path());
            }
        }
    }
    assert!(left.is_empty(), "shard files left behind: {left:?}");
}

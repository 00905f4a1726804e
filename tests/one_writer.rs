//! One writer per scheduled time, whoever runs it (regressions of the hostile re-test): two
//! `run`s of the same time at once, a daemon whose lease path is unusable, a garbage lease
//! under a live daemon, a lease from another host that claims to hold until the year 9999.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::scenario::ANALYSIS_CONFIG;
use common::serve::{
    Daemon, SCHEDULE, hour_of, records, schedules_yaml, silent_server, write_traffic,
};
use serde_json::Value;

const T: &str = "2024-01-19T12:00:00Z";
const FOLDER: &str = "output/census-xgb/census-hourly/2024/01/19/12";

fn run_cmd(config: &Path, env: &[(&'static str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftwatch"));
    cmd.args(common::run_args(config, SCHEDULE, T))
        .env("DRIFTWATCH_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn two_runs_of_the_same_time_at_once_execute_it_once() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let config = root.path().join("schedules.yaml");
    std::fs::write(
        &config,
        schedules_yaml("    max_runtime: 4s\n").replace(
            "data_capture: capture",
            "data_capture: s3://hanging-bucket/capture",
        ),
    )
    .unwrap();
    let env = common::aws_env(&silent_server());
    let first = run_cmd(&config, &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let claim = root.path().join(FOLDER).join(".driftwatch-claim.json");
    let start = Instant::now();
    while !claim.exists() {
        assert!(start.elapsed() < Duration::from_secs(20), "no claim taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = run_cmd(&config, &env).output().unwrap();
    let out = String::from_utf8_lossy(&second.stdout);
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{out}\n{err}");
    let record: Value = serde_json::from_str(&out).unwrap();
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("not run, to run it only once: ")
            && reason.contains("is held by another driftwatch process")
            && reason.contains(&format!("pid {}", first.id())),
        "{reason}"
    );
    assert!(!err.contains("execution started"), "{err}");
    // The second wrote nothing: the first's record is the only one, once it ends.
    assert!(!root.path().join(FOLDER).join("execution.json").exists());
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(1));
    let recs = records(root.path());
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert!(
        recs[0]["failure_reason"]
            .as_str()
            .unwrap()
            .contains("exceeded max runtime of 4s"),
        "{}",
        recs[0]
    );
    assert!(!claim.exists(), "the claim is released");
    // Sequentially, a run is a deliberate re-run: it executes.
    let again = run_cmd(&config, &env).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("execution started"));
}

fn scenario(root: &Path) -> std::path::PathBuf {
    write_traffic(root, hour_of(chrono::Utc::now()));
    std::fs::write(root.join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let config = root.join("schedules.yaml");
    std::fs::write(&config, schedules_yaml("")).unwrap();
    config
}

fn lease(root: &Path) -> std::path::PathBuf {
    root.join("output/census-xgb")
        .join(SCHEDULE)
        .join(".driftwatch-lease.json")
}

#[test]
fn a_daemon_whose_lease_path_is_unusable_is_not_ready_and_runs_nothing_until_it_is() {
    let root = tempfile::tempdir().unwrap();
    let config = scenario(root.path());
    std::fs::create_dir_all(lease(root.path())).unwrap();
    let mut d = Daemon::start(&config, &["--lookback", "150m"], &[]);
    d.wait(30, "not ready: the lease cannot be taken", |d| {
        d.get("/readyz").is_some_and(|(c, b)| {
            c == 503
                && b.contains(&format!("the lease of schedule {SCHEDULE} cannot be taken"))
                && b.contains(".driftwatch-lease.json")
        })
    });
    std::thread::sleep(Duration::from_secs(3));
    assert!(records(root.path()).is_empty(), "ran without a lease");
    assert!(!d.log().contains("execution started"), "{}", d.log());
    // Usable again: the lease is taken at the next renewal and the executions run.
    std::fs::remove_dir(lease(root.path())).unwrap();
    d.wait(60, "the executions, once the lease is taken", |d| {
        records(d.root()).len() >= 2 && d.get("/readyz").is_some_and(|(c, _)| c == 200)
    });
    assert!(lease(root.path()).is_file());
    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
}

#[test]
fn a_garbage_lease_under_a_live_daemon_is_neither_deleted_nor_taken() {
    let root = tempfile::tempdir().unwrap();
    let config = scenario(root.path());
    let mut a = Daemon::start(&config, &["--lookback", "150m"], &[]);
    a.wait(60, "the first daemon's executions", |d| {
        records(d.root()).len() >= 2 && d.get("/readyz").is_some_and(|(c, _)| c == 200)
    });
    std::fs::write(lease(root.path()), b"{ not a lease").unwrap();
    let mut b = Daemon::start(&config, &["--lookback", "150m"], &[]);
    b.wait(30, "the second daemon not ready", |d| {
        d.get("/readyz").is_some_and(|(c, body)| {
            c == 503 && body.contains("is not a usable lock") && body.contains("left in place")
        })
    });
    assert!(
        b.log()
            .contains("a lock document that cannot be trusted; leaving it in place"),
        "{}",
        b.log()
    );
    assert!(!b.log().contains("execution started"), "{}", b.log());
    // The live holder writes its lease back at its next renewal.
    a.wait(40, "the holder's lease written back", |d| {
        std::fs::read(lease(root.path()))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|v| v["pid"] == d.child.id())
    });
    assert!(!b.log().contains("execution started"), "{}", b.log());
    drop(b);
    let (code, log) = a.stop(30);
    assert_eq!(code, 0, "{log}");
}

#[test]
fn a_lease_that_claims_to_hold_for_ever_is_treated_as_corrupt_and_says_so() {
    let root = tempfile::tempdir().unwrap();
    let config = scenario(root.path());
    let path = lease(root.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        r#"{"owner": "elsewhere/1/0", "host": "elsewhere", "pid": 1,
            "acquired_at": "2024-01-01T00:00:00Z", "expires_at": "9999-12-31T00:00:00Z"}"#,
    )
    .unwrap();
    let mut d = Daemon::start(&config, &["--lookback", "150m"], &[]);
    d.wait(30, "not ready, naming the far expiry", |d| {
        d.get("/readyz").is_some_and(|(c, b)| {
            c == 503 && b.contains("further ahead than the lock's own period of 90 s")
        })
    });
    assert!(records(root.path()).is_empty());
    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
}

//! The real `driftwatch serve` binary: catch-up of the last hours from a local directory,
//! the status endpoint, SIGHUP reloads (a bad config is refused), SIGTERM (exit 0), a
//! restart that re-runs nothing; SIGTERM during a hung execution (recorded Stopped); and
//! `max_runtime` against a data store that never answers.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Timelike, Utc};
use common::scenario::ANALYSIS_CONFIG;
use serde_json::Value;

use common::serve::{
    Daemon, SCHEDULE, folder, free_port, hour_of, record_times, records, schedules_yaml,
    silent_server, write_traffic,
};

#[test]
fn serve_catches_up_reports_reloads_stops_and_restarts_without_duplicates() {
    // Not across an hour boundary: the expected scheduled times are fixed below.
    let mut now = Utc::now();
    if now.minute() == 59 && now.second() > 30 {
        std::thread::sleep(Duration::from_secs(35));
        now = Utc::now();
    }
    let h0 = hour_of(now);
    let root = tempfile::tempdir().unwrap();
    write_traffic(root.path(), h0);
    std::fs::write(root.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let config = root.path().join("schedules.yaml");
    std::fs::write(&config, schedules_yaml("")).unwrap();
    // A look-back that reaches exactly h0 - 2h: three scheduled times with data before them.
    let lookback = format!("{}m", (now - h0).num_minutes() + 150);

    let mut d = Daemon::start(&config, &["--lookback", &lookback], &[]);
    d.wait(30, "/healthz", |d| {
        d.get("/healthz").is_some_and(|(c, _)| c == 200)
    });
    d.wait(60, "three completed executions", |d| {
        d.get("/executions")
            .and_then(|(_, b)| serde_json::from_str::<Value>(&b).ok())
            .is_some_and(|v| {
                let e = v["executions"].as_array().cloned().unwrap_or_default();
                e.len() == 3 && e.iter().all(|r| r["status"] == "Completed")
            })
    });
    assert_eq!(d.get("/readyz").unwrap().0, 200);
    let ex = d.json(&format!("/executions?schedule={SCHEDULE}&limit=2"));
    let ex = ex["executions"].as_array().unwrap();
    assert_eq!(ex.len(), 2, "limit");
    assert_eq!(
        ex[0]["scheduled_time"],
        h0.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert_eq!(ex[0]["counts"]["records_merged"], 60);
    assert_eq!(ex[0]["attempt"], 1);

    let (code, metrics) = d.get("/metrics").unwrap();
    assert_eq!(code, 200);
    for line in [
        format!("driftwatch_executions_total{{schedule=\"{SCHEDULE}\",status=\"Completed\"}} 3"),
        format!("driftwatch_records_processed_total{{schedule=\"{SCHEDULE}\"}} 180"),
        format!(
            "driftwatch_last_success_scheduled_time_seconds{{schedule=\"{SCHEDULE}\"}} {}",
            h0.timestamp()
        ),
        format!("driftwatch_execution_duration_seconds_count{{schedule=\"{SCHEDULE}\"}} 3"),
        "driftwatch_executions_running 0".to_string(),
        "driftwatch_schedules 1".to_string(),
    ] {
        assert!(metrics.contains(&line), "no {line:?} in:\n{metrics}");
    }
    assert!(metrics.contains(&format!(
        "driftwatch_seconds_since_last_success{{schedule=\"{SCHEDULE}\"}}"
    )));
    // The drift signal for a Prometheus-only team: the latest execution's metrics.
    for line in [
        format!("driftwatch_violations{{schedule=\"{SCHEDULE}\"}} 0"),
        format!("driftwatch_metrics_not_computed{{schedule=\"{SCHEDULE}\"}} 0"),
        format!("driftwatch_last_execution_failed{{schedule=\"{SCHEDULE}\"}} 0"),
        "driftwatch_errors_total{kind=\"ledger_read\"} 0".to_string(),
        "driftwatch_ready 1".to_string(),
    ] {
        assert!(metrics.contains(&line), "no {line:?} in:\n{metrics}");
    }
    let dpl = metrics
        .lines()
        .find(|l| l.starts_with("driftwatch_bias_metric{") && l.contains("metric=\"DPL\""))
        .unwrap_or_else(|| panic!("no DPL gauge in:\n{metrics}"));
    assert!(dpl.contains(&format!("schedule=\"{SCHEDULE}\"")), "{dpl}");
    let analysis: Value = serde_json::from_slice(
        &std::fs::read(
            root.path()
                .join("output/census-xgb")
                .join(SCHEDULE)
                .join(folder(h0))
                .join("analysis.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let published = analysis["pre_training_bias_metrics"]["facets"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()[0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "DPL")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    let gauge: f64 = dpl.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(gauge, published, "the gauge is the analysis' value");

    let s = d.json("/schedules");
    let s0 = &s["schedules"][0];
    assert_eq!(s0["name"], SCHEDULE);
    assert_eq!(
        s0["next_scheduled_times"][0],
        (h0 + TimeDelta::hours(1))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    );
    assert_eq!(s0["last_execution"]["status"], "Completed");
    // The schedule's dashboard lists what ran, linking each report.
    let index_path = root
        .path()
        .join("output/census-xgb")
        .join(SCHEDULE)
        .join("index.html");
    d.wait(10, "the report index", |_| {
        std::fs::read_to_string(&index_path).is_ok_and(|i| i.matches(">report</a>").count() == 3)
    });
    let index = std::fs::read_to_string(&index_path).unwrap();
    assert!(index.contains(&format!("href=\"{}/report.html\"", folder(h0))));
    assert!(
        root.path()
            .join("output/census-xgb")
            .join(SCHEDULE)
            .join(folder(h0))
            .join("report.html")
            .exists()
    );

    // SIGHUP with a broken file: refused, the running config stays.
    std::fs::write(&config, "schedules: [ {name: x").unwrap();
    d.signal("HUP");
    d.wait(10, "the refused reload", |d| {
        d.log().contains("keeping the running one")
    });
    assert_eq!(
        d.json("/schedules")["schedules"].as_array().unwrap().len(),
        1
    );
    // SIGHUP with a valid file: a second schedule appears.
    // Its fire time is half a day from now, outside the look-back, so it adds no execution
    // (at hour 0 the test failed when run in the first hours after midnight UTC).
    let daily_hour = (h0.hour() + 12) % 24;
    let second = format!(
        "  - name: census-daily\n    type: model_bias\n    endpoint: census-xgb\n    \
         cadence: {{daily: {{hour: {daily_hour}}}}}\n    data_capture: capture\n    ground_truth: truth\n    \
         output: output\n    analysis_config: analysis.json\n"
    );
    std::fs::write(&config, schedules_yaml(&second)).unwrap();
    d.signal("HUP");
    d.wait(10, "the reload", |d| {
        d.json("/schedules")["schedules"].as_array().unwrap().len() == 2
    });
    assert!(d.log().contains("added: census-daily"), "{}", d.log());

    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("driftwatch serve stopped"), "{log}");
    assert!(!log.contains("panicked"), "{log}");

    // Restart on the first config: the ledger says all is done, nothing runs again.
    std::fs::write(&config, schedules_yaml("")).unwrap();
    let before = record_times(root.path());
    assert_eq!(before.len(), 3, "{before:?}");
    let mut d = Daemon::start(&config, &["--lookback", &lookback], &[]);
    d.wait(30, "ready", |d| {
        d.get("/readyz").is_some_and(|(c, _)| c == 200)
    });
    let ex = d.json("/executions");
    assert_eq!(
        ex["executions"].as_array().unwrap().len(),
        3,
        "from the ledger: {ex}"
    );
    let (_, metrics) = d.get("/metrics").unwrap();
    assert!(
        !metrics.contains("driftwatch_executions_total{"),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "driftwatch_last_success_scheduled_time_seconds{{schedule=\"{SCHEDULE}\"}} {}",
        h0.timestamp()
    )));
    let (code, _) = d.stop(30);
    assert_eq!(code, 0);
    assert_eq!(record_times(root.path()), before, "records rewritten");
}

fn hanging_s3_setup(
    max_runtime: &str,
) -> (tempfile::TempDir, PathBuf, Vec<(&'static str, String)>) {
    let url = silent_server();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let yaml = schedules_yaml(&format!("    max_runtime: {max_runtime}\n")).replace(
        "data_capture: capture",
        "data_capture: s3://hanging-bucket/capture",
    );
    let config = root.path().join("schedules.yaml");
    std::fs::write(&config, yaml).unwrap();
    let env = common::aws_env(&url);
    (root, config, env)
}

#[test]
fn sigterm_during_a_hung_execution_records_it_stopped_after_the_grace_period() {
    let (root, config, env) = hanging_s3_setup("1h");
    let mut d = Daemon::start(&config, &["--lookback", "90m", "--grace", "1s"], &env);
    d.wait(30, "an execution running", |d| {
        d.get("/metrics")
            .is_some_and(|(_, m)| m.contains("driftwatch_executions_running 1"))
    });
    let started = Instant::now();
    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
    assert!(started.elapsed() < Duration::from_secs(15), "{log}");
    let records = record_times(root.path());
    assert_eq!(records.len(), 1, "{records:?}\n{log}");
    let r: Value = serde_json::from_slice(&std::fs::read(&records[0].0).unwrap()).unwrap();
    assert_eq!(r["status"], "Stopped", "{r}");
    assert!(
        r["failure_reason"]
            .as_str()
            .unwrap()
            .contains("did not finish within the grace period of 1s"),
        "{r}"
    );
}

#[test]
fn an_execution_over_max_runtime_fails_with_the_limit_in_its_reason() {
    let (_root, config, env) = hanging_s3_setup("2s");
    let t = hour_of(Utc::now());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let started = Instant::now();
    let r = common::driftwatch_env(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            SCHEDULE,
            "--at",
            &t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ],
        &env,
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
    let rec: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(rec["status"], "Failed");
    assert_eq!(rec["failure_reason"], "exceeded max runtime of 2s");
}

/// An HTTP server answering every request with `status` and `body`: an S3 that throttles, or
/// one that serves a single object whatever the key. Returns its URL and a request counter.
fn canned_s3(
    status: u16,
    body: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for mut stream in l.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut sink = vec![0; length];
            let _ = reader.read_exact(&mut sink);
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, count)
}

#[test]
fn a_failure_caused_by_an_invalid_analysis_config_is_not_retried() {
    // The analysis config lives in "S3" and is not a valid bias config: a permanent failure.
    let (url, requests) = canned_s3(200, r#"{"label": "y", "methods": {}}"#);
    let root = tempfile::tempdir().unwrap();
    write_traffic(root.path(), hour_of(Utc::now()));
    let config = root.path().join("schedules.yaml");
    std::fs::write(
        &config,
        schedules_yaml("").replace(
            "analysis_config: analysis.json",
            "analysis_config: s3://configs/analysis.json",
        ),
    )
    .unwrap();
    let mut d = Daemon::start(
        &config,
        &["--lookback", "90m", "--retry-after", "1s"],
        &common::aws_env(&url),
    );
    d.wait(60, "a Failed record", |d| {
        !records(d.root()).is_empty() && d.log().contains("execution finished")
    });
    // Well past the first retry's due time (1 s): nothing runs again.
    std::thread::sleep(Duration::from_secs(6));
    let seen = requests.load(std::sync::atomic::Ordering::SeqCst);
    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
    let recs = records(root.path());
    assert!(!recs.is_empty(), "{log}");
    for r in &recs {
        assert_eq!(r["status"], "Failed", "{r}");
        assert_eq!(r["failure_class"], "permanent", "{r}");
        assert_eq!(r["attempt"], 1, "{r}");
        let reason = r["failure_reason"].as_str().unwrap();
        assert!(reason.starts_with("analysis_config: "), "{reason}");
    }
    assert_eq!(
        seen,
        recs.len(),
        "one read of the config per scheduled time"
    );
    assert!(log.contains("not retried"), "{log}");
}

#[test]
fn a_failure_caused_by_s3_503_is_retried() {
    const SLOW_DOWN: &str =
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    let (url, _requests) = canned_s3(503, SLOW_DOWN);
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let config = root.path().join("schedules.yaml");
    std::fs::write(
        &config,
        schedules_yaml("").replace(
            "data_capture: capture",
            "data_capture: s3://throttled/capture",
        ),
    )
    .unwrap();
    let mut d = Daemon::start(
        &config,
        &[
            "--lookback",
            "90m",
            "--retry-after",
            "1s",
            "--max-attempts",
            "2",
        ],
        &common::aws_env(&url),
    );
    d.wait(90, "a second attempt", |d| {
        records(d.root()).iter().any(|r| r["attempt"] == 2)
    });
    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
    let recs = records(root.path());
    let retried = recs.iter().find(|r| r["attempt"] == 2).expect("retried");
    assert_eq!(retried["status"], "Failed", "{retried}");
    assert_eq!(retried["failure_class"], "transient", "{retried}");
    let reason = retried["failure_reason"].as_str().unwrap();
    assert!(
        reason.contains("SlowDown") && reason.contains("s3://throttled/capture"),
        "{reason}"
    );
}

#[test]
fn a_daemon_that_cannot_read_its_ledger_is_not_ready_and_says_why() {
    const DENIED: &str = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    let (url, _requests) = canned_s3(403, DENIED);
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let config = root.path().join("schedules.yaml");
    std::fs::write(
        &config,
        schedules_yaml("").replace("output: output", "output: s3://ledger/output"),
    )
    .unwrap();
    let mut d = Daemon::start(&config, &["--lookback", "3h"], &common::aws_env(&url));
    d.wait(30, "a refused readiness", |d| {
        d.get("/readyz")
            .is_some_and(|(c, b)| c == 503 && b.contains("cannot read the ledger"))
    });
    let (code, body) = d.get("/readyz").unwrap();
    assert_eq!(code, 503);
    assert!(
        body.contains(SCHEDULE) && body.contains("AccessDenied"),
        "{body}"
    );
    let (_, metrics) = d.get("/metrics").unwrap();
    assert!(metrics.contains("driftwatch_ready 0"), "{metrics}");
    let errors: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("driftwatch_errors_total{kind=\"ledger_read\"} "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(errors >= 1, "{metrics}");
    // Present from the start, so a staleness alert fires for a schedule that never succeeds.
    assert!(
        metrics.contains(&format!(
            "driftwatch_last_success_scheduled_time_seconds{{schedule=\"{SCHEDULE}\"}} 0"
        )),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "driftwatch_seconds_since_last_success{{schedule=\"{SCHEDULE}\"}}"
    )));
    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
    // One warning per reconciliation pass, not one per scheduled time.
    let warnings = log.matches("cannot read the ledger").count();
    assert!(warnings <= 3, "{warnings} warnings:\n{log}");
    assert!(records(root.path()).is_empty(), "nothing ran blind");
}

#[test]
fn one_daemon_per_schedule_a_killed_one_is_not_waited_out_and_bad_queries_are_refused() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("analysis.json"), ANALYSIS_CONFIG).unwrap();
    let config = root.path().join("schedules.yaml");
    std::fs::write(&config, schedules_yaml("")).unwrap();
    let lease = root
        .path()
        .join("output/census-xgb")
        .join(SCHEDULE)
        .join(".driftwatch-lease.json");

    let mut first = Daemon::start(&config, &["--lookback", "0"], &[]);
    first.wait(30, "/healthz", |d| {
        d.get("/healthz").is_some_and(|(c, _)| c == 200)
    });
    assert!(lease.exists(), "the lease is taken at start");

    // A second daemon on the same schedules refuses to start and names the holder.
    let second = Command::new(env!("CARGO_BIN_EXE_driftwatch"))
        .args(["serve", "--config", config.to_str().unwrap(), "--listen"])
        .arg(format!("127.0.0.1:{}", free_port()))
        .env("DRIFTWATCH_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is held by another driftwatch process")
            && err.contains(&format!("pid {}", first.child.id())),
        "{err}"
    );

    // A query it cannot answer is a 400 with the reason, not a silent default.
    let (code, body) = first.get("/executions?limit=abc").unwrap();
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("limit must be a whole number"), "{body}");
    let (code, body) = first.get("/executions?schedule=nope").unwrap();
    assert_eq!(code, 400, "{body}");

    // kill -9: the next daemon on this host takes the lease over at once.
    first.signal("KILL");
    let _ = first.child.wait();
    let mut third = Daemon::start(&config, &["--lookback", "0"], &[]);
    third.wait(30, "/healthz after a kill -9", |d| {
        d.get("/healthz").is_some_and(|(c, _)| c == 200)
    });
    assert!(
        third
            .log()
            .contains("taking over the lock of a process that stopped"),
        "{}",
        third.log()
    );
    // A clean stop releases it.
    let (code, log) = third.stop(30);
    assert_eq!(code, 0, "{log}");
    assert!(!lease.exists(), "released at a clean stop");
}

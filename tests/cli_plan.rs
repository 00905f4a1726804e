//! `driftwatch plan`: one JSON object per execution, sorted by time then schedule name.

mod common;
use common::{config_dir, driftwatch, repo_path};
use serde_json::Value;

fn plan(args: &[&str]) -> Vec<Value> {
    let run = driftwatch(args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn prints_one_sorted_object_per_execution() {
    let cfg = repo_path("config/schedules.yaml");
    let rows = plan(&[
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--from",
        "2024-01-19T00:00:00Z",
        "--to",
        "2024-01-20T00:00:00Z",
    ]);
    // hourly 24 + daily 1 + every-10h 3 + cron every-6h 4 + every-15m 96
    assert_eq!(rows.len(), 24 + 1 + 3 + 4 + 96);
    let keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["scheduled_time"].as_str().unwrap().to_string(),
                r["schedule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let obj = rows[0].as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["schedule", "scheduled_time", "window_start", "window_end"]
    );
    assert_eq!(rows[0]["schedule"], "census-bias");
    assert_eq!(rows[0]["scheduled_time"], "2024-01-19T00:00:00Z");
    assert_eq!(rows[0]["window_start"], "2024-01-18T23:00:00Z");
    assert_eq!(rows[0]["window_end"], "2024-01-19T00:00:00Z");
}

#[test]
fn ten_hour_cadence_windows_overlap_at_midnight() {
    let cfg = repo_path("config/schedules.yaml");
    let rows = plan(&[
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--schedule",
        "census-shap",
        "--from",
        "2024-02-28T00:00:00Z",
        "--to",
        "2024-03-02T00:00:00Z",
    ]);
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["scheduled_time"].as_str().unwrap().into(),
                r["window_start"].as_str().unwrap().into(),
                r["window_end"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        (
            "2024-02-28T00:00:00Z",
            "2024-02-27T14:00:00Z",
            "2024-02-28T00:00:00Z",
        ),
        (
            "2024-02-28T10:00:00Z",
            "2024-02-28T00:00:00Z",
            "2024-02-28T10:00:00Z",
        ),
        (
            "2024-02-28T20:00:00Z",
            "2024-02-28T10:00:00Z",
            "2024-02-28T20:00:00Z",
        ),
        (
            "2024-02-29T00:00:00Z",
            "2024-02-28T14:00:00Z",
            "2024-02-29T00:00:00Z",
        ),
        (
            "2024-02-29T10:00:00Z",
            "2024-02-29T00:00:00Z",
            "2024-02-29T10:00:00Z",
        ),
        (
            "2024-02-29T20:00:00Z",
            "2024-02-29T10:00:00Z",
            "2024-02-29T20:00:00Z",
        ),
        (
            "2024-03-01T00:00:00Z",
            "2024-02-29T14:00:00Z",
            "2024-03-01T00:00:00Z",
        ),
        (
            "2024-03-01T10:00:00Z",
            "2024-03-01T00:00:00Z",
            "2024-03-01T10:00:00Z",
        ),
        (
            "2024-03-01T20:00:00Z",
            "2024-03-01T10:00:00Z",
            "2024-03-01T20:00:00Z",
        ),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn offsets_shift_the_window() {
    let cfg = repo_path("config/schedules.yaml");
    let rows = plan(&[
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--schedule",
        "census-bias-cron",
        "--from",
        "2023-12-31T12:00:00Z",
        "--to",
        "2024-01-01T00:00:01Z",
    ]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["scheduled_time"], "2024-01-01T00:00:00Z");
    assert_eq!(rows[2]["window_start"], "2023-12-31T17:00:00Z");
    assert_eq!(rows[2]["window_end"], "2023-12-31T23:00:00Z");
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let cfg = repo_path("config/schedules.yaml");
    let cfg = cfg.to_str().unwrap();
    let run = driftwatch(&[
        "plan",
        "--config",
        cfg,
        "--from",
        "2024-01-19T00:00:00",
        "--to",
        "2024-01-20",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--from") && run.stderr.contains("is not a UTC time"),
        "{}",
        run.stderr
    );
    let run = driftwatch(&[
        "plan",
        "--config",
        cfg,
        "--from",
        "2024-01-19",
        "--to",
        "tomorrow",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--to"), "{}", run.stderr);
    let run = driftwatch(&[
        "plan",
        "--config",
        cfg,
        "--schedule",
        "nope",
        "--from",
        "2024-01-19",
        "--to",
        "2024-01-20",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no schedule named \"nope\"; the schedules are: census-bias,"),
        "{}",
        run.stderr
    );
    let run = driftwatch(&[
        "plan",
        "--config",
        cfg,
        "--from",
        "2024-01-20",
        "--to",
        "2024-01-19",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("must not be after"), "{}", run.stderr);
}

#[test]
fn an_invalid_config_is_not_planned() {
    let dir = config_dir(&[("s.yaml", "schedules:\n  - name: x\n")]);
    let run = driftwatch(&[
        "plan",
        "--config",
        dir.path().join("s.yaml").to_str().unwrap(),
        "--from",
        "2024-01-19",
        "--to",
        "2024-01-20",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("schedules[0].type: missing required key"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

//! A window many times bigger than the memory it may use completes within it: the capture is
//! joined and reduced as it streams, so the process holds the ground truth's ids, the distinct
//! rows and the files in flight — not the window.
//!
//! Memory is the child's peak resident set (`wait4`), less the peak of the same schedule over
//! a one-file window: what the window itself costs, without the binary's own pages (a debug
//! build maps ~100 MB of them).

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

/// Records in the window, and the capture files they are spread over.
const RECORDS: usize = 500_000;
const FILES: usize = 100;
/// What the window may add to the process's peak: what the design bounds it by, the 32 MiB
/// of capture in flight (`IN_FLIGHT_BYTES`: fetched files wait there for a parser), the
/// ground-truth index (~65 bytes a label, 31 MiB here) and the parsers' working set (16 MiB),
/// 80 MiB in all, against ~200 MB of capture. The in-memory path this replaced needed ~3.5 KB
/// a record (~1.7 GB here). How much of the in-flight budget a run fills depends on how fast
/// the parsers drain it: measured 56–71 MB on 2026-12-02, against the 64 MiB limit before.
const WINDOW_LIMIT_BYTES: u64 = 80 * 1024 * 1024;

/// Runs the binary and returns its exit code, stdout and peak resident set in bytes.
// The child is reaped by `wait4`, which also reports its resource usage.
#[allow(clippy::zombie_processes)]
fn run_measured(args: &[&str]) -> (i32, String, u64) {
    let stderr = tempfile::tempfile().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftwatch"))
        .args(args)
        .env("DRIFTWATCH_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes only the status and the rusage it is given; the child is ours and
    // not waited for elsewhere.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, stdout, usage.ru_maxrss as u64 * 1024)
}

fn capture_line(i: usize) -> String {
    // 12 features, two of them facets (sex, an age); the rest vary per record.
    let features: Vec<String> = (0..12)
        .map(|k| match k {
            0 => (1 + i % 2).to_string(),
            1 => (20 + (i * 7) % 50).to_string(),
            _ => format!("{:.4}", ((i * (k + 3)) % 9973) as f64 / 97.0),
        })
        .collect();
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": features.join(","), "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": format!("{:.3}", (i % 1000) as f64 / 1000.0), "encoding": "CSV"}},
        "eventMetadata": {"eventId": format!("evt-{i:012}-0000-0000-0000"),
                          "inferenceTime": format!("2024-01-19T11:{:02}:{:02}Z", (i / 5000) % 60, i % 60)},
        "eventVersion": "0"
    })
    .to_string()
}

/// Writes a window of `files` capture files of `per_file` records each, the ground truth of
/// every record in 20 files, and the schedule. Returns the capture's bytes.
fn window(root: &Path, files: usize, per_file: usize) -> u64 {
    let cdir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    let gdir = root.join("truth/2024/01/19/11");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::create_dir_all(&gdir).unwrap();
    let mut bytes = 0u64;
    let records = files * per_file;
    let mut truth: Vec<std::io::BufWriter<std::fs::File>> = (0..20)
        .map(|g| {
            std::io::BufWriter::new(
                std::fs::File::create(gdir.join(format!("g{g:02}.jsonl"))).unwrap(),
            )
        })
        .collect();
    for f in 0..files {
        let path = cdir.join(format!("p-{f:03}.jsonl"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        for i in f * per_file..(f + 1) * per_file {
            let line = capture_line(i);
            bytes += line.len() as u64 + 1;
            writeln!(out, "{line}").unwrap();
            let label = if (i * 31).is_multiple_of(3) { "1" } else { "0" };
            writeln!(
                truth[i * 20 / records],
                "{}",
                json!({"groundTruthData": {"data": label, "encoding": "CSV"},
                       "eventMetadata": {"eventId": format!("evt-{i:012}-0000-0000-0000")},
                       "eventVersion": "0"})
            )
            .unwrap();
        }
    }
    let headers: Vec<String> = (0..12)
        .map(|k| format!("\"f{k}\""))
        .chain(["\"label\"".to_string()])
        .collect();
    std::fs::write(
        root.join("analysis.json"),
        format!(
            r#"{{"headers": [{}], "label": "label", "label_values_or_threshold": [1],
                "facet": [{{"name_or_index": "f0", "value_or_threshold": [2]}}, {{"name_or_index": "f1", "value_or_threshold": [40]}}],
                "methods": {{"pre_training_bias": {{"methods": "all"}},
                            "post_training_bias": {{"methods": ["DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "TE"]}}}}}}"#,
            headers.join(", ")
        ),
    )
    .unwrap();
    common::write_local_bias_schedule(root);
    bytes
}

fn run(root: &Path) -> (serde_json::Value, u64) {
    let config = root.join("schedules.yaml");
    let (code, stdout, peak) =
        run_measured(&common::run_args(&config, "s", "2024-01-19T12:00:00Z"));
    assert_eq!(code, 0, "{stdout}");
    (serde_json::from_str(&stdout).unwrap(), peak)
}

#[test]
fn a_window_many_times_the_memory_limit_completes_within_it() {
    let small = tempfile::tempdir().unwrap();
    window(small.path(), 1, 1_000);
    let (_, base) = run(small.path());

    let big = tempfile::tempdir().unwrap();
    let capture_bytes = window(big.path(), FILES, RECORDS / FILES);
    assert!(capture_bytes > 2 * WINDOW_LIMIT_BYTES, "{capture_bytes}");
    let (record, peak) = run(big.path());
    assert_eq!(record["counts"]["records_merged"], RECORDS);
    let rows = record["counts"]["rows_analysed"].as_u64().unwrap();
    assert!(
        rows <= 2 * 50 * 2 * 2,
        "rows by (f0, f1, label, prediction): {rows}"
    );
    let window_cost = peak.saturating_sub(base);
    eprintln!(
        "peak {} MB ({} MB over a one-file window) for {} MB of capture, {RECORDS} records",
        peak >> 20,
        window_cost >> 20,
        capture_bytes >> 20
    );
    assert!(
        window_cost < WINDOW_LIMIT_BYTES,
        "the window added {} MB to the peak ({} MB of capture; limit {} MB)",
        window_cost >> 20,
        capture_bytes >> 20,
        WINDOW_LIMIT_BYTES >> 20
    );
}

/// Regression: ground truth as one JSON array on one line was parsed into a tree of the whole
/// file (1,000,000 records, 113 MiB: a 1.50 GB peak). Its items are now read one at a time,
/// so the file costs its bytes and the index of its labels.
#[test]
fn ground_truth_as_one_json_array_costs_about_its_own_size() {
    const LABELS: usize = 300_000;
    let small = tempfile::tempdir().unwrap();
    window(small.path(), 1, 1_000);
    let (_, base) = run(small.path());

    let big = tempfile::tempdir().unwrap();
    window(big.path(), 1, 1_000);
    let gdir = big.path().join("truth/2024/01/19/11");
    for f in std::fs::read_dir(&gdir).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let mut array = String::from("[");
    for i in 0..LABELS {
        if i > 0 {
            array.push(',');
        }
        let label = if (i * 31).is_multiple_of(3) { "1" } else { "0" };
        array.push_str(
            &json!({"groundTruthData": {"data": label, "encoding": "CSV"},
                   "eventMetadata": {"eventId": format!("evt-{i:012}-0000-0000-0000")},
                   "eventVersion": "0"})
            .to_string(),
        );
    }
    array.push(']');
    let array_bytes = array.len() as u64;
    std::fs::write(gdir.join("all.jsonl"), array).unwrap();
    let (record, peak) = run(big.path());
    assert_eq!(record["counts"]["records_merged"], 1_000, "{record}");
    assert_eq!(record["counts"]["ground_truth_records"], LABELS, "{record}");
    let cost = peak.saturating_sub(base);
    eprintln!(
        "peak {} MB ({} MB over the same window with line-per-record truth) for a {} MB array",
        peak >> 20,
        cost >> 20,
        array_bytes >> 20
    );
    assert!(
        cost < array_bytes * 5 / 2,
        "the array added {} MB to the peak for {} MB of ground truth",
        cost >> 20,
        array_bytes >> 20
    );
}

//! Bad input, one kind per row: every command given a malformed, hostile or mistaken input
//! exits with the right code, never panics, names the file, line or key, and — for an
//! execution — writes a record with the right status and failure class and no analysis files
//! it does not vouch for. The kinds come from a hostile probe of the release binary (issue
//! "reliability under faults"); add a row for every new one.

mod common;

use std::path::{Path, PathBuf};

use common::scenario::{self, ANALYSIS_CONFIG, T, capture_line, truth_line};
use common::{Run, repo_path};

/// The execution folder of the scenario's scheduled time.
const FOLDER: &str = "output/census-xgb/census-bias/2024/01/19/12";
const HOUR: &str = "capture/census-xgb/AllTraffic/2024/01/19/11";
const TRUTH_HOUR: &str = "truth/2024/01/19/11";

struct Case {
    kind: &'static str,
    /// Prepares the directory and returns the command's arguments.
    setup: fn(&Path) -> Vec<String>,
    code: i32,
    /// Every one must appear in stdout or stderr.
    says: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn p(path: PathBuf) -> String {
    path.display().to_string()
}

/// The scenario laid out under `root`; returns the schedules file.
fn scenario(root: &Path) -> PathBuf {
    scenario::write_local(root, ANALYSIS_CONFIG, "")
}

fn validate(root: &Path, yaml: &[u8]) -> Vec<String> {
    let path = root.join("s.yaml");
    std::fs::write(&path, yaml).unwrap();
    s(&["validate", "--config", &p(path)])
}

/// The scenario's schedules file with `extra` lines added to the schedule.
fn validate_scenario_with(root: &Path, extra: &str) -> Vec<String> {
    let config = scenario(root);
    let yaml = std::fs::read_to_string(&config).unwrap() + extra;
    std::fs::write(&config, yaml).unwrap();
    s(&["validate", "--config", &p(config)])
}

fn run(root: &Path) -> Vec<String> {
    let config = scenario(root);
    s(&[
        "run",
        "--config",
        &p(config),
        "--schedule",
        "census-bias",
        "--at",
        T,
    ])
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A captured invocation with CSV features and its label, at 11:30 in the window.
fn labelled(root: &Path, id: &str, features: &str, label: &str) {
    let line = capture_line(
        ("text/csv", features, "CSV"),
        ("text/csv", "0.7", "CSV"),
        id,
        None,
        "2024-01-19T11:30:00Z",
    );
    put(
        root,
        &format!("{HOUR}/30-00-000-{id}.jsonl"),
        line.as_bytes(),
    );
    let truth = truth_line(id, label, "CSV");
    put(root, &format!("{TRUTH_HOUR}/{id}.jsonl"), truth.as_bytes());
}

fn analyze(root: &Path, dataset: &[u8]) -> Vec<String> {
    let golden = repo_path("tests/fixtures/golden");
    let path = root.join("data.csv");
    std::fs::write(&path, dataset).unwrap();
    s(&[
        "analyze",
        "--dataset",
        &p(path),
        "--analysis-config",
        &p(golden.join("mixed_facets.config.json")),
        "--output",
        &p(root.join("out")),
    ])
}

const CASES: &[Case] = &[
    // ---- the schedules file ----
    Case {
        kind: "tab in YAML indentation",
        setup: |r| validate(r, b"schedules:\n  - name: a\n\ttype: model_bias\n"),
        code: 2,
        says: &["line 3, column 1: a tab in the indentation"],
        env: &[],
    },
    Case {
        kind: "duplicate YAML key",
        setup: |r| validate(r, b"schedules:\n  - name: a\n    name: b\n"),
        code: 2,
        says: &["line 3, column 5: duplicate key \"name\""],
        env: &[],
    },
    Case {
        kind: "non-UTF-8 YAML",
        setup: |r| validate(r, b"schedules: []\n# caf\xe9\n"),
        code: 2,
        says: &["invalid byte 0xe9 at line 2, column 6"],
        env: &[],
    },
    Case {
        kind: "UTF-16 YAML",
        setup: |r| validate(r, b"\xff\xfes\x00:\x00"),
        code: 2,
        says: &["is UTF-16 text"],
        env: &[],
    },
    Case {
        kind: "config is /dev/zero",
        setup: |_| s(&["validate", "--config", "/dev/zero"]),
        code: 2,
        says: &["/dev/zero", "is a device, not a regular file"],
        env: &[],
    },
    Case {
        kind: "config is a FIFO",
        setup: |r| {
            mkfifo(&r.join("s.yaml"));
            s(&["validate", "--config", &p(r.join("s.yaml"))])
        },
        code: 2,
        says: &["s.yaml", "is a FIFO (named pipe), not a regular file"],
        env: &[],
    },
    Case {
        kind: "config is a directory",
        setup: |r| s(&["validate", "--config", &p(r.to_path_buf())]),
        code: 2,
        says: &["is a directory, not a regular file"],
        env: &[],
    },
    Case {
        kind: "config of 5 MiB",
        setup: |r| validate(r, &vec![b'#'; 5 << 20]),
        code: 2,
        says: &["is 5 MiB, more than the 4 MiB limit"],
        env: &[],
    },
    Case {
        kind: "YAML alias bomb",
        setup: |r| {
            let mut y = String::from("a: &a [1,1,1,1,1,1,1,1,1,1]\n");
            let mut prev = "a".to_string();
            for i in 0..8 {
                y += &format!("b{i}: &b{i} [{}]\n", vec![format!("*{prev}"); 10].join(","));
                prev = format!("b{i}");
            }
            validate(r, y.as_bytes())
        },
        code: 2,
        says: &["YAML nodes, more than the parser allows"],
        env: &[],
    },
    Case {
        kind: "missing config file",
        setup: |r| s(&["validate", "--config", &p(r.join("nope.yaml"))]),
        code: 2,
        says: &["cannot read", "nope.yaml: no such file"],
        env: &[],
    },
    Case {
        kind: "empty config file",
        setup: |r| validate(r, b""),
        code: 2,
        says: &["s.yaml is invalid"],
        env: &[],
    },
    Case {
        kind: "schedules is not a list",
        setup: |r| validate(r, b"schedules: 3\n"),
        code: 2,
        says: &["schedules"],
        env: &[],
    },
    Case {
        kind: "unknown key with a near miss",
        setup: |r| validate_scenario_with(r, "    cadance: hourly\n"),
        code: 2,
        says: &["schedules[0].cadance: unknown key"],
        env: &[],
    },
    Case {
        kind: "window offset of 273,972 years",
        setup: |r| validate_scenario_with(r, "    start_time_offset: -P99999999D\n"),
        code: 2,
        says: &[
            "schedules[0].start_time_offset: reaches back 99999999 days; the limit is 3660 days",
        ],
        env: &[],
    },
    Case {
        kind: "window ending after the scheduled time",
        setup: |r| validate_scenario_with(r, "    end_time_offset: PT1H\n"),
        code: 2,
        says: &["schedules[0].end_time_offset: must not be positive"],
        env: &[],
    },
    Case {
        kind: "analysis config is not JSON",
        setup: |r| {
            let args = validate_scenario_with(r, "");
            std::fs::write(r.join("analysis.json"), "{\"label\": ").unwrap();
            args
        },
        code: 2,
        says: &["analysis.json", "is not valid JSON"],
        env: &[],
    },
    Case {
        kind: "analysis config is a directory",
        setup: |r| {
            let args = validate_scenario_with(r, "");
            std::fs::remove_file(r.join("analysis.json")).unwrap();
            std::fs::create_dir(r.join("analysis.json")).unwrap();
            args
        },
        code: 2,
        says: &["analysis.json", "is a directory"],
        env: &[],
    },
    // ---- command-line values ----
    Case {
        kind: "plan from year 1000",
        setup: |r| {
            let c = scenario(r);
            s(&[
                "plan",
                "--config",
                &p(c),
                "--from",
                "1000-01-01",
                "--to",
                "2024-01-01",
            ])
        },
        code: 2,
        says: &[
            "--from",
            "outside the years driftwatch accepts (1970 to 9999)",
        ],
        env: &[],
    },
    Case {
        kind: "plan over 53 years",
        setup: |r| {
            let c = scenario(r);
            s(&[
                "plan",
                "--config",
                &p(c),
                "--from",
                "1971-01-01",
                "--to",
                "2024-01-01",
            ])
        },
        code: 2,
        says: &["at most 100000 are listed at once"],
        env: &[],
    },
    Case {
        kind: "backfill over 53 years",
        setup: |r| {
            let c = scenario(r);
            s(&[
                "backfill",
                "--config",
                &p(c),
                "--schedule",
                "census-bias",
                "--from",
                "1971-01-01",
                "--to",
                "2024-01-01",
            ])
        },
        code: 2,
        says: &["at most 100000 are listed at once"],
        env: &[],
    },
    Case {
        kind: "serve with a look-back of 11,000 years",
        setup: |r| {
            let c = scenario(r);
            s(&["serve", "--config", &p(c), "--lookback", "100000000h"])
        },
        code: 2,
        says: &["--lookback 100000000h: at most 366 days"],
        env: &[],
    },
    Case {
        kind: "run at a time without a zone",
        setup: |r| {
            let c = scenario(r);
            s(&[
                "run",
                "--config",
                &p(c),
                "--schedule",
                "census-bias",
                "--at",
                "2024-01-19T12:00:00",
            ])
        },
        code: 2,
        says: &["--at", "is not a UTC time"],
        env: &[],
    },
    Case {
        kind: "run of an unknown schedule",
        setup: |r| {
            let c = scenario(r);
            s(&[
                "run",
                "--config",
                &p(c),
                "--schedule",
                "census-bais",
                "--at",
                T,
            ])
        },
        code: 2,
        says: &["census-bais"],
        env: &[],
    },
    // ---- datasets for analyze ----
    Case {
        kind: "analyze --output is a file",
        setup: |r| {
            std::fs::write(r.join("out"), "x").unwrap();
            analyze(r, b"a,b\n1,2\n")
        },
        code: 2,
        says: &["--output", "is a file; give a directory"],
        env: &[],
    },
    Case {
        kind: "UTF-16 CSV",
        setup: |r| analyze(r, b"\xff\xfea\x00,\x00b\x00\n\x00"),
        code: 2,
        says: &["data.csv", "is UTF-16 text"],
        env: &[],
    },
    Case {
        kind: "non-UTF-8 byte in a CSV",
        setup: |r| {
            let good = std::fs::read(repo_path("tests/fixtures/golden/mixed_facets.csv")).unwrap();
            let mut bad = good.clone();
            let second_line = good.iter().position(|b| *b == b'\n').unwrap() + 1;
            bad.insert(second_line, 0xff);
            analyze(r, &bad)
        },
        code: 2,
        says: &["data.csv", "invalid byte 0xff at line 2, column 1"],
        env: &[],
    },
    Case {
        kind: "dataset is a FIFO",
        setup: |r| {
            let mut args = analyze(r, b"");
            std::fs::remove_file(r.join("data.csv")).unwrap();
            mkfifo(&r.join("data.csv"));
            args[2] = p(r.join("data.csv"));
            args
        },
        code: 2,
        says: &["data.csv", "FIFO"],
        env: &[],
    },
    Case {
        kind: "dataset row with a missing field",
        setup: |r| {
            let good = std::fs::read_to_string(repo_path("tests/fixtures/golden/mixed_facets.csv"))
                .unwrap();
            let mut lines: Vec<&str> = good.lines().collect();
            let short = lines[3].rsplit_once(',').unwrap().0.to_string();
            lines[3] = &short;
            analyze(r, lines.join("\n").as_bytes())
        },
        code: 2,
        says: &["data.csv", "row 4", "fields"],
        env: &[],
    },
    // ---- captured data ----
    Case {
        kind: "capture object is a FIFO",
        setup: |r| {
            let args = run(r);
            mkfifo(&r.join(HOUR).join("50-00-000-pipe.jsonl"));
            args
        },
        code: 0,
        says: &[
            "50-00-000-pipe.jsonl: is a FIFO (named pipe), not a regular file",
            "\"status\": \"Completed",
        ],
        env: &[],
    },
    Case {
        kind: "capture object is a symlink to /dev/zero",
        setup: |r| {
            let args = run(r);
            std::os::unix::fs::symlink("/dev/zero", r.join(HOUR).join("51-00-000-zero.jsonl"))
                .unwrap();
            args
        },
        code: 0,
        says: &[
            "51-00-000-zero.jsonl: is a device, not a regular file",
            "\"status\": \"Completed",
        ],
        env: &[],
    },
    Case {
        kind: "capture line with a non-UTF-8 byte",
        setup: |r| {
            let args = run(r);
            put(
                r,
                &format!("{HOUR}/52-00-000-bin.jsonl"),
                b"{\"captureData\": \"\xff\"}\n",
            );
            args
        },
        code: 0,
        says: &["52-00-000-bin.jsonl:1: not UTF-8 text: invalid byte 0xff at column 18"],
        env: &[],
    },
    Case {
        kind: "capture line of 17 MiB",
        setup: |r| {
            let args = run(r);
            let mut line = b"{\"captureData\": \"".to_vec();
            line.resize(17 << 20, b'x');
            line.extend_from_slice(b"\"}\n");
            put(r, &format!("{HOUR}/53-00-000-huge.jsonl"), &line);
            args
        },
        code: 0,
        says: &["53-00-000-huge.jsonl:1: the line is 17.0 MiB, longer than the 16 MiB limit"],
        env: &[],
    },
    Case {
        kind: "truncated capture line",
        setup: |r| {
            let args = run(r);
            put(
                r,
                &format!("{HOUR}/54-00-000-cut.jsonl"),
                b"\n\n{\"captureData\": {\"endpointIn\n",
            );
            args
        },
        code: 0,
        says: &["54-00-000-cut.jsonl:3:"],
        env: &[],
    },
    Case {
        kind: "corrupt gzip capture object",
        setup: |r| {
            let args = run(r);
            put(
                r,
                &format!("{HOUR}/55-00-000-z.jsonl.gz"),
                b"\x1f\x8b\x08\x00garbage",
            );
            args
        },
        code: 0,
        says: &["55-00-000-z.jsonl.gz: not a valid gzip stream"],
        env: &[],
    },
    Case {
        kind: "a NaN feature",
        setup: |r| {
            let args = run(r);
            labelled(r, "nan-1", "41,NaN,1,40", "1");
            args
        },
        code: 0,
        says: &[
            "feature \"sex\": 1 records have no value",
            "capture event nan-1",
            "FlipTest (FT)",
        ],
        env: &[],
    },
    Case {
        kind: "a feature of 1e400",
        setup: |r| {
            let args = run(r);
            labelled(r, "big-1", "1e400,1,1,40", "1");
            args
        },
        code: 0,
        says: &[
            "feature \"age\": 1 values are infinite",
            "capture event big-1",
        ],
        env: &[],
    },
    Case {
        kind: "text among numbers in a feature",
        setup: |r| {
            let args = run(r);
            labelled(r, "txt-1", "41,1,1,forty", "1");
            args
        },
        code: 0,
        says: &[
            "feature \"hours\": 1 values are not numbers (first \"forty\" in capture event txt-1)",
        ],
        env: &[],
    },
    Case {
        kind: "ground-truth label yes among 0/1",
        setup: |r| {
            let args = run(r);
            labelled(r, "yes-1", "41,1,1,40", "yes");
            args
        },
        code: 0,
        says: &[
            "label \"label\": 1 ground-truth labels are not numbers (first \"yes\" in capture event yes-1)",
            "count as negative",
        ],
        env: &[],
    },
    Case {
        kind: "malformed ground-truth line",
        setup: |r| {
            let args = run(r);
            put(
                r,
                &format!("{TRUTH_HOUR}/zz-bad.jsonl"),
                b"{\"groundTruthData\": \n",
            );
            args
        },
        code: 0,
        says: &[
            "zz-bad.jsonl:1: not valid JSON",
            "ground-truth lines could not be read",
        ],
        env: &[],
    },
    Case {
        kind: "ground-truth file as a JSON array with a bad item",
        setup: |r| {
            let args = run(r);
            put(
                r,
                &format!("{TRUTH_HOUR}/zz-array.json.jsonl"),
                br#"[{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "x"}}, {"eventMetadata": {}}]"#,
            );
            args
        },
        code: 0,
        says: &["zz-array.json.jsonl: array item 2:"],
        env: &[],
    },
    Case {
        kind: "no ground truth at all",
        setup: |r| {
            let args = run(r);
            std::fs::remove_dir_all(r.join("truth")).unwrap();
            args
        },
        code: 1,
        says: &[
            "\"status\": \"Failed\"",
            "nothing to merge",
            "\"failure_class\": \"permanent\"",
        ],
        env: &[],
    },
    Case {
        kind: "no capture in the window",
        setup: |r| {
            let args = run(r);
            std::fs::remove_dir_all(r.join("capture")).unwrap();
            args
        },
        code: 1,
        says: &[
            "\"status\": \"Failed\"",
            "no captured data in window",
            "\"failure_class\": \"permanent\"",
        ],
        env: &[],
    },
    Case {
        kind: "baseline is not JSON",
        setup: |r| {
            let config = scenario::write_local(
                r,
                ANALYSIS_CONFIG,
                "    baseline_constraints: baseline.json\n",
            );
            std::fs::write(r.join("baseline.json"), "{\"version\": ").unwrap();
            s(&[
                "run",
                "--config",
                &p(config),
                "--schedule",
                "census-bias",
                "--at",
                T,
            ])
        },
        code: 1,
        says: &[
            "\"status\": \"Failed\"",
            "baseline.json",
            "\"failure_class\": \"permanent\"",
        ],
        env: &[],
    },
    Case {
        kind: "a panic inside the execution",
        setup: run,
        code: 1,
        says: &[
            "\"status\": \"Failed\"",
            "internal error (a driftwatch bug",
            "\"failure_class\": \"permanent\"",
        ],
        env: &[("DRIFTWATCH_FAULT_PANIC", "1")],
    },
    // ---- datasets (regressions of the hostile re-test) ----
    Case {
        // It said "at line 0".
        kind: "JSON Lines dataset with a bad byte on line 2",
        setup: |r| {
            let cfg = r.join("cfg.json");
            std::fs::write(
                &cfg,
                r#"{"dataset_type": "application/jsonlines", "label": "y", "label_values_or_threshold": [1],
                    "facet": [{"name_or_index": "s", "value_or_threshold": [2]}],
                    "methods": {"pre_training_bias": {"methods": "all"}}}"#,
            )
            .unwrap();
            put(
                r,
                "d.jsonl",
                b"{\"s\": 1, \"y\": 1}\n{\"s\": 2, \"y\": \"\xff\"}\n",
            );
            s(&[
                "analyze",
                "--dataset",
                &p(r.join("d.jsonl")),
                "--analysis-config",
                &p(cfg),
                "--output",
                &p(r.join("out")),
            ])
        },
        code: 2,
        says: &["d.jsonl", "invalid byte 0xff at line 2, column 16"],
        env: &[],
    },
    Case {
        // It was not named: pandas reads the first, and so does driftwatch, now saying so.
        kind: "a header naming a column twice",
        setup: |r| {
            let golden =
                std::fs::read_to_string(repo_path("tests/fixtures/golden/mixed_facets.csv"))
                    .unwrap();
            let (head, rest) = golden.split_once('\n').unwrap();
            let mut text = head.replacen("job", "x1", 1);
            text.push('\n');
            text.push_str(rest);
            analyze(r, text.as_bytes())
        },
        code: 0,
        says: &[
            "the header row names column \"x1\" more than once (columns 4, 8); as pandas does, \"x1\" is the first of them and the others are x1.1",
        ],
        env: &[],
    },
    // ---- names that become paths ----
    Case {
        // Regression: it read a plan from outside the output folder and wrote its state
        // there, exit 0.
        kind: "a shard run name that climbs out of the execution folder",
        setup: |r| {
            let config = scenario(r);
            put(r, "elsewhere/plan.json", b"{}");
            s(&[
                "shard",
                "--config",
                &p(config),
                "--schedule",
                "census-bias",
                "--at",
                T,
                "--run",
                "../../elsewhere",
                "--shard",
                "0",
            ])
        },
        code: 2,
        says: &["--run", "a run name may contain only letters, digits"],
        env: &[],
    },
];

/// The binary, killed after a minute: a case that hangs fails instead of stalling the suite.
fn driftwatch_bounded(args: &[&str], env: &[(&str, &str)]) -> Run {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_driftwatch"))
        .args(args)
        .env("DRIFTWATCH_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the driftwatch binary runs");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Run {
        code: status.and_then(|s| s.code()).unwrap_or(-1),
        stdout,
        stderr: if status.is_none() {
            format!("{stderr}\n(killed: still running after 60 s)")
        } else {
            stderr
        },
    }
}

#[test]
fn every_kind_of_bad_input_gets_a_precise_error_and_no_panic() {
    assert!(CASES.len() >= 40, "{} kinds", CASES.len());
    let mut failures = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let args = (case.setup)(dir.path());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut env = vec![("RUST_BACKTRACE", "0")];
        env.extend_from_slice(case.env);
        let clock = std::time::Instant::now();
        let Run {
            code,
            stdout,
            stderr,
        } = driftwatch_bounded(&argv, &env);
        eprintln!("{:>6.1} s  {}", clock.elapsed().as_secs_f64(), case.kind);
        let all = format!("{stdout}\n{stderr}");
        let mut wrong = Vec::new();
        if code != case.code {
            wrong.push(format!("exit code {code}, expected {}", case.code));
        }
        for needle in case.says {
            if !all.contains(needle) {
                wrong.push(format!("does not say {needle:?}"));
            }
        }
        // An injected panic is the one case allowed to print the panic message.
        if case.env.is_empty() && all.contains("panicked") {
            wrong.push("panicked".into());
        }
        if stdout.contains("\"status\": \"Failed\"") {
            let folder = dir.path().join(FOLDER);
            for f in ["analysis.json", "constraint_violations.json"] {
                if folder.join(f).exists() {
                    wrong.push(format!("a Failed execution left {f}"));
                }
            }
            if !folder.join("execution.json").exists() {
                wrong.push("no execution record".into());
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {}\n--- output ---\n{}",
                case.kind,
                wrong.join("; "),
                all.chars().take(3000).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

//! A streamed window (`run`: capture joined and reduced as it is read, identical rows counted
//! once) gives the analysis `analyze` gives on the same merged records held as a CSV file, a
//! row per record — with FT (every record kept) and without (rows counted).

mod common;

use std::path::Path;

use serde_json::{Value, json};

const T: &str = "2024-01-19T12:00:00Z";
const FILES: usize = 3;

/// (age, sex, hga, income, score, label) of 1,500 records in the hour before T: few distinct
/// rows on the facets (so counting matters), age with 4.8 % distinct values (smclarify's 5 %
/// rule then depends on the record count, not the distinct rows).
fn records() -> Vec<(i64, i64, i64, f64, f64, i64)> {
    (0..1500)
        .map(|i: i64| {
            let sex = 1 + (i * 7) % 2;
            let hga = (i * 11) % 5;
            let age = 18 + (i * 13) % 72;
            let income = ((i * 29) % 40) as f64 * 1.25;
            let score = ((i * 37) % 100) as f64 / 100.0 + 0.005;
            let label = i64::from((i * 53) % 100 < 30 + 8 * sex + hga);
            (age, sex, hga, income, score, label)
        })
        .collect()
}

fn capture_line(id: &str, minute: usize, r: (i64, i64, i64, f64, f64, i64)) -> String {
    let (age, sex, hga, income, score, _) = r;
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": format!("{age},{sex},{hga},{income}"), "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": score.to_string(), "encoding": "CSV"}},
        "eventMetadata": {"eventId": format!("e-{id}"), "inferenceId": id,
                          "inferenceTime": format!("2024-01-19T11:{minute:02}:00Z")},
        "eventVersion": "0"
    })
    .to_string()
}

fn methods(ft: bool) -> &'static str {
    if ft {
        r#"{"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}"#
    } else {
        r#"{"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "CDDPL", "TE"]}}"#
    }
}

const FACETS: &str = r#""facet": [{"name_or_index": "sex", "value_or_threshold": [2]},
                                   {"name_or_index": "age", "value_or_threshold": [40]},
                                   {"name_or_index": "hga"}],
                        "group_variable": "hga""#;

/// The window as capture files and ground truth, and the same merged records as a CSV file.
fn scenario(root: &Path, ft: bool) {
    let recs = records();
    let cdir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    let gdir = root.join("truth/2024/01/19/11");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::create_dir_all(&gdir).unwrap();
    let mut files = vec![String::new(); FILES];
    let mut truth = String::new();
    let mut csv = String::from("age,sex,hga,income,label,pred\n");
    for (i, r) in recs.iter().enumerate() {
        let id = format!("i-{i}");
        let f = &mut files[i * FILES / recs.len()];
        f.push_str(&capture_line(&id, i / 30, *r));
        f.push('\n');
        truth.push_str(
            &json!({"groundTruthData": {"data": r.5.to_string(), "encoding": "CSV"},
                    "eventMetadata": {"eventId": id}, "eventVersion": "0"})
            .to_string(),
        );
        truth.push('\n');
        let (age, sex, hga, income, score, label) = *r;
        csv.push_str(&format!(
            "{age},{sex},{hga},{income},{label},{}\n",
            i64::from(score > 0.5)
        ));
    }
    for (k, f) in files.iter().enumerate() {
        std::fs::write(cdir.join(format!("part-{k}.jsonl")), f).unwrap();
    }
    std::fs::write(gdir.join("g.jsonl"), truth).unwrap();
    std::fs::write(root.join("merged.csv"), csv).unwrap();
    let methods = methods(ft);
    std::fs::write(
        root.join("analysis.json"),
        format!(
            r#"{{"headers": ["age", "sex", "hga", "income", "label"], "label": "label",
                "label_values_or_threshold": [1], {FACETS}, "methods": {methods}}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("dataset.json"),
        format!(
            r#"{{"dataset_type": "text/csv", "label": "label", "predicted_label": "pred",
                "label_values_or_threshold": [1], {FACETS}, "methods": {methods}}}"#
        ),
    )
    .unwrap();
    common::write_local_bias_schedule(root);
}

fn run(root: &Path) -> (Value, Value) {
    let r = common::driftwatch(&common::run_args(&root.join("schedules.yaml"), "s", T));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    let analysis = std::fs::read(root.join("out/ep/s/2024/01/19/12/analysis.json")).unwrap();
    (serde_json::from_slice(&analysis).unwrap(), record)
}

fn analyze(root: &Path) -> Value {
    let out = root.join("analyze-out");
    let r = common::driftwatch(&[
        "analyze",
        "--dataset",
        root.join("merged.csv").to_str().unwrap(),
        "--analysis-config",
        root.join("dataset.json").to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    serde_json::from_slice(&std::fs::read(out.join("analysis.json")).unwrap()).unwrap()
}

fn same_analysis(ft: bool) {
    let tmp = tempfile::tempdir().unwrap();
    scenario(tmp.path(), ft);
    let (streamed, record) = run(tmp.path());
    let held = analyze(tmp.path());
    for key in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        assert_eq!(
            serde_json::to_string_pretty(&streamed[key]).unwrap(),
            serde_json::to_string_pretty(&held[key]).unwrap(),
            "{key}"
        );
    }
    assert_eq!(
        streamed["driftwatch"]["column_types"],
        held["driftwatch"]["column_types"]
    );
    assert_eq!(
        streamed["driftwatch"]["column_types"]["facet:age"], "categorical",
        "72 ages among 1,500 records: under smclarify's 5 % rule whatever the distinct rows"
    );
    let counts = &record["counts"];
    assert_eq!(counts["records_merged"], 1500);
    let rows = counts["rows_analysed"].as_u64().unwrap();
    if ft {
        assert_eq!(rows, 1500, "FT keeps every record");
    } else {
        assert!(rows < 1500, "identical rows counted once: {rows}");
    }
}

#[test]
fn counted_rows_give_the_analysis_of_every_record() {
    same_analysis(false);
}

#[test]
fn with_flip_test_every_record_is_kept_and_the_analysis_is_the_same() {
    same_analysis(true);
}

/// The scenario (without FT) with part-0's first id captured again at the end of part-2;
/// returns the capture folder.
fn scenario_with_a_repeated_id(root: &Path) -> std::path::PathBuf {
    scenario(root, false);
    let cdir = root.join("capture/ep/AllTraffic/2024/01/19/11");
    let mut last = std::fs::read_to_string(cdir.join("part-2.jsonl")).unwrap();
    last.push_str(&capture_line("i-0", 59, records()[7]));
    last.push('\n');
    std::fs::write(cdir.join("part-2.jsonl"), last).unwrap();
    cdir
}

#[test]
fn an_id_captured_twice_in_different_files_is_merged_once_in_file_order() {
    // part-2 repeats part-0's first id: the first event (in listing order) takes the label
    // whichever file is read first; the repeat is unmatched, as in one process holding all.
    let tmp = tempfile::tempdir().unwrap();
    scenario_with_a_repeated_id(tmp.path());
    let (streamed, record) = run(tmp.path());
    assert_eq!(record["counts"]["records_merged"], 1500);
    assert_eq!(record["counts"]["unmatched_captures"], 1);
    assert_eq!(record["counts"]["unmatched_labels"], 0);
    let (plain, _) = {
        let other = tempfile::tempdir().unwrap();
        scenario(other.path(), false);
        run(other.path())
    };
    assert_eq!(
        streamed["pre_training_bias_metrics"],
        plain["pre_training_bias_metrics"]
    );
}

#[test]
fn the_same_window_on_s3_gives_the_same_analysis() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    scenario(tmp.path(), false);
    let (local, local_record) = run(tmp.path());

    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = common::s3_client(&url);
    let bucket = common::unique_bucket("stream");
    rt.block_on(client.create_bucket().bucket(&bucket).send())
        .expect("create bucket on the emulator");
    for dir in ["capture", "truth"] {
        let root = tmp.path().join(dir);
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let key = format!("{dir}/{}", p.strip_prefix(&root).unwrap().display());
                rt.block_on(
                    client
                        .put_object()
                        .bucket(&bucket)
                        .key(&key)
                        .body(std::fs::read(&p).unwrap().into())
                        .send(),
                )
                .expect("put object");
            }
        }
    }
    let s3 = tmp.path().join("s3.yaml");
    std::fs::write(
        &s3,
        format!(
            "schedules:\n  - name: s\n    type: model_bias\n    endpoint: ep\n    cadence: hourly\n    \
             data_capture: s3://{bucket}/capture\n    ground_truth: s3://{bucket}/truth\n    output: {}\n    \
             analysis_config: {}\n",
            tmp.path().join("s3-out").display(),
            tmp.path().join("analysis.json").display()
        ),
    )
    .unwrap();
    let env = common::aws_env(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = common::driftwatch_env(
        &[
            "run",
            "--config",
            s3.to_str().unwrap(),
            "--schedule",
            "s",
            "--at",
            T,
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    let remote: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("s3-out/ep/s/2024/01/19/12/analysis.json")).unwrap(),
    )
    .unwrap();
    for key in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        assert_eq!(remote[key], local[key], "{key}");
    }
    for count in [
        "records_merged",
        "rows_analysed",
        "unmatched_captures",
        "capture_files",
    ] {
        assert_eq!(
            record["counts"][count], local_record["counts"][count],
            "{count}"
        );
    }
}

/// Runs the scenario's schedule with `executor: {shards: n}` (1: in one piece).
fn run_sharded(root: &Path, shards: usize) -> (Vec<u8>, Value) {
    let path = root.join("schedules.yaml");
    let base = std::fs::read_to_string(&path).unwrap();
    let base = base.split("    executor:").next().unwrap().to_string();
    std::fs::write(&path, format!("{base}    executor: {{shards: {shards}}}\n")).unwrap();
    let r = common::driftwatch(&common::run_args(&path, "s", T));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    let analysis = std::fs::read(root.join("out/ep/s/2024/01/19/12/analysis.json")).unwrap();
    (analysis, record)
}

/// What a sharded execution must reproduce of the one-piece record.
fn same_counts(a: &Value, b: &Value, what: &str) {
    for count in [
        "records_merged",
        "rows_analysed",
        "unmatched_captures",
        "unmatched_labels",
        "capture_files",
        "capture_bytes",
        "capture_lines",
        "capture_records",
        "capture_malformed",
        "ground_truth_records",
    ] {
        assert_eq!(a["counts"][count], b["counts"][count], "{what}: {count}");
    }
    assert_eq!(a["malformed"], b["malformed"], "{what}: malformed");
    assert_eq!(a["warnings"], b["warnings"], "{what}: warnings");
}

#[test]
fn a_window_reduced_in_shards_gives_the_byte_identical_analysis() {
    for ft in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        scenario(tmp.path(), ft);
        let (whole, whole_record) = run_sharded(tmp.path(), 1);
        // 2 and 3 shards split the three files; 8 asks for more shards than files.
        for shards in [2, 3, 8] {
            let (sharded, record) = run_sharded(tmp.path(), shards);
            assert!(
                sharded == whole,
                "ft {ft}, {shards} shards: analysis.json differs"
            );
            same_counts(&record, &whole_record, &format!("ft {ft}, {shards} shards"));
        }
    }
}

#[test]
fn an_id_captured_in_two_shards_and_malformed_lines_merge_as_in_one_piece() {
    // part-2 repeats part-0's first id (the later shard must leave it unmatched, as one reader
    // would), and part-1 holds a malformed line (listed in order among the others).
    let tmp = tempfile::tempdir().unwrap();
    let cdir = scenario_with_a_repeated_id(tmp.path());
    for part in ["part-1.jsonl", "part-0.jsonl"] {
        let mut text = std::fs::read_to_string(cdir.join(part)).unwrap();
        text.push_str("{\"captureData\": not json\n");
        std::fs::write(cdir.join(part), text).unwrap();
    }
    let (whole, whole_record) = run_sharded(tmp.path(), 1);
    assert_eq!(whole_record["counts"]["unmatched_captures"], 1);
    assert_eq!(whole_record["counts"]["capture_malformed"], 2);
    let (sharded, record) = run_sharded(tmp.path(), 3);
    assert!(sharded == whole, "analysis.json differs");
    same_counts(&record, &whole_record, "3 shards");
}

#[test]
fn an_unknown_executor_is_refused_by_key() {
    let tmp = tempfile::tempdir().unwrap();
    scenario(tmp.path(), false);
    let path = tmp.path().join("schedules.yaml");
    let base = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{base}    executor: {{type: spark}}\n")).unwrap();
    let r = common::driftwatch(&common::run_args(&path, "s", T));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("schedules[0].executor.type: must be local"),
        "{}",
        r.stderr
    );
}

//! Time-series explanations end to end: `driftwatch analyze` on the SDK's own configs (and
//! named variants) against a real HTTP forecasting model server
//! (tests/fixtures/time_series/forecast_server.py), every line equal to the brute-force
//! oracle's (make_golden.py: every order of the players enumerated) to 1e-9, efficiency exact.

mod common;

use std::path::{Path, PathBuf};

use common::forecaster::Forecaster;
use common::{driftwatch_env, repo_path};
use serde_json::Value;

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo_path("tests/fixtures/time_series/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

use common::floats;

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-9, "{what}: {x} vs {y}");
    }
}

#[test]
fn every_case_equals_the_brute_force_oracle() {
    let server = Forecaster::start();
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 13, "{cases:?}");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let out = dir.path().join(&name);
        let run = server.analyze(&case, &out);
        assert_eq!(run.code, 0, "{name}: {}{}", run.stdout, run.stderr);
        let config: Value =
            serde_json::from_slice(&std::fs::read(case.join("analysis_config.json")).unwrap())
                .unwrap();
        let asv = &config["methods"]["asymmetric_shapley_value"];
        let folder = format!(
            "asymmetric_shapley_value/{}_{}",
            asv["granularity"].as_str().unwrap_or("timewise"),
            asv["direction"].as_str().unwrap_or("chronological")
        );
        let analysis: Value =
            serde_json::from_slice(&std::fs::read(out.join("analysis.json")).unwrap()).unwrap();
        // The SDK always asks for a report: driftwatch's page of heat maps.
        let report = config["methods"]["report"]["name"].as_str().unwrap();
        let html = std::fs::read_to_string(out.join(format!("{report}.html"))).unwrap();
        assert!(html.contains("Item item_2"), "{name}: the report");
        let a = &analysis["explanations"]["asymmetric_shapley_value"];
        assert_eq!(a["direction"], asv["direction"], "{name}");
        assert_eq!(a["granularity"], asv["granularity"], "{name}");
        assert!(
            a["explanation_results_path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{folder}/out.jsonl")),
            "{name}: {a}"
        );
        let got = std::fs::read_to_string(out.join(&folder).join("out.jsonl")).unwrap();
        let want = std::fs::read_to_string(case.join("expected.jsonl")).unwrap();
        let (got, want): (Vec<Value>, Vec<Value>) = (
            got.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            want.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        );
        assert_eq!(got.len(), want.len(), "{name}");
        // Lines come in order of the items' first appearance (timestamp_records' rows are
        // shuffled), so each is matched by id.
        for w in &want {
            let g = got
                .iter()
                .find(|g| g["item_id"] == w["item_id"])
                .unwrap_or_else(|| panic!("{name}: no line for {}", w["item_id"]));
            let item = format!("{name} {}", w["item_id"]);
            assert_eq!(g["item_id"], w["item_id"], "{item}");
            close(
                &floats(&g["offset"]),
                &floats(&w["offset"]),
                &format!("{item} offset"),
            );
            let (ge, we) = (
                g["explanations"].as_array().unwrap(),
                w["explanations"].as_array().unwrap(),
            );
            assert_eq!(ge.len(), we.len(), "{item}: entries");
            let mut total = floats(&g["offset"]);
            for (x, y) in ge.iter().zip(we) {
                assert_eq!(x["feature_name"], y["feature_name"], "{item}");
                assert_eq!(x["timestamp"], y["timestamp"], "{item}");
                let s = floats(&x["scores"]);
                close(&s, &floats(&y["scores"]), &format!("{item} {x}"));
                for (t, v) in total.iter_mut().zip(&s) {
                    *t += v;
                }
            }
            // Efficiency: offset + Σ scores = the forecast, per horizon step.
            close(
                &total,
                &floats(&w["forecast"]),
                &format!("{item} efficiency"),
            );
            close(
                &floats(&g["driftwatch"]["forecast"]),
                &floats(&w["forecast"]),
                &format!("{item} forecast"),
            );
            assert_eq!(g["driftwatch"]["exact"], true, "{item}");
        }
    }
}

#[test]
fn requests_carry_many_records_and_timewise_asks_the_minimum() {
    let server = Forecaster::start();
    let dir = tempfile::tempdir().unwrap();
    let case = repo_path("tests/fixtures/time_series/cases/columns_timewise");
    let run = server.analyze(&case, dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Two items of 2 and 3 timestamps: T + 1 forecasts each, in one request.
    assert_eq!(server.stats(), (1, 3 + 4), "{}", run.stdout);
    assert!(run.stdout.contains("7 forecasts"), "{}", run.stdout);
    let bi = repo_path("tests/fixtures/time_series/cases/timestamp_records_bidirectional");
    let before = server.stats();
    assert_eq!(server.analyze(&bi, &dir.path().join("bi")).code, 0);
    // Both orders share the empty and the full coalition: 2T forecasts (T = 3 and 4).
    assert_eq!(server.stats().1 - before.1, 6 + 8);
    let lines = std::fs::read_to_string(
        dir.path()
            .join("bi/asymmetric_shapley_value/timewise_bidirectional/out.jsonl"),
    )
    .unwrap();
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["item_id"], "item_2",
        "items in order of first appearance"
    );
    let one =
        repo_path("tests/fixtures/time_series/cases/timestamp_records_one_record_per_request");
    let before = server.stats();
    assert_eq!(server.analyze(&one, &dir.path().join("one")).code, 0);
    let after = server.stats();
    // Items of 3 and 4 timestamps.
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (9, 9),
        "$record: one per request"
    );
}

#[test]
fn sampled_orders_are_seeded_and_keep_efficiency() {
    let server = Forecaster::start();
    let dir = tempfile::tempdir().unwrap();
    // The SDK's own config as written: num_samples 20, fewer than item_2's admissible orders.
    let sdk = repo_path("tests/fixtures/sdk/time_series/columns_fine_grained_mean.json");
    let dataset =
        repo_path("tests/fixtures/time_series/cases/columns_fine_grained_mean/dataset.json");
    let run = |out: &Path| server.analyze_files(&dataset, &sdk, out);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(run(&a).code, 0);
    assert_eq!(run(&b).code, 0);
    let file = "asymmetric_shapley_value/fine_grained_chronological/out.jsonl";
    let (x, y) = (
        std::fs::read_to_string(a.join(file)).unwrap(),
        std::fs::read_to_string(b.join(file)).unwrap(),
    );
    assert_eq!(x, y, "the same data gives the same values");
    for line in x.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let mut total = floats(&v["offset"]);
        for e in v["explanations"].as_array().unwrap() {
            for (t, s) in total.iter_mut().zip(floats(&e["scores"])) {
                *t += s;
            }
        }
        close(&total, &floats(&v["driftwatch"]["forecast"]), "efficiency");
        if v["item_id"] == "item_2" {
            assert_eq!(v["driftwatch"]["exact"], false, "72 orders > 20: drawn");
        }
    }
}

/// A dataset or response that does not fit: a precise message, exit 2, nothing written.
#[test]
fn bad_input_names_the_item_and_writes_nothing() {
    let server = Forecaster::start();
    let dir = tempfile::tempdir().unwrap();
    let case = repo_path("tests/fixtures/time_series/cases/columns_timewise");
    let config = case.join("analysis_config.json");
    let good: Value =
        serde_json::from_slice(&std::fs::read(case.join("dataset.json")).unwrap()).unwrap();
    let run = |name: &str, dataset: &Value, config: &Path| {
        let d = dir.path().join(format!("{name}.json"));
        std::fs::write(&d, dataset.to_string()).unwrap();
        let out = dir.path().join(name);
        let r = server.analyze_files(&d, config, &out);
        assert_eq!(r.code, 2, "{name}: {}{}", r.stdout, r.stderr);
        assert!(
            !out.exists() || common::files_under(&out).is_empty(),
            "{name}: nothing written"
        );
        r.stderr
    };
    let mut ragged = good.clone();
    ragged["rts2"].as_array_mut().unwrap().pop();
    let e = run("ragged", &ragged, &config);
    assert!(e.contains("\"rts2\" has 4 values but \"ids\" has 5"), "{e}");
    assert!(e.contains("ragged.json"), "{e}");
    let mut stamp = good.clone();
    stamp["timestamps"][2] = Value::from("March 3rd");
    let e = run("timestamp", &stamp, &config);
    assert!(
        e.contains("item \"item_2\", row 2: the timestamp \"March 3rd\" does not parse"),
        "{e}"
    );
    // The forecast JMESPath finds fewer forecasts than records.
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    cfg["predictor"]["time_series_predictor_config"]["forecast"] =
        Value::from("predictions[:1].mean");
    let bad_cfg = dir.path().join("count_config.json");
    std::fs::write(&bad_cfg, cfg.to_string()).unwrap();
    let e = run("count", &good, &bad_cfg);
    assert!(e.contains("endpoint forecaster request 1: the forecast \"predictions[:1].mean\" gives 1 forecasts for 7 records"), "{e}");
    assert!(e.contains("count.json"), "{e}");
    // Not JSON at all.
    let d = dir.path().join("broken.json");
    std::fs::write(&d, "{\"ids\": [1,").unwrap();
    let r = server.analyze_files(&d, &config, &dir.path().join("broken"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("broken.json: not a JSON document (line 1"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_forecast_of_the_wrong_length_is_named_with_its_item() {
    // Every 5th record answered with one step instead of three: item_2's 2nd coalition.
    let server = Forecaster::with(&["--short-every", "5"]);
    let dir = tempfile::tempdir().unwrap();
    let case = repo_path("tests/fixtures/time_series/cases/columns_timewise");
    let out = dir.path().join("o");
    let r = server.analyze(&case, &out);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.contains(
            "item \"item_2\": the endpoint's forecasts have different lengths (2 and 1 steps)"
        ),
        "{}",
        r.stderr
    );
    assert!(!out.join("analysis.json").exists());
}

#[test]
fn an_unreachable_endpoint_is_transient_and_a_refused_one_permanent() {
    let dir = tempfile::tempdir().unwrap();
    let case = repo_path("tests/fixtures/time_series/cases/columns_timewise");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let r = driftwatch_env(
        &[
            "analyze",
            "--dataset",
            case.join("dataset.json").to_str().unwrap(),
            "--analysis-config",
            case.join("analysis_config.json").to_str().unwrap(),
            "--output",
            dir.path().join("o").to_str().unwrap(),
        ],
        &[
            ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("InvokeEndpoint forecaster (request 1, 7 forecasting records)"),
        "{}",
        r.stderr
    );
    assert!(!dir.path().join("o").join("analysis.json").exists());
    // A server that answers another endpoint refuses this one.
    let server = Forecaster::start();
    let mut cfg: Value =
        serde_json::from_slice(&std::fs::read(case.join("analysis_config.json")).unwrap()).unwrap();
    cfg["predictor"]["endpoint_name"] = Value::from("elsewhere");
    let c = dir.path().join("elsewhere.json");
    std::fs::write(&c, cfg.to_string()).unwrap();
    let r = server.analyze_files(&case.join("dataset.json"), &c, &dir.path().join("e"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("Endpoint elsewhere not found"),
        "{}",
        r.stderr
    );
}

//! Every configuration the SageMaker Python SDK v2 writes (tests/fixtures/sdk, made by the SDK's
//! own classes with make_sdk_configs.py) runs unchanged: the processing-job analysis configs
//! through `analyze` (through a real model server and in-process, which must agree), the model
//! monitors' configs and the SDK's schedule expressions through `validate`, `plan` and `run`.
//! Partial dependence equals scikit-learn's (golden files from tests/golden/make_pdp_golden.py).

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

const SDK: &str = "tests/fixtures/sdk";
const MODEL: &str = "demo/model/census-xgb.json";

fn read(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn processing_configs() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> =
        std::fs::read_dir(common::repo_path(&format!("{SDK}/processing")))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
            .collect();
    out.sort();
    assert!(out.len() >= 10, "{out:?}");
    out
}

fn dataset_for(name: &str) -> PathBuf {
    common::repo_path(if name.contains("jsonlines") {
        "tests/fixtures/sdk/census.jsonl"
    } else if name == "clarify_check_data_bias" {
        "tests/fixtures/sdk_clarify_check/dataset.csv"
    } else if name == "bias_side_datasets" {
        "tests/fixtures/sdk/census_no_sex.csv"
    } else if name.starts_with("talk_") {
        // The reference talk's CSV: the header on line 1, the label first.
        "tests/fixtures/sdk/census_label_first.csv"
    } else {
        "tests/fixtures/sdk/census.csv"
    })
}

/// The endpoint the model server answers for a config whose predictor names a model.
const SHADOW: &str = "census-shadow";

/// The config as the SDK wrote it, in a temporary directory; with `in_process`, the same
/// config naming the model file instead (driftwatch's extension block).
fn config_copy(dir: &Path, name: &str, path: &Path, in_process: bool) -> PathBuf {
    let mut cfg = read(path);
    if in_process {
        cfg["driftwatch"] = serde_json::json!({"model": common::repo_path(MODEL)});
    }
    let out = dir.join(format!(
        "{name}.{}.json",
        if in_process { "model" } else { "endpoint" }
    ));
    std::fs::write(&out, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    out
}

fn analyze(dataset: &Path, config: &Path, out: &Path, env: &[(&str, &str)]) -> common::Run {
    analyze_with(dataset, config, out, env, &[])
}

use common::analyze_with;

/// What `analyze` needs besides the config: `--shadow-endpoint` for a predictor given by
/// `model_name`, local copies of the config's side datasets.
fn extra_args(config: &Path) -> Vec<String> {
    let cfg = read(config);
    let mut out = Vec::new();
    if cfg["predictor"]["model_name"].is_string() {
        out.extend(["--shadow-endpoint".to_string(), SHADOW.to_string()]);
    }
    for (key, flag) in [
        ("facet_dataset_uri", "--facet-dataset"),
        ("predicted_label_dataset_uri", "--predicted-label-dataset"),
    ] {
        if let Some(uri) = cfg[key].as_str() {
            let file = uri.rsplit('/').next().unwrap();
            out.extend([
                flag.to_string(),
                common::repo_path(&format!("{SDK}/{file}"))
                    .display()
                    .to_string(),
            ]);
        }
    }
    out
}

/// The analysis without driftwatch's own block (which names the model and the warnings).
fn sagemaker_part(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("driftwatch");
    v
}

#[test]
fn every_sdk_processing_config_runs_through_an_endpoint_and_in_process_alike() {
    let server = common::ModelServer::start(&common::repo_path(MODEL));
    let env = server.env();
    let tmp = tempfile::tempdir().unwrap();
    for (name, path) in processing_configs() {
        let dataset = dataset_for(&name);
        let mut analyses = Vec::new();
        for in_process in [false, true] {
            let config = config_copy(tmp.path(), &name, &path, in_process);
            let out = tmp.path().join(format!("{name}-{in_process}"));
            let extra = extra_args(&config);
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let r = analyze_with(&dataset, &config, &out, &env, &extra);
            assert_eq!(r.code, 0, "{name} (in-process {in_process}): {}", r.stderr);
            let analysis = read(&out.join("analysis.json"));
            let explains =
                path.to_string_lossy().contains("shap") || path.to_string_lossy().contains("pdp");
            if explains || name.contains("explainability") {
                assert!(analysis["explanations"].is_object(), "{name}: {analysis}");
            }
            // The SDK always adds methods.report: the report is written, with its title.
            let report = std::fs::read_to_string(out.join("report.html"))
                .unwrap_or_else(|e| panic!("{name}: report.html: {e}"));
            assert!(report.contains("<title>Analysis Report</title>"), "{name}");
            analyses.push(sagemaker_part(analysis));
        }
        assert_eq!(
            analyses[0], analyses[1],
            "{name}: endpoint and in-process differ"
        );
    }
}

#[test]
fn shap_through_an_endpoint_works_with_the_label_column_in_the_dataset() {
    // Regression: the SDK's standard explainability config (headers with the label last, an
    // excluded column, an endpoint, an in-place baseline) sent rows as wide as the headers.
    let server = common::ModelServer::start(&common::repo_path(MODEL));
    let tmp = tempfile::tempdir().unwrap();
    let path = common::repo_path(&format!("{SDK}/processing/shap_endpoint.json"));
    let cfg = read(&path);
    assert_eq!(
        cfg["headers"].as_array().unwrap().last().unwrap(),
        "prediction"
    );
    assert_eq!(cfg["label"], "PTOTVAL_Over50000");
    let out = tmp.path().join("out");
    let r = analyze(&dataset_for("shap_endpoint"), &path, &out, &server.env());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let global = &read(&out.join("analysis.json"))["explanations"]["kernel_shap"]["label0"]["global_shap_values"];
    let features: Vec<&String> = global.as_object().unwrap().keys().collect();
    assert_eq!(features.len(), 13, "{features:?}");
    assert!(
        !features
            .iter()
            .any(|f| *f == "id" || *f == "PTOTVAL_Over50000")
    );
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9
}

/// driftwatch's `explanations.pdp` against scikit-learn's partial dependence on the same grid.
fn assert_pdp_matches(analysis: &Value, expected: &Value) {
    let got = analysis["explanations"]["pdp"].as_array().unwrap();
    let want = expected["pdp"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["feature_name"], w["feature_name"]);
        assert_eq!(g["data_type"], w["data_type"], "{}", w["feature_name"]);
        for key in ["feature_values", "data_distribution"] {
            let (a, b) = (g[key].as_array().unwrap(), w[key].as_array().unwrap());
            assert_eq!(a.len(), b.len(), "{key}");
            for (x, y) in a.iter().zip(b) {
                assert!(
                    close(x.as_f64().unwrap(), y.as_f64().unwrap()),
                    "{key}: {x} vs {y}"
                );
            }
        }
        let (a, b) = (&g["model_predictions"][0], &w["model_predictions"][0]);
        for (x, y) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
            assert!(
                close(x.as_f64().unwrap(), y.as_f64().unwrap()),
                "{}: {x} vs {y}",
                w["feature_name"]
            );
        }
    }
}

#[test]
fn partial_dependence_equals_scikit_learn() {
    let server = common::ModelServer::start(&common::repo_path(MODEL));
    let tmp = tempfile::tempdir().unwrap();
    let golden = common::repo_path("tests/fixtures/golden/pdp");
    for (model, via_endpoint) in [("xgb", false), ("logistic", false), ("xgb", true)] {
        let mut cfg = read(&golden.join(format!("{model}.config.json")));
        if via_endpoint {
            cfg.as_object_mut().unwrap().remove("driftwatch");
        } else {
            let file = cfg["driftwatch"]["model"].as_str().unwrap().to_string();
            cfg["driftwatch"]["model"] = Value::from(golden.join(file).to_str().unwrap());
        }
        let config = tmp.path().join(format!("{model}-{via_endpoint}.json"));
        std::fs::write(&config, cfg.to_string()).unwrap();
        let out = tmp.path().join(format!("out-{model}-{via_endpoint}"));
        let r = analyze(&dataset_for(model), &config, &out, &server.env());
        assert_eq!(r.code, 0, "{model}: {}", r.stderr);
        assert_pdp_matches(
            &read(&out.join("analysis.json")),
            &read(&golden.join(format!("{model}.expected.json"))),
        );
    }
}

#[test]
fn a_header_row_in_a_csv_with_headers_in_the_config_is_not_data() {
    // Regression: 600 records with a header row and `headers` in the config were analysed as
    // 601 (CI 0.06 became 0.0616, silently).
    let tmp = tempfile::tempdir().unwrap();
    let mut body = String::new();
    for i in 0..600 {
        // 318 of sex 2, 282 of sex 1 (the facet): CI = (318 - 282) / 600 = 0.06.
        let sex = if i < 318 { 2 } else { 1 };
        body.push_str(&format!("{},{sex},{}\n", 20 + i % 40, i % 3 % 2));
    }
    let config = tmp.path().join("c.json");
    std::fs::write(
        &config,
        r#"{"headers": ["age", "sex", "y"], "label": "y", "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
            "methods": {"pre_training_bias": {"methods": ["CI"]}}}"#,
    )
    .unwrap();
    let ci = |csv: &str, out: &str| {
        let data = tmp.path().join(format!("{out}.csv"));
        std::fs::write(&data, csv).unwrap();
        let r = analyze(&data, &config, &tmp.path().join(out), &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let a = read(&tmp.path().join(out).join("analysis.json"));
        (
            a["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"][0]["value"]
                .as_f64()
                .unwrap(),
            r.stderr,
        )
    };
    let (plain, _) = ci(&body, "plain");
    let (with_header, stderr) = ci(&format!("age,sex,y\n{body}"), "header");
    assert!((plain - 0.06).abs() < 1e-12, "{plain}");
    assert_eq!(plain, with_header);
    assert!(stderr.contains("read as a header row"), "{stderr}");
    // A header row that does not spell the headers is an error naming the row.
    let data = tmp.path().join("other.csv");
    std::fs::write(&data, format!("AGE,SEX,Y\n{body}")).unwrap();
    let r = analyze(&data, &config, &tmp.path().join("other"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("other.csv: malformed row 1"),
        "{}",
        r.stderr
    );
    assert!(!tmp.path().join("other/analysis.json").exists());
}

#[test]
fn gzip_datasets_are_read_as_sagemaker_compresses_them() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let csv = std::fs::read(dataset_for("csv")).unwrap();
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&csv).unwrap();
    let gz = tmp.path().join("census.csv.gz");
    std::fs::write(&gz, z.finish().unwrap()).unwrap();
    let config = common::repo_path(&format!("{SDK}/processing/bias_pre_two_facets.json"));
    let plain = analyze(&dataset_for("csv"), &config, &tmp.path().join("plain"), &[]);
    let zipped = analyze(&gz, &config, &tmp.path().join("zipped"), &[]);
    assert_eq!((plain.code, zipped.code), (0, 0), "{}", zipped.stderr);
    assert_eq!(
        sagemaker_part(read(&tmp.path().join("plain/analysis.json"))),
        sagemaker_part(read(&tmp.path().join("zipped/analysis.json")))
    );
}

/// The demo's census traffic (8 hours ending at 2024-01-20T00:00Z) in a temporary directory.
fn demo_traffic(dir: &Path) {
    let r = common::driftwatch(&[
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--hours",
        "8",
        "--end",
        "2024-01-20T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

fn expressions() -> Value {
    read(&common::repo_path(&format!(
        "{SDK}/schedule_expressions.json"
    )))
}

/// A schedules file over the demo's data with the SDK's monitor configs and expressions.
fn sdk_schedules(dir: &Path) -> PathBuf {
    for name in [
        "bias_monitor",
        "bias_monitor_indices",
        "explainability_monitor",
        "explainability_monitor_label_headers",
        "explainability_monitor_model_name",
    ] {
        std::fs::copy(
            common::repo_path(&format!("{SDK}/monitor/{name}.json")),
            dir.join(format!("{name}.json")),
        )
        .unwrap();
    }
    let e = expressions();
    let yaml = format!(
        r#"defaults:
  endpoint: census-xgb
  data_capture: capture
  output: sdk-output
schedules:
  - name: sdk-bias
    type: model_bias
    cadence: "{hourly}"
    ground_truth: ground-truth
    analysis_config: bias_monitor.json
    probability_threshold_attribute: 0.5
  - name: sdk-bias-indices
    type: model_bias
    cadence: "{hourly}"
    ground_truth: ground-truth
    analysis_config: bias_monitor_indices.json
    probability_threshold_attribute: 0.5
  - name: sdk-bias-daily
    type: model_bias
    cadence: "{daily}"
    ground_truth: ground-truth
    analysis_config: bias_monitor.json
  - name: sdk-bias-daily-5
    type: model_bias
    cadence: "{daily_at_5}"
    ground_truth: ground-truth
    analysis_config: bias_monitor.json
  - name: sdk-shap
    type: model_explainability
    cadence: "{every_6}"
    start_time_offset: -PT4H
    analysis_config: explainability_monitor.json
  - name: sdk-shap-labels
    type: model_explainability
    cadence: "{every_6}"
    start_time_offset: -PT4H
    analysis_config: explainability_monitor_label_headers.json
  - name: sdk-shap-model-name
    type: model_explainability
    cadence: "{every_6}"
    start_time_offset: -PT4H
    analysis_config: explainability_monitor_model_name.json
    shadow_endpoint: census-shadow
  - name: sdk-once
    type: model_bias
    cadence: "{now}"
    data_analysis_start_time: -PT1H
    data_analysis_end_time: -PT0H
    ground_truth: ground-truth
    analysis_config: bias_monitor.json
"#,
        hourly = e["hourly"].as_str().unwrap(),
        daily = e["daily"].as_str().unwrap(),
        daily_at_5 = e["daily_at_5"].as_str().unwrap(),
        every_6 = e["every_6_hours_from_2"].as_str().unwrap(),
        now = e["now"].as_str().unwrap(),
    );
    let path = dir.join("sdk.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn run(config: &Path, schedule: &str, at: &str, env: &[(&str, &str)]) -> Value {
    let r = common::driftwatch_env(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            schedule,
            "--at",
            at,
        ],
        env,
    );
    assert_eq!(r.code, 0, "{schedule}: {}\n{}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn metrics(analysis: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        for entries in analysis[stage]["facets"].as_object().unwrap().values() {
            for e in entries.as_array().unwrap() {
                for m in e["metrics"].as_array().unwrap() {
                    out.push((format!("{stage}/{}", m["name"]), m["value"].clone()));
                }
            }
        }
    }
    out
}

#[test]
fn sdk_monitor_configs_and_schedule_expressions_validate_plan_and_run() {
    let tmp = tempfile::tempdir().unwrap();
    demo_traffic(tmp.path());
    let config = sdk_schedules(tmp.path());
    let v = common::driftwatch(&["validate", "--config", config.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("valid, 8 schedules"), "{}", v.stdout);

    // plan: the SDK's expressions fire where SageMaker's would; NOW shows once, now.
    let p = common::driftwatch(&[
        "plan",
        "--config",
        config.to_str().unwrap(),
        "--from",
        "2024-01-19T00:00:00Z",
        "--to",
        "2024-01-20T00:00:00Z",
    ]);
    assert_eq!(p.code, 0, "{}", p.stderr);
    let times = |schedule: &str| -> Vec<String> {
        p.stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["schedule"] == schedule)
            .map(|v| v["scheduled_time"].as_str().unwrap()[11..16].to_string())
            .collect()
    };
    assert_eq!(times("sdk-bias").len(), 24);
    assert_eq!(times("sdk-bias-daily"), ["00:00"]);
    assert_eq!(times("sdk-bias-daily-5"), ["05:00"]);
    assert_eq!(times("sdk-shap"), ["02:00", "08:00", "14:00", "20:00"]);
    assert!(times("sdk-once").is_empty(), "NOW is not in a past range");

    // run: the monitor configs as the SDK wrote them.
    let with_headers = run(&config, "sdk-bias", "2024-01-19T23:00:00Z", &[]);
    let by_index = run(&config, "sdk-bias-indices", "2024-01-19T23:00:00Z", &[]);
    assert_eq!(with_headers["status"], by_index["status"]);
    let a = read(Path::new(
        with_headers["outputs"]["analysis"].as_str().unwrap(),
    ));
    let b = read(Path::new(by_index["outputs"]["analysis"].as_str().unwrap()));
    // Without headers the columns are named as Clarify names them; the numbers are the same.
    assert_eq!(b["pre_training_bias_metrics"]["label"], "column_13");
    assert!(
        b["pre_training_bias_metrics"]["facets"]["column_5"].is_array(),
        "{b}"
    );
    assert_eq!(metrics(&a), metrics(&b));
    assert_eq!(metrics(&a).len(), 21);

    // The SDK's explainability configs name the shadow endpoint, or a model that the
    // schedule's shadow_endpoint serves; the production endpoint (census-xgb) is not served.
    let server = common::ModelServer::serving(&common::repo_path(MODEL), &[SHADOW]);
    let env = server.env();
    for (schedule, label) in [
        ("sdk-shap", "label0"),
        ("sdk-shap-labels", "over_50k"),
        ("sdk-shap-model-name", "label0"),
    ] {
        let rec = run(&config, schedule, "2024-01-19T20:00:00Z", &env);
        let a = read(Path::new(rec["outputs"]["analysis"].as_str().unwrap()));
        let global = a["explanations"]["kernel_shap"][label]["global_shap_values"]
            .as_object()
            .unwrap_or_else(|| panic!("{schedule}: {a}"));
        assert_eq!(global.len(), 13);
        assert!(rec["counts"]["endpoint_requests"].as_u64().unwrap() > 0);
    }
    // A one-time schedule runs at any whole minute it is given.
    let once = run(&config, "sdk-once", "2024-01-19T22:30:00Z", &[]);
    assert_eq!(once["window_start"], "2024-01-19T21:30:00Z");
    assert_eq!(once["window_end"], "2024-01-19T22:30:00Z");
}

#[test]
fn the_reference_talks_model_name_configs_run_through_a_shadow_endpoint_only() {
    // The server answers the shadow endpoint only: a request for any other name (the
    // production endpoint) would fail the analysis.
    let server = common::ModelServer::serving(&common::repo_path(MODEL), &[SHADOW]);
    let env = server.env();
    let tmp = tempfile::tempdir().unwrap();
    let dataset = dataset_for("talk_");
    for name in ["talk_bias_model_name", "talk_shap_model_name"] {
        let config = common::repo_path(&format!("{SDK}/processing/{name}.json"));
        assert!(read(&config)["predictor"].get("endpoint_name").is_none());

        // Without a shadow endpoint: one error naming both ways to give it, nothing written.
        let out = tmp.path().join(format!("{name}-none"));
        let r = analyze(&dataset, &config, &out, &env);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        for needle in [
            "predictor.model_name \"xgb-census-2026-12-07\"",
            "--shadow-endpoint",
            "shadow_endpoint",
        ] {
            assert!(r.stderr.contains(needle), "{name}: {needle}: {}", r.stderr);
        }
        assert!(!out.join("analysis.json").exists());

        let out = tmp.path().join(name);
        let r = analyze_with(
            &dataset,
            &config,
            &out,
            &env,
            &["--shadow-endpoint", SHADOW],
        );
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let a = read(&out.join("analysis.json"));
        if name == "talk_bias_model_name" {
            // A facet without values: one entry per value, each against the rest; the
            // model's scores binarized at 0.7.
            let facets = &a["post_training_bias_metrics"]["facets"]["A_SEX"];
            let values: Vec<&str> = facets
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["value_or_threshold"].as_str().unwrap())
                .collect();
            assert_eq!(values, ["1", "2"], "{a}");
            assert_eq!(a["pre_training_bias_metrics"]["label"], "PTOTVAL_Over50000");
        } else {
            assert!(
                a["explanations"]["kernel_shap"]["label0"]["global_shap_values"]["A_AGE"]
                    .is_number(),
                "{a}"
            );
            // save_local_shap_values: a CSV dataset's local values, a header and a row each.
            let local = std::fs::read_to_string(out.join("explanations_shap/out.csv")).unwrap();
            assert_eq!(local.lines().count(), 301);
        }
    }

    // A bad name is refused by the flag itself.
    let r = analyze_with(
        &dataset,
        &common::repo_path(&format!("{SDK}/processing/talk_shap_model_name.json")),
        &tmp.path().join("bad"),
        &env,
        &["--shadow-endpoint", "not_a_name"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--shadow-endpoint: may contain only letters"),
        "{}",
        r.stderr
    );
}

#[test]
fn features_to_explain_are_the_exact_shapley_values_of_their_game_through_a_real_endpoint() {
    // The SDK's SHAPConfig(features_to_explain=["A_AGE", 2, "WKSWORK"]): names, and an index
    // among the model's features (2 is A_HGA). The other features are absent (at the
    // baseline) in every coalition; with 3 players every coalition is enumerated, so the
    // values are exact — checked against an enumeration of the same game scored by the
    // same HTTP model server.
    let server = common::ModelServer::serving(&common::repo_path(MODEL), &[SHADOW]);
    let env = server.env();
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_path(&format!("{SDK}/processing/shap_features_to_explain.json"));
    let out = tmp.path().join("out");
    let r = analyze(&dataset_for("csv"), &config, &out, &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = read(&out.join("analysis.json"));
    let global = a["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
        .as_object()
        .unwrap();
    assert_eq!(
        global.keys().collect::<Vec<_>>(),
        ["A_AGE", "A_HGA", "WKSWORK"],
        "{a}"
    );
    let local = std::fs::read_to_string(out.join("explanations_shap/out.csv")).unwrap();
    let mut lines = local.lines();
    assert_eq!(
        lines.next(),
        Some("A_AGE_label0,A_HGA_label0,WKSWORK_label0")
    );
    let got: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();

    // The oracle: v(S) = f(x_S, baseline elsewhere) for every S of the three players.
    let cfg = read(&config);
    let baseline: Vec<f64> = cfg["methods"]["shap"]["baseline"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let players = [0usize, 2, 12];
    let data = std::fs::read_to_string(dataset_for("csv")).unwrap();
    let records: Vec<Vec<f64>> = data
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<f64> = l.split(',').map(|v| v.parse().unwrap()).collect();
            c[1..14].to_vec()
        })
        .collect();
    let mut body = String::new();
    for x in &records {
        for s in 0..8usize {
            let row: Vec<String> = (0..13)
                .map(|j| match players.iter().position(|p| *p == j) {
                    Some(k) if s >> k & 1 == 1 => x[j].to_string(),
                    _ => baseline[j].to_string(),
                })
                .collect();
            body.push_str(&row.join(","));
            body.push('\n');
        }
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scores: Vec<f64> = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/endpoints/{SHADOW}/invocations", server.url))
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .lines()
            .map(|v| v.trim().parse().unwrap())
            .collect()
    });
    assert_eq!(scores.len(), records.len() * 8);
    let weight = |size: u32| match size {
        0 | 2 => 1.0 / 3.0,
        _ => 1.0 / 6.0,
    };
    for (i, v) in scores.chunks(8).enumerate() {
        for k in 0..3 {
            let exact: f64 = (0..8usize)
                .filter(|s| s >> k & 1 == 0)
                .map(|s| weight(s.count_ones()) * (v[s | 1 << k] - v[s]))
                .sum();
            assert!(
                (got[i][k] - exact).abs() <= 1e-9,
                "record {i}, player {k}: {} vs {exact}",
                got[i][k]
            );
        }
    }

    // A name that is not a feature, and an index past them, name the key.
    for (bad, needle) in [
        (
            serde_json::json!(["A_AGE", "nope"]),
            "methods.shap.features_to_explain[1]: \"nope\" is not a feature",
        ),
        (
            serde_json::json!([13]),
            "methods.shap.features_to_explain[0]: index 13 is beyond the 13 features",
        ),
        (
            serde_json::json!([]),
            "methods.shap.features_to_explain: must name at least one feature",
        ),
        (
            serde_json::json!(["A_AGE", 0, "A_AGE"]),
            "methods.shap.features_to_explain[2]: names the same feature as features_to_explain[0]",
        ),
    ] {
        let mut c = cfg.clone();
        c["methods"]["shap"]["features_to_explain"] = bad;
        let p = tmp.path().join("bad.json");
        std::fs::write(&p, c.to_string()).unwrap();
        let o = tmp.path().join("bad");
        let r = analyze(&dataset_for("csv"), &p, &o, &env);
        assert_eq!(r.code, 2, "{needle}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
        assert!(!o.join("analysis.json").exists());
    }
}

#[test]
fn facet_and_predicted_label_datasets_are_joined_as_clarify_joins_them() {
    // The SDK's DataConfig(joinsource="id", facet_dataset_uri=…, facet_headers=…,
    // predicted_label_dataset_uri=…, predicted_label_headers=…): the facet file shuffled, ten
    // ids short and without a header row, the predictions shuffled with one. smclarify on
    // the three files merged by pandas (tests/golden/make_clarify_golden.py) is the answer.
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_path(&format!("{SDK}/processing/bias_side_datasets.json"));
    let data = common::repo_path(&format!("{SDK}/census_no_sex.csv"));
    let facets = common::repo_path(&format!("{SDK}/census_sex.csv"));
    let preds = common::repo_path(&format!("{SDK}/census_predictions.csv"));
    let out = tmp.path().join("out");
    let r = analyze_with(
        &data,
        &config,
        &out,
        &[],
        &[
            "--facet-dataset",
            facets.to_str().unwrap(),
            "--predicted-label-dataset",
            preds.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("10 of the dataset's 300 rows have no row with the same \"id\""),
        "{}",
        r.stderr
    );
    let actual = read(&out.join("analysis.json"));
    let expected = read(&common::repo_path(
        "tests/fixtures/golden/side_datasets.expected.json",
    ));
    common::golden::assert_same_analysis("side datasets", &actual, &expected);

    // The config's S3 URIs without the flags: the flag to give is named, nothing written.
    let o = tmp.path().join("no-flags");
    let r = analyze(&data, &config, &o, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("facet_dataset_uri s3://sdk-fixtures/input/facets/census_sex.csv: analyze reads local files; give a copy with --facet-dataset FILE"),
        "{}",
        r.stderr
    );
    assert!(!o.join("analysis.json").exists());

    // Paths relative to the config work as they are; a bad file is named.
    let dir = tmp.path().join("local");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cfg = read(&config);
    cfg["facet_dataset_uri"] = Value::from("sex.csv");
    cfg["predicted_label_dataset_uri"] = Value::from("preds.csv");
    std::fs::write(dir.join("c.json"), cfg.to_string()).unwrap();
    std::fs::copy(&facets, dir.join("sex.csv")).unwrap();
    std::fs::copy(&preds, dir.join("preds.csv")).unwrap();
    let r = analyze(&data, &dir.join("c.json"), &dir.join("out"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        sagemaker_part(read(&dir.join("out/analysis.json"))),
        sagemaker_part(actual)
    );
    let dup = std::fs::read_to_string(&facets).unwrap();
    let first = dup.lines().next().unwrap().to_string();
    std::fs::write(dir.join("sex.csv"), format!("{dup}{first}\n")).unwrap();
    let r = analyze(&data, &dir.join("c.json"), &dir.join("dup"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("sex.csv: facet_dataset_uri: joinsource value")
            && r.stderr.contains("each identifier may name one row"),
        "{}",
        r.stderr
    );

    // Without joinsource the files pair up in order, so the counts must agree.
    // (A column of both files is refused: it would be two columns of one name.)
    cfg.as_object_mut()
        .unwrap()
        .remove("joinsource_name_or_index");
    std::fs::write(dir.join("c.json"), cfg.to_string()).unwrap();
    std::fs::copy(&facets, dir.join("sex.csv")).unwrap();
    let r = analyze(&data, &dir.join("c.json"), &dir.join("clash"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("column \"id\" is also a column of the dataset"),
        "{}",
        r.stderr
    );
    cfg["facet_headers"] = serde_json::json!(["A_SEX"]);
    std::fs::write(dir.join("c.json"), cfg.to_string()).unwrap();
    let sex_only: String = std::fs::read_to_string(&facets)
        .unwrap()
        .lines()
        .map(|l| format!("{}\n", l.split(',').nth(1).unwrap()))
        .collect();
    std::fs::write(dir.join("sex.csv"), sex_only).unwrap();
    std::fs::write(dir.join("preds.csv"), "prediction\n1\n").unwrap();
    let r = analyze(&data, &dir.join("c.json"), &dir.join("order"), &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("sex.csv: facet_dataset_uri: has 290 rows and the dataset"),
        "{}",
        r.stderr
    );
}

#[test]
fn segments_get_smclarifys_metrics_on_their_own_rows() {
    // The SDK's SegmentationConfig: intervals of a continuous column (two in one segment),
    // values of another with display aliases, and each __default__ segment.
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_path(&format!("{SDK}/processing/bias_segments.json"));
    let out = tmp.path().join("out");
    let r = analyze(&dataset_for("csv"), &config, &out, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = read(&out.join("analysis.json"));
    let got = a["driftwatch"]["segments"].as_array().unwrap();
    let want = read(&common::repo_path(
        "tests/fixtures/golden/segments.expected.json",
    ));
    let want = want.as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, w) in got.iter().zip(want) {
        let what = format!("{} = {}", w["column"], w["segment"]);
        for key in ["column", "segment", "records"] {
            assert_eq!(g[key], w[key], "{what}: {key}");
        }
        assert_eq!(g.get("config_name"), w.get("config_name"), "{what}");
        common::golden::assert_same_analysis(&what, g, w);
    }
    // The whole dataset's metrics are where SageMaker puts them, unchanged.
    assert!(a["pre_training_bias_metrics"]["facets"]["A_SEX"].is_array());
    // The report shows each segment.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("Bias metrics per segment"),
        "no segment table"
    );
    assert!(report.contains("<td>college</td>") && report.contains("<td>__default__</td>"));

    // Bad entries name the key.
    for (at, key, bad, needle) in [
        (
            1,
            "display_aliases",
            serde_json::json!(["one"]),
            "segment_config[1].display_aliases: has 1 names for 2 segments",
        ),
        (
            0,
            "name_or_index",
            Value::from("AGE"),
            "segment_config[0].name_or_index: \"AGE\" is not one of the headers",
        ),
        (
            0,
            "segments",
            serde_json::json!([["[18, 30]", "x"]]),
            "segment_config[0].segments: mixes intervals and values",
        ),
    ] {
        let mut cfg = read(&config);
        cfg["segment_config"][at][key] = bad;
        let p = tmp.path().join("bad.json");
        std::fs::write(&p, cfg.to_string()).unwrap();
        let r = analyze(&dataset_for("csv"), &p, &tmp.path().join("bad"), &[]);
        assert_eq!(r.code, 2, "{needle}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
}

#[test]
fn the_sdks_own_integration_capture_gives_smclarifys_numbers() {
    // Laid out as tests/integ/test_clarify_model_monitor.py uploads them: the same capture
    // and ground truth in the previous and the current hour, `inferenceTime` set to the
    // upload time with microseconds and no zone ("%Y-%m-%dT%H:%M:%S.%f"); the SDK's
    // BiasAnalysisConfig; probability_threshold_attribute 0.5005; an hourly window.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let fill = |file: &str, time: &str| -> String {
        std::fs::read_to_string(common::repo_path(&format!(
            "tests/fixtures/sdk_monitor/{file}"
        )))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v["eventMetadata"]["inferenceTime"] = Value::from(time);
            v.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
    };
    for (hour, time) in [
        ("11", "2024-01-19T11:42:17.123456"),
        ("12", "2024-01-19T12:02:17.654321"),
    ] {
        let cap = root.join(format!("capture/ep/AllTraffic/2024/01/19/{hour}"));
        let gt = root.join(format!("actuals/2024/01/19/{hour}"));
        std::fs::create_dir_all(&cap).unwrap();
        std::fs::create_dir_all(&gt).unwrap();
        std::fs::write(cap.join("capture_data.jsonl"), fill("capture.jsonl", time)).unwrap();
        std::fs::write(gt.join("actuals_data.jsonl"), fill("actuals.jsonl", time)).unwrap();
    }
    std::fs::copy(
        common::repo_path(&format!("{SDK}/monitor/bias_monitor_sdk_integ.json")),
        root.join("analysis.json"),
    )
    .unwrap();
    std::fs::write(
        root.join("s.yaml"),
        "schedules:\n  - name: integ\n    type: model_bias\n    endpoint: ep\n    cadence: \"cron(0 * ? * * *)\"\n    \
         data_capture: capture\n    ground_truth: actuals\n    output: out\n    analysis_config: analysis.json\n    \
         start_time_offset: -PT1H\n    probability_threshold_attribute: 0.5005\n",
    )
    .unwrap();
    let rec = run(&root.join("s.yaml"), "integ", "2024-01-19T12:00:00Z", &[]);
    assert_eq!(rec["counts"]["records_merged"], 44, "{rec}");
    let a = read(Path::new(rec["outputs"]["analysis"].as_str().unwrap()));
    let expected = read(&common::repo_path(
        "tests/fixtures/golden/sdk_integ_capture.expected.json",
    ));
    common::golden::assert_same_analysis("the SDK's integration capture", &a, &expected);
}

#[test]
fn the_clarify_containers_own_analysis_of_the_sdks_check_step_data_is_reproduced() {
    // SageMaker's own output, not smclarify's: the SDK's ClarifyCheckStep test data and the
    // analysis.json the Clarify container wrote for it (a continuous facet over 0.5, a
    // continuous group variable, every pre-training metric).
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::repo_path("tests/fixtures/sdk_clarify_check");
    let config = common::repo_path(&format!("{SDK}/processing/clarify_check_data_bias.json"));
    let out = tmp.path().join("out");
    let r = analyze(&dir.join("dataset.csv"), &config, &out, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = read(&out.join("analysis.json"));
    common::golden::assert_same_analysis(
        "the container's analysis.json",
        &a,
        &read(&dir.join("good_analysis.json")),
    );
    // As the check step judges: the good baseline passes, the bad one (KS lowered) violates.
    for (baseline, violations) in [("good_analysis.json", 0), ("bad_analysis.json", 1)] {
        let o = tmp.path().join(baseline);
        let b = dir.join(baseline);
        let r = analyze_with(
            &dir.join("dataset.csv"),
            &config,
            &o,
            &[],
            &["--baseline", b.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let file = o.join("constraint_violations.json");
        match violations {
            0 => assert!(!file.exists(), "{baseline}"),
            _ => {
                let v = read(&file);
                let list = v["violations"].as_array().unwrap();
                assert_eq!(list.len(), violations, "{v}");
                assert_eq!(list[0]["metric_name"], "KS", "{v}");
            }
        }
    }
}

//! `driftwatch run` for a `model_explainability` schedule with an in-process model: the
//! window's captured rows explained with Kernel SHAP; the numbers equal the shared fixture
//! (shap 0.49.1 / exact Shapley values); nDCG drift checks; metrics in the local sink.

mod common;

use common::driftwatch;
use serde_json::{Value, json};

const T: &str = "2024-01-19T10:00:00Z";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(common::repo_path(&format!("tests/fixtures/shap/{name}"))).unwrap()
}

fn rows(name: &str) -> Vec<String> {
    fixture(name)
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Lays out the fixture's rows as hourly CSV captures and writes the config files.
fn setup(baseline: Option<&Value>) -> (tempfile::TempDir, std::path::PathBuf) {
    setup_with(baseline, json!({"model": "model.json"}), None)
}

fn setup_with(
    baseline: Option<&Value>,
    extension: Value,
    predictor: Option<Value>,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let mut lines = Vec::new();
    for (i, row) in rows("xgb_rows.csv").iter().enumerate() {
        lines.push(json!({
            "captureData": {
                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": format!("{row}\n"), "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5", "encoding": "CSV"}
            },
            "eventMetadata": {"eventId": format!("e{i}"), "inferenceTime": format!("2024-01-19T09:{:02}:00Z", 10 + i)},
            "eventVersion": "0"
        }).to_string());
    }
    let cap = dir.join("capture/xgb-ep/AllTraffic/2024/01/19/09");
    std::fs::create_dir_all(&cap).unwrap();
    std::fs::write(cap.join("10-00-000-a.jsonl"), lines.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("model.json"), fixture("xgb_model.json")).unwrap();
    let baseline_rows: Vec<Vec<f64>> = rows("xgb_baseline.csv")
        .iter()
        .map(|r| r.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    let mut cfg = json!({
        "version": "1.0",
        "headers": ["f0", "f1", "f2", "f3", "f4", "f5"],
        "methods": {"shap": {"baseline": baseline_rows, "agg_method": "mean_abs", "use_logit": false, "save_local_shap_values": true, "seed": 1}},
        "driftwatch": extension
    });
    if let Some(p) = predictor {
        cfg["predictor"] = p;
    }
    std::fs::write(dir.join("explain.json"), cfg.to_string()).unwrap();
    let baseline_line = match baseline {
        Some(b) => {
            std::fs::write(dir.join("baseline.json"), b.to_string()).unwrap();
            "    baseline_constraints: baseline.json\n"
        }
        None => "",
    };
    let yaml = format!(
        "schedules:\n  - name: xgb-shap\n    type: model_explainability\n    endpoint: xgb-ep\n    cadence: hourly\n    data_capture: capture\n    output: output\n    analysis_config: explain.json\n{baseline_line}"
    );
    let config = dir.join("schedules.yaml");
    std::fs::write(&config, yaml).unwrap();
    (root, config)
}

fn run(config: &std::path::Path) -> (i32, Value) {
    let r = driftwatch(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--schedule",
        "xgb-shap",
        "--at",
        T,
    ]);
    let record: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r.code, record)
}

const OUT: &str = "output/xgb-ep/xgb-shap/2024/01/19/10";

#[test]
fn explains_the_window_with_shaps_numbers() {
    let (root, config) = setup(None);
    let (code, record) = run(&config);
    assert_eq!(code, 0, "{record:#}");
    assert_eq!(record["status"], "Completed");
    assert_eq!(record["monitoring_type"], "ModelExplainability");
    assert_eq!(record["counts"]["records_merged"], 6);
    let analysis: Value = serde_json::from_str(
        &std::fs::read_to_string(root.path().join(OUT).join("analysis.json")).unwrap(),
    )
    .unwrap();
    let want: Value = serde_json::from_str(&fixture("expected_xgb_identity.json")).unwrap();
    let got = &analysis["explanations"]["kernel_shap"]["label0"];
    let exp = &want["analysis_json"]["explanations"]["kernel_shap"]["label0"];
    assert!(
        (got["expected_value"].as_f64().unwrap() - exp["expected_value"].as_f64().unwrap()).abs()
            < 1e-9
    );
    for (f, v) in exp["global_shap_values"].as_object().unwrap() {
        let g = got["global_shap_values"][f].as_f64().unwrap();
        assert!((g - v.as_f64().unwrap()).abs() < 1e-9, "{f}: {g} vs {v}");
    }
    let local =
        std::fs::read_to_string(root.path().join(OUT).join("explanations_shap/out.csv")).unwrap();
    assert!(local.starts_with("f0_label0,f1_label0,"), "{local}");
    assert_eq!(local.lines().count(), 7);
    let metrics =
        std::fs::read_to_string(root.path().join(OUT).join("cloudwatch_metrics.jsonl")).unwrap();
    let datums: Vec<Value> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let f0 = datums
        .iter()
        .find(|d| d["MetricName"] == "feature_f0")
        .expect("feature_f0");
    assert_eq!(
        f0["Namespace"],
        "aws/sagemaker/Endpoints/explainability-metrics"
    );
    assert!(datums.iter().any(|d| d["MetricName"] == "ExpectedValue"));
}

#[test]
fn attribution_drift_against_baselines() {
    // Baseline = this run's own values: nDCG 1, no violation.
    let (root, config) = setup(None);
    run(&config);
    let own: Value = serde_json::from_str(
        &std::fs::read_to_string(root.path().join(OUT).join("analysis.json")).unwrap(),
    )
    .unwrap();
    let (_r2, config) = setup(Some(&own));
    let (code, record) = run(&config);
    assert_eq!(code, 0);
    assert_eq!(record["status"], "Completed", "{record:#}");

    // A baseline ranking the features the other way round: violation with SageMaker's text.
    let mut reversed = own.clone();
    let values = reversed["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
        .as_object_mut()
        .unwrap();
    let mut pairs: Vec<(String, f64)> = values
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
        .collect();
    pairs.sort_by(|a, b| a.1.total_cmp(&b.1));
    let sorted: Vec<f64> = pairs.iter().map(|p| p.1).rev().collect();
    for ((k, _), v) in pairs.iter().zip(sorted) {
        values.insert(k.clone(), json!(v));
    }
    let (root3, config) = setup(Some(&reversed));
    let (code, record) = run(&config);
    assert_eq!(code, 0);
    assert_eq!(record["status"], "CompletedWithViolations", "{record:#}");
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(root3.path().join(OUT).join("constraint_violations.json"))
            .unwrap(),
    )
    .unwrap();
    let v = &v["violations"][0];
    assert_eq!(v["label"], "label0");
    assert_eq!(v["metric_name"], "shap");
    assert_eq!(
        v["constraint_check_type"],
        "feature_attribution_drift_check"
    );
    let d = v["description"].as_str().unwrap();
    assert!(
        d.starts_with("Feature attribution drift 0.") && d.ends_with(" exceeds threshold 0.9"),
        "{d}"
    );
}

#[test]
fn a_missing_model_fails_the_execution_naming_it() {
    let (root, config) = setup(None);
    std::fs::remove_file(root.path().join("model.json")).unwrap();
    let (code, record) = run(&config);
    assert_eq!(code, 1);
    let reason = record["failure_reason"].as_str().unwrap();
    assert!(
        reason.starts_with("driftwatch.model: cannot read") && reason.contains("model.json"),
        "{reason}"
    );
    assert!(!root.path().join(OUT).join("analysis.json").exists());
}

#[test]
fn analyze_runs_methods_shap_on_a_dataset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.json"), fixture("xgb_model.json")).unwrap();
    std::fs::write(dir.path().join("rows.csv"), fixture("xgb_rows.csv")).unwrap();
    let baseline_rows: Vec<Vec<f64>> = rows("xgb_baseline.csv")
        .iter()
        .map(|r| r.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    let cfg = json!({
        "dataset_type": "text/csv",
        "methods": {"shap": {"baseline": baseline_rows, "use_logit": true, "save_local_shap_values": false}},
        "driftwatch": {"model": "model.json"}
    });
    std::fs::write(dir.path().join("cfg.json"), cfg.to_string()).unwrap();
    let out = dir.path().join("out");
    let r = driftwatch(&[
        "analyze",
        "--dataset",
        dir.path().join("rows.csv").to_str().unwrap(),
        "--analysis-config",
        dir.path().join("cfg.json").to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let analysis: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("analysis.json")).unwrap()).unwrap();
    let want: Value = serde_json::from_str(&fixture("expected_xgb_logit.json")).unwrap();
    let exp = &want["analysis_json"]["explanations"]["kernel_shap"]["label0"];
    let got = &analysis["explanations"]["kernel_shap"]["label0"];
    assert!(
        (got["expected_value"].as_f64().unwrap() - exp["expected_value"].as_f64().unwrap()).abs()
            < 1e-9
    );
    for (f, v) in exp["global_shap_values"].as_object().unwrap() {
        let g = got["global_shap_values"][f].as_f64().unwrap();
        assert!((g - v.as_f64().unwrap()).abs() < 1e-9, "{f}: {g} vs {v}");
    }
    assert!(analysis.get("pre_training_bias_metrics").is_none());
}

fn assert_fixture_numbers(root: &std::path::Path) {
    let analysis: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(OUT).join("analysis.json")).unwrap(),
    )
    .unwrap();
    let want: Value = serde_json::from_str(&fixture("expected_xgb_identity.json")).unwrap();
    let got = &analysis["explanations"]["kernel_shap"]["label0"];
    let exp = &want["analysis_json"]["explanations"]["kernel_shap"]["label0"];
    for (f, v) in exp["global_shap_values"].as_object().unwrap() {
        let g = got["global_shap_values"][f].as_f64().unwrap();
        assert!((g - v.as_f64().unwrap()).abs() < 1e-9, "{f}: {g} vs {v}");
    }
}

#[test]
fn explains_through_a_sagemaker_endpoint_served_by_model_server() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    std::fs::write(&model, fixture("xgb_model.json")).unwrap();
    let server = common::ModelServer::start(&model);
    let url = server.url.clone();
    let env = [
        ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", url.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ];
    for predictor in [
        json!({"endpoint_name": "xgb-shadow", "content_type": "text/csv", "accept_type": "text/csv"}),
        json!({"endpoint_name": "xgb-shadow", "content_type": "application/json", "accept_type": "application/json",
               "content_template": "{\"instances\":$records}", "record_template": "{\"features\":$features}",
               "probability": "predictions[*].score"}),
        json!({"endpoint_name": "xgb-shadow", "content_type": "application/jsonlines", "accept_type": "application/jsonlines",
               "probability": "score"}),
    ] {
        let (root, config) = setup_with(None, json!({}), Some(predictor.clone()));
        let r = common::driftwatch_env(
            &[
                "run",
                "--config",
                config.to_str().unwrap(),
                "--schedule",
                "xgb-shap",
                "--at",
                T,
            ],
            &env,
        );
        let record: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
        assert_eq!(record["status"], "Completed", "{predictor}: {record:#}");
        assert!(
            record["counts"]["endpoint_requests"].as_u64().unwrap() >= 6,
            "{record:#}"
        );
        assert_fixture_numbers(root.path());
    }
    // check-access invokes the endpoint with one SHAP baseline row before any fire.
    let (_root, config) = setup_with(
        None,
        json!({}),
        Some(json!({"endpoint_name": "xgb-shadow"})),
    );
    let access = |env: &[(&str, &str)]| {
        common::driftwatch_env(&["check-access", "--config", config.to_str().unwrap()], env)
    };
    let r = access(&env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let line = r.stdout.lines().find(|l| l.contains(" endpoint ")).unwrap();
    assert!(
        line.contains(" ok ") && line.contains("answered one row"),
        "{line}"
    );
    // A stopped endpoint: check-access says it is unreachable; an execution fails with the
    // endpoint's name and nothing is written.
    drop(server);
    let r = access(&env);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let line = r.stdout.lines().find(|l| l.contains(" endpoint ")).unwrap();
    assert!(
        line.contains("FAILED unreachable: InvokeEndpoint xgb-shadow"),
        "{line}"
    );
    let (root, config) = setup_with(
        None,
        json!({}),
        Some(json!({"endpoint_name": "xgb-shadow"})),
    );
    let r = common::driftwatch_env(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            "xgb-shap",
            "--at",
            T,
        ],
        &env,
    );
    let record: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(record["status"], "Failed");
    assert!(
        record["failure_reason"]
            .as_str()
            .unwrap()
            .contains("InvokeEndpoint xgb-shadow"),
        "{record:#}"
    );
    assert!(!root.path().join(OUT).join("analysis.json").exists());
}

#[test]
fn a_shap_baseline_file_is_read_like_in_place_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.json"), fixture("xgb_model.json")).unwrap();
    std::fs::write(dir.path().join("rows.csv"), fixture("xgb_rows.csv")).unwrap();
    std::fs::write(dir.path().join("baseline.csv"), fixture("xgb_baseline.csv")).unwrap();
    let cfg = json!({
        "dataset_type": "text/csv",
        "methods": {"shap": {"baseline": "baseline.csv", "use_logit": false}},
        "driftwatch": {"model": "model.json"}
    });
    std::fs::write(dir.path().join("cfg.json"), cfg.to_string()).unwrap();
    let out = dir.path().join("out");
    let r = driftwatch(&[
        "analyze",
        "--dataset",
        dir.path().join("rows.csv").to_str().unwrap(),
        "--analysis-config",
        dir.path().join("cfg.json").to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Same layout as the run outputs, so reuse the fixture comparison.
    let target = dir.path().join(OUT);
    std::fs::create_dir_all(&target).unwrap();
    std::fs::copy(out.join("analysis.json"), target.join("analysis.json")).unwrap();
    assert_fixture_numbers(dir.path());
}

#[test]
fn a_sample_of_the_window_is_explained_when_capped_and_it_is_said() {
    let (full_root, full_config) = setup(None);
    assert_eq!(run(&full_config).0, 0);
    let full =
        std::fs::read_to_string(full_root.path().join(OUT).join("explanations_shap/out.csv"))
            .unwrap();
    let (root, config) = setup_with(
        None,
        json!({"model": "model.json", "shap_max_records": 4}),
        None,
    );
    let (code, record) = run(&config);
    assert_eq!(code, 0, "{record:#}");
    assert_eq!(
        record["counts"]["records_merged"], 6,
        "every record is read"
    );
    assert_eq!(record["counts"]["rows_analysed"], 4);
    let warnings = record["warnings"].to_string();
    assert!(
        warnings.contains("explained a seeded uniform sample of 4 of the window's 6 records"),
        "{warnings}"
    );
    let local =
        std::fs::read_to_string(root.path().join(OUT).join("explanations_shap/out.csv")).unwrap();
    assert_eq!(local.lines().count(), 5);
    // Full enumeration (6 features): each sampled record's values are its values in the full run.
    for line in local.lines().skip(1) {
        assert!(full.lines().any(|l| l == line), "{line} not in\n{full}");
    }
    // Seeded: the same window gives the same sample.
    let (again_root, again_config) = setup_with(
        None,
        json!({"model": "model.json", "shap_max_records": 4}),
        None,
    );
    assert_eq!(run(&again_config).0, 0);
    assert_eq!(
        std::fs::read_to_string(
            again_root
                .path()
                .join(OUT)
                .join("explanations_shap/out.csv")
        )
        .unwrap(),
        local
    );
}

#[test]
fn tree_shap_gives_the_exact_shapley_values_of_the_margin() {
    use driftwatch::explain::kernel_shap::{Background, Link, exact_shapley};
    use driftwatch::explain::model::InProcessModel;
    use driftwatch::explain::predictor::PredictError;

    let (root, config) = setup_with(
        None,
        json!({"model": "model.json", "shap_algorithm": "tree"}),
        None,
    );
    let (code, record) = run(&config);
    assert_eq!(code, 0, "{record:#}");
    let analysis: Value = serde_json::from_str(
        &std::fs::read_to_string(root.path().join(OUT).join("analysis.json")).unwrap(),
    )
    .unwrap();
    let got = &analysis["explanations"]["kernel_shap"]["label0"];

    // The oracle: every coalition's margin, averaged over the baseline rows, in Shapley's sum.
    let InProcessModel::Xgboost(m) =
        InProcessModel::from_json(&fixture("xgb_model.json"), "xgb_model.json").unwrap()
    else {
        panic!("an XGBoost fixture")
    };
    let parse = |name: &str| -> Vec<Vec<f64>> {
        rows(name)
            .iter()
            .map(|r| r.split(',').map(|c| c.parse().unwrap()).collect())
            .collect()
    };
    let background = Background::uniform(parse("xgb_baseline.csv"));
    let margin = |r: &[f64]| -> Result<Vec<f64>, PredictError> {
        Ok(r.chunks(m.num_feature)
            .map(|row| m.margin_f64(row))
            .collect())
    };
    let exact: Vec<Vec<f64>> = parse("xgb_rows.csv")
        .iter()
        .map(|x| exact_shapley(&margin, &background, x, Link::Identity).unwrap())
        .collect();
    for (j, name) in ["f0", "f1", "f2", "f3", "f4", "f5"].iter().enumerate() {
        let mean_abs = exact.iter().map(|phi| phi[j].abs()).sum::<f64>() / exact.len() as f64;
        let g = got["global_shap_values"][name].as_f64().unwrap();
        assert!((g - mean_abs).abs() < 1e-9, "{name}: {g} vs {mean_abs}");
    }
    let expected: f64 =
        background.rows.iter().map(|z| m.margin_f64(z)).sum::<f64>() / background.rows.len() as f64;
    assert!((got["expected_value"].as_f64().unwrap() - expected).abs() < 1e-9);

    // An endpoint cannot be walked: a clear refusal, not Kernel SHAP in disguise.
    let (_root, config) = setup_with(
        None,
        json!({"shap_algorithm": "tree"}),
        Some(
            json!({"endpoint_name": "xgb-ep", "content_type": "text/csv", "accept_type": "text/csv"}),
        ),
    );
    let (code, record) = run(&config);
    assert_ne!(code, 0);
    let reason = record["failure_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("shap_algorithm \"tree\" needs the model in process"),
        "{reason}"
    );
    assert_eq!(record["failure_class"], "permanent");
}

/// Sets `executor: {shards: n}` on the schedule (1: in one piece) and runs it; returns
/// analysis.json and the local values as bytes.
fn run_in_shards(
    root: &std::path::Path,
    config: &std::path::Path,
    shards: usize,
) -> (Vec<u8>, Vec<u8>) {
    let base = std::fs::read_to_string(config).unwrap();
    let base = base.split("    executor:").next().unwrap().to_string();
    std::fs::write(
        config,
        format!("{base}    executor: {{shards: {shards}}}\n"),
    )
    .unwrap();
    let (code, record) = run(config);
    assert_eq!(code, 0, "{shards} shards: {record:#}");
    assert_eq!(record["counts"]["rows_analysed"], 6);
    let out = root.join(OUT);
    (
        std::fs::read(out.join("analysis.json")).unwrap(),
        std::fs::read(out.join("explanations_shap/out.csv")).unwrap(),
    )
}

#[test]
fn explaining_in_shards_gives_the_bytes_of_one_piece() {
    // Kernel SHAP with a sampled budget (20 coalitions of 62: each row's draws depend on its
    // index among all rows, which shards must keep) and exact TreeSHAP.
    for extension in [
        json!({"model": "model.json"}),
        json!({"model": "model.json", "shap_algorithm": "tree"}),
    ] {
        let (root, config) = setup_with(None, extension.clone(), None);
        let cfg_path = root.path().join("explain.json");
        let mut cfg: Value =
            serde_json::from_str(&std::fs::read_to_string(&cfg_path).unwrap()).unwrap();
        cfg["methods"]["shap"]["num_samples"] = json!(20);
        std::fs::write(&cfg_path, cfg.to_string()).unwrap();
        let whole = run_in_shards(root.path(), &config, 1);
        for shards in [2, 4, 8] {
            let sharded = run_in_shards(root.path(), &config, shards);
            assert!(
                sharded.0 == whole.0,
                "{extension}, {shards} shards: analysis.json differs"
            );
            assert!(
                sharded.1 == whole.1,
                "{extension}, {shards} shards: out.csv differs"
            );
        }
    }
}

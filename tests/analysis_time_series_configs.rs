//! Time-series analysis configs as the SageMaker Python SDK writes them
//! (`tests/fixtures/sdk/time_series/`, made by `make_ts_configs.py` with the SDK's own
//! classes: the three JSON dataset formats, column indexes, every direction and granularity,
//! both baselines): each is read as valid for `analyze` (tests/analysis_time_series.rs runs
//! them against a forecasting server) and refused for a schedule in one sentence.

mod common;

use driftwatch::config::{AnalysisConfig, Problems, Purpose};

fn configs() -> Vec<(String, serde_json::Value)> {
    common::json_files("tests/fixtures/sdk/time_series")
}

#[test]
fn every_sdk_time_series_config_is_read_for_analyze_and_refused_for_schedules() {
    let all = configs();
    assert_eq!(all.len(), 7);
    for (name, v) in all {
        let mut p = Problems::new();
        let read = AnalysisConfig::from_value(&v, Purpose::Analyze, &mut p);
        let text: Vec<String> = p.into_vec().iter().map(|x| x.to_string()).collect();
        if name == "indexes_timewise.json" {
            // The SDK writes a baseline file's URI; its format is not in the reference.
            assert!(read.is_none());
            assert_eq!(text.len(), 1, "{name}: {text:?}");
            assert!(
                text[0].starts_with("methods.asymmetric_shapley_value.baseline: \"s3://sdk-fixtures/ts/baseline.json\": a baseline file is not supported"),
                "{text:?}"
            );
        } else {
            let cfg = read.unwrap_or_else(|| panic!("{name}: {text:?}"));
            assert!(cfg.time_series.is_some(), "{name}");
            assert!(text.is_empty(), "{name}: {text:?}");
        }
        let mut p = Problems::new();
        assert!(AnalysisConfig::from_value(&v, Purpose::ExplainabilityMonitor, &mut p).is_none());
        let text = p
            .into_vec()
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains("time_series_data_config: time-series explanations run with `driftwatch analyze` only"),
            "{name}: {text}"
        );
    }
}

#[test]
fn analyze_names_a_dataset_that_does_not_fit_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let config = common::repo_path("tests/fixtures/sdk/time_series/columns_timewise.json");
    std::fs::write(tmp.path().join("data.json"), "{}").unwrap();
    let r = common::driftwatch(&[
        "analyze",
        "--analysis-config",
        config.to_str().unwrap(),
        "--dataset",
        tmp.path().join("data.json").to_str().unwrap(),
        "--output",
        tmp.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("data.json: \"ids\" finds nothing in the dataset"),
        "{}",
        r.stderr
    );
    assert!(!tmp.path().join("out").join("analysis.json").exists());
}

#[test]
fn validate_names_a_schedule_over_a_forecasting_config() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::repo_path("tests/fixtures/sdk/time_series/item_records_timewise.json"),
        tmp.path().join("ts.json"),
    )
    .unwrap();
    let schedules = tmp.path().join("s.yaml");
    std::fs::write(
        &schedules,
        "schedules:\n  - name: forecast-explain\n    type: model_explainability\n    endpoint: forecaster\n    cadence: hourly\n    data_capture: capture\n    output: out\n    analysis_config: ts.json\n",
    )
    .unwrap();
    let r = common::driftwatch(&["validate", "--config", schedules.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("schedules[0].analysis_config")
            && all.contains("time-series explanations run with `driftwatch analyze` only"),
        "{all}"
    );
}

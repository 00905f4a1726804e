//! Time-series analysis configs as the SageMaker Python SDK writes them
//! (`tests/fixtures/sdk/time_series/`, made by `make_ts_configs.py` with the SDK's own
//! classes: the three JSON dataset formats, column indexes, every direction and granularity,
//! both baselines): each is read as valid and refused in one sentence (driftwatch does not send
//! forecasting requests yet) — not as unknown keys; and `analyze` says so, exit 2.

mod common;

use driftwatch::config::{AnalysisConfig, Problems, Purpose};

fn configs() -> Vec<(String, serde_json::Value)> {
    let dir = common::repo_path("tests/fixtures/sdk/time_series");
    let mut out: Vec<(String, serde_json::Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_sdk_time_series_config_is_valid_and_refused_in_one_sentence() {
    let all = configs();
    assert_eq!(all.len(), 7);
    for (name, v) in all {
        for purpose in [Purpose::Analyze, Purpose::ExplainabilityMonitor] {
            let mut p = Problems::new();
            assert!(AnalysisConfig::from_value(&v, purpose, &mut p).is_none());
            let text: Vec<String> = p.into_vec().iter().map(|x| x.to_string()).collect();
            assert_eq!(text.len(), 1, "{name}: {text:?}");
            assert!(
                text[0].starts_with("methods.asymmetric_shapley_value: the config is valid"),
                "{name}: {text:?}"
            );
        }
    }
}

#[test]
fn analyze_refuses_a_time_series_config_by_name() {
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
            .contains("does not run time-series explanations yet"),
        "{}",
        r.stderr
    );
    assert!(!tmp.path().join("out").join("analysis.json").exists());
}

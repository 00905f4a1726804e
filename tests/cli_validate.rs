//! `driftwatch validate`: exit 0 when valid, otherwise exit 2 and every problem with its path.

mod common;
use common::{config_dir, driftwatch, repo_path};

#[test]
fn the_example_config_is_valid() {
    let path = repo_path("config/schedules.yaml");
    let run = driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("valid, 5 schedules"), "{}", run.stdout);
}

const MANY_ERRORS: &str = r#"
defaults:
  output: s3://Bad_Bucket/x
  cloudwach: true
  name: shared
schedules:
  - name: one
    type: model_bias
    endpoint: ep
    cadence: {daily_every_x_hours: {hour_interval: 0, starting_hour: 3}}
    data_capture: /tmp/dc
    ground_truth: /tmp/gt
    analysis_config: census-bias-analysis.json
  - name: one
    type: model_explainability
    endpoint: ep_1
    cadence: "cron(0 */2 ? * * *)"
    data_capture: /tmp/dc
    ground_truth: /tmp/gt
    analysis_config: missing.json
    start_time_offset: -PT1H
    end_time_offset: -PT2H
  - name: third-one-
    type: model_fairness
    cadance: hourly
    data_capture: gs://x/y
    analysis_config: census-bias-analysis.json
    max_runtime: 5x
    probability_threshold_attribute: high
  - name: fourth
    type: model_bias
    endpoint: ep
    cadence: {daily: {hour: 24}}
    data_capture: /tmp/dc
    analysis_config: census-explainability-analysis.json
    start_time_offset: -P1M
  - name: fifth
    type: model_explainability
    endpoint: ep
    cadence: {every: 7m}
    data_capture: /tmp/dc
    analysis_config: census-explainability-analysis.json
    end_time_offset: PT1H
  - name: sixth
    type: model_explainability
    endpoint: ep
    cadence: weekly
    data_capture: /tmp/dc
    analysis_config: census-explainability-analysis.json
    cloudwatch: maybe
"#;

#[test]
fn every_problem_is_reported_with_its_yaml_path() {
    let dir = config_dir(&[("schedules.yaml", MANY_ERRORS)]);
    let path = dir.path().join("schedules.yaml");
    let run = driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    let expected = [
        "defaults.cloudwach: unknown key (did you mean \"cloudwatch\"?)",
        "defaults.name: a name cannot be inherited",
        "defaults.output: \"Bad_Bucket\" is not a valid S3 bucket name",
        "schedules[0].cadence.daily_every_x_hours.hour_interval: must be between 1 and 23, got 0",
        "schedules[1].name: duplicate schedule name \"one\" (also schedules[0])",
        "schedules[1].endpoint: may contain only letters, digits and '-', found '_'",
        "schedules[1].cadence: unsupported schedule expression \"cron(0 */2 ? * * *)\"",
        "schedules[1].ground_truth: is not used by a model_explainability schedule",
        "schedules[1].analysis_config (",
        "missing.json): cannot read",
        "schedules[1].start_time_offset: the window must start before it ends",
        "schedules[2].name: must start and end with a letter or digit",
        "schedules[2].type: must be model_bias, model_explainability, data_quality or model_quality, got \"model_fairness\"",
        "schedules[2].cadance: unknown key (did you mean \"cadence\"?)",
        "schedules[2].cadence: missing required key",
        "schedules[2].endpoint: missing required key",
        "schedules[2].data_capture: unsupported scheme \"gs\"",
        "schedules[2].max_runtime: must be a duration such as 30m",
        "schedules[2].probability_threshold_attribute: must be a number, got \"high\"",
        "schedules[3].cadence.daily.hour: must be between 0 and 23, got 24",
        "schedules[3].ground_truth: missing required key",
        "schedules[3].start_time_offset: years and months have no fixed length",
        "census-explainability-analysis.json): label: missing: bias metrics need the label column",
        "schedules[4].cadence.every: must be one of 5m, 10m, 15m, 20m or 30m, got \"7m\"",
        "schedules[4].end_time_offset: must not be positive",
        "schedules[5].cadence: unsupported cadence \"weekly\"; accepted forms: hourly |",
        "schedules[5].cloudwatch: must be true or false",
    ];
    for line in expected {
        assert!(
            run.stderr.lines().any(|l| l.contains(line)),
            "missing {line:?} in:\n{}",
            run.stderr
        );
    }
    // Each problem once, on its own line, after one header line.
    let problem_lines: Vec<&str> = run.stderr.lines().skip(1).collect();
    let mut dedup = problem_lines.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(
        dedup.len(),
        problem_lines.len(),
        "duplicates in:\n{}",
        run.stderr
    );
    assert!(run.stderr.lines().next().unwrap().contains("is invalid ("));
}

#[test]
fn analysis_config_problems_name_the_file_and_key() {
    let bad_analysis = r#"{"headers": ["a", "y"], "label": "y", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sx"}], "methods": {"post_training_bias": {"methods": ["DPL"]}},
        "predictor": {"content_type": "text/plain"}}"#;
    let yaml = r#"
schedules:
  - name: b
    type: model_bias
    endpoint: ep
    cadence: hourly
    data_capture: dc
    ground_truth: gt
    output: out
    analysis_config: bad.json
"#;
    let dir = config_dir(&[("s.yaml", yaml), ("bad.json", bad_analysis)]);
    let run = driftwatch(&[
        "validate",
        "--config",
        dir.path().join("s.yaml").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    for line in [
        "bad.json): facet[0].name_or_index: \"sx\" is not one of the headers",
        "bad.json): methods.post_training_bias.methods[0]: unknown metric \"DPL\" (did you mean \"DPPL\"?)",
        "bad.json): predictor.content_type: must be one of text/csv, application/jsonlines, application/json",
    ] {
        assert!(
            run.stderr.contains(line),
            "missing {line:?} in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn yaml_syntax_errors_and_missing_files_exit_2() {
    let dir = config_dir(&[("broken.yaml", "schedules: [\n  - name: x\n")]);
    let run = driftwatch(&[
        "validate",
        "--config",
        dir.path().join("broken.yaml").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not valid YAML"), "{}", run.stderr);
    assert!(run.stderr.contains("line"), "{}", run.stderr);

    let run = driftwatch(&["validate", "--config", "/nonexistent/schedules.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot read /nonexistent/schedules.yaml"),
        "{}",
        run.stderr
    );

    let dir = config_dir(&[("dup.yaml", "schedules: []\nschedules: []\n")]);
    let run = driftwatch(&[
        "validate",
        "--config",
        dir.path().join("dup.yaml").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "duplicate keys are an error: {}", run.stderr);
}

#[test]
fn defaults_are_inherited_and_overridden() {
    let yaml = r#"
defaults:
  type: model_bias
  endpoint: ep
  cadence: hourly
  data_capture: dc
  ground_truth: gt
  output: out
  analysis_config: census-bias-analysis.json
schedules:
  - name: a
  - name: b
    cadence: {daily: {hour: 3}}
"#;
    let dir = config_dir(&[("s.yaml", yaml)]);
    let path = dir.path().join("s.yaml");
    let run = driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("a  model_bias  endpoint ep  hourly"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("b  model_bias  endpoint ep  daily at 03:00 UTC"),
        "{}",
        run.stdout
    );
}

#[test]
fn shadow_endpoint_problems_name_the_key() {
    // What ModelExplainabilityMonitor writes for ModelConfig(model_name=…): no endpoint.
    let by_model = r#"{"headers": ["a", "b"], "methods": {"shap": {"baseline": [[1, 2]], "num_samples": 10}},
        "predictor": {"model_name": "xgb-1", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}}"#;
    let by_endpoint = r#"{"headers": ["a", "b"], "methods": {"shap": {"baseline": [[1, 2]], "num_samples": 10}},
        "predictor": {"endpoint_name": "shadow-a"}}"#;
    let schedule = |name: &str, kind: &str, config: &str, extra: &str| {
        format!(
            "  - name: {name}\n    type: {kind}\n    endpoint: prod\n    cadence: hourly\n    data_capture: dc\n    \
             output: out\n    analysis_config: {config}\n{extra}"
        )
    };
    let yaml = [
        "schedules:\n".to_string(),
        schedule("missing", "model_explainability", "model.json", ""),
        schedule(
            "served",
            "model_explainability",
            "model.json",
            "    shadow_endpoint: shadow-a\n",
        ),
        schedule(
            "production",
            "model_explainability",
            "model.json",
            "    shadow_endpoint: prod\n",
        ),
        schedule(
            "bad-name",
            "model_explainability",
            "model.json",
            "    shadow_endpoint: shadow_a\n",
        ),
        schedule(
            "disagree",
            "model_explainability",
            "endpoint.json",
            "    shadow_endpoint: shadow-b\n",
        ),
        schedule(
            "bias",
            "model_bias",
            "bias.json",
            "    ground_truth: gt\n    shadow_endpoint: shadow-a\n",
        ),
    ]
    .concat();
    let bias = r#"{"headers": ["a", "y"], "label": "y", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "a"}], "methods": {"pre_training_bias": {"methods": "all"}}}"#;
    let dir = config_dir(&[
        ("s.yaml", &yaml),
        ("model.json", by_model),
        ("endpoint.json", by_endpoint),
        ("bias.json", bias),
    ]);
    let run = driftwatch(&[
        "validate",
        "--config",
        dir.path().join("s.yaml").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for line in [
        "schedules[0].analysis_config: predictor.model_name \"xgb-1\" names a model, not an endpoint to call: give the endpoint that serves it with `analyze --shadow-endpoint NAME` or the schedule key `shadow_endpoint: NAME`",
        "schedules[2].shadow_endpoint: is the monitored endpoint \"prod\": its data capture would record the synthetic rows",
        "schedules[3].shadow_endpoint: may contain only letters, digits and '-'",
        "schedules[4].shadow_endpoint: predictor.endpoint_name \"shadow-a\" and the shadow endpoint \"shadow-b\"",
        "schedules[5].shadow_endpoint: is not used by a model_bias schedule",
    ] {
        assert!(
            run.stderr.contains(line),
            "missing {line:?} in:\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("schedules[1]"), "{}", run.stderr);
}

#[test]
fn batch_transform_schedules_validate_and_their_problems_name_the_key() {
    let entry = |name: &str, source: &str, extra: &str| {
        format!(
            "  - name: {name}\n    type: model_bias\n{source}    cadence: hourly\n    data_capture: dc\n    \
             ground_truth: gt\n    output: out\n    analysis_config: census-bias-analysis.json\n{extra}"
        )
    };
    let batch = "    batch_transform:\n      dataset_format: {Json: {Line: true}}\n";
    let good = ["schedules:\n".to_string(), entry("good", batch, "")].concat();
    let dir = config_dir(&[("s.yaml", &good)]);
    let path = dir.path().join("s.yaml");
    let run = driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("good  model_bias  batch transform capture (JSON Lines)  hourly"),
        "{}",
        run.stdout
    );

    let bad = [
        "schedules:\n".to_string(),
        entry("both", &format!("    endpoint: ep\n{batch}"), ""),
        entry("neither", "", ""),
        entry("variant", batch, "    variant: AllTraffic\n"),
        entry(
            "parquet",
            "    batch_transform:\n      dataset_format: {Parquet: {}}\n",
            "",
        ),
        entry(
            "lines",
            "    batch_transform:\n      dataset_format: {json: {lines: true}}\n",
            "",
        ),
        entry("no-format", "    batch_transform: {}\n", ""),
        entry("shards", batch, "    executor: {shards: 2}\n"),
        entry("ep", batch, ""),
        entry("on-ep", "    endpoint: ep\n", ""),
    ]
    .concat();
    let dir = config_dir(&[("s.yaml", &bad)]);
    let path = dir.path().join("s.yaml");
    let run = driftwatch(&["validate", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    for needle in [
        "schedules[0].batch_transform: endpoint is given too",
        "schedules[1].endpoint: missing required key: give endpoint (a real-time endpoint) or batch_transform",
        "schedules[2].variant: is not used by a batch_transform schedule",
        "schedules[3].batch_transform.dataset_format.Parquet: is not supported for batch transform capture yet",
        "schedules[4].batch_transform.dataset_format.json.lines: unknown key; json takes only line",
        "schedules[5].batch_transform.dataset_format: missing required key",
        "schedules[6].executor: shards are not supported for batch_transform schedules yet",
        "schedules[7].name: is the endpoint of schedule \"on-ep\" with the same output",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
}

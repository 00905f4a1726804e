//! `driftwatch import` on what `aws sagemaker describe-*` prints for the reference talk's two
//! monitoring schedules (tests/fixtures/sagemaker_describe, made by the SageMaker SDK's own
//! ModelBiasMonitor / ModelExplainabilityMonitor against moto): the schedules file it writes
//! validates unchanged, maps every field SageMaker has a driftwatch key for (the baseline
//! found through `BaseliningJobName`), reports the rest, and runs — both schedules, against
//! the S3 emulator, the explainability one through a shadow endpoint served by a real HTTP
//! model server that answers no other endpoint.

mod common;

use std::path::{Path, PathBuf};

use common::{driftwatch, driftwatch_env, repo_path};
use serde_json::{Value, json};

const TALK: &str = "tests/fixtures/sagemaker_describe/talk";
const MODEL: &str = "demo/model/census-xgb.json";

/// The describe answers in a temporary folder, the bucket renamed (`talk-bucket` → `bucket`).
fn describe_dir(dir: &Path, bucket: &str) -> PathBuf {
    let out = dir.join("describe");
    std::fs::create_dir_all(&out).unwrap();
    for f in std::fs::read_dir(repo_path(TALK)).unwrap() {
        let p = f.unwrap().path();
        if p.is_file() {
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(
                out.join(p.file_name().unwrap()),
                text.replace("talk-bucket", bucket),
            )
            .unwrap();
        }
    }
    out
}

fn import(from: &Path, output: &Path, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "import",
        "--from",
        from.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    driftwatch(&args)
}

/// The imported file's schedules as JSON (YAML is a superset of JSON's values).
fn schedules(path: &Path) -> Vec<Value> {
    let yaml: serde_yaml_like::Doc =
        serde_yaml_like::parse(&std::fs::read_to_string(path).unwrap());
    yaml.schedules
}

/// A minimal reader of the flat YAML `import` writes: `- key: value` entries of JSON scalars.
mod serde_yaml_like {
    use serde_json::Value;

    pub struct Doc {
        pub schedules: Vec<Value>,
    }

    pub fn parse(text: &str) -> Doc {
        let mut schedules: Vec<Value> = Vec::new();
        for line in text.lines() {
            let (start, rest) = if let Some(r) = line.strip_prefix("  - ") {
                (true, r)
            } else if let Some(r) = line.strip_prefix("    ") {
                (false, r)
            } else {
                continue;
            };
            let (k, v) = rest.split_once(": ").unwrap();
            if start {
                schedules.push(Value::Object(Default::default()));
            }
            let value: Value = serde_json::from_str(v).unwrap_or_else(|_| panic!("{line}"));
            schedules
                .last_mut()
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert(k.to_string(), value);
        }
        Doc { schedules }
    }
}

#[test]
fn the_talks_schedules_import_validate_and_say_what_was_not_mapped() {
    let tmp = tempfile::tempdir().unwrap();
    let from = describe_dir(tmp.path(), "talk-bucket");
    let out = tmp.path().join("schedules.yaml");
    let r = import(
        &from,
        &out,
        &["--shadow-endpoint", "census-xgb=census-shadow"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("2 schedules imported, 0 not imported"),
        "{}",
        r.stdout
    );
    let v = driftwatch(&["validate", "--config", out.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);

    let s = schedules(&out);
    let bias = s.iter().find(|s| s["name"] == "talk-bias-monitor").unwrap();
    let shap = s
        .iter()
        .find(|s| s["name"] == "talk-explainability-monitor")
        .unwrap();
    assert_eq!(bias["type"], "model_bias");
    assert_eq!(bias["cadence"], "cron(0 * ? * * *)");
    assert_eq!(bias["endpoint"], "census-xgb");
    assert_eq!(bias["data_capture"], "s3://talk-bucket/datacapture");
    assert_eq!(bias["ground_truth"], "s3://talk-bucket/ground-truth");
    assert_eq!(bias["output"], "s3://talk-bucket/monitoring");
    assert_eq!(shap["output"], bias["output"], "one shared output prefix");
    // No ConstraintsResource: the analysis.json of the job BaseliningJobName names.
    assert_eq!(
        bias["baseline_constraints"],
        "s3://talk-bucket/baselining/bias/analysis.json"
    );
    assert_eq!(
        shap["baseline_constraints"],
        "s3://talk-bucket/baselining/explainability/analysis.json"
    );
    assert_eq!(bias["start_time_offset"], "-PT1H");
    assert_eq!(bias["end_time_offset"], "-PT0H");
    assert_eq!(bias["probability_threshold_attribute"], 0.7);
    assert_eq!(bias["cloudwatch"], true);
    assert_eq!(bias["max_runtime"], 1800);
    assert!(
        bias["analysis_config"]
            .as_str()
            .unwrap()
            .ends_with("/analysis_config.json")
    );
    assert_eq!(shap["shadow_endpoint"], "census-shadow");
    assert!(shap.get("ground_truth").is_none());

    for needle in [
        "not mapped: talk-bias-monitor: RoleArn arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
        "not mapped: talk-bias-monitor: JobResources.ClusterConfig {\"InstanceCount\":1,\"InstanceType\":\"ml.m5.xlarge\",\"VolumeSizeInGB\":30}",
        "ignored: ",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    // The file says it too.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("#   talk-bias-monitor: RoleArn"), "{text}");

    // Without --shadow-endpoint the explainability schedule says what to add.
    let again = tmp.path().join("again.yaml");
    let r = import(&from, &again, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("--shadow-endpoint census-xgb=NAME"),
        "{}",
        r.stderr
    );
    // An existing file is not replaced without --force.
    let r = import(&from, &again, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("exists; give --force"), "{}", r.stderr);
    assert_eq!(import(&from, &again, &["--force"]).code, 0);
}

#[test]
fn what_cannot_be_imported_is_named_with_what_to_add() {
    let tmp = tempfile::tempdir().unwrap();
    let from = describe_dir(tmp.path(), "talk-bucket");
    // Without the endpoint's description the capture destination is unknown; without the
    // baselining job the baseline is; a data-quality schedule needs its job definition.
    for f in std::fs::read_dir(&from).unwrap() {
        let p = f.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("describe-endpoint")
            || name == "describe-processing-job.talk-bias-baselining.json"
        {
            std::fs::remove_file(&p).unwrap();
        }
    }
    std::fs::write(
        from.join("dq.json"),
        json!({"MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:1:monitoring-schedule/dq",
               "MonitoringScheduleName": "dq", "MonitoringType": "DataQuality",
               "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "dq-def", "MonitoringType": "DataQuality",
                                            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}})
        .to_string(),
    )
    .unwrap();
    let out = tmp.path().join("s.yaml");
    let r = import(&from, &out, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for needle in [
        "no monitoring schedule could be imported",
        "talk-bias-monitor: the capture destination of endpoint census-xgb is unknown: save `aws sagemaker describe-endpoint --endpoint-name census-xgb`",
        "dq: its job definition dq-def is not in the folder: save `aws sagemaker describe-data-quality-job-definition --job-definition-name dq-def` there",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    assert!(!out.exists(), "nothing is written");

    // The endpoint config alone is not enough (the endpoint names it); with both back, the
    // baseline is what is missing, and said.
    for f in std::fs::read_dir(repo_path(TALK)).unwrap() {
        let p = f.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("describe-endpoint")
        {
            std::fs::copy(&p, from.join(p.file_name().unwrap())).unwrap();
        }
    }
    let r = import(&from, &out, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("baseline: BaseliningJobName talk-bias-baselining — save `aws sagemaker describe-processing-job --processing-job-name talk-bias-baselining`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not imported: dq:"), "{}", r.stderr);
    let s = schedules(&out);
    assert!(s[0].get("baseline_constraints").is_none());

    // Not JSON, or no folder: the file or folder named.
    std::fs::write(from.join("broken.json"), "{").unwrap();
    let r = import(&from, &tmp.path().join("x.yaml"), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("broken.json: is not JSON"),
        "{}",
        r.stderr
    );
    let r = import(&tmp.path().join("nope"), &tmp.path().join("x.yaml"), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--from"), "{}", r.stderr);
}

/// The talk's census rows (label first) as CSV capture lines in the hour before T, the
/// model's score captured too; ground truth for every row of the file, far more than the
/// window captured.
fn lay_out_traffic(bucket: &common::Bucket) -> usize {
    let csv =
        std::fs::read_to_string(repo_path("tests/fixtures/sdk/census_label_first.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    let captured = 120;
    let mut capture = String::new();
    let mut truth = String::new();
    for (i, row) in rows.iter().enumerate() {
        let (label, features) = row.split_once(',').unwrap();
        if i < captured {
            let score = ((i * 37) % 100) as f64 / 100.0 + 0.005;
            capture.push_str(&json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": features, "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": format!("{score}\n"), "encoding": "CSV"}
                },
                "eventMetadata": {"eventId": format!("e-{i}"), "inferenceId": format!("{i}"),
                                  "inferenceTime": format!("2024-01-19T11:{:02}:{:02}Z", i / 2 % 60, (i % 2) * 30)},
                "eventVersion": "0"
            }).to_string());
            capture.push('\n');
        }
        truth.push_str(
            &json!({"groundTruthData": {"data": label, "encoding": "CSV"},
                    "eventMetadata": {"eventId": format!("{i}")}, "eventVersion": "0"})
            .to_string(),
        );
        truth.push('\n');
    }
    bucket.put(
        "datacapture/census-xgb/AllTraffic/2024/01/19/11/05-000-a.jsonl",
        capture.as_bytes(),
    );
    bucket.put("ground-truth/2024/01/19/11/labels.jsonl", truth.as_bytes());
    captured
}

#[test]
fn the_imported_schedules_run_against_s3_through_the_shadow_endpoint() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let b = common::Bucket::new(&url, "talk");
    let tmp = tempfile::tempdir().unwrap();
    let from = describe_dir(tmp.path(), &b.name);
    // The analysis configs the SDK uploaded, at their keys.
    let s3 = repo_path(&format!("{TALK}/s3/talk-bucket"));
    for entry in common::files_under(&s3) {
        let key = entry
            .strip_prefix(&s3)
            .unwrap()
            .to_string_lossy()
            .to_string();
        b.put(&key, &std::fs::read(&entry).unwrap());
    }
    let captured = lay_out_traffic(&b);

    // The baselines the baselining jobs left: the talk's configs through analyze, the model
    // on the shadow endpoint.
    let server = common::ModelServer::serving(&repo_path(MODEL), &["census-shadow"]);
    let mut env = common::aws_env(&url);
    env.push(("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url.clone()));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (kind, config) in [
        ("bias", "talk_bias_model_name"),
        ("explainability", "talk_shap_model_name"),
    ] {
        let base = tmp.path().join(kind);
        let r = driftwatch_env(
            &[
                "analyze",
                "--dataset",
                repo_path("tests/fixtures/sdk/census_label_first.csv")
                    .to_str()
                    .unwrap(),
                "--analysis-config",
                repo_path(&format!("tests/fixtures/sdk/processing/{config}.json"))
                    .to_str()
                    .unwrap(),
                "--output",
                base.to_str().unwrap(),
                "--shadow-endpoint",
                "census-shadow",
            ],
            &env_refs,
        );
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        b.put(
            &format!("baselining/{kind}/analysis.json"),
            &std::fs::read(base.join("analysis.json")).unwrap(),
        );
    }

    let config = tmp.path().join("schedules.yaml");
    let r = import(
        &from,
        &config,
        &["--shadow-endpoint", "census-xgb=census-shadow"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Unchanged, but for the metrics: the test keeps CloudWatch out of it.
    let yaml = std::fs::read_to_string(&config)
        .unwrap()
        .replace("cloudwatch: true", "cloudwatch: false");
    std::fs::write(&config, yaml).unwrap();

    let at = "2024-01-19T12:00:00Z";
    let (code, record, stderr) = common::run_record(&config, "talk-bias-monitor", at, &env);
    assert_eq!(code, 0, "{record}\n{stderr}");
    assert_eq!(record["window_start"], "2024-01-19T11:00:00Z");
    assert_eq!(record["counts"]["records_merged"], captured);
    assert_eq!(record["counts"]["unmatched_labels"], 300 - captured);
    let analysis = b
        .get("monitoring/census-xgb/talk-bias-monitor/2024/01/19/12/analysis.json")
        .expect("the bias analysis");
    let a: Value = serde_json::from_slice(&analysis).unwrap();
    let values: Vec<&str> = a["post_training_bias_metrics"]["facets"]["A_SEX"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value_or_threshold"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["1", "2"], "{a}");
    assert!(
        record["counts"]["metrics_checked"].as_u64().unwrap() > 0,
        "{record}"
    );

    let (code, record, stderr) =
        common::run_record(&config, "talk-explainability-monitor", at, &env);
    assert_eq!(code, 0, "{record}\n{stderr}");
    assert!(
        record["counts"]["endpoint_requests"].as_u64().unwrap() > 0,
        "{record}"
    );
    let analysis = b
        .get("monitoring/census-xgb/talk-explainability-monitor/2024/01/19/12/analysis.json")
        .expect("the explainability analysis");
    let a: Value = serde_json::from_slice(&analysis).unwrap();
    assert!(
        a["explanations"]["kernel_shap"]["label0"]["global_shap_values"]["A_AGE"].is_number(),
        "{a}"
    );
    assert_eq!(record["counts"]["metrics_checked"], 1, "the nDCG: {record}");
}

/// A data-quality schedule as the SDK's `DefaultModelMonitor` creates it (a named
/// `DataQualityJobDefinition`: `DataQualityBaselineConfig` with both resources,
/// `DataQualityAppSpecification` with the container's environment and a preprocessor script):
/// imported as `type: data_quality` with both baseline files, validated, and the script named
/// among what was not mapped.
#[test]
fn a_data_quality_schedule_imports_with_its_baseline_files() {
    let tmp = tempfile::tempdir().unwrap();
    let from = describe_dir(tmp.path(), "talk-bucket");
    std::fs::write(
        from.join("dq.json"),
        json!({"MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:1:monitoring-schedule/census-dq",
               "MonitoringScheduleName": "census-dq", "MonitoringType": "DataQuality",
               "MonitoringScheduleStatus": "Scheduled", "EndpointName": "census-xgb",
               "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "dq-def", "MonitoringType": "DataQuality",
                                            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        from.join("dq-def.json"),
        json!({"JobDefinitionArn": "arn:aws:sagemaker:us-east-1:1:data-quality-job-definition/dq-def",
               "JobDefinitionName": "dq-def",
               "DataQualityBaselineConfig": {
                   "ConstraintsResource": {"S3Uri": "s3://talk-bucket/dq/baseline/constraints.json"},
                   "StatisticsResource": {"S3Uri": "s3://talk-bucket/dq/baseline/statistics.json"}},
               "DataQualityAppSpecification": {
                   "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
                   "RecordPreprocessorSourceUri": "s3://talk-bucket/dq/code/preprocessor.py",
                   "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
               "DataQualityJobInput": {"EndpointInput": {"EndpointName": "census-xgb",
                   "LocalPath": "/opt/ml/processing/input/endpoint", "S3InputMode": "File",
                   "S3DataDistributionType": "FullyReplicated"}},
               "DataQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                   "S3Uri": "s3://talk-bucket/dq/reports", "LocalPath": "/opt/ml/processing/output",
                   "S3UploadMode": "Continuous"}}]},
               "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}},
               "RoleArn": "arn:aws:iam::1:role/sm", "StoppingCondition": {"MaxRuntimeInSeconds": 1800}})
        .to_string(),
    )
    .unwrap();
    let out = tmp.path().join("s.yaml");
    let r = import(
        &from,
        &out,
        &["--shadow-endpoint", "census-xgb=census-xgb-shadow"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let all = schedules(&out);
    let dq = all
        .iter()
        .find(|s| s["name"] == "census-dq")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(dq["type"], "data_quality");
    assert_eq!(dq["endpoint"], "census-xgb");
    assert_eq!(
        dq["baseline_constraints"],
        "s3://talk-bucket/dq/baseline/constraints.json"
    );
    assert_eq!(
        dq["baseline_statistics"],
        "s3://talk-bucket/dq/baseline/statistics.json"
    );
    assert_eq!(dq["output"], "s3://talk-bucket/dq/reports");
    assert_eq!(dq["cloudwatch"], true);
    assert!(dq.get("analysis_config").is_none());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("RecordPreprocessorSourceUri s3://talk-bucket/dq/code/preprocessor.py: driftwatch runs no preprocessor scripts"),
        "{text}"
    );
    let v = driftwatch(&["validate", "--config", out.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("census-dq  data_quality"), "{}", v.stdout);
}

/// `ModelQualityJobDefinition` (the API's shape, as `ModelQualityMonitor` creates it):
/// `ProblemType` in the app specification, the ground truth and the attributes in the job
/// input, the constraints in the baseline config: imported as `type: model_quality`, validated.
#[test]
fn a_model_quality_schedule_imports_with_its_problem_type_and_ground_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let from = describe_dir(tmp.path(), "talk-bucket");
    std::fs::write(
        from.join("mq.json"),
        json!({"MonitoringScheduleArn": "arn:aws:sagemaker:us-east-1:1:monitoring-schedule/census-mq",
               "MonitoringScheduleName": "census-mq", "MonitoringType": "ModelQuality",
               "MonitoringScheduleStatus": "Scheduled", "EndpointName": "census-xgb",
               "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "mq-def", "MonitoringType": "ModelQuality",
                                            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        from.join("mq-def.json"),
        json!({"JobDefinitionArn": "arn:aws:sagemaker:us-east-1:1:model-quality-job-definition/mq-def",
               "JobDefinitionName": "mq-def",
               "ModelQualityBaselineConfig": {
                   "ConstraintsResource": {"S3Uri": "s3://talk-bucket/mq/baseline/constraints.json"}},
               "ModelQualityAppSpecification": {
                   "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
                   "ProblemType": "BinaryClassification",
                   "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
               "ModelQualityJobInput": {
                   "EndpointInput": {"EndpointName": "census-xgb",
                       "LocalPath": "/opt/ml/processing/input/endpoint", "S3InputMode": "File",
                       "S3DataDistributionType": "FullyReplicated",
                       "InferenceAttribute": "0", "ProbabilityAttribute": "1",
                       "ProbabilityThresholdAttribute": 0.6,
                       "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT1H"},
                   "GroundTruthS3Input": {"S3Uri": "s3://talk-bucket/mq/ground-truth"}},
               "ModelQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                   "S3Uri": "s3://talk-bucket/mq/reports", "LocalPath": "/opt/ml/processing/output",
                   "S3UploadMode": "EndOfJob"}}]},
               "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}},
               "RoleArn": "arn:aws:iam::1:role/sm", "StoppingCondition": {"MaxRuntimeInSeconds": 1800}})
        .to_string(),
    )
    .unwrap();
    let out = tmp.path().join("s.yaml");
    let r = import(
        &from,
        &out,
        &["--shadow-endpoint", "census-xgb=census-xgb-shadow"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let all = schedules(&out);
    let mq = all
        .iter()
        .find(|s| s["name"] == "census-mq")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(mq["type"], "model_quality");
    assert_eq!(mq["problem_type"], "BinaryClassification");
    assert_eq!(mq["ground_truth"], "s3://talk-bucket/mq/ground-truth");
    assert_eq!(
        mq["baseline_constraints"],
        "s3://talk-bucket/mq/baseline/constraints.json"
    );
    assert_eq!(mq["inference_attribute"], "0");
    assert_eq!(mq["probability_attribute"], "1");
    assert_eq!(mq["probability_threshold_attribute"], 0.6);
    assert_eq!(mq["start_time_offset"], "-PT2H");
    assert!(mq.get("analysis_config").is_none());
    let v = driftwatch(&["validate", "--config", out.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("census-mq  model_quality"),
        "{}",
        v.stdout
    );
}

//! Batch transform monitoring end to end against the S3 (and CloudWatch) emulator: manifests
//! under `{data_capture}/input|output/yyyy/mm/dd/hh/`, the objects they name, the output
//! layout without an endpoint segment, and the `aws/sagemaker/ModelMonitoring/*` namespaces.
//!
//! The bias case is a real SageMaker run (tests/fixtures/sagemaker_batch, from the examples
//! repository's batch-transform JSON notebook): its transform output, its baseline and the
//! violations SageMaker's own monitoring execution reported, which driftwatch reproduces.

mod common;

use std::path::{Path, PathBuf};

use common::{Bucket, ModelServer, driftwatch_env, moto_url, repo_path, run_record};
use serde_json::{Value, json};

const FIXTURES: &str = "tests/fixtures/sagemaker_batch";
const SCHEDULE: &str = "monitoring-schedule-2024-01-19-19-39-39-971";
/// The execution SageMaker ran (its report folder is `…/2024/01/19/20`).
const T: &str = "2024-01-19T20:00:00Z";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("{FIXTURES}/{name}"))).unwrap()
}

fn read(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// The notebook's layout in `bucket`: the output manifest of the 19:24 transform job, the
/// object it names, and the ground truth uploaded to the hours 18 and 19 (the same id twice,
/// as the notebook does).
fn lay_out_bias_run(b: &Bucket, manifest_hours: &[&str]) {
    lay_out_bias_run_under(b, manifest_hours, "");
}

/// [`lay_out_bias_run`] under `prefix` (`""`, or a folder ending in `/`).
fn lay_out_bias_run_under(b: &Bucket, manifest_hours: &[&str], prefix: &str) {
    let manifest = String::from_utf8(fixture("manifest.json"))
        .unwrap()
        .replace("s3://BUCKET/", &format!("s3://{}/{prefix}", b.name));
    for hour in manifest_hours {
        b.put(
            &format!(
                "{prefix}data-capture/output/2024/01/19/{hour}/5ef12a7a-2c09-4d6f-817b-84823cee935f.json"
            ),
            manifest.as_bytes(),
        );
    }
    b.put(
        &format!("{prefix}transform-output/test-dataset.json.out"),
        &fixture("transform-output/test-dataset.json.out"),
    );
    for hour in ["18", "19"] {
        b.put(
            &format!("{prefix}ground-truth/2024/01/19/{hour}/2934.jsonl"),
            &fixture("ground_truth.jsonl"),
        );
    }
}

/// The notebook's `create_monitoring_schedule` (cell 62) as a driftwatch schedule.
fn bias_schedule(dir: &Path, bucket: &str, extra: &str) -> PathBuf {
    for f in ["analysis_config.json", "baseline_analysis.json"] {
        std::fs::copy(repo_path(&format!("{FIXTURES}/{f}")), dir.join(f)).unwrap();
    }
    let path = dir.join("schedules.yaml");
    std::fs::write(
        &path,
        format!(
            "schedules:\n  - name: {SCHEDULE}\n    type: model_bias\n    batch_transform:\n      dataset_format: {{Json: {{Line: false}}}}\n    \
             cadence: \"cron(0 * ? * * *)\"\n    data_capture: s3://{bucket}/data-capture\n    ground_truth: s3://{bucket}/ground-truth\n    \
             output: s3://{bucket}/monitor-output\n    analysis_config: analysis_config.json\n    baseline_constraints: baseline_analysis.json\n    \
             features_attribute: \"instances[*].features\"\n    inference_attribute: \"predictions[*].predicted_label\"\n    \
             start_time_offset: -PT6H\n    end_time_offset: -PT0H\n{extra}"
        ),
    )
    .unwrap();
    path
}

/// "Metric value X doesn't meet …" → X.
fn described_value(d: &str) -> f64 {
    let v = d
        .strip_prefix("Metric value ")
        .and_then(|r| r.split(' ').next())
        .unwrap();
    match v {
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        v => v.parse().unwrap(),
    }
}

#[test]
fn sagemakers_own_batch_transform_bias_execution_is_reproduced() {
    let Some(url) = moto_url() else { return };
    let b = Bucket::new(&url, "batch");
    lay_out_bias_run(&b, &["19"]);
    let tmp = tempfile::tempdir().unwrap();
    let config = bias_schedule(tmp.path(), &b.name, "    cloudwatch: true\n");
    let (code, rec, stderr) = run_record(&config, SCHEDULE, T, &b.env());
    assert_eq!(code, 0, "{rec}\n{stderr}");
    assert_eq!(rec["status"], "CompletedWithViolations", "{rec}");
    assert_eq!(rec["counts"]["records_merged"], 334, "{rec}");
    assert_eq!(rec["counts"]["capture_malformed"], 0, "{rec}");

    // SageMaker's layout for batch transform: no endpoint segment.
    let folder = format!("monitor-output/{SCHEDULE}/2024/01/19/20");
    let keys = b.keys(&folder);
    for f in ["analysis.json", "constraint_violations.json"] {
        assert!(
            keys.contains(&format!("{folder}/{f}")),
            "{f} not in {keys:?}"
        );
    }
    let got: Value = serde_json::from_slice(
        &b.get(&format!("{folder}/constraint_violations.json"))
            .unwrap(),
    )
    .unwrap();
    let want: Value = serde_json::from_slice(&fixture("sagemaker_violations.json")).unwrap();
    let key = |v: &Value| {
        (
            v["metric_name"].as_str().unwrap().to_string(),
            v["facet"].as_str().unwrap().to_string(),
            v["facet_value"].as_str().unwrap().to_string(),
            v["constraint_check_type"].as_str().unwrap().to_string(),
        )
    };
    let got_list = got["violations"].as_array().unwrap();
    let want_list = want["violations"].as_array().unwrap();
    assert_eq!(
        got_list.iter().map(key).collect::<Vec<_>>(),
        want_list.iter().map(key).collect::<Vec<_>>(),
        "{got}"
    );
    for (g, w) in got_list.iter().zip(want_list) {
        let (gd, wd) = (
            g["description"].as_str().unwrap(),
            w["description"].as_str().unwrap(),
        );
        let (gv, wv) = (described_value(gd), described_value(wd));
        assert!(
            gv == wv || (gv - wv).abs() <= 1e-9,
            "{}: driftwatch {gd:?}, SageMaker {wd:?}",
            g["metric_name"]
        );
        // The baseline half of the sentence is the baseline's own number.
        assert_eq!(
            gd.split(" requirement ").nth(1),
            wd.split(" requirement ").nth(1)
        );
    }

    // Published in SageMaker's batch namespace, without an Endpoint dimension.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cw = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .endpoint_url(&url)
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .build(),
    );
    let metrics = rt
        .block_on(
            cw.list_metrics()
                .namespace("aws/sagemaker/ModelMonitoring/bias-metrics")
                .metric_name("bias_metric_DCA")
                .dimensions(
                    aws_sdk_cloudwatch::types::DimensionFilter::builder()
                        .name("MonitoringSchedule")
                        .value(SCHEDULE)
                        .build(),
                )
                .send(),
        )
        .expect("ListMetrics");
    assert!(
        !metrics.metrics().is_empty(),
        "no bias_metric_DCA published"
    );
    for m in metrics.metrics() {
        assert!(
            m.dimensions().iter().all(|d| d.name() != Some("Endpoint")),
            "{m:?}"
        );
    }
}

/// `check: {di_neutral: 1}` (DI measured from its neutral value 1, not SageMaker's 0) flags
/// the DI SageMaker let through, and the analysis says which rule judged it.
#[test]
fn di_measured_from_one_is_the_documented_option() {
    let Some(url) = moto_url() else { return };
    let b = Bucket::new(&url, "batchdi");
    lay_out_bias_run(&b, &["19"]);
    let tmp = tempfile::tempdir().unwrap();
    let config = bias_schedule(tmp.path(), &b.name, "    check: {di_neutral: 1}\n");
    let (code, rec, stderr) = run_record(&config, SCHEDULE, T, &b.env());
    assert_eq!(code, 0, "{rec}\n{stderr}");
    let folder = format!("monitor-output/{SCHEDULE}/2024/01/19/20");
    let v: Value = serde_json::from_slice(
        &b.get(&format!("{folder}/constraint_violations.json"))
            .unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["metric_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 9, "{names:?}");
    assert!(names.contains(&"DI"), "{names:?}");
    let a: Value =
        serde_json::from_slice(&b.get(&format!("{folder}/analysis.json")).unwrap()).unwrap();
    assert_eq!(a["driftwatch"]["di_neutral"], 1.0);
}

/// The same schedule as SageMaker describes it (the SDK's ModelBiasMonitor with a
/// BatchTransformInput, tests/fixtures/sagemaker_describe/batch): imported, it validates and
/// runs to SageMaker's violations, its baseline found through the baselining job.
#[test]
fn an_imported_batch_transform_schedule_runs_to_sagemakers_violations() {
    let Some(url) = moto_url() else { return };
    let b = Bucket::new(&url, "batchimport");
    let prefix = "sagemaker/DEMO-ClarifyModelMonitor/";
    lay_out_bias_run_under(&b, &["19"], prefix);
    b.put(
        &format!("{prefix}baselining-output/analysis.json"),
        &fixture("baseline_analysis.json"),
    );
    let tmp = tempfile::tempdir().unwrap();
    let from = tmp.path().join("describe");
    std::fs::create_dir_all(&from).unwrap();
    let dir = repo_path("tests/fixtures/sagemaker_describe/batch");
    for f in std::fs::read_dir(&dir).unwrap() {
        let p = f.unwrap().path();
        if p.is_file() && p.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(
                from.join(p.file_name().unwrap()),
                text.replace("batch-bucket", &b.name),
            )
            .unwrap();
        }
    }
    // The analysis config the SDK uploaded, at its key.
    let s3 = dir.join("s3/batch-bucket");
    let mut stack = vec![s3.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let key = p.strip_prefix(&s3).unwrap().to_string_lossy().to_string();
                b.put(&key, &std::fs::read(&p).unwrap());
            }
        }
    }
    let out = tmp.path().join("imported.yaml");
    let r = common::driftwatch(&[
        "import",
        "--from",
        from.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let yaml = std::fs::read_to_string(&out).unwrap();
    for needle in [
        "batch_transform: {dataset_format: {Json: {Line: false}}}",
        "data_capture: \"s3://",
        "features_attribute: \"instances[*].features\"",
        "start_time_offset: \"-PT6H\"",
    ] {
        assert!(yaml.contains(needle), "{needle} not in\n{yaml}");
    }
    assert!(!yaml.contains("\n    endpoint:"), "{yaml}");
    let (code, rec, stderr) = run_record(&out, "batch-bias-monitor", T, &b.env());
    assert_eq!(code, 0, "{rec}\n{stderr}");
    assert_eq!(rec["counts"]["records_merged"], 334, "{rec}");
    let v: Value = serde_json::from_slice(
        &b.get(&format!(
            "{prefix}monitor-output/batch-bias-monitor/2024/01/19/20/constraint_violations.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let want: Value = serde_json::from_slice(&fixture("sagemaker_violations.json")).unwrap();
    let names = |v: &Value| -> Vec<String> {
        v["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["metric_name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&v), names(&want));
}

/// The notebook copies a manifest to the neighbouring hours "just in case"; a window that
/// covers several of them reads the transform output once.
#[test]
fn an_object_named_by_manifests_of_several_hours_is_read_once() {
    let Some(url) = moto_url() else { return };
    let b = Bucket::new(&url, "batchdup");
    lay_out_bias_run(&b, &["17", "19"]);
    let tmp = tempfile::tempdir().unwrap();
    let config = bias_schedule(tmp.path(), &b.name, "");
    let (code, rec, stderr) = run_record(&config, SCHEDULE, T, &b.env());
    assert_eq!(code, 0, "{rec}\n{stderr}");
    assert_eq!(rec["counts"]["records_merged"], 334, "{rec}");
    assert_eq!(rec["counts"]["capture_files"], 1, "{rec}");
}

/// A joined CSV transform output (input columns, the model's columns, then the id and time
/// the job adds) gives the same analysis as the same records in the JSON output.
#[test]
fn a_csv_transform_output_gives_the_json_outputs_analysis() {
    let Some(url) = moto_url() else { return };
    let b = Bucket::new(&url, "batchcsv");
    lay_out_bias_run(&b, &["19"]);
    // The same records as joined CSV rows, in two objects named by one manifest.
    let doc: Value =
        serde_json::from_slice(&fixture("transform-output/test-dataset.json.out")).unwrap();
    let id = doc["SageMakerInferenceId"].as_str().unwrap();
    let preds = doc["SageMakerOutput"]["predictions"].as_array().unwrap();
    let rows: Vec<String> = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .zip(preds)
        .map(|(r, p)| {
            let f: Vec<String> = r["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.to_string())
                .collect();
            format!(
                "{},{},{},{id},2024-01-19T19:25:34Z",
                f.join(","),
                p["predicted_label"],
                p["score"]
            )
        })
        .collect();
    // One inference id per record, as ground truth for CSV is one label per id.
    let rows: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| r.replace(id, &format!("{id}-{i}")))
        .collect();
    let (first, second) = rows.split_at(100);
    b.put("csv-output/part-a.csv.out", first.join("\n").as_bytes());
    b.put(
        "csv-output/part-b.csv.out",
        (second.join("\n") + "\n").as_bytes(),
    );
    b.put(
        "csv-capture/output/2024/01/19/19/m.json",
        json!([{"prefix": format!("s3://{}/csv-output/", b.name)}, "part-a.csv.out", "part-b.csv.out"])
            .to_string()
            .as_bytes(),
    );
    let labels: Vec<i64> = {
        let g: Value = serde_json::from_slice(&fixture("ground_truth.jsonl")).unwrap();
        let data: Value =
            serde_json::from_str(g[0]["groundTruthData"]["data"].as_str().unwrap()).unwrap();
        data["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["label"].as_i64().unwrap())
            .collect()
    };
    let truth: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({"groundTruthData": {"data": l.to_string(), "encoding": "CSV"},
                   "eventMetadata": {"eventId": format!("{id}-{i}")}, "eventVersion": "0"})
            .to_string()
        })
        .collect();
    b.put(
        "csv-truth/2024/01/19/19/t.jsonl",
        truth.join("\n").as_bytes(),
    );

    let tmp = tempfile::tempdir().unwrap();
    let json_config = bias_schedule(tmp.path(), &b.name, "");
    let (code, json_rec, stderr) = run_record(&json_config, SCHEDULE, T, &b.env());
    assert_eq!(code, 0, "{json_rec}\n{stderr}");

    // The CSV schedule: label as the config's last header; the predicted label is output
    // column 0.
    let mut cfg: Value = read(&tmp.path().join("analysis_config.json"));
    cfg["label"] = Value::from("Target");
    std::fs::write(tmp.path().join("csv_config.json"), cfg.to_string()).unwrap();
    let csv_yaml = std::fs::read_to_string(&json_config)
        .unwrap()
        .replace("{Json: {Line: false}}", "{Csv: {Header: false}}")
        .replace("/data-capture", "/csv-capture")
        .replace("/ground-truth", "/csv-truth")
        .replace("/monitor-output", "/csv-monitor-output")
        .replace(
            "analysis_config: analysis_config.json",
            "analysis_config: csv_config.json",
        )
        .replace("    features_attribute: \"instances[*].features\"\n", "")
        .replace("\"predictions[*].predicted_label\"", "0");
    let csv_config = tmp.path().join("csv.yaml");
    std::fs::write(&csv_config, csv_yaml).unwrap();
    let (code, csv_rec, stderr) = run_record(&csv_config, SCHEDULE, T, &b.env());
    assert_eq!(code, 0, "{csv_rec}\n{stderr}");
    assert_eq!(csv_rec["counts"]["records_merged"], 334, "{csv_rec}");
    assert_eq!(csv_rec["counts"]["capture_files"], 2, "{csv_rec}");

    let analysis = |prefix: &str| -> Value {
        serde_json::from_slice(
            &b.get(&format!("{prefix}/{SCHEDULE}/2024/01/19/20/analysis.json"))
                .unwrap(),
        )
        .unwrap()
    };
    let (a, c) = (analysis("monitor-output"), analysis("csv-monitor-output"));
    for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        assert_eq!(a[stage]["facets"], c[stage]["facets"], "{stage}");
    }
}

/// Explainability reads the input manifests (the records the jobs read, JSON Lines here as in
/// the examples' batch-transform explainability notebook) and calls the shadow endpoint; its
/// analysis is `analyze`'s on the same rows.
#[test]
fn batch_explainability_explains_the_jobs_input_records_as_analyze_does() {
    let Some(url) = moto_url() else { return };
    let b = Bucket::new(&url, "batchshap");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // 40 census rows as the job's input (one object, named by a manifest whose prefix is the
    // object itself, as observed).
    let census = std::fs::read_to_string(repo_path("demo/data/census_sample.csv")).unwrap();
    let mut lines = census.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<Value>> = lines
        .take(40)
        .map(|l| {
            l.split(',')
                .map(|c| {
                    c.parse::<i64>()
                        .map(Value::from)
                        .or_else(|_| c.parse::<f64>().map(Value::from))
                        .unwrap_or_else(|_| Value::from(c))
                })
                .collect()
        })
        .collect();
    let label_at = header
        .iter()
        .position(|h| *h == "PTOTVAL_Over50000")
        .unwrap();
    let features: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .filter(|(i, _)| *i != label_at)
                .map(|(_, v)| v.clone())
                .collect()
        })
        .collect();
    let jsonl: String = features
        .iter()
        .map(|f| json!({"features": f}).to_string() + "\n")
        .collect();
    std::fs::write(root.join("rows.jsonl"), &jsonl).unwrap();
    b.put("jobs/test-dataset.jsonl", jsonl.as_bytes());
    b.put(
        "capture/input/2024/01/19/06/fb6e1338-3d5c-4268-9f33-3fde11467816.json",
        json!([{"prefix": format!("s3://{}/jobs/test-dataset.jsonl", b.name)}, ""])
            .to_string()
            .as_bytes(),
    );
    let names: Vec<&str> = header
        .iter()
        .filter(|h| **h != "PTOTVAL_Over50000")
        .copied()
        .collect();
    let baseline: Vec<Value> = vec![json!({"features": features[0]})];
    let cfg = json!({
        "dataset_type": "application/jsonlines",
        "features": "features",
        "headers": names,
        "methods": {"shap": {"baseline": baseline, "num_samples": 64, "agg_method": "mean_abs", "seed": 7}},
        "predictor": {"model_name": "census-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                      "content_type": "application/jsonlines", "accept_type": "application/jsonlines",
                      "content_template": "{\"features\":$features}", "label": "score"}
    });
    std::fs::write(root.join("shap.json"), cfg.to_string()).unwrap();
    let server = ModelServer::serving(&repo_path("demo/model/census-xgb.json"), &["census-shadow"]);
    std::fs::write(
        root.join("s.yaml"),
        format!(
            "schedules:\n  - name: batch-shap\n    type: model_explainability\n    batch_transform:\n      dataset_format: {{json: {{line: true}}}}\n    \
             cadence: hourly\n    data_capture: s3://{0}/capture\n    output: s3://{0}/out\n    analysis_config: shap.json\n    \
             shadow_endpoint: census-shadow\n    features_attribute: features\n",
            b.name
        ),
    )
    .unwrap();
    let mut env: Vec<(&str, String)> = b.env().into_iter().collect();
    env.extend(server.env().iter().map(|(k, v)| (*k, v.to_string())));
    let (code, rec, stderr) = run_record(
        &root.join("s.yaml"),
        "batch-shap",
        "2024-01-19T07:00:00Z",
        &env,
    );
    assert_eq!(code, 0, "{rec}\n{stderr}");
    assert_eq!(rec["counts"]["capture_records"], 40, "{rec}");
    let got: Value =
        serde_json::from_slice(&b.get("out/batch-shap/2024/01/19/07/analysis.json").unwrap())
            .unwrap();

    let env: Vec<(&str, &str)> = server.env().to_vec();
    let r = driftwatch_env(
        &[
            "analyze",
            "--dataset",
            root.join("rows.jsonl").to_str().unwrap(),
            "--analysis-config",
            root.join("shap.json").to_str().unwrap(),
            "--shadow-endpoint",
            "census-shadow",
            "--output",
            root.join("analyze").to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let want = read(&root.join("analyze/analysis.json"));
    assert_eq!(got["explanations"], want["explanations"]);
}

/// A manifest that is not one, an object it names that does not exist, and output records
/// without the id or the input: each is named with its address; a window with nothing usable
/// fails permanently, saying why.
#[test]
fn bad_batch_capture_is_named_and_fails_permanently() {
    let Some(url) = moto_url() else { return };
    let b = Bucket::new(&url, "batchbad");
    let hour = "data-capture/output/2024/01/19/19";
    b.put(&format!("{hour}/a-not-a-manifest.json"), b"{\"prefix\": 1}");
    b.put(
        &format!("{hour}/b-missing.json"),
        json!([{"prefix": format!("s3://{}/transform-output/", b.name)}, "gone.json.out"])
            .to_string()
            .as_bytes(),
    );
    b.put(
        &format!("{hour}/c-unjoined.json"),
        json!([{"prefix": format!("s3://{}/transform-output/", b.name)}, "unjoined.json.out", "noid.json.out"])
            .to_string()
            .as_bytes(),
    );
    b.put(
        "transform-output/unjoined.json.out",
        br#"{"SageMakerInferenceId":"x","SageMakerInferenceTime":"2024-01-19T19:25:34Z","predictions":[{"predicted_label":1}]}"#,
    );
    b.put(
        "transform-output/noid.json.out",
        br#"{"SageMakerOutput":{"predictions":[]},"instances":[]}"#,
    );
    for h in ["18", "19"] {
        b.put(
            &format!("ground-truth/2024/01/19/{h}/2934.jsonl"),
            &fixture("ground_truth.jsonl"),
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let config = bias_schedule(tmp.path(), &b.name, "");
    let (code, rec, stderr) = run_record(&config, SCHEDULE, T, &b.env());
    assert_ne!(code, 0, "{rec}");
    assert_eq!(rec["status"], "Failed", "{rec}");
    assert_eq!(rec["failure_class"], "permanent", "{rec}");
    let reason = rec["failure_reason"].as_str().unwrap();
    assert!(reason.contains("no usable captured data"), "{reason}");
    let where_ = rec["malformed"].to_string() + &stderr;
    for needle in [
        "a-not-a-manifest.json: is not a batch transform manifest",
        "gone.json.out: is named by a batch transform manifest of the window but does not exist",
        "unjoined.json.out:1: holds no input features",
        "join_source=Input",
        "noid.json.out:1: has no SageMakerInferenceId",
        "GenerateInferenceId=true",
    ] {
        assert!(where_.contains(needle), "{needle} not in {where_}");
    }
    // Nothing half-written: no analysis for the failed execution.
    assert!(
        b.keys(&format!(
            "monitor-output/{SCHEDULE}/2024/01/19/20/analysis.json"
        ))
        .is_empty()
    );
}

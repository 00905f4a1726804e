//! Metrics on a real CloudWatch API (moto in server mode, started by `scripts/test`): an
//! execution's datums read back with ListMetrics / GetMetricData (names, dimensions, values,
//! timestamps), batching beyond 1,000 datums, ±∞ and nulls, and a publishing failure that
//! leaves the execution's status and files alone.

mod common;

use aws_sdk_cloudwatch::types::{Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat};
use chrono::{DateTime, Utc};
use common::scenario::{self, T};
use common::{aws_env, driftwatch_env, moto_url};
use driftwatch::publish::metrics::{Source, bias_datums, interval_datums};
use driftwatch::publish::put_metric_data;
use serde_json::{Value, json};

/// The scenario's analysis with facet `age` and no facet value: one entry per age value, so
/// 21 metrics x ~60 values is well over one request's 1,000 datums.
const MANY_FACETS_CONFIG: &str = r#"{
  "dataset_type": "text/csv",
  "headers": ["age", "sex", "hga", "hours", "label"],
  "label": "label",
  "label_values_or_threshold": [1],
  "facet": [{"name_or_index": "age"}],
  "group_variable": "hga",
  "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["AD", "DI", "DPPL", "DCA", "DCR", "DAR", "DRR", "RD", "SD", "TE", "GE", "CDDPL"]}},
  "driftwatch": {"label_type": "categorical", "facet_types": {"age": "categorical"}}
}"#;

fn cloudwatch(url: &str) -> aws_sdk_cloudwatch::Client {
    let conf = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .build();
    aws_sdk_cloudwatch::Client::from_conf(conf)
}

fn t() -> DateTime<Utc> {
    driftwatch::sagemaker::time::parse_utc(T).unwrap()
}

async fn list(
    client: &aws_sdk_cloudwatch::Client,
    ns: &str,
    name: &str,
    schedule: &str,
) -> Vec<Metric> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = client
            .list_metrics()
            .namespace(ns)
            .metric_name(name)
            .dimensions(
                DimensionFilter::builder()
                    .name("MonitoringSchedule")
                    .value(schedule)
                    .build(),
            )
            .set_next_token(token)
            .send()
            .await
            .expect("ListMetrics");
        out.extend(r.metrics().iter().cloned());
        token = r.next_token().map(str::to_string);
        if token.is_none() {
            return out;
        }
    }
}

async fn value_at(
    client: &aws_sdk_cloudwatch::Client,
    ns: &str,
    name: &str,
    dims: &[(&str, &str)],
) -> Option<(f64, DateTime<Utc>)> {
    let metric = Metric::builder()
        .namespace(ns)
        .metric_name(name)
        .set_dimensions(Some(
            dims.iter()
                .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
                .collect(),
        ))
        .build();
    let ts = |d: DateTime<Utc>| aws_sdk_cloudwatch::primitives::DateTime::from_secs(d.timestamp());
    let r = client
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("q")
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(60)
                        .stat("Maximum")
                        .build(),
                )
                .build(),
        )
        .start_time(ts(t() - chrono::TimeDelta::hours(1)))
        .end_time(ts(t() + chrono::TimeDelta::hours(1)))
        .send()
        .await
        .expect("GetMetricData");
    let res = r.metric_data_results().first()?;
    let v = *res.values().first()?;
    let when = res.timestamps().first()?;
    Some((v, DateTime::from_timestamp(when.secs(), 0)?))
}

fn run_scenario(
    config_json: &str,
    schedule_extra: &str,
    env: &[(&'static str, String)],
) -> (tempfile::TempDir, Value) {
    let root = tempfile::tempdir().unwrap();
    let config = scenario::write_local(root.path(), config_json, schedule_extra);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = driftwatch_env(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            "census-bias",
            "--at",
            T,
        ],
        &env,
    );
    let record: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (root, record)
}

#[test]
fn an_execution_publishes_sagemaker_bias_metrics_in_batches() {
    let Some(url) = moto_url() else { return };
    let (root, record) = run_scenario(MANY_FACETS_CONFIG, "    cloudwatch: true", &aws_env(&url));
    assert_eq!(record["status"], "Completed", "{record:#}");
    assert_eq!(record["metrics_destination"], "cloudwatch");
    assert_eq!(record["metrics_published"], true, "{record:#}");
    let datums = record["metrics_datums"].as_u64().unwrap() as usize;
    assert!(
        datums > 1000,
        "{datums} datums: the batching must be exercised"
    );

    let analysis: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.path()
                .join("output/census-xgb/census-bias/2024/01/19/12/analysis.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let local = std::fs::read_to_string(
        root.path()
            .join("output/census-xgb/census-bias/2024/01/19/12/cloudwatch_metrics.jsonl"),
    )
    .unwrap();
    assert_eq!(
        local.lines().count(),
        datums,
        "the local sink holds the same datums"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = cloudwatch(&url);
    rt.block_on(async {
        // Every facet value's CI reached CloudWatch (more than one request's worth in all).
        let facet_values = analysis["pre_training_bias_metrics"]["facets"]["age"]
            .as_array()
            .unwrap();
        let ci = list(
            &client,
            "aws/sagemaker/Endpoints/bias-metrics",
            "bias_metric_CI",
            "census-bias",
        )
        .await;
        assert!(
            ci.len() >= facet_values.len(),
            "{} CI series for {} facet values",
            ci.len(),
            facet_values.len()
        );
        let dim_names: Vec<&str> = ci[0].dimensions().iter().filter_map(|d| d.name()).collect();
        for want in [
            "Endpoint",
            "MonitoringSchedule",
            "BiasStage",
            "Label",
            "LabelValue",
            "Facet",
            "FacetValue",
        ] {
            assert!(dim_names.contains(&want), "{dim_names:?}");
        }
        // One value read back exactly, at the scheduled time.
        let first = &facet_values[0];
        let fv = first["value_or_threshold"].as_str().unwrap();
        let want = first["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "CI")
            .unwrap()["value"]
            .as_f64()
            .unwrap();
        let (got, when) = value_at(
            &client,
            "aws/sagemaker/Endpoints/bias-metrics",
            "bias_metric_CI",
            &[
                ("Endpoint", "census-xgb"),
                ("MonitoringSchedule", "census-bias"),
                ("BiasStage", "Pre-training"),
                ("Label", "label"),
                ("LabelValue", "1"),
                ("Facet", "age"),
                ("FacetValue", fv),
            ],
        )
        .await
        .expect("the CI datum is stored");
        assert_eq!(got, want);
        assert_eq!(when, t());
        // driftwatch's health metrics.
        let (failed, _) = value_at(
            &client,
            "driftwatch",
            "ExecutionFailed",
            &[
                ("Endpoint", "census-xgb"),
                ("MonitoringSchedule", "census-bias"),
                ("MonitoringType", "ModelBias"),
            ],
        )
        .await
        .expect("ExecutionFailed stored");
        assert_eq!(failed, 0.0);
    });
}

#[test]
fn infinities_are_published_as_sagemakers_number_and_nulls_not_at_all() {
    let Some(url) = moto_url() else { return };
    let schedule = format!("inf-{}", std::process::id());
    let src = Source {
        endpoint: Some("ep-inf"),
        schedule: &schedule,
        scheduled_time: t(),
    };
    let analysis = json!({
        "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1", "facets": {"f": [
            {"value_or_threshold": "a", "metrics": [
                {"name": "DI", "description": "Disparate Impact (DI)", "value": "Infinity"},
                {"name": "TE", "description": "Treatment Equality (TE)", "value": "-Infinity"},
                {"name": "AD", "description": "Accuracy Difference (AD)", "value": null, "error": "x"}
            ]}
        ]}}
    });
    let datums = bias_datums(&src, &serde_json::from_value(analysis).unwrap());
    assert_eq!(datums.len(), 2);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = cloudwatch(&url);
    rt.block_on(async {
        put_metric_data(&client, &datums)
            .await
            .expect("PutMetricData");
        let dims = [
            ("Endpoint", "ep-inf"),
            ("MonitoringSchedule", schedule.as_str()),
            ("BiasStage", "Post-Training"),
            ("Label", "y"),
            ("LabelValue", "1"),
            ("Facet", "f"),
            ("FacetValue", "a"),
        ];
        let (di, _) = value_at(
            &client,
            "aws/sagemaker/Endpoints/bias-metrics",
            "bias_metric_DI",
            &dims,
        )
        .await
        .unwrap();
        assert_eq!(di, 2.348543e108);
        let (te, _) = value_at(
            &client,
            "aws/sagemaker/Endpoints/bias-metrics",
            "bias_metric_TE",
            &dims,
        )
        .await
        .unwrap();
        assert_eq!(te, -2.348543e108);
        assert!(
            list(
                &client,
                "aws/sagemaker/Endpoints/bias-metrics",
                "bias_metric_AD",
                &schedule
            )
            .await
            .is_empty()
        );
    });
}

#[test]
fn a_publishing_failure_keeps_the_status_and_the_files() {
    if moto_url().is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}");
    let env = vec![
        ("AWS_ENDPOINT_URL_CLOUDWATCH", dead),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ];
    let (root, record) = run_scenario(scenario::ANALYSIS_CONFIG, "    cloudwatch: true", &env);
    assert_eq!(record["status"], "Completed", "{record:#}");
    assert_eq!(record["metrics_published"], false);
    let err = record["metrics_error"].as_str().unwrap();
    assert!(err.contains("PutMetricData"), "{err}");
    let folder = root
        .path()
        .join("output/census-xgb/census-bias/2024/01/19/12");
    assert!(folder.join("analysis.json").exists());
    assert!(folder.join("cloudwatch_metrics.jsonl").exists());
    assert!(folder.join("execution.json").exists());
}

#[test]
fn without_cloudwatch_the_local_sink_gets_the_datums() {
    let (root, record) = run_scenario(scenario::ANALYSIS_CONFIG, "", &[]);
    assert_eq!(record["metrics_destination"], "local");
    assert_eq!(record["metrics_published"], true);
    let text = std::fs::read_to_string(
        root.path()
            .join("output/census-xgb/census-bias/2024/01/19/12/cloudwatch_metrics.jsonl"),
    )
    .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        record["metrics_datums"].as_u64().unwrap() as usize
    );
    let ci = lines
        .iter()
        .find(|l| l["MetricName"] == "bias_metric_CI")
        .unwrap();
    assert_eq!(ci["Namespace"], "aws/sagemaker/Endpoints/bias-metrics");
    assert_eq!(ci["Timestamp"], T);
    assert_eq!(
        ci["Dimensions"][2],
        json!({"Name": "BiasStage", "Value": "Pre-training"})
    );
    assert!(
        lines
            .iter()
            .any(|l| l["MetricName"] == "ExecutionFailed" && l["Value"] == 0.0)
    );
}

#[test]
fn interval_bounds_are_published_in_driftwatchs_namespace() {
    let Some(url) = moto_url() else { return };
    let schedule = format!("iv-{}", std::process::id());
    let src = Source {
        endpoint: Some("ep-iv"),
        schedule: &schedule,
        scheduled_time: t(),
    };
    let analysis: driftwatch::sagemaker::AnalysisDoc = serde_json::from_value(json!({
        "version": "1.0",
        "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1", "facets": {"f": [
            {"value_or_threshold": "a", "metrics": [
                {"name": "DPPL", "description": "x", "value": 0.3},
                {"name": "FT", "description": "Flip Test (FT)", "value": 0.1}
            ]}
        ]}},
        "driftwatch": {"version": "t", "warnings": [],
            "intervals": {"post_training_bias_metrics": {"f": {"a": {
                "DPPL": {"lower": 0.15, "upper": 0.45, "confidence": 0.95, "resamples": 1000},
                "FT": {"confidence": 0.95, "resamples": 1000, "note": "not bootstrapped"}}}}},
            "ndcg": {"label0": 0.8},
            "ndcg_intervals": {"label0": {"lower": 0.7, "upper": 0.88, "confidence": 0.95, "resamples": 1000}}}
    }))
    .unwrap();
    let datums = interval_datums(&src, &analysis);
    let names: Vec<&str> = datums.iter().map(|d| d.metric_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bias_metric_DPPL_lower",
            "bias_metric_DPPL_upper",
            "AttributionNDCGLower",
            "AttributionNDCGUpper"
        ]
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = cloudwatch(&url);
    rt.block_on(async {
        put_metric_data(&client, &datums)
            .await
            .expect("PutMetricData");
        let dims = [
            ("Endpoint", "ep-iv"),
            ("MonitoringSchedule", schedule.as_str()),
            ("BiasStage", "Post-Training"),
            ("Label", "y"),
            ("LabelValue", "1"),
            ("Facet", "f"),
            ("FacetValue", "a"),
        ];
        let (lo, _) = value_at(&client, "driftwatch", "bias_metric_DPPL_lower", &dims)
            .await
            .expect("lower bound stored");
        let (hi, _) = value_at(&client, "driftwatch", "bias_metric_DPPL_upper", &dims)
            .await
            .expect("upper bound stored");
        assert_eq!((lo, hi), (0.15, 0.45));
        let (n, _) = value_at(
            &client,
            "driftwatch",
            "AttributionNDCGUpper",
            &[
                ("Endpoint", "ep-iv"),
                ("MonitoringSchedule", schedule.as_str()),
                ("Label", "label0"),
            ],
        )
        .await
        .expect("nDCG bound stored");
        assert_eq!(n, 0.88);
        // SageMaker's namespace is untouched by the bounds.
        assert!(
            list(
                &client,
                "aws/sagemaker/Endpoints/bias-metrics",
                "bias_metric_DPPL_lower",
                &schedule
            )
            .await
            .is_empty()
        );
    });
}

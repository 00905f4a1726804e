//! One SageMaker monitoring schedule (and what it references) → one driftwatch schedule
//! entry, with every field that has no driftwatch key reported rather than dropped.

use std::collections::BTreeMap;

use super::describe::{Described, JobDefinition, JobKind, MonitoringSchedule, inline_definition};

/// A YAML scalar of an entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Num(f64),
    Int(u64),
    Bool(bool),
    /// A mapping written in YAML's flow style (`{dataset_format: {Json: {Line: false}}}`).
    Flow(String),
}

/// What a job definition monitors.
enum Source {
    Endpoint(String),
    /// The `batch_transform:` value, in flow style.
    Batch(String),
}

/// `DatasetFormat` → `{dataset_format: {Json: {Line: false}}}`; Parquet is refused by name
/// (driftwatch reads transform jobs' CSV and JSON).
fn batch_format(def_name: &str, format: &serde_json::Value) -> Result<String, String> {
    let m = format.as_object().filter(|m| m.len() == 1).ok_or_else(|| {
        format!(
            "{def_name}: BatchTransformInput.DatasetFormat {format} is not Csv, Json or Parquet"
        )
    })?;
    let (kind, body) = m.iter().next().ok_or("empty DatasetFormat")?;
    let flag = |name: &str| {
        body.get(name)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    match kind.as_str() {
        "Csv" => Ok(format!(
            "{{dataset_format: {{Csv: {{Header: {}}}}}}}",
            flag("Header")
        )),
        "Json" => Ok(format!(
            "{{dataset_format: {{Json: {{Line: {}}}}}}}",
            flag("Line")
        )),
        other => Err(format!(
            "{def_name}: BatchTransformInput.DatasetFormat {other} is not read by driftwatch (CSV or JSON transform capture)"
        )),
    }
}

/// A schedule entry: keys in the order a reader expects them.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub fields: Vec<(&'static str, Scalar)>,
    /// Fields of the SageMaker schedule with no driftwatch key, each with what it was.
    pub unmapped: Vec<String>,
}

/// The outcome for one SageMaker schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Entry(Entry),
    /// Not importable, and why (what to add to the folder, or what driftwatch lacks).
    Skipped {
        name: String,
        why: String,
    },
}

/// Options of the import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Production endpoint → the shadow endpoint serving its model (`shadow_endpoint` of its
    /// explainability schedules).
    pub shadow_endpoints: BTreeMap<String, String>,
}

pub fn map_schedule(s: &MonitoringSchedule, d: &Described, opts: &Options) -> Mapped {
    let name = s.monitoring_schedule_name.clone();
    match entry(s, d, opts) {
        Ok(e) => Mapped::Entry(e),
        Err(why) => Mapped::Skipped { name, why },
    }
}

fn entry(s: &MonitoringSchedule, d: &Described, opts: &Options) -> Result<Entry, String> {
    let config = s
        .monitoring_schedule_config
        .as_ref()
        .ok_or("it has no MonitoringScheduleConfig")?;
    let kind_name = s
        .monitoring_type
        .as_deref()
        .or(config.monitoring_type.as_deref())
        .unwrap_or("");
    let kind = match kind_name {
        "ModelBias" => JobKind::ModelBias,
        "ModelExplainability" => JobKind::ModelExplainability,
        "DataQuality" => JobKind::DataQuality,
        // SageMaker's own inline definitions are data-quality ones (DefaultModelMonitor).
        "" if config.monitoring_job_definition.is_some() => JobKind::DataQuality,
        "ModelQuality" => JobKind::ModelQuality,
        other => {
            return Err(format!(
                "MonitoringType {other:?} is not ModelBias, ModelExplainability, DataQuality or ModelQuality"
            ));
        }
    };
    let inline;
    let (def_name, def) = match (
        &config.monitoring_job_definition,
        config.monitoring_job_definition_name.as_deref(),
    ) {
        (Some(v), _) if kind == JobKind::DataQuality => {
            inline = inline_definition(&s.monitoring_schedule_name, v)?;
            ("its MonitoringJobDefinition", &inline)
        }
        (_, Some(def_name)) => {
            let command = match kind {
                JobKind::ModelBias => "describe-model-bias-job-definition",
                JobKind::ModelExplainability => "describe-model-explainability-job-definition",
                JobKind::DataQuality => "describe-data-quality-job-definition",
                JobKind::ModelQuality => "describe-model-quality-job-definition",
            };
            let def = d
                .definitions
                .iter()
                .map(|(_, j)| j)
                .find(|j| j.name == def_name && j.kind == kind)
                .ok_or_else(|| {
                    format!(
                        "its job definition {def_name} is not in the folder: save `aws sagemaker {command} --job-definition-name {def_name}` there"
                    )
                })?;
            (def_name, def)
        }
        (_, None) => {
            return Err("its MonitoringScheduleConfig names no MonitoringJobDefinitionName".into());
        }
    };
    let mut unmapped = Vec::new();
    // What is monitored: an endpoint's capture, or batch transform jobs' capture.
    let (source, capture, input) = match (&def.endpoint_input, &def.batch_transform_input) {
        (Some(input), _) => {
            let endpoint = input
                .endpoint_name
                .clone()
                .or_else(|| s.endpoint_name.clone())
                .ok_or_else(|| format!("{def_name}: EndpointInput names no EndpointName"))?;
            let capture = capture_destination(&endpoint, d, &mut unmapped)?;
            (Source::Endpoint(endpoint), capture, input)
        }
        (None, Some(b)) => {
            let capture = b.data_captured_destination_s3_uri.clone().ok_or_else(|| {
                format!("{def_name}: BatchTransformInput has no DataCapturedDestinationS3Uri")
            })?;
            let format = b
                .dataset_format
                .as_ref()
                .ok_or_else(|| format!("{def_name}: BatchTransformInput has no DatasetFormat"))?;
            (
                Source::Batch(batch_format(def_name, format)?),
                capture,
                &b.attributes,
            )
        }
        (None, None) => return Err(format!("{def_name} has no EndpointInput")),
    };
    let schedule = config.schedule_config.as_ref();
    let cadence = schedule
        .and_then(|c| c.schedule_expression.clone())
        .ok_or("its ScheduleConfig has no ScheduleExpression")?;
    let app = def.app.as_ref();
    let analysis = match kind {
        JobKind::DataQuality | JobKind::ModelQuality => None,
        _ => Some(app.and_then(|a| a.config_uri.clone()).ok_or_else(|| {
            format!(
                "{def_name}: {}AppSpecification has no ConfigUri (the analysis config)",
                kind.monitoring_type()
            )
        })?),
    };
    let output = def
        .outputs
        .first()
        .and_then(|o| o.s3_uri.clone())
        .ok_or_else(|| format!("{def_name}: no MonitoringOutputs[0].S3Output.S3Uri"))?;

    let mut f: Vec<(&'static str, Scalar)> = vec![
        ("name", Scalar::Str(s.monitoring_schedule_name.clone())),
        (
            "type",
            Scalar::Str(
                match kind {
                    JobKind::ModelBias => "model_bias",
                    JobKind::ModelExplainability => "model_explainability",
                    JobKind::DataQuality => "data_quality",
                    JobKind::ModelQuality => "model_quality",
                }
                .into(),
            ),
        ),
        match &source {
            Source::Endpoint(e) => ("endpoint", Scalar::Str(e.clone())),
            Source::Batch(flow) => ("batch_transform", Scalar::Flow(flow.clone())),
        },
        ("cadence", Scalar::Str(cadence)),
        ("data_capture", Scalar::Str(capture)),
    ];
    if kind == JobKind::ModelQuality {
        let problem = app.and_then(|a| a.problem_type.clone()).ok_or_else(|| {
            format!("{def_name}: ModelQualityAppSpecification has no ProblemType")
        })?;
        f.push(("problem_type", Scalar::Str(problem)));
    }
    if matches!(kind, JobKind::ModelBias | JobKind::ModelQuality) {
        let gt = def.ground_truth.clone().ok_or_else(|| {
            format!(
                "{def_name}: {}JobInput has no GroundTruthS3Input.S3Uri",
                kind.monitoring_type()
            )
        })?;
        f.push(("ground_truth", Scalar::Str(gt)));
    }
    f.push(("output", Scalar::Str(output)));
    if let Some(analysis) = analysis {
        f.push(("analysis_config", Scalar::Str(analysis)));
    }
    if kind == JobKind::ModelQuality {
        // The baselining job writes constraints.json beside statistics.json, as data
        // quality's does.
        let (constraints, statistics) = data_quality_baseline(def, d, &mut unmapped);
        if let Some(c) = constraints {
            f.push(("baseline_constraints", Scalar::Str(c)));
        }
        if let Some(st) = statistics {
            f.push(("baseline_statistics", Scalar::Str(st)));
        }
    } else if kind == JobKind::DataQuality {
        let (constraints, statistics) = data_quality_baseline(def, d, &mut unmapped);
        if let Some(c) = constraints {
            f.push(("baseline_constraints", Scalar::Str(c)));
        }
        if let Some(st) = statistics {
            f.push(("baseline_statistics", Scalar::Str(st)));
        }
        data_quality_unmapped(def, &mut unmapped);
    } else if let Some(b) = baseline(def, d, &mut unmapped) {
        f.push(("baseline_constraints", Scalar::Str(b)));
    }
    let text = |key: &'static str, v: &Option<String>, f: &mut Vec<(&'static str, Scalar)>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            f.push((key, Scalar::Str(v.clone())));
        }
    };
    text("start_time_offset", &input.start_time_offset, &mut f);
    text("end_time_offset", &input.end_time_offset, &mut f);
    if let Some(c) = schedule {
        text(
            "data_analysis_start_time",
            &c.data_analysis_start_time,
            &mut f,
        );
        text("data_analysis_end_time", &c.data_analysis_end_time, &mut f);
    }
    text("features_attribute", &input.features_attribute, &mut f);
    text("inference_attribute", &input.inference_attribute, &mut f);
    text(
        "probability_attribute",
        &input.probability_attribute,
        &mut f,
    );
    if let Some(t) = input.probability_threshold_attribute {
        f.push(("probability_threshold_attribute", Scalar::Num(t)));
    }
    text(
        "exclude_features_attribute",
        &input.exclude_features_attribute,
        &mut f,
    );
    // SageMaker publishes unless told not to.
    let publish = app
        .and_then(|a| a.environment.get("publish_cloudwatch_metrics"))
        .is_none_or(|v| !v.eq_ignore_ascii_case("Disabled"));
    f.push(("cloudwatch", Scalar::Bool(publish)));
    if let Some(secs) = def.max_runtime_seconds {
        f.push(("max_runtime", Scalar::Int(secs)));
    }
    if kind == JobKind::ModelExplainability {
        // A batch schedule's shadow is given under the schedule's own name.
        let key = match &source {
            Source::Endpoint(e) => e.as_str(),
            Source::Batch(_) => s.monitoring_schedule_name.as_str(),
        };
        match opts.shadow_endpoints.get(key) {
            Some(shadow) => f.push(("shadow_endpoint", Scalar::Str(shadow.clone()))),
            None => unmapped.push(format!(
                "the endpoint Clarify creates for a predictor given by model_name (what ModelExplainabilityMonitor writes): if the analysis config names predictor.model_name, add shadow_endpoint: NAME (an endpoint serving that model with data capture off), or import with --shadow-endpoint {key}=NAME"
            )),
        }
    }
    report_unmapped(s, def, &mut unmapped);
    Ok(Entry {
        name: s.monitoring_schedule_name.clone(),
        fields: f,
        unmapped,
    })
}

/// The endpoint's capture destination: its description, else its endpoint config's.
fn capture_destination(
    endpoint: &str,
    d: &Described,
    unmapped: &mut Vec<String>,
) -> Result<String, String> {
    let described = d.endpoints.iter().find(|e| e.endpoint_name == endpoint);
    let config_name = described.and_then(|e| e.endpoint_config_name.clone());
    let config = d
        .endpoint_configs
        .iter()
        .find(|c| Some(&c.endpoint_config_name) == config_name.as_ref());
    let capture = described
        .and_then(|e| e.data_capture_config.as_ref())
        .filter(|c| c.destination_s3_uri.is_some())
        .or_else(|| config.and_then(|c| c.data_capture_config.as_ref()));
    let Some(capture) = capture else {
        return Err(match (described, config_name) {
            (None, _) => format!(
                "the capture destination of endpoint {endpoint} is unknown: save `aws sagemaker describe-endpoint --endpoint-name {endpoint}` (and describe-endpoint-config) in the folder"
            ),
            (Some(_), Some(c)) => format!(
                "endpoint {endpoint} has no DataCaptureConfig; if its endpoint config {c} has one, save `aws sagemaker describe-endpoint-config --endpoint-config-name {c}` in the folder"
            ),
            (Some(_), None) => {
                format!("endpoint {endpoint} has no DataCaptureConfig (capture is off)")
            }
        });
    };
    if capture.enable_capture == Some(false) {
        unmapped.push(format!(
            "data capture of endpoint {endpoint} is disabled (EnableCapture false): executions will find no records until it is enabled"
        ));
    }
    if let Some(k) = &capture.kms_key_id {
        unmapped.push(format!(
            "capture KmsKeyId {k}: driftwatch reads the objects with its own credentials, which need kms:Decrypt on that key"
        ));
    }
    capture
        .destination_s3_uri
        .clone()
        .ok_or_else(|| format!("endpoint {endpoint}: DataCaptureConfig has no DestinationS3Uri"))
}

/// `ConstraintsResource.S3Uri`, else the analysis.json the baselining job wrote.
fn baseline(def: &JobDefinition, d: &Described, unmapped: &mut Vec<String>) -> Option<String> {
    let b = def.baseline.as_ref()?;
    if let Some(uri) = b
        .constraints_resource
        .as_ref()
        .and_then(|c| c.s3_uri.clone())
    {
        return Some(uri);
    }
    let job_name = b.baselining_job_name.as_ref()?;
    let Some(job) = d
        .processing_jobs
        .iter()
        .find(|j| &j.processing_job_name == job_name)
    else {
        unmapped.push(format!(
            "baseline: BaseliningJobName {job_name} — save `aws sagemaker describe-processing-job --processing-job-name {job_name}` in the folder to import its analysis.json as baseline_constraints; without one, executions are not checked"
        ));
        return None;
    };
    if let Some(status) = job
        .processing_job_status
        .as_deref()
        .filter(|s| *s != "Completed")
    {
        unmapped.push(format!(
            "baseline: the baselining job {job_name} is {status}, so its analysis.json may not exist"
        ));
    }
    let outputs = job
        .processing_output_config
        .as_ref()
        .map(|c| c.outputs.as_slice())
        .unwrap_or_default();
    // Clarify's output is named analysis_result; a job with one output has no doubt.
    let out = outputs
        .iter()
        .find(|o| o.output_name.as_deref() == Some("analysis_result"))
        .or(if outputs.len() == 1 {
            outputs.first()
        } else {
            None
        })
        .and_then(|o| o.s3_output.as_ref())
        .and_then(|o| o.s3_uri.clone());
    match out {
        Some(uri) => Some(format!("{}/analysis.json", uri.trim_end_matches('/'))),
        None => {
            unmapped.push(format!(
                "baseline: the baselining job {job_name} has no analysis_result output to read analysis.json from"
            ));
            None
        }
    }
}

/// A data-quality definition's `ConstraintsResource` and `StatisticsResource`, else the two
/// files its baselining job wrote.
fn data_quality_baseline(
    def: &JobDefinition,
    d: &Described,
    unmapped: &mut Vec<String>,
) -> (Option<String>, Option<String>) {
    let Some(b) = def.baseline.as_ref() else {
        return (None, None);
    };
    let uri = |r: &Option<super::describe::S3Resource>| r.as_ref().and_then(|r| r.s3_uri.clone());
    let (mut c, mut s) = (uri(&b.constraints_resource), uri(&b.statistics_resource));
    if let (Some(job_name), true) = (&b.baselining_job_name, c.is_none() || s.is_none()) {
        let out = d
            .processing_jobs
            .iter()
            .find(|j| &j.processing_job_name == job_name)
            .and_then(|j| j.processing_output_config.as_ref())
            .and_then(|o| o.outputs.first())
            .and_then(|o| o.s3_output.as_ref())
            .and_then(|o| o.s3_uri.clone());
        match out {
            Some(uri) => {
                let base = uri.trim_end_matches('/');
                c.get_or_insert_with(|| format!("{base}/constraints.json"));
                s.get_or_insert_with(|| format!("{base}/statistics.json"));
            }
            None => unmapped.push(format!(
                "baseline: BaseliningJobName {job_name} — save `aws sagemaker describe-processing-job --processing-job-name {job_name}` in the folder to import its constraints.json and statistics.json"
            )),
        }
    }
    (c, s)
}

/// What a data-quality definition holds that driftwatch does not run.
fn data_quality_unmapped(def: &JobDefinition, unmapped: &mut Vec<String>) {
    let Some(app) = &def.app else { return };
    if let Some(uri) = &app.record_preprocessor_source_uri {
        unmapped.push(format!(
            "RecordPreprocessorSourceUri {uri}: driftwatch runs no preprocessor scripts, so this schedule profiles the records as captured; features_attribute, inference_attribute / probability_attribute and inference_id_prefix do what most preprocessors do"
        ));
    }
    if let Some(uri) = &app.post_analytics_processor_source_uri {
        unmapped.push(format!(
            "PostAnalyticsProcessorSourceUri {uri}: driftwatch runs no post-analytics scripts; a job of your own can read each execution's statistics.json, constraint_violations.json and execution.json"
        ));
    }
}

/// Everything else of the schedule and its definition that driftwatch has no key for.
fn report_unmapped(s: &MonitoringSchedule, def: &JobDefinition, out: &mut Vec<String>) {
    if let Some(status) = s
        .monitoring_schedule_status
        .as_deref()
        .filter(|st| *st != "Scheduled")
    {
        out.push(format!(
            "MonitoringScheduleStatus {status}: imported as a running schedule; stop the SageMaker one before `serve` runs this"
        ));
    }
    if let Some(role) = &def.role_arn {
        out.push(format!(
            "RoleArn {role}: driftwatch runs with the credentials where it runs (deploy/iam/policy.json lists what it needs)"
        ));
    }
    if let Some(c) = &def.cluster {
        out.push(format!(
            "JobResources.ClusterConfig {}: driftwatch runs in its own process (executor: for shards or Ray)",
            c
        ));
    }
    if let Some(n) = &def.network {
        out.push(format!(
            "NetworkConfig {}: driftwatch uses the network where it runs",
            n
        ));
    }
    if let Some(k) = &def.output_kms_key {
        out.push(format!(
            "output KmsKeyId {k}: driftwatch's writes use the bucket's default encryption"
        ));
    }
    if def.outputs.len() > 1 {
        out.push(format!(
            "{} MonitoringOutputs: only the first is used",
            def.outputs.len()
        ));
    }
    if let Some(app) = &def.app {
        if let Some(image) = &app.image_uri {
            out.push(format!("ImageUri {image}: driftwatch is the analyzer"));
        }
        let others: Vec<String> = app
            .environment
            .iter()
            // The container's plumbing, set by the SDK on every data-quality definition.
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "publish_cloudwatch_metrics"
                        | "dataset_format"
                        | "dataset_source"
                        | "output_path"
                )
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !others.is_empty() {
            out.push(format!("Environment {}", others.join(", ")));
        }
    }
}

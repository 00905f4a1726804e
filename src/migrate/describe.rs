//! What `aws sagemaker describe-*` prints, as types: only the fields an import maps or
//! reports, every one optional (the API adds fields over time; an import must not break on
//! one it does not know). Files are recognised by their content, not their names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::MigrateError;

/// `describe-monitoring-schedule`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MonitoringSchedule {
    pub monitoring_schedule_name: String,
    pub monitoring_schedule_status: Option<String>,
    pub monitoring_type: Option<String>,
    pub monitoring_schedule_config: Option<ScheduleConfigBlock>,
    pub endpoint_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleConfigBlock {
    pub schedule_config: Option<ScheduleConfig>,
    pub monitoring_job_definition_name: Option<String>,
    pub monitoring_type: Option<String>,
    /// The inline definition data-quality schedules may carry instead of a name.
    pub monitoring_job_definition: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleConfig {
    pub schedule_expression: Option<String>,
    pub data_analysis_start_time: Option<String>,
    pub data_analysis_end_time: Option<String>,
}

/// `describe-model-bias-job-definition` or `describe-model-explainability-job-definition`,
/// their `ModelBias*` / `ModelExplainability*` blocks read into one shape.
#[derive(Debug, Clone)]
pub struct JobDefinition {
    pub name: String,
    pub kind: JobKind,
    pub baseline: Option<BaselineConfig>,
    pub app: Option<AppSpecification>,
    pub endpoint_input: Option<EndpointInput>,
    pub batch_transform_input: Option<BatchTransformInput>,
    pub ground_truth: Option<String>,
    pub outputs: Vec<S3Output>,
    pub output_kms_key: Option<String>,
    pub cluster: Option<Value>,
    pub network: Option<Value>,
    pub role_arn: Option<String>,
    pub max_runtime_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    ModelBias,
    ModelExplainability,
    DataQuality,
    ModelQuality,
}

impl JobKind {
    /// The API's prefix of the definition's blocks (`ModelBiasJobInput`, …).
    fn prefix(self) -> &'static str {
        match self {
            Self::ModelBias => "ModelBias",
            Self::ModelExplainability => "ModelExplainability",
            Self::DataQuality => "DataQuality",
            Self::ModelQuality => "ModelQuality",
        }
    }

    pub fn monitoring_type(self) -> &'static str {
        self.prefix()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BaselineConfig {
    pub baselining_job_name: Option<String>,
    pub constraints_resource: Option<S3Resource>,
    /// Data quality's baseline statistics (for drift).
    pub statistics_resource: Option<S3Resource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3Resource {
    pub s3_uri: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AppSpecification {
    pub image_uri: Option<String>,
    pub config_uri: Option<String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Model quality's `ProblemType`.
    pub problem_type: Option<String>,
    /// Data quality's user scripts.
    pub record_preprocessor_source_uri: Option<String>,
    pub post_analytics_processor_source_uri: Option<String>,
}

/// `BatchTransformInput`: where the transform jobs' capture is and how it is written, with
/// the same attributes as `EndpointInput`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchTransformInput {
    pub data_captured_destination_s3_uri: Option<String>,
    /// `{"Csv": {"Header": bool}}` | `{"Json": {"Line": bool}}` | `{"Parquet": {}}`.
    pub dataset_format: Option<Value>,
    #[serde(flatten)]
    pub attributes: EndpointInput,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointInput {
    pub endpoint_name: Option<String>,
    pub features_attribute: Option<String>,
    pub inference_attribute: Option<String>,
    pub probability_attribute: Option<String>,
    pub probability_threshold_attribute: Option<f64>,
    pub start_time_offset: Option<String>,
    pub end_time_offset: Option<String>,
    pub exclude_features_attribute: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3Output {
    pub s3_uri: Option<String>,
}

/// `describe-processing-job`: the baselining job a definition may name instead of a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingJob {
    pub processing_job_name: String,
    pub processing_job_status: Option<String>,
    pub processing_output_config: Option<ProcessingOutputConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingOutputConfig {
    #[serde(default)]
    pub outputs: Vec<ProcessingOutput>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingOutput {
    pub output_name: Option<String>,
    pub s3_output: Option<S3Resource>,
}

/// `describe-endpoint` (its current capture) or `describe-endpoint-config` (the configured
/// one): both hold a `DataCaptureConfig` with the destination.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    pub endpoint_name: String,
    pub endpoint_config_name: Option<String>,
    pub data_capture_config: Option<DataCapture>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointConfig {
    pub endpoint_config_name: String,
    pub data_capture_config: Option<DataCapture>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataCapture {
    pub enable_capture: Option<bool>,
    pub destination_s3_uri: Option<String>,
    pub kms_key_id: Option<String>,
}

/// Everything read from the folder.
#[derive(Debug, Default)]
pub struct Described {
    pub schedules: Vec<(PathBuf, MonitoringSchedule)>,
    pub definitions: Vec<(PathBuf, JobDefinition)>,
    pub processing_jobs: Vec<ProcessingJob>,
    pub endpoints: Vec<Endpoint>,
    pub endpoint_configs: Vec<EndpointConfig>,
    /// JSON files that are none of these (named in the report, never fatal).
    pub other: Vec<PathBuf>,
}

impl Described {
    /// Reads every `*.json` file of `dir` (not recursively), in name order.
    pub fn read(dir: &Path) -> Result<Self, MigrateError> {
        let entries = std::fs::read_dir(dir).map_err(|e| MigrateError::Folder {
            dir: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(MigrateError::Folder {
                dir: dir.to_path_buf(),
                message:
                    "holds no .json file (save each `aws sagemaker describe-…` answer as FILE.json)"
                        .into(),
            });
        }
        let mut out = Self::default();
        for file in files {
            let text = crate::limits::read_config(&file).map_err(|message| MigrateError::File {
                file: file.clone(),
                message,
            })?;
            let v: Value = serde_json::from_str(&text).map_err(|e| MigrateError::File {
                file: file.clone(),
                message: format!("is not JSON: {e}"),
            })?;
            out.add(file, v)?;
        }
        Ok(out)
    }

    fn add(&mut self, file: PathBuf, v: Value) -> Result<(), MigrateError> {
        let has = |k: &str| v.get(k).is_some();
        let parse_err = |e: serde_json::Error, what: &str| MigrateError::File {
            file: file.clone(),
            message: format!("is not a {what} answer: {e}"),
        };
        if has("MonitoringScheduleName") && has("MonitoringScheduleConfig") {
            let s = serde_json::from_value(v)
                .map_err(|e| parse_err(e, "describe-monitoring-schedule"))?;
            self.schedules.push((file, s));
        } else if has("JobDefinitionName")
            && let Some(kind) = [
                JobKind::ModelBias,
                JobKind::ModelExplainability,
                JobKind::DataQuality,
                JobKind::ModelQuality,
            ]
            .into_iter()
            .find(|k| has(&format!("{}JobInput", k.prefix())))
        {
            let d = job_definition(&v, kind).map_err(|m| MigrateError::File {
                file: file.clone(),
                message: m,
            })?;
            self.definitions.push((file, d));
        } else if has("ProcessingJobName") {
            let j =
                serde_json::from_value(v).map_err(|e| parse_err(e, "describe-processing-job"))?;
            self.processing_jobs.push(j);
        } else if has("EndpointName") && has("EndpointConfigName") && has("EndpointStatus") {
            let e = serde_json::from_value(v).map_err(|e| parse_err(e, "describe-endpoint"))?;
            self.endpoints.push(e);
        } else if has("EndpointConfigName") && has("ProductionVariants") {
            let c =
                serde_json::from_value(v).map_err(|e| parse_err(e, "describe-endpoint-config"))?;
            self.endpoint_configs.push(c);
        } else {
            self.other.push(file);
        }
        Ok(())
    }
}

/// The inline `MonitoringJobDefinition` of a data-quality schedule (what the SDK's
/// `DefaultModelMonitor` creates), read into the shape of a named definition.
pub fn inline_definition(name: &str, v: &Value) -> Result<JobDefinition, String> {
    let mut app = v
        .get("MonitoringAppSpecification")
        .cloned()
        .unwrap_or(Value::Null);
    if let (Some(o), Some(env)) = (app.as_object_mut(), v.get("Environment")) {
        o.insert("Environment".into(), env.clone());
    }
    let input = v
        .get("MonitoringInputs")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    let shaped = serde_json::json!({
        "JobDefinitionName": name,
        "DataQualityBaselineConfig": v.get("BaselineConfig"),
        "DataQualityAppSpecification": app,
        "DataQualityJobInput": input,
        "DataQualityJobOutputConfig": v.get("MonitoringOutputConfig"),
        "JobResources": v.get("MonitoringResources"),
        "NetworkConfig": v.get("NetworkConfig"),
        "RoleArn": v.get("RoleArn"),
        "StoppingCondition": v.get("StoppingCondition"),
    });
    job_definition(&shaped, JobKind::DataQuality)
        .map_err(|e| format!("MonitoringJobDefinition: {e}"))
}

/// A job definition's `{Prefix}BaselineConfig`, `{Prefix}AppSpecification`,
/// `{Prefix}JobInput`, `{Prefix}JobOutputConfig` and the shared fields.
fn job_definition(v: &Value, kind: JobKind) -> Result<JobDefinition, String> {
    let p = kind.prefix();
    fn field<T: serde::de::DeserializeOwned>(v: &Value, key: &str) -> Result<Option<T>, String> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => serde_json::from_value(x.clone())
                .map(Some)
                .map_err(|e| format!("{key}: {e}")),
        }
    }
    let input = v
        .get(format!("{p}JobInput"))
        .cloned()
        .unwrap_or(Value::Null);
    let output = v
        .get(format!("{p}JobOutputConfig"))
        .cloned()
        .unwrap_or(Value::Null);
    let outputs: Vec<S3Output> = output
        .get("MonitoringOutputs")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|o| o.get("S3Output"))
                .map(|o| {
                    serde_json::from_value(o.clone())
                        .map_err(|e| format!("{p}JobOutputConfig.MonitoringOutputs: {e}"))
                })
                .collect::<Result<_, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(JobDefinition {
        name: v
            .get("JobDefinitionName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        kind,
        baseline: field(v, &format!("{p}BaselineConfig"))?,
        app: field(v, &format!("{p}AppSpecification"))?,
        endpoint_input: field(&input, "EndpointInput").map_err(|e| format!("{p}JobInput.{e}"))?,
        batch_transform_input: field(&input, "BatchTransformInput")
            .map_err(|e| format!("{p}JobInput.{e}"))?,
        ground_truth: input
            .get("GroundTruthS3Input")
            .and_then(|g| g.get("S3Uri"))
            .and_then(Value::as_str)
            .map(str::to_string),
        outputs,
        output_kms_key: output
            .get("KmsKeyId")
            .and_then(Value::as_str)
            .map(str::to_string),
        cluster: v
            .get("JobResources")
            .and_then(|r| r.get("ClusterConfig"))
            .cloned(),
        network: v
            .get("NetworkConfig")
            .cloned()
            .filter(|n| n.as_object().is_none_or(|o| !o.is_empty())),
        role_arn: v.get("RoleArn").and_then(Value::as_str).map(str::to_string),
        max_runtime_seconds: v
            .get("StoppingCondition")
            .and_then(|s| s.get("MaxRuntimeInSeconds"))
            .and_then(Value::as_u64),
    })
}

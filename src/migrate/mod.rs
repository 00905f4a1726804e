//! `driftwatch import`: SageMaker's monitoring schedules, as `aws sagemaker describe-*`
//! prints them, into a driftwatch schedules file — one entry per schedule, every field that
//! has no driftwatch key reported instead of dropped, the result checked by the schedules
//! file's own validation before anything is written.
//!
//! `describe` reads the folder (each answer recognised by its content), `map` turns one
//! schedule into an entry, this module writes the YAML.

mod describe;
mod map;

use std::path::{Path, PathBuf};

pub use map::{Entry, Mapped, Options, Scalar};

use crate::config::{Location, ScheduleFile};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("--from {}: {message}", dir.display())]
    Folder { dir: PathBuf, message: String },
    #[error("{}: {message}", file.display())]
    File { file: PathBuf, message: String },
    #[error("no monitoring schedule could be imported from {}:\n{}", dir.display(), reasons.join("\n"))]
    Nothing { dir: PathBuf, reasons: Vec<String> },
    /// The written file would not validate: a defect of the import, said plainly.
    #[error("the imported schedules do not validate (please report this): {0}")]
    Invalid(String),
}

/// What an import produced.
#[derive(Debug)]
pub struct Imported {
    pub yaml: String,
    pub entries: Vec<Entry>,
    /// Schedules left out, with why.
    pub skipped: Vec<(String, String)>,
    /// JSON files of the folder that are no describe answer this reads.
    pub ignored: Vec<PathBuf>,
}

/// Reads `dir` and builds the schedules file, validated as `output` would be.
pub fn import(dir: &Path, output: &Path, opts: &Options) -> Result<Imported, MigrateError> {
    let described = describe::Described::read(dir)?;
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for (_, s) in &described.schedules {
        match map::map_schedule(s, &described, opts) {
            Mapped::Entry(e) => entries.push(e),
            Mapped::Skipped { name, why } => skipped.push((name, why)),
        }
    }
    if entries.is_empty() {
        let mut reasons: Vec<String> = skipped.iter().map(|(n, w)| format!("  {n}: {w}")).collect();
        if described.schedules.is_empty() {
            reasons.push(
                "  no describe-monitoring-schedule answer (`aws sagemaker describe-monitoring-schedule --monitoring-schedule-name NAME > NAME.json`)".into(),
            );
        }
        return Err(MigrateError::Nothing {
            dir: dir.to_path_buf(),
            reasons,
        });
    }
    note_shared_baselines(&mut entries);
    let yaml = render(dir, &entries, &skipped);
    ScheduleFile::parse(&yaml, output, &Location::Local(output.to_path_buf()))
        .map_err(|e| MigrateError::Invalid(e.to_string()))?;
    Ok(Imported {
        yaml,
        entries,
        skipped,
        ignored: described.other,
    })
}

/// A baseline file that schedules of different types share: two baselining jobs that wrote
/// to one output prefix, the second job's analysis.json replacing the first's, so one of the
/// schedules is checked against a baseline without its metrics.
fn note_shared_baselines(entries: &mut [Entry]) {
    let field = |e: &Entry, key: &str| {
        e.fields.iter().find_map(|(k, v)| match v {
            Scalar::Str(s) if *k == key => Some(s.clone()),
            _ => None,
        })
    };
    let facts: Vec<(Option<String>, Option<String>, String)> = entries
        .iter()
        .map(|e| {
            (
                field(e, "baseline_constraints"),
                field(e, "type"),
                e.name.clone(),
            )
        })
        .collect();
    for (i, e) in entries.iter_mut().enumerate() {
        let (Some(baseline), Some(kind), _) = &facts[i] else {
            continue;
        };
        for (j, (b, k, name)) in facts.iter().enumerate() {
            if i != j && b.as_ref() == Some(baseline) && k.as_ref() != Some(kind) {
                e.unmapped.push(format!(
                    "baseline_constraints {baseline} is also the baseline of {name} ({}): if two baselining jobs wrote it, the later one replaced the other's analysis.json, and one of the schedules is checked against a baseline without its metrics",
                    k.clone().unwrap_or_default()
                ));
            }
        }
    }
}

/// The schedules file: what was not mapped and what was skipped as comments on top, so the
/// file itself says what the import could not carry over.
fn render(dir: &Path, entries: &[Entry], skipped: &[(String, String)]) -> String {
    let mut out = format!(
        "# Imported by `driftwatch import` from {} ({} schedule{}).\n",
        dir.display(),
        entries.len(),
        if entries.len() == 1 { "" } else { "s" }
    );
    if entries.iter().any(|e| !e.unmapped.is_empty()) {
        out.push_str("#\n# Not mapped (no driftwatch key; check each):\n");
        for e in entries {
            for u in &e.unmapped {
                out.push_str(&comment(&format!("{}: {u}", e.name)));
            }
        }
    }
    if !skipped.is_empty() {
        out.push_str("#\n# Not imported:\n");
        for (name, why) in skipped {
            out.push_str(&comment(&format!("{name}: {why}")));
        }
    }
    out.push_str("\nschedules:\n");
    for e in entries {
        for (i, (key, value)) in e.fields.iter().enumerate() {
            out.push_str(if i == 0 { "  - " } else { "    " });
            out.push_str(key);
            out.push_str(": ");
            out.push_str(&scalar(value));
            out.push('\n');
        }
    }
    out
}

fn comment(line: &str) -> String {
    // One comment line per line of text: a newline in a value cannot end the comment.
    line.lines().map(|l| format!("#   {l}\n")).collect()
}

/// A YAML scalar: strings double-quoted with JSON's escapes (valid YAML), so no value can be
/// read as another type or break the structure.
fn scalar(v: &Scalar) -> String {
    match v {
        Scalar::Str(s) => serde_json::Value::String(s.clone()).to_string(),
        Scalar::Num(x) => crate::sagemaker::pyfmt::py_float_repr(*x),
        Scalar::Int(i) => i.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Flow(f) => f.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_notes_cannot_break_the_yaml() {
        let e = Entry {
            name: "s".into(),
            fields: vec![
                ("name", Scalar::Str("s".into())),
                ("type", Scalar::Str("model_bias".into())),
                ("endpoint", Scalar::Str("ep".into())),
                ("cadence", Scalar::Str("cron(0 * ? * * *)".into())),
                ("data_capture", Scalar::Str("s3://b/c: #x".into())),
                ("ground_truth", Scalar::Str("s3://b/g\"\n- evil: 1".into())),
                ("output", Scalar::Str("s3://b/o".into())),
                ("analysis_config", Scalar::Str("s3://b/a.json".into())),
                ("probability_threshold_attribute", Scalar::Num(0.7)),
                ("cloudwatch", Scalar::Bool(true)),
                ("max_runtime", Scalar::Int(1800)),
            ],
            unmapped: vec!["a note\nschedules: []".into()],
        };
        let yaml = render(Path::new("d"), &[e], &[("x".into(), "why\nnot".into())]);
        let file = ScheduleFile::parse(
            &yaml,
            Path::new("s.yaml"),
            &Location::Local("s.yaml".into()),
        )
        .unwrap_err();
        // The value stays one string: the only problem is that it is not a bucket URI.
        let text = file.to_string();
        assert!(text.contains("ground_truth"), "{text}");
        assert!(!text.contains("evil"), "{text}");
        assert_eq!(yaml.matches("\nschedules:").count(), 1, "{yaml}");
        assert!(
            yaml.contains("#   s: a note\n#   schedules: []\n"),
            "{yaml}"
        );
    }

    fn write(dir: &Path, name: &str, v: serde_json::Value) {
        std::fs::write(dir.join(name), v.to_string()).unwrap();
    }

    fn schedule(name: &str, def: &str, config: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"MonitoringScheduleArn": format!("arn:aws:sagemaker:us-east-1:1:monitoring-schedule/{name}"),
            "MonitoringScheduleName": name, "MonitoringScheduleStatus": "Stopped", "MonitoringType": "ModelBias",
            "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": def, "MonitoringType": "ModelBias",
                                         "ScheduleConfig": config},
            "EndpointName": "ep"})
    }

    fn definition(name: &str, input: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"JobDefinitionArn": format!("arn:aws:sagemaker:us-east-1:1:model-bias-job-definition/{name}"),
            "JobDefinitionName": name,
            "ModelBiasBaselineConfig": {"BaseliningJobName": "ignored", "ConstraintsResource": {"S3Uri": "s3://bkt/baseline/analysis.json"}},
            "ModelBiasAppSpecification": {"ImageUri": "img", "ConfigUri": "s3://bkt/analysis_config.json",
                                          "Environment": {"publish_cloudwatch_metrics": "Disabled", "extra": "1"}},
            "ModelBiasJobInput": input,
            "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://bkt/out", "LocalPath": "/opt/ml/processing/output"}}]},
            "RoleArn": "arn:aws:iam::1:role/r", "StoppingCondition": {"MaxRuntimeInSeconds": 600}})
    }

    #[test]
    fn constraints_one_time_windows_disabled_metrics_and_batch_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "once.json",
            schedule(
                "once",
                "def-a",
                serde_json::json!({
            "ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT2H", "DataAnalysisEndTime": "-PT0H"}),
            ),
        );
        write(
            d,
            "batch.json",
            schedule(
                "batch",
                "def-b",
                serde_json::json!({"ScheduleExpression": "cron(0 * ? * * *)"}),
            ),
        );
        write(
            d,
            "def-a.json",
            definition(
                "def-a",
                serde_json::json!({
            "EndpointInput": {"EndpointName": "ep", "LocalPath": "/x", "InferenceAttribute": "0"},
            "GroundTruthS3Input": {"S3Uri": "s3://bkt/gt"}}),
            ),
        );
        write(
            d,
            "def-b.json",
            definition(
                "def-b",
                serde_json::json!({
            "BatchTransformInput": {"DataCapturedDestinationS3Uri": "s3://bkt/bt", "DatasetFormat": {"Csv": {"Header": true}}, "LocalPath": "/x"},
            "GroundTruthS3Input": {"S3Uri": "s3://bkt/gt"}}),
            ),
        );
        write(
            d,
            "ep.json",
            serde_json::json!({"EndpointName": "ep", "EndpointConfigName": "ep-config", "EndpointStatus": "InService",
            "DataCaptureConfig": {"EnableCapture": false, "DestinationS3Uri": "s3://bkt/capture"}}),
        );
        write(
            d,
            "parquet.json",
            schedule(
                "parquet",
                "def-c",
                serde_json::json!({"ScheduleExpression": "cron(0 * ? * * *)"}),
            ),
        );
        write(
            d,
            "def-c.json",
            definition(
                "def-c",
                serde_json::json!({
            "BatchTransformInput": {"DataCapturedDestinationS3Uri": "s3://bkt/bt", "DatasetFormat": {"Parquet": {}}, "LocalPath": "/x"},
            "GroundTruthS3Input": {"S3Uri": "s3://bkt/gt"}}),
            ),
        );
        let out = d.join("s.yaml");
        let i = import(d, &out, &Options::default()).unwrap();
        assert_eq!(i.entries.len(), 2);
        let batch = i.entries.iter().find(|e| e.name == "batch").unwrap();
        let field = |k: &str| {
            batch
                .fields
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            field("batch_transform"),
            Some(Scalar::Flow(
                "{dataset_format: {Csv: {Header: true}}}".into()
            ))
        );
        assert_eq!(
            field("data_capture"),
            Some(Scalar::Str("s3://bkt/bt".into()))
        );
        assert_eq!(field("endpoint"), None);
        let e = i.entries.iter().find(|e| e.name == "once").unwrap();
        let get = |k: &str| {
            e.fields
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("cadence"), Some(Scalar::Str("NOW".into())));
        assert_eq!(
            get("data_analysis_start_time"),
            Some(Scalar::Str("-PT2H".into()))
        );
        assert_eq!(
            get("data_analysis_end_time"),
            Some(Scalar::Str("-PT0H".into()))
        );
        // ConstraintsResource wins over BaseliningJobName.
        assert_eq!(
            get("baseline_constraints"),
            Some(Scalar::Str("s3://bkt/baseline/analysis.json".into()))
        );
        assert_eq!(get("cloudwatch"), Some(Scalar::Bool(false)));
        assert_eq!(get("inference_attribute"), Some(Scalar::Str("0".into())));
        assert_eq!(get("max_runtime"), Some(Scalar::Int(600)));
        let notes = e.unmapped.join("\n");
        for needle in [
            "MonitoringScheduleStatus Stopped",
            "data capture of endpoint ep is disabled",
            "Environment extra=1",
        ] {
            assert!(notes.contains(needle), "{needle}: {notes}");
        }
        assert_eq!(i.skipped.len(), 1);
        assert!(
            i.skipped[0]
                .1
                .contains("BatchTransformInput.DatasetFormat Parquet is not read by driftwatch"),
            "{:?}",
            i.skipped
        );
    }

    #[test]
    fn a_baseline_shared_by_a_bias_and_an_explainability_schedule_is_noted() {
        let entry = |name: &str, kind: &str| Entry {
            name: name.into(),
            fields: vec![
                ("type", Scalar::Str(kind.into())),
                (
                    "baseline_constraints",
                    Scalar::Str("s3://bkt/base/analysis.json".into()),
                ),
            ],
            unmapped: Vec::new(),
        };
        let mut entries = vec![
            entry("b", "model_bias"),
            entry("e", "model_explainability"),
            entry("b2", "model_bias"),
        ];
        note_shared_baselines(&mut entries);
        assert_eq!(entries[0].unmapped.len(), 1, "{:?}", entries[0].unmapped);
        assert!(entries[0].unmapped[0].contains("also the baseline of e (model_explainability)"));
        assert_eq!(entries[1].unmapped.len(), 2, "both bias schedules share it");
    }
}

//! What a schedule monitors: a real-time endpoint's data capture (SageMaker's
//! `EndpointInput`), or what batch transform jobs captured (`BatchTransformInput`).
//!
//! The two differ in where capture is (`{data_capture}/{endpoint}/{variant}/…` against
//! manifests under `{data_capture}/input|output/…`), in the output layout (batch has no
//! endpoint segment) and in the CloudWatch namespace; one type says which, so no caller
//! guesses from an empty endpoint name.

use serde_json::Value;

use super::names::SageMakerName;
use super::node::{describe, key_path};
use super::problems::Problems;

/// The monitored traffic.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A real-time endpoint: `endpoint:` and, optionally, one `variant:`.
    Endpoint {
        name: SageMakerName,
        variant: Option<SageMakerName>,
        /// `inference_id_prefix:` only the invocations whose `inferenceId` starts with it
        /// (one target model of a multi-model endpoint; see [`InferenceIdPrefix`]).
        select: Option<InferenceIdPrefix>,
    },
    /// Batch transform jobs whose `DataCaptureConfig.DestinationS3Uri` is the schedule's
    /// `data_capture` (`batch_transform:`).
    BatchTransform { format: BatchFormat },
}

impl Source {
    /// The endpoint, when there is one.
    pub fn endpoint(&self) -> Option<&SageMakerName> {
        match self {
            Self::Endpoint { name, .. } => Some(name),
            Self::BatchTransform { .. } => None,
        }
    }

    /// The target model's invocations, when one is selected (`inference_id_prefix`).
    pub fn select(&self) -> Option<&InferenceIdPrefix> {
        match self {
            Self::Endpoint { select, .. } => select.as_ref(),
            Self::BatchTransform { .. } => None,
        }
    }
}

/// As `validate` lists it: `endpoint NAME[/VARIANT]`, or the batch capture's format.
impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Endpoint {
                name,
                variant,
                select,
            } => {
                write!(f, "endpoint {name}")?;
                if let Some(v) = variant {
                    write!(f, "/{v}")?;
                }
                match select {
                    Some(p) => write!(f, " (inferenceId {:?}…)", p.as_str()),
                    None => Ok(()),
                }
            }
            Self::BatchTransform { format } => write!(
                f,
                "batch transform capture ({})",
                match format {
                    BatchFormat::Csv { header: true } => "CSV with header",
                    BatchFormat::Csv { header: false } => "CSV",
                    BatchFormat::Json { line: true } => "JSON Lines",
                    BatchFormat::Json { line: false } => "JSON",
                }
            ),
        }
    }
}

/// The invocations of one target model of a multi-model endpoint: those whose caller set an
/// `InferenceId` starting with this prefix.
///
/// Why a prefix of the id: a capture record holds no target model (SageMaker Model Monitor
/// monitors single-model endpoints only), and the `InferenceId` is the one field of a capture
/// record the caller writes that the ground truth carries too, so the same prefix selects
/// both sides of the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferenceIdPrefix(String);

/// InvokeEndpoint's `InferenceId` is at most 64 characters.
const MAX_INFERENCE_ID: usize = 64;

impl InferenceIdPrefix {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("must not be empty (leave the key out to monitor every invocation)".into());
        }
        if s.chars().count() > MAX_INFERENCE_ID {
            return Err(format!(
                "is {} characters; an InferenceId has at most {MAX_INFERENCE_ID}",
                s.chars().count()
            ));
        }
        if s.starts_with(char::is_whitespace) || s.chars().any(char::is_control) {
            return Err(format!(
                "{s:?} is not the start of an InferenceId (no leading space, no control characters)"
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether an invocation with this `inferenceId` (None: the caller set none) is selected.
    pub fn selects(&self, inference_id: Option<&str>) -> bool {
        inference_id.is_some_and(|id| id.starts_with(&self.0))
    }
}

/// SageMaker's `MonitoringDatasetFormat`: how the transform jobs' input and output files
/// are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchFormat {
    /// `{"Csv": {"Header": bool}}`: one record a line; `header` says the input files begin
    /// with a header line (transform outputs never do).
    Csv { header: bool },
    /// `{"Json": {"Line": bool}}`: JSON Lines (one record a line) when `line`, else one JSON
    /// document a file (`SplitType: None`), which may hold many records.
    Json { line: bool },
}

impl BatchFormat {
    /// Reads `batch_transform: {dataset_format: …}` in SageMaker's spelling
    /// (`{"Json": {"Line": true}}`, as `describe-monitoring-schedule` prints it) or the SDK's
    /// lowercase one (`{"json": {"line": true}}`).
    pub fn read(path: &str, value: &Value, problems: &mut Problems) -> Option<Self> {
        let Some(m) = value.as_object().filter(|m| m.len() == 1) else {
            problems.push(
                path,
                format!(
                    "must be one of {{csv: {{header: BOOL}}}}, {{json: {{line: BOOL}}}}, got {}",
                    describe(value)
                ),
            );
            return None;
        };
        let (kind, body) = m.iter().next()?;
        let at = key_path(path, kind);
        let flag = |name: &str, problems: &mut Problems| -> Option<bool> {
            let body = match body {
                Value::Null => return Some(false),
                Value::Object(b) => b,
                other => {
                    problems.push(
                        at.as_str(),
                        format!("must be a mapping, got {}", describe(other)),
                    );
                    return None;
                }
            };
            let mut found = false;
            let mut value = false;
            for (k, v) in body {
                if !k.eq_ignore_ascii_case(name) {
                    problems.push(
                        key_path(&at, k),
                        format!("unknown key; {kind} takes only {name}"),
                    );
                    return None;
                }
                match v.as_bool() {
                    Some(b) => (found, value) = (true, b),
                    None => {
                        problems.push(
                            key_path(&at, k),
                            format!("must be true or false, got {}", describe(v)),
                        );
                        return None;
                    }
                }
            }
            Some(found && value)
        };
        match kind.to_ascii_lowercase().as_str() {
            "csv" => flag("header", problems).map(|header| Self::Csv { header }),
            "json" => flag("line", problems).map(|line| Self::Json { line }),
            "parquet" => {
                problems.push(
                    at,
                    "is not supported for batch transform capture yet (transform jobs read and write CSV or JSON); use csv or json",
                );
                None
            }
            _ => {
                problems.push(at, "unknown dataset format; give csv or json");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Result<BatchFormat, Vec<String>> {
        let mut p = Problems::new();
        BatchFormat::read("s.batch_transform.dataset_format", &v, &mut p)
            .ok_or_else(|| p.into_vec().into_iter().map(|p| p.to_string()).collect())
    }

    #[test]
    fn both_spellings_of_the_dataset_format_are_read() {
        assert_eq!(
            read(json!({"Json": {"Line": true}})),
            Ok(BatchFormat::Json { line: true })
        );
        assert_eq!(
            read(json!({"json": {"line": false}})),
            Ok(BatchFormat::Json { line: false })
        );
        assert_eq!(
            read(json!({"Csv": {"Header": true}})),
            Ok(BatchFormat::Csv { header: true })
        );
        assert_eq!(
            read(json!({"csv": {}})),
            Ok(BatchFormat::Csv { header: false })
        );
        assert_eq!(
            read(json!({"csv": null})),
            Ok(BatchFormat::Csv { header: false })
        );
    }

    #[test]
    fn a_prefix_selects_only_ids_that_begin_with_it() {
        let p = InferenceIdPrefix::parse("fraud-v2/").unwrap();
        assert!(p.selects(Some("fraud-v2/123")));
        assert!(p.selects(Some("fraud-v2/")));
        assert!(!p.selects(Some("fraud-v1/123")));
        assert!(!p.selects(Some("x-fraud-v2/123")));
        // An invocation without an InferenceId belongs to no target model.
        assert!(!p.selects(None));
        assert!(InferenceIdPrefix::parse("").is_err());
        assert!(InferenceIdPrefix::parse(" a").is_err());
        assert!(InferenceIdPrefix::parse("a\tb").is_err());
        assert!(InferenceIdPrefix::parse(&"a".repeat(65)).is_err());
        assert!(InferenceIdPrefix::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn bad_dataset_formats_name_the_key() {
        let e = read(json!({"parquet": {}})).unwrap_err();
        assert!(
            e[0].contains("dataset_format.parquet") && e[0].contains("not supported"),
            "{e:?}"
        );
        let e = read(json!({"json": {"lines": true}})).unwrap_err();
        assert!(
            e[0].contains("json.lines") && e[0].contains("only line"),
            "{e:?}"
        );
        let e = read(json!({"csv": {"header": "yes"}})).unwrap_err();
        assert!(e[0].contains("must be true or false"), "{e:?}");
        let e = read(json!("csv")).unwrap_err();
        assert!(e[0].contains("must be one of"), "{e:?}");
    }
}

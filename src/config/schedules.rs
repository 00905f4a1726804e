//! The schedules file (YAML): a `defaults:` block inherited by every entry of `schedules:`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::analysis::{AnalysisConfig, Locator, Purpose};
use super::check::CheckConfig;
use super::duration::{parse_iso_offset, parse_runtime};
use super::executor::ExecutorConfig;
use super::location::Location;
use super::names::SageMakerName;
use super::node::{MapReader, Node, describe, index_path, key_path};
use super::problems::{InvalidDocument, Problems};
use super::source::{BatchFormat, InferenceIdPrefix, Source};
use crate::sagemaker::model_quality::ProblemType;
use crate::schedule::cadence::{ACCEPTED_FORMS, Cadence, Hour, HourInterval, SubHourPeriod};
use crate::schedule::cron::parse_sagemaker_cron;
use crate::schedule::window::WindowSpec;

/// Keys a schedule (or `defaults`) may set.
const SCHEDULE_KEYS: &[&str] = &[
    "name",
    "type",
    "endpoint",
    "variant",
    "batch_transform",
    "cadence",
    "data_capture",
    "ground_truth",
    "analysis_config",
    "baseline_constraints",
    "output",
    "start_time_offset",
    "end_time_offset",
    // SageMaker's names for the window of one-time (`NOW`) monitoring.
    "data_analysis_start_time",
    "data_analysis_end_time",
    "features_attribute",
    "inference_attribute",
    "probability_attribute",
    "probability_threshold_attribute",
    "exclude_features_attribute",
    "cloudwatch",
    "max_runtime",
    "check",
    "executor",
    "shadow_endpoint",
    "inference_id_prefix",
    "baseline_statistics",
    "problem_type",
    // SageMaker's user scripts: read to be refused with the alternative, not as unknown keys.
    "record_preprocessor_script",
    "post_analytics_processor_script",
];
const TOP_KEYS: &[&str] = &["defaults", "schedules"];
const DEFAULT_MAX_RUNTIME: Duration = Duration::from_secs(30 * 60);

/// What a schedule monitors, with what that monitor type alone needs: only bias monitors
/// read ground truth, and the Clarify monitors an analysis config.
#[derive(Debug, Clone, PartialEq)]
pub enum Monitor {
    Bias {
        ground_truth: Location,
        analysis_config: AnalysisConfigRef,
    },
    Explainability {
        analysis_config: AnalysisConfigRef,
    },
    /// SageMaker's `DefaultModelMonitor`: the window's profile against the baseline's
    /// constraints (`baseline_constraints`) and, for drift, statistics.
    DataQuality {
        baseline_statistics: Option<Location>,
    },
    /// SageMaker's `ModelQualityMonitor`: the window's capture merged with ground truth, its
    /// `problem_type`'s metrics against the baseline's constraints.
    ModelQuality {
        ground_truth: Location,
        problem_type: ProblemType,
        baseline_statistics: Option<Location>,
    },
}

impl Monitor {
    /// The name used in the schedules file (`type:`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Bias { .. } => "model_bias",
            Self::Explainability { .. } => "model_explainability",
            Self::DataQuality { .. } => "data_quality",
            Self::ModelQuality { .. } => "model_quality",
        }
    }

    /// The Clarify analysis config of a bias or explainability monitor.
    pub fn analysis_config(&self) -> Option<&AnalysisConfigRef> {
        match self {
            Self::Bias {
                analysis_config, ..
            }
            | Self::Explainability { analysis_config } => Some(analysis_config),
            Self::DataQuality { .. } | Self::ModelQuality { .. } => None,
        }
    }

    /// Where the ground truth merged with the capture is (bias and model quality).
    pub fn ground_truth(&self) -> Option<&Location> {
        match self {
            Self::Bias { ground_truth, .. } | Self::ModelQuality { ground_truth, .. } => {
                Some(ground_truth)
            }
            Self::Explainability { .. } | Self::DataQuality { .. } => None,
        }
    }

    /// What the analysis config is validated for.
    pub fn purpose(&self) -> Option<Purpose> {
        match self {
            Self::Bias { .. } => Some(Purpose::BiasMonitor),
            Self::Explainability { .. } => Some(Purpose::ExplainabilityMonitor),
            Self::DataQuality { .. } | Self::ModelQuality { .. } => None,
        }
    }
}

/// The analysis config a schedule uses. Local files are loaded (and validated) with the
/// schedules file; S3 ones are fetched and validated by each execution.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisConfigRef {
    Loaded {
        location: Location,
        config: Arc<AnalysisConfig>,
    },
    Remote(Location),
}

impl AnalysisConfigRef {
    pub fn location(&self) -> &Location {
        match self {
            Self::Loaded { location, .. } | Self::Remote(location) => location,
        }
    }
}

/// SageMaker's `EndpointInput` attributes: where features and predictions sit in captured
/// payloads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointInput {
    pub features_attribute: Option<String>,
    pub inference_attribute: Option<Locator>,
    pub probability_attribute: Option<Locator>,
    pub probability_threshold_attribute: Option<f64>,
    pub exclude_features_attribute: Option<String>,
}

/// One validated schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: SageMakerName,
    pub monitor: Monitor,
    /// The endpoint (and variant) whose capture is read, or the batch transform jobs'.
    pub source: Source,
    pub cadence: Cadence,
    pub window: WindowSpec,
    pub data_capture: Location,
    pub baseline_constraints: Option<Location>,
    pub output: Location,
    pub endpoint_input: EndpointInput,
    pub cloudwatch: bool,
    pub max_runtime: Duration,
    /// How violations are judged (`check:`; SageMaker's rule by default).
    pub check: CheckConfig,
    /// Where the execution's work runs (`executor:`; in this process by default).
    pub executor: ExecutorConfig,
    /// `shadow_endpoint:` the endpoint serving the analysis config's `predictor.model_name`
    /// for an explainability schedule's synthetic rows (never `endpoint` itself).
    pub shadow_endpoint: Option<SageMakerName>,
}

impl Schedule {
    /// The folder of the execution at `t`, relative to the output location (SageMaker's
    /// `{endpoint}/{schedule}/yyyy/mm/dd/hh`; sub-hour cadences add the minute).
    pub fn output_folder(&self, t: chrono::DateTime<chrono::Utc>) -> String {
        crate::sagemaker::layout::execution_folder(
            self.endpoint(),
            self.name.as_str(),
            t,
            matches!(self.cadence, Cadence::EveryMinutes(_)),
        )
    }

    /// The invocations this schedule reads out of its endpoint's capture, when it monitors one
    /// target model (`inference_id_prefix`).
    pub fn select(&self) -> Option<&InferenceIdPrefix> {
        self.source.select()
    }

    /// The monitored endpoint's name; empty for a batch transform schedule, whose output
    /// folders, records and dashboards have no endpoint (SageMaker's
    /// `{output}/{schedule}/yyyy/mm/dd/hh` for batch).
    pub fn endpoint(&self) -> &str {
        self.source.endpoint().map_or("", SageMakerName::as_str)
    }

    /// `{endpoint}/{schedule}`, or `{schedule}` for batch transform: the schedule's folder
    /// under its output location, and its identity in leases and ledgers.
    pub fn root(&self) -> String {
        crate::sagemaker::layout::schedule_root(self.endpoint(), self.name.as_str())
    }

    /// SageMaker's `MonitoringType` of this schedule.
    pub fn monitoring_type(&self) -> crate::sagemaker::MonitoringType {
        match self.monitor {
            Monitor::Bias { .. } => crate::sagemaker::MonitoringType::ModelBias,
            Monitor::Explainability { .. } => crate::sagemaker::MonitoringType::ModelExplainability,
            Monitor::DataQuality { .. } => crate::sagemaker::MonitoringType::DataQuality,
            Monitor::ModelQuality { .. } => crate::sagemaker::MonitoringType::ModelQuality,
        }
    }
}

/// A validated schedules file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleFile {
    pub path: PathBuf,
    pub schedules: Vec<Schedule>,
}

impl ScheduleFile {
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.name.as_str() == name)
    }

    /// Reads and validates a schedules file, including the local analysis configs it names.
    pub fn load(path: &Path) -> Result<Self, InvalidDocument> {
        let invalid = |message: String| InvalidDocument {
            file: path.to_path_buf(),
            problems: vec![super::problems::Problem {
                path: String::new(),
                message,
            }],
        };
        let text = crate::limits::read_config(path)
            .map_err(|why| invalid(format!("cannot read {}: {why}", path.display())))?;
        Self::parse(&text, path, &Location::Local(path.to_path_buf()))
    }

    /// Validates schedules-file text read from `doc` (named `path` in messages); relative
    /// paths resolve against the document's folder (a directory, or an S3 prefix).
    pub fn parse(text: &str, path: &Path, doc: &Location) -> Result<Self, InvalidDocument> {
        let mut problems = Problems::new();
        let yaml: Value = match serde_saphyr::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                problems.push(
                    "",
                    format!("is not valid YAML: {}", yaml_error(&e.to_string(), text)),
                );
                return Err(InvalidDocument {
                    file: path.to_path_buf(),
                    problems: problems.into_vec(),
                });
            }
        };
        let mut schedules = read_document(&yaml, doc, &mut problems);
        for s in &mut schedules {
            s.executor.locate_config(doc);
        }
        if problems.is_empty() {
            Ok(Self {
                path: path.to_path_buf(),
                schedules,
            })
        } else {
            Err(InvalidDocument {
                file: path.to_path_buf(),
                problems: problems.into_vec(),
            })
        }
    }
}

/// The YAML parser's message as one line a user can act on: its location as `line L, column
/// C`, without the source excerpt it appends, without hints about its own API, and with a
/// tab pointed at where it is (the parser reports the end of the scalar before it).
fn yaml_error(message: &str, text: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let (line, column, what) = match parse_location(first) {
        Some(found) => found,
        None => return first.to_string(),
    };
    if what.contains("found a tab") {
        let indented_tab = text
            .lines()
            .enumerate()
            .skip(line.saturating_sub(1))
            .find_map(|(i, l)| {
                let indent = &l[..l.len() - l.trim_start().len()];
                indent.find('\t').map(|c| (i + 1, c + 1))
            });
        if let Some((l, c)) = indented_tab {
            return format!(
                "line {l}, column {c}: a tab in the indentation; YAML indents with spaces only"
            );
        }
        return format!("line {line}, column {column}: a tab where YAML allows only spaces");
    }
    if let Some(key) = what.strip_prefix("duplicate mapping key: ") {
        let key = key.split(", set DuplicateKeyPolicy").next().unwrap_or(key);
        return format!(
            "line {line}, column {column}: duplicate key {key:?} (a key may appear once in a mapping)"
        );
    }
    if what.starts_with("budget breached") {
        let count: String = what.chars().filter(char::is_ascii_digit).collect();
        return format!(
            "line {line}, column {column}: the document expands to {} YAML nodes, more than the parser allows; a schedules file is far smaller — is this the right file, or an alias (*name) repeated many times?",
            if count.is_empty() {
                "too many"
            } else {
                count.as_str()
            }
        );
    }
    format!("line {line}, column {column}: {what}")
}

/// `line 3 column 5: message` → (3, 5, "message").
fn parse_location(s: &str) -> Option<(usize, usize, &str)> {
    let rest = s.strip_prefix("line ")?;
    let (line, rest) = rest.split_once(" column ")?;
    let (column, what) = rest.split_once(": ")?;
    Some((line.parse().ok()?, column.parse().ok()?, what))
}

fn read_document(doc: &Value, base: &Location, problems: &mut Problems) -> Vec<Schedule> {
    let empty = Map::new();
    let Some(top) = MapReader::new("", doc, problems) else {
        return Vec::new();
    };
    top.reject_unknown(TOP_KEYS, problems);
    let defaults = match top.get("defaults") {
        None => &empty,
        Some(v) => match Node::new("defaults", v).as_map(problems) {
            Some(m) => m,
            None => &empty,
        },
    };
    let defaults = MapReader {
        path: "defaults".into(),
        map: defaults,
    };
    defaults.reject_unknown(SCHEDULE_KEYS, problems);
    if defaults.get("name").is_some() {
        problems.push(
            "defaults.name",
            "a name cannot be inherited; give each schedule its own",
        );
    }
    let Some(list) = top
        .required("schedules", problems)
        .and_then(|v| Node::new("schedules", v).as_list(problems))
    else {
        return Vec::new();
    };
    if list.is_empty() {
        problems.push("schedules", "must list at least one schedule");
    }
    let mut out: Vec<Schedule> = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let path = index_path("schedules", i);
        let Some(own) = MapReader::new(&path, item, problems) else {
            continue;
        };
        own.reject_unknown(SCHEDULE_KEYS, problems);
        let entry = Entry {
            own,
            defaults: &defaults,
        };
        if let Some(name) = entry.get("name").and_then(|n| n.value.as_str()) {
            if let Some((_, first)) = seen.iter().find(|(n, _)| n == name) {
                problems.push(
                    key_path(&path, "name"),
                    format!("duplicate schedule name {name:?} (also schedules[{first}])"),
                );
            }
            seen.push((name.to_string(), i));
        }
        if let Some(s) = read_schedule(&entry, base, problems) {
            out.push(s);
        }
    }
    // A batch schedule's folder `{output}/{schedule}` is an endpoint's folder when an
    // endpoint has its name: their records would be read as one schedule's.
    for b in out.iter().filter(|s| s.source.endpoint().is_none()) {
        if let Some(e) = out
            .iter()
            .find(|e| e.endpoint() == b.name.as_str() && e.output == b.output)
        {
            let at = seen
                .iter()
                .find(|(n, _)| n == b.name.as_str())
                .map_or(0, |(_, i)| *i);
            problems.push(
                key_path(&index_path("schedules", at), "name"),
                format!(
                    "is the endpoint of schedule {:?} with the same output: a batch transform schedule's folder {{output}}/{{schedule}} would be that endpoint's folder; rename it or give it another output",
                    e.name.as_str()
                ),
            );
        }
    }
    out
}

/// A schedule entry layered over `defaults`: a key found in the entry wins; otherwise the
/// default applies, and problems with it are reported at `defaults.<key>`.
struct Entry<'a> {
    own: MapReader<'a>,
    defaults: &'a MapReader<'a>,
}

/// A value and the path it came from (owned, since it may point into `defaults`).
struct Found<'a> {
    path: String,
    value: &'a Value,
}

impl<'a> Found<'a> {
    fn node(&self) -> Node<'_, '_> {
        Node::new(&self.path, self.value)
    }
}

impl<'a> Entry<'a> {
    fn get(&self, key: &str) -> Option<Found<'a>> {
        if let Some(v) = self.own.get(key) {
            return Some(Found {
                path: self.own.child_path(key),
                value: v,
            });
        }
        self.defaults.get(key).map(|v| Found {
            path: self.defaults.child_path(key),
            value: v,
        })
    }

    fn required(&self, key: &str, problems: &mut Problems) -> Option<Found<'a>> {
        let found = self.get(key);
        if found.is_none() {
            problems.push(self.own.child_path(key), "missing required key");
        }
        found
    }

    fn path(&self, key: &str) -> String {
        self.own.child_path(key)
    }
}

fn name_at(found: &Found<'_>, problems: &mut Problems) -> Option<SageMakerName> {
    let s = found.node().as_str(problems)?;
    SageMakerName::parse(s)
        .map_err(|e| problems.push(found.path.clone(), e))
        .ok()
}

fn location_at(found: &Found<'_>, base: &Location, problems: &mut Problems) -> Option<Location> {
    let s = found.node().as_str(problems)?;
    Location::resolve(s, base)
        .map_err(|e| problems.push(found.path.clone(), e))
        .ok()
}

fn read_schedule(entry: &Entry<'_>, base: &Location, problems: &mut Problems) -> Option<Schedule> {
    let before = problems.len();
    let name = entry
        .required("name", problems)
        .and_then(|f| name_at(&f, problems));
    let type_name =
        entry
            .required("type", problems)
            .and_then(|f| match f.node().as_str(problems)? {
                "model_bias" => Some("model_bias"),
                "model_explainability" => Some("model_explainability"),
                "data_quality" => Some("data_quality"),
                "model_quality" => Some("model_quality"),
                other => {
                    problems.push(
                    f.path.clone(),
                    format!(
                        "must be model_bias, model_explainability, data_quality or model_quality, got {other:?}"
                    ),
                );
                    None
                }
            });
    let data_quality = type_name == Some("data_quality");
    let model_quality = type_name == Some("model_quality");
    // The Model Monitor types: no analysis config, no model called.
    let monitor_type = data_quality || model_quality;
    let this_type = type_name.unwrap_or("");
    // The Clarify monitors' analysis config purpose.
    let kind = match type_name {
        Some("model_bias") => Some(Purpose::BiasMonitor),
        Some("model_explainability") => Some(Purpose::ExplainabilityMonitor),
        _ => None,
    };
    refuse_scripts(entry, problems);
    let source = read_source(entry, problems);
    let endpoint = source.as_ref().and_then(Source::endpoint).cloned();
    let shadow_endpoint = entry.get("shadow_endpoint").and_then(|f| {
        let name = name_at(&f, problems)?;
        if endpoint.as_ref() == Some(&name) {
            problems.push(
                f.path.clone(),
                format!("is the monitored endpoint {:?}: its data capture would record the synthetic rows; give a shadow endpoint serving the same model", name.as_str()),
            );
            return None;
        }
        if kind == Some(Purpose::BiasMonitor) {
            problems.push(
                f.path.clone(),
                "is not used by a model_bias schedule (its predictions come from the capture; remove it)",
            );
            return None;
        }
        if monitor_type {
            problems.push(
                f.path.clone(),
                format!("is not used by a {this_type} schedule (it calls no model; remove it)"),
            );
            return None;
        }
        Some(name)
    });
    let cadence = entry
        .required("cadence", problems)
        .and_then(|f| read_cadence(f.node(), problems));
    let data_capture = entry
        .required("data_capture", problems)
        .and_then(|f| location_at(&f, base, problems));
    let output = entry
        .required("output", problems)
        .and_then(|f| location_at(&f, base, problems));
    let baseline_constraints = entry
        .get("baseline_constraints")
        .and_then(|f| location_at(&f, base, problems));
    let baseline_statistics = entry.get("baseline_statistics").and_then(|f| {
        if type_name.is_some() && !monitor_type {
            problems.push(
                f.path.clone(),
                "is read by data_quality and model_quality schedules only (a Clarify monitor's baseline is baseline_constraints; remove it)",
            );
            return None;
        }
        location_at(&f, base, problems)
    });
    let problem_type = entry.get("problem_type").and_then(|f| {
        if type_name.is_some() && !model_quality {
            problems.push(
                f.path.clone(),
                "is read by model_quality schedules only (remove it)",
            );
            return None;
        }
        let s = f.node().as_str(problems)?;
        ProblemType::parse(s).or_else(|| {
            problems.push(
                f.path.clone(),
                format!("must be BinaryClassification, MulticlassClassification or Regression (SageMaker's MonitoringProblemType), got {s:?}"),
            );
            None
        })
    });
    let analysis_config = if monitor_type {
        if let Some(f) = entry.get("analysis_config") {
            problems.push(
                f.path,
                format!("is not used by a {this_type} schedule (its checks are baseline_constraints' and baseline_statistics'; remove it)"),
            );
        }
        None
    } else {
        entry.required("analysis_config", problems)
    }
    .and_then(|f| {
        let location = location_at(&f, base, problems)?;
        match (&location, kind) {
            (Location::Local(p), Some(purpose)) => {
                load_analysis_config(p, purpose, &f.path, problems).map(|config| {
                    AnalysisConfigRef::Loaded {
                        location,
                        config: Arc::new(config),
                    }
                })
            }
            (Location::S3 { .. }, _) => Some(AnalysisConfigRef::Remote(location)),
            (_, None) => None,
        }
    });
    let ground_truth = entry.get("ground_truth");
    let monitor = match kind {
        None if data_quality => {
            if let Some(f) = ground_truth {
                problems.push(
                    f.path,
                    "is not used by a data_quality schedule (it profiles the captured data alone; remove it)",
                );
                None
            } else {
                Some(Monitor::DataQuality {
                    baseline_statistics,
                })
            }
        }
        None if model_quality => {
            let ground_truth = match ground_truth {
                Some(f) => location_at(&f, base, problems),
                None => {
                    problems.push(
                        entry.path("ground_truth"),
                        "missing required key: a model_quality schedule merges captured predictions with ground truth",
                    );
                    None
                }
            };
            if entry.get("problem_type").is_none() {
                problems.push(
                    entry.path("problem_type"),
                    "missing required key: BinaryClassification, MulticlassClassification or Regression",
                );
            }
            Some(Monitor::ModelQuality {
                ground_truth: ground_truth?,
                problem_type: problem_type?,
                baseline_statistics,
            })
        }
        Some(Purpose::BiasMonitor) => match ground_truth {
            Some(f) => {
                let ground_truth = location_at(&f, base, problems);
                Some(Monitor::Bias {
                    ground_truth: ground_truth?,
                    analysis_config: analysis_config.clone()?,
                })
            }
            None => {
                problems.push(
                    entry.path("ground_truth"),
                    "missing required key: a model_bias schedule merges captured data with ground truth",
                );
                None
            }
        },
        Some(_) => {
            if let Some(f) = ground_truth {
                problems.push(
                    f.path,
                    "is not used by a model_explainability schedule (remove it)",
                );
                None
            } else {
                analysis_config
                    .clone()
                    .map(|analysis_config| Monitor::Explainability { analysis_config })
            }
        }
        None => None,
    };
    // An explainability schedule calls a model: an endpoint for it must be known before the
    // first fire, not found missing by every execution.
    if let (Some(Purpose::ExplainabilityMonitor), Some(AnalysisConfigRef::Loaded { config, .. })) =
        (kind, &analysis_config)
        && config.extensions.model.is_none()
        // A shadow_endpoint given but refused has its own problem already.
        && (entry.get("shadow_endpoint").is_none() || shadow_endpoint.is_some())
        && let Err(e) =
            super::analysis::endpoint_predictor(config.predictor.as_ref(), shadow_endpoint.as_ref())
    {
        problems.push(
            entry.path(if shadow_endpoint.is_some() {
                "shadow_endpoint"
            } else {
                "analysis_config"
            }),
            e,
        );
    }
    // A multi-model endpoint answers for the target model a request names; the predictor
    // names none, so one target model's synthetic rows need an endpoint serving it alone.
    if kind == Some(Purpose::ExplainabilityMonitor)
        && entry.get("shadow_endpoint").is_none()
        && source.as_ref().and_then(Source::select).is_some()
        && !matches!(&analysis_config, Some(AnalysisConfigRef::Loaded { config, .. }) if config.extensions.model.is_some())
        && let Some(f) = entry.get("inference_id_prefix")
    {
        problems.push(
            f.path,
            "an explainability schedule of one target model needs shadow_endpoint: NAME (an endpoint serving that model alone, data capture off) or driftwatch.model: a multi-model endpoint answers only for the target model a request names",
        );
    }
    let offset = |key: &str, problems: &mut Problems| {
        let f = entry.get(key)?;
        let s = f.node().as_str(problems)?;
        parse_iso_offset(s)
            .map_err(|e| problems.push(f.path.clone(), e))
            .ok()
    };
    // Either name of each offset; both given is ambiguous.
    let either = |a: &'static str, b: &'static str, problems: &mut Problems| {
        if entry.get(a).is_some() && entry.get(b).is_some() {
            problems.push(entry.path(b), format!("{a} is given too; give one of them"));
        }
        let key = if entry.get(b).is_some() { b } else { a };
        (offset(key, problems), key)
    };
    let (start_offset, start_key) =
        either("start_time_offset", "data_analysis_start_time", problems);
    let (end_offset, end_key) = either("end_time_offset", "data_analysis_end_time", problems);
    let offsets_at = if entry.get(start_key).is_some() {
        start_key
    } else {
        end_key
    };
    if cadence.is_some_and(|c| c.is_once()) {
        // SageMaker requires both for NOW, and at most 24 hours between them.
        for (value, key) in [(start_offset, start_key), (end_offset, end_key)] {
            if value.is_none() && entry.get(key).is_none() {
                problems.push(
                    entry.path(key),
                    "missing: one-time monitoring (NOW) needs data_analysis_start_time and data_analysis_end_time (or start_time_offset and end_time_offset)",
                );
            }
        }
        if let (Some(s), Some(e)) = (start_offset, end_offset)
            && e - s > chrono::TimeDelta::hours(24)
        {
            problems.push(
                entry.path(start_key),
                "one-time monitoring (NOW) covers at most 24 hours",
            );
        }
    }
    let window = match cadence {
        Some(c) => WindowSpec::new(&c, start_offset, end_offset)
            .map_err(|e| problems.push(entry.path(offsets_at), e))
            .ok(),
        None => {
            // Without a valid cadence the default window is unknown, but explicit offsets
            // can still be checked against each other.
            let end = end_offset.unwrap_or(chrono::TimeDelta::zero());
            let start = start_offset.unwrap_or(end - chrono::TimeDelta::hours(1));
            if let Err(msg) = WindowSpec::new(&Cadence::Hourly, Some(start), Some(end)) {
                problems.push(entry.path(offsets_at), msg);
            }
            None
        }
    };
    let endpoint_input = read_endpoint_input(entry, problems);
    let cloudwatch = match entry.get("cloudwatch") {
        None => false,
        Some(f) => match f.value {
            Value::Bool(b) => *b,
            Value::String(s) if s == "Enabled" => true,
            Value::String(s) if s == "Disabled" => false,
            other => {
                problems.push(
                    f.path.clone(),
                    format!(
                        "must be true or false (or Enabled/Disabled), got {}",
                        describe(other)
                    ),
                );
                false
            }
        },
    };
    let max_runtime = match entry.get("max_runtime") {
        None => DEFAULT_MAX_RUNTIME,
        Some(f) => parse_runtime(f.value)
            .map_err(|e| problems.push(f.path.clone(), e))
            .unwrap_or(DEFAULT_MAX_RUNTIME),
    };
    let check = match entry.get("check") {
        None => CheckConfig::default(),
        Some(f) => CheckConfig::read(&f.path, f.value, problems).unwrap_or_default(),
    };
    let executor = match entry.get("executor") {
        None => ExecutorConfig::default(),
        Some(f) => ExecutorConfig::read(&f.path, f.value, problems).unwrap_or_default(),
    };
    if let (Some(Source::BatchTransform { .. }), true, Some(f)) =
        (&source, executor.is_sharded(), entry.get("executor"))
    {
        problems.push(
            f.path,
            "shards are not supported for batch_transform schedules yet: a window's transform outputs are read in this process (remove shards)",
        );
    }
    if let (true, Some(Source::BatchTransform { .. }), Some(f)) =
        (data_quality, &source, entry.get("batch_transform"))
    {
        problems.push(
            f.path,
            "data_quality schedules of batch transform jobs are not supported yet: give the endpoint whose capture to profile, or profile the job's input with `driftwatch check-data`",
        );
    }
    if let (true, Some(Source::BatchTransform { .. }), Some(f)) =
        (model_quality, &source, entry.get("batch_transform"))
    {
        problems.push(
            f.path,
            "model_quality schedules of batch transform jobs are not supported yet: give the endpoint whose capture to merge with ground truth",
        );
    }
    if problems.len() != before {
        return None;
    }
    Some(Schedule {
        name: name?,
        monitor: monitor?,
        source: source?,
        cadence: cadence?,
        window: window?,
        data_capture: data_capture?,
        baseline_constraints,
        output: output?,
        endpoint_input,
        cloudwatch,
        max_runtime,
        check,
        executor,
        shadow_endpoint,
    })
}

/// SageMaker's user scripts are refused by name, with what does their usual job instead:
/// running a user's Python inside the daemon, fed every record, is a process, a memory and a
/// time budget per execution that this daemon does not take on.
fn refuse_scripts(entry: &Entry<'_>, problems: &mut Problems) {
    if let Some(f) = entry.get("record_preprocessor_script") {
        problems.push(
            f.path,
            "driftwatch does not run record preprocessor scripts: features_attribute (a JMESPath into JSON requests) picks the features, inference_attribute / probability_attribute the response's columns, and inference_id_prefix selects records; flatten anything else before capture, or profile a prepared dataset with `driftwatch check-data`",
        );
    }
    if let Some(f) = entry.get("post_analytics_processor_script") {
        problems.push(
            f.path,
            "driftwatch does not run post-analytics scripts: each execution's statistics.json, constraint_violations.json and execution.json are in the output folder and its metrics in CloudWatch, for a job of your own to read",
        );
    }
}

/// `endpoint:` (and `variant:`) or `batch_transform:`, exactly one of them.
fn read_source(entry: &Entry<'_>, problems: &mut Problems) -> Option<Source> {
    match (entry.get("endpoint"), entry.get("batch_transform")) {
        (Some(_), Some(b)) => {
            problems.push(
                b.path,
                "endpoint is given too: a schedule monitors an endpoint's capture or batch transform jobs' capture, not both",
            );
            None
        }
        (None, None) => {
            problems.push(
                entry.path("endpoint"),
                "missing required key: give endpoint (a real-time endpoint) or batch_transform (batch transform jobs' capture)",
            );
            None
        }
        (Some(e), None) => {
            let name = name_at(&e, problems);
            let variant = entry.get("variant").and_then(|f| name_at(&f, problems));
            let select = match entry.get("inference_id_prefix") {
                None => None,
                // A refused prefix has its problem; the schedule is not built.
                Some(f) => Some(
                    InferenceIdPrefix::parse(f.node().as_str(problems)?)
                        .map_err(|e| problems.push(f.path.clone(), e))
                        .ok()?,
                ),
            };
            Some(Source::Endpoint {
                name: name?,
                variant,
                select,
            })
        }
        (None, Some(b)) => {
            if let Some(v) = entry.get("variant") {
                problems.push(
                    v.path,
                    "is not used by a batch_transform schedule (batch capture has no variants; remove it)",
                );
            }
            if let Some(v) = entry.get("inference_id_prefix") {
                problems.push(
                    v.path,
                    "is not used by a batch_transform schedule (a transform job's SageMakerInferenceId is generated, not the caller's; remove it)",
                );
            }
            let m = MapReader::new(&b.path, b.value, problems)?;
            m.reject_unknown(&["dataset_format"], problems);
            let format = m.required("dataset_format", problems)?;
            let format = BatchFormat::read(&m.child_path("dataset_format"), format, problems)?;
            Some(Source::BatchTransform { format })
        }
    }
}

fn read_endpoint_input(entry: &Entry<'_>, problems: &mut Problems) -> EndpointInput {
    let text = |key: &str, problems: &mut Problems| {
        let f = entry.get(key)?;
        let s = f.node().as_str(problems)?.trim().to_string();
        if s.is_empty() {
            problems.push(f.path.clone(), "must not be empty");
            return None;
        }
        Some(s)
    };
    // SageMaker takes indices as strings ("0") and the docs show bare numbers; both work.
    let locator = |key: &str, problems: &mut Problems| {
        let f = entry.get(key)?;
        match f.value {
            Value::Number(n) => match n.as_u64().and_then(|i| usize::try_from(i).ok()) {
                Some(i) => Some(Locator::Index(i)),
                None => {
                    problems.push(
                        f.path.clone(),
                        format!("must be a zero-based index or a JMESPath, got {n}"),
                    );
                    None
                }
            },
            Value::String(s) if !s.trim().is_empty() => Some(match s.trim().parse::<usize>() {
                Ok(i) => Locator::Index(i),
                Err(_) => Locator::Path(s.trim().to_string()),
            }),
            other => {
                problems.push(
                    f.path.clone(),
                    format!(
                        "must be a zero-based index or a JMESPath, got {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    };
    let threshold = entry.get("probability_threshold_attribute").and_then(|f| {
        let x = f.node().as_f64(problems)?;
        Some(x)
    });
    let exclude = text("exclude_features_attribute", problems);
    if let (Some(s), Some(f)) = (&exclude, entry.get("exclude_features_attribute"))
        && s.len() > 100
    {
        problems.push(
            f.path,
            format!(
                "must be at most 100 characters (SageMaker's limit), got {}",
                s.len()
            ),
        );
    }
    EndpointInput {
        features_attribute: text("features_attribute", problems),
        inference_attribute: locator("inference_attribute", problems),
        probability_attribute: locator("probability_attribute", problems),
        probability_threshold_attribute: threshold,
        exclude_features_attribute: exclude,
    }
}

/// Reads the `cadence` value: `hourly`, a SageMaker cron string, or a one-key mapping.
fn read_cadence(node: Node<'_, '_>, problems: &mut Problems) -> Option<Cadence> {
    let reject = |problems: &mut Problems, got: &str| {
        problems.push(
            node.path,
            format!("unsupported cadence {got}; accepted forms: {ACCEPTED_FORMS}"),
        );
        None
    };
    match node.value {
        Value::String(s) if s.trim() == "hourly" => Some(Cadence::Hourly),
        // The SDK's CronExpressionGenerator.daily(): midnight UTC.
        Value::String(s) if s.trim() == "daily" => Some(Cadence::Daily {
            hour: Hour::new(0)?,
        }),
        // The SDK's CronExpressionGenerator.now(): one-time monitoring.
        Value::String(s) if s.trim().eq_ignore_ascii_case("now") => Some(Cadence::Once),
        Value::String(s) if s.trim_start().starts_with("cron(") => parse_sagemaker_cron(s)
            .map_err(|e| problems.push(node.path, e))
            .ok(),
        Value::Object(m) if m.len() == 1 => {
            let (key, value) = m.iter().next()?;
            let path = key_path(node.path, key);
            match key.as_str() {
                "daily" => {
                    let m = MapReader::new(&path, value, problems)?;
                    m.reject_unknown(&["hour"], problems);
                    let hour = m.required("hour", problems)?;
                    let h = Node::new(&m.child_path("hour"), hour).as_int_in(0, 23, problems)?;
                    Some(Cadence::Daily {
                        hour: Hour::new(h)?,
                    })
                }
                "daily_every_x_hours" => {
                    let m = MapReader::new(&path, value, problems)?;
                    m.reject_unknown(&["hour_interval", "starting_hour"], problems);
                    let interval = m.required("hour_interval", problems).and_then(|v| {
                        Node::new(&m.child_path("hour_interval"), v).as_int_in(1, 23, problems)
                    });
                    // SageMaker's SDK defaults starting_hour to 0.
                    let start = match m.get("starting_hour") {
                        None => Some(0),
                        Some(v) => {
                            Node::new(&m.child_path("starting_hour"), v).as_int_in(0, 23, problems)
                        }
                    };
                    Some(Cadence::EveryXHours {
                        hour_interval: HourInterval::new(interval?)?,
                        starting_hour: Hour::new(start?)?,
                    })
                }
                "every" => match value.as_str().and_then(SubHourPeriod::parse) {
                    Some(p) => Some(Cadence::EveryMinutes(p)),
                    None => {
                        problems.push(
                            path,
                            format!(
                                "must be one of {}, got {}",
                                SubHourPeriod::ACCEPTED,
                                describe(value)
                            ),
                        );
                        None
                    }
                },
                other => reject(problems, &format!("{{{other}: ...}}")),
            }
        }
        other => reject(problems, &describe(other)),
    }
}

/// Loads an analysis config file for a schedule, nesting its problems under the key that
/// named it: `schedules[0].analysis_config (census.json): facet[0].name_or_index: ...`.
fn load_analysis_config(
    path: &Path,
    purpose: Purpose,
    at: &str,
    problems: &mut Problems,
) -> Option<AnalysisConfig> {
    let prefix = format!("{at} ({})", path.display());
    match super::load_analysis_config(path, purpose) {
        Ok(c) => Some(c),
        Err(e) => {
            problems.extend_nested(&prefix, e.problems);
            None
        }
    }
}

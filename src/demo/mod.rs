//! `driftwatch demo`: the embedded default. Writes, into a local directory, hours of census
//! traffic in SageMaker's capture and ground-truth layouts (real CPS records, a real XGBoost
//! model, drift injected at the end), computes the baselines with `analyze`, then runs an
//! hourly bias schedule and a 6-hourly explainability schedule over the whole period, exactly
//! as `serve` / `backfill` would. No AWS needed.

pub(crate) mod assets;
pub(crate) mod traffic;

use crate::sagemaker::verdict::DiNeutral;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Timelike, Utc};

use crate::analyze::{AnalyzeError, AnalyzeRequest, analyze};
use crate::aws::AwsClients;
use crate::config::check::{CheckConfig, CheckMode};
use crate::config::{InvalidDocument, ScheduleFile};
use crate::daemon::backfill::{Options, Outcome, backfill};
use crate::explain::model::InProcessModel;
use crate::sagemaker::ExecutionRecord;
use assets::{ENDPOINT, FEATURES, LABEL, Person};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Assets(String),
    #[error("computing the baseline: {0}")]
    Baseline(#[from] AnalyzeError),
    #[error("{0}")]
    Config(#[from] InvalidDocument),
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Range(#[from] crate::schedule::TooManyFireTimes),
}

impl DemoError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: PathBuf,
    pub hours: usize,
    pub seed: u64,
    /// Mean requests per hour.
    pub rate: usize,
    /// The end of the traffic (a whole hour); the last scheduled time.
    pub end: DateTime<Utc>,
    /// Hours at the end with drift injected.
    pub drift_hours: usize,
    /// How the schedules judge violations (the demo shows `significant` by default).
    pub check: CheckMode,
    /// Added to each bias baseline value's distance from neutral (0: the computed
    /// baselines); SageMaker's documentation suggests loosening for its point-value rule.
    pub baseline_tolerance: f64,
}

/// Records in the baseline datasets (taken from the sample, never served as traffic).
const BASELINE_ROWS: usize = 600;
const SHAP_BASELINE_ROWS: usize = 300;

pub struct ScheduleRun {
    pub name: String,
    pub records: Vec<ExecutionRecord>,
    /// Where the schedule's outputs are.
    pub output: PathBuf,
}

pub struct DemoSummary {
    pub dir: PathBuf,
    pub records_written: usize,
    pub schedules: Vec<ScheduleRun>,
    pub drift_from: DateTime<Utc>,
    /// What `analyze` said about the bias baseline it computed (constraints that can never
    /// be violated).
    pub baseline_warnings: Vec<String>,
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), DemoError> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(|e| DemoError::io(p, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| DemoError::io(path, e))
}

fn csv_row(p: &Person) -> String {
    p.features
        .iter()
        .map(|v| format!("{v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The baselines, computed with `analyze` as a user would from a baseline dataset.
fn write_baselines(
    dir: &Path,
    baseline: &[Person],
    model: &InProcessModel,
    tolerance: f64,
    runtime: &tokio::runtime::Runtime,
    clients: &AwsClients,
) -> Result<Vec<String>, DemoError> {
    let mut bias_cfg: serde_json::Value = serde_json::from_str(assets::BIAS_CONFIG)
        .map_err(|e| DemoError::Assets(format!("embedded bias config: {e}")))?;
    if let Some(o) = bias_cfg.as_object_mut() {
        o.remove("headers");
        o.insert("predicted_label".into(), "score".into());
    }
    let mut csv = format!("{},{LABEL},score\n", FEATURES.join(","));
    for p in baseline {
        let score = model.predict_row(&p.features);
        csv.push_str(&format!("{},{},{score}\n", csv_row(p), p.label));
    }
    let b = dir.join("baselines/bias");
    write(&b.join("dataset.csv"), csv)?;
    write(
        &dir.join("config/census-bias-baselining.json"),
        serde_json::to_vec_pretty(&bias_cfg).unwrap_or_default(),
    )?;
    let bias = runtime.block_on(analyze(
        &AnalyzeRequest {
            dataset: &b.join("dataset.csv"),
            config: &dir.join("config/census-bias-baselining.json"),
            output: &b,
            baseline: None,
            check: CheckConfig::default(),
            shadow_endpoint: None,
            facet_dataset: None,
            predicted_label_dataset: None,
        },
        clients,
    ))?;
    let baseline_warnings: Vec<String> = bias
        .warnings()
        .iter()
        .filter(|w| w.starts_with("as a baseline"))
        .cloned()
        .collect();
    // SageMaker's rule flags any metric farther from neutral than its baseline value, so an
    // hour of ~100 records "violates" on sampling noise alone; the demo's schedules use the
    // significant check instead, against the computed baselines. With a tolerance (for
    // comparing with the loosened baselines SageMaker's documentation suggests),
    // analysis.raw.json keeps what `analyze` computed and analysis.json is loosened.
    if tolerance > 0.0 {
        let raw_path = b.join("analysis.json");
        let raw = std::fs::read(&raw_path).map_err(|e| DemoError::io(&raw_path, e))?;
        let mut constraints: serde_json::Value = serde_json::from_slice(&raw)
            .map_err(|e| DemoError::Assets(format!("{}: {e}", raw_path.display())))?;
        loosen(&mut constraints, tolerance);
        write(&b.join("analysis.raw.json"), raw)?;
        write(
            &raw_path,
            serde_json::to_vec_pretty(&constraints).unwrap_or_default(),
        )?;
    }

    let s = dir.join("baselines/shap");
    let rows: String = baseline
        .iter()
        .take(SHAP_BASELINE_ROWS)
        .map(|p| csv_row(p) + "\n")
        .collect();
    write(&s.join("dataset.csv"), rows)?;
    runtime.block_on(analyze(
        &AnalyzeRequest {
            dataset: &s.join("dataset.csv"),
            config: &dir.join("config/census-explainability-analysis.json"),
            output: &s,
            baseline: None,
            check: CheckConfig::default(),
            shadow_endpoint: None,
            facet_dataset: None,
            predicted_label_dataset: None,
        },
        clients,
    ))?;
    Ok(baseline_warnings)
}

/// Adds `tolerance` to every finite metric's distance from neutral (0, as SageMaker's check
/// measures every metric, DI included), keeping the side of neutral it was on.
pub fn loosen(v: &mut serde_json::Value, tolerance: f64) {
    match v {
        serde_json::Value::Object(o) => {
            let name = o.get("name").and_then(|n| n.as_str()).map(str::to_string);
            if let (Some(name), Some(x)) = (name, o.get("value").and_then(|x| x.as_f64())) {
                let neutral = DiNeutral::default().neutral(&name);
                let d = x - neutral;
                let loose = neutral + d.signum() * (d.abs() + tolerance);
                let loose = if d == 0.0 { neutral + tolerance } else { loose };
                o.insert("value".into(), serde_json::json!(loose));
                return;
            }
            for child in o.values_mut() {
                loosen(child, tolerance);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|c| loosen(c, tolerance)),
        _ => {}
    }
}

/// The demo's schedules; the explainability schedule's 6-hour fires are aligned on `end`
/// (its last fire is at `end`, whatever hour that is), so the figures for a given `--end`
/// and seed are the same whichever hour it names.
fn schedules_yaml(check: CheckMode, end: DateTime<Utc>) -> String {
    r#"# Written by `driftwatch demo`: the embedded default. Paths are relative to this file.
defaults:
  endpoint: ENDPOINT
  data_capture: capture
  output: output
  cloudwatch: false
  # significant: a violation only when a metric's whole 95% interval is beyond the
  # baseline (sagemaker: whenever its value is).
  check: {mode: CHECK}

schedules:
  - name: census-bias
    type: model_bias
    cadence: hourly
    ground_truth: ground-truth
    analysis_config: config/census-bias-analysis.json
    baseline_constraints: baselines/bias/analysis.json
    probability_threshold_attribute: 0.5

  - name: census-shap
    type: model_explainability
    cadence: {daily_every_x_hours: {hour_interval: 6, starting_hour: START}}
    analysis_config: config/census-explainability-analysis.json
    baseline_constraints: baselines/shap/analysis.json
"#
    .replace("ENDPOINT", ENDPOINT)
    .replace("CHECK", check.as_str())
    .replace("START", &(end.hour() % 6).to_string())
}

/// Runs the whole demo. Blocking (it starts its own runtime for the executions).
pub fn run_demo(o: &DemoOptions) -> Result<DemoSummary, DemoError> {
    let sample = assets::sample().map_err(DemoError::Assets)?;
    let model = InProcessModel::from_json(assets::MODEL_JSON, "embedded census-xgb.json")
        .map_err(|e| DemoError::Assets(e.to_string()))?;
    let (baseline, pool) = sample.split_at(BASELINE_ROWS.min(sample.len() / 2));
    let dir = &o.dir;
    std::fs::create_dir_all(dir).map_err(|e| DemoError::io(dir, e))?;
    // A fresh run: outputs of an earlier demo in the same directory would be skipped as done.
    for sub in ["capture", "ground-truth", "output", "baselines"] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| DemoError::io(&p, e))?;
        }
    }
    write(&dir.join("model/census-xgb.json"), assets::MODEL_JSON)?;
    write(
        &dir.join("config/census-bias-analysis.json"),
        assets::BIAS_CONFIG,
    )?;
    write(
        &dir.join("config/census-explainability-analysis.json"),
        serde_json::to_vec_pretty(&assets::shap_config()).unwrap_or_default(),
    )?;
    write(&dir.join("schedules.yaml"), schedules_yaml(o.check, o.end))?;
    let spec = traffic::Spec {
        end: o.end,
        hours: o.hours,
        rate: o.rate,
        drift: traffic::Drift {
            from_hour: o.hours.saturating_sub(o.drift_hours),
        },
        seed: o.seed,
    };
    let records_written = traffic::write_traffic(dir, pool, &model, &spec)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(DemoError::Runtime)?;
    let clients = Arc::new(AwsClients::new());
    let baseline_warnings = write_baselines(
        dir,
        baseline,
        &model,
        o.baseline_tolerance,
        &runtime,
        &clients,
    )?;

    let file = ScheduleFile::load(&dir.join("schedules.yaml"))?;
    let start = o.end - TimeDelta::hours(o.hours as i64);
    let mut schedules = Vec::new();
    for s in &file.schedules {
        // The first scheduled time whose whole window has traffic.
        let from = start + s.cadence.default_window();
        let results = runtime.block_on(backfill(
            Arc::new(s.clone()),
            from,
            o.end + TimeDelta::seconds(1),
            Options {
                force: true,
                unlabelled: false,
                parallel: 2,
                on_ray: false,
            },
            clients.clone(),
        ))?;
        let records: Vec<ExecutionRecord> = results
            .into_iter()
            .filter_map(|(_, out)| match out {
                Outcome::Ran(r) | Outcome::Skipped(r) => Some(*r),
                Outcome::LedgerError(_) | Outcome::NotRun(_) => None,
            })
            .collect();
        let output = dir.join("output").join(ENDPOINT).join(s.name.as_str());
        schedules.push(ScheduleRun {
            name: s.name.as_str().to_string(),
            records,
            output,
        });
    }
    Ok(DemoSummary {
        dir: dir.clone(),
        records_written,
        schedules,
        drift_from: start + TimeDelta::hours(spec.drift.from_hour as i64),
        baseline_warnings,
    })
}

//! Subcommands: each file turns arguments into a library call and prints its result.

mod access;
mod analyze;
mod backfill;
mod dashboard;
mod data_quality;
mod demo;
mod import;
mod model_server;
mod plan;
mod run;
mod serve;
mod shard;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use driftwatch::config::check::{CheckConfig, CheckMode};
use driftwatch::data_quality::check::DriftOptions;
use driftwatch::data_quality::distance::Cdf;
use driftwatch::model_quality::ProblemType;
use driftwatch::model_quality::baseline::Attributes;

#[derive(Parser, Debug)]
#[command(
    name = "driftwatch",
    version,
    about = "Self-hosted bias and feature-attribution drift monitoring, wire-compatible with SageMaker Model Monitor"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "DRIFTWATCH_LOG_FORMAT",
        default_value = "human"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How a check judges: the flags of `analyze` and `demo` (a schedule's `check:` block).
#[derive(clap::Args, Debug, Clone)]
pub struct CheckFlags {
    /// `sagemaker`: a violation whenever the value is beyond the baseline (SageMaker's rule);
    /// `significant`: only when its whole confidence interval is.
    #[arg(long = "check", value_enum)]
    pub mode: Option<CheckModeArg>,
    /// Confidence of the bootstrap intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// In significant mode, facet groups with fewer records are not judged.
    #[arg(long, default_value_t = 30)]
    pub min_records: u64,
    /// Seed of the bootstrap.
    #[arg(long = "bootstrap-seed", default_value_t = 0)]
    pub seed: u64,
    /// Compute no confidence intervals (sagemaker mode only).
    #[arg(long)]
    pub no_intervals: bool,
}

/// `backfill --executor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackfillExecutor {
    Local,
    Ray,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DriftCdfArg {
    Sagemaker,
    Weighted,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CheckModeArg {
    Sagemaker,
    Significant,
}

impl CheckFlags {
    /// The check these flags ask for (`default` when --check is not given).
    pub fn config(&self, default: CheckMode) -> anyhow::Result<CheckConfig> {
        if !(self.confidence > 0.5 && self.confidence < 1.0) {
            anyhow::bail!(
                "--confidence must be between 0.5 and 1 (exclusive), got {}",
                self.confidence
            );
        }
        if !(100..=100_000).contains(&self.resamples) {
            anyhow::bail!(
                "--resamples must be between 100 and 100000, got {}",
                self.resamples
            );
        }
        let mode = match self.mode {
            None => default,
            Some(CheckModeArg::Sagemaker) => CheckMode::Sagemaker,
            Some(CheckModeArg::Significant) => CheckMode::Significant,
        };
        if self.no_intervals && mode == CheckMode::Significant {
            anyhow::bail!("--no-intervals: the significant check judges by the intervals");
        }
        Ok(CheckConfig {
            intervals: !self.no_intervals,
            mode: match self.mode {
                None => default,
                Some(CheckModeArg::Sagemaker) => CheckMode::Sagemaker,
                Some(CheckModeArg::Significant) => CheckMode::Significant,
            },
            confidence: self.confidence,
            resamples: self.resamples,
            min_records: self.min_records,
            seed: self.seed,
            ..CheckConfig::default()
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// `suggest-baseline --type`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaselineType {
    #[value(name = "data_quality")]
    DataQuality,
    #[value(name = "model_quality")]
    ModelQuality,
}

/// `suggest-baseline --problem-type` (SageMaker's `MonitoringProblemType`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemTypeArg {
    #[value(name = "Regression")]
    Regression,
    #[value(name = "BinaryClassification")]
    BinaryClassification,
    #[value(name = "MulticlassClassification")]
    MulticlassClassification,
}

/// `suggest-baseline --dataset-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaselineFormat {
    Csv,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The embedded default, no AWS needed: writes hours of census traffic (real CPS records,
    /// a bundled XGBoost model, bias and attribution drift injected at the end) in SageMaker's
    /// capture and ground-truth layouts into --dir, computes baselines, runs an hourly bias
    /// schedule and a 6-hourly explainability schedule over it and prints what they found.
    Demo {
        /// Where everything goes: traffic, configs, baselines, outputs and dashboards (its
        /// earlier outputs are replaced).
        #[arg(long, default_value = "driftwatch-demo")]
        dir: PathBuf,
        /// Hours of traffic, ending at --end (7 to 744).
        #[arg(long, default_value_t = 48)]
        hours: usize,
        /// Seed of the traffic: the same seed and --end give the same figures.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Mean requests per hour (with a daily swing of ±30 %).
        #[arg(long, default_value_t = 120)]
        rate: usize,
        /// Hours at the end with drift injected.
        #[arg(long, default_value_t = 12)]
        drift_hours: usize,
        /// The end of the traffic, a whole hour (default: the current hour).
        #[arg(long)]
        end: Option<String>,
        /// How violations are judged: `significant` (the whole confidence interval beyond
        /// the baseline) or `sagemaker` (the value beyond it).
        #[arg(long, value_enum, default_value = "significant")]
        check: CheckModeArg,
        /// Loosen each bias baseline value by this much (away from neutral), as SageMaker's
        /// documentation suggests for its point-value rule.
        #[arg(long, default_value_t = 0.0)]
        baseline_tolerance: f64,
    },
    /// Analyse a dataset as the Clarify processing job does (also the baselining job): the
    /// config's methods — pre- and post-training bias metrics, Kernel SHAP, partial
    /// dependence, a report — into OUTPUT/analysis.json (and {report name}.html), with
    /// OUTPUT/constraint_violations.json when a baseline is given and something violates it.
    Analyze {
        /// CSV (header row unless the config has `headers`), JSON Lines or Parquet, per the
        /// config's `dataset_type`; plain or gzip-compressed.
        #[arg(long)]
        dataset: PathBuf,
        /// The Clarify analysis config (JSON): bias methods, SHAP, partial dependence, report.
        #[arg(long)]
        analysis_config: PathBuf,
        /// Output directory.
        #[arg(long)]
        output: PathBuf,
        /// A baseline analysis.json to check against (bias and attribution drift checks).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// The endpoint that serves a `predictor.model_name` model for the synthetic rows of
        /// SHAP, partial dependence and predicted labels (never the production endpoint:
        /// its data capture would record them).
        #[arg(long, value_name = "NAME")]
        shadow_endpoint: Option<String>,
        /// A local copy of the config's `facet_dataset_uri` (CSV).
        #[arg(long, value_name = "FILE")]
        facet_dataset: Option<PathBuf>,
        /// A local copy of the config's `predicted_label_dataset_uri` (CSV).
        #[arg(long, value_name = "FILE")]
        predicted_label_dataset: Option<PathBuf>,
        #[command(flatten)]
        check: CheckFlags,
    },
    /// Turn SageMaker monitoring schedules into a driftwatch schedules file: DIR holds what
    /// `aws sagemaker describe-monitoring-schedule`, `describe-model-bias-job-definition`,
    /// `describe-model-explainability-job-definition`, `describe-processing-job` (a baselining
    /// job), `describe-endpoint` and `describe-endpoint-config` print, one answer per .json
    /// file. Writes FILE (validated) with one entry per schedule, and prints what it could not
    /// map. Exit 0 written, 2 nothing importable or bad input.
    Import {
        /// The folder of describe answers.
        #[arg(long = "from", value_name = "DIR")]
        from: PathBuf,
        /// The schedules file to write.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// ENDPOINT=SHADOW: the explainability schedules of ENDPOINT call SHADOW (an endpoint
        /// serving the same model, data capture off) for a predictor given by model_name.
        #[arg(long = "shadow-endpoint", value_name = "ENDPOINT=SHADOW")]
        shadow_endpoints: Vec<String>,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Run one execution of a schedule for scheduled time T (its window ends at T, or at T +
    /// end_time_offset): reads capture and ground truth, writes analysis.json,
    /// constraint_violations.json (only when violated) and execution.json under
    /// {output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/, and prints the execution record.
    /// Exit 0 Completed or CompletedWithViolations, 1 Failed, 2 bad arguments.
    Run {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
        /// The schedule's name in the file.
        #[arg(long)]
        schedule: String,
        /// The scheduled time T (RFC 3339 UTC); must be one of the schedule's fire times.
        #[arg(long)]
        at: String,
        /// The attempt number the record carries (a re-run of a failed time: 2, 3, …).
        #[arg(long, default_value_t = 1)]
        attempt: u32,
        /// Run in this process in one piece whatever the schedule's `executor` says (what a
        /// `backfill --executor ray` job runs, so it never fans out again).
        #[arg(long)]
        in_process: bool,
    },
    /// Run one shard of a sharded execution (what a Ray job of `executor: {type: ray}` runs):
    /// reads the coordinator's plan under {output folder}/_shards/{run}/, reduces this shard's
    /// slice of the capture and writes its state beside the plan. Exit 0 done, 1 a permanent
    /// failure, 75 a transient one (worth retrying), 2 bad arguments.
    Shard {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
        /// The schedule's name in the file.
        #[arg(long)]
        schedule: String,
        /// The execution's scheduled time T (RFC 3339 UTC).
        #[arg(long)]
        at: String,
        /// The coordinator's run id (the folder of its plan).
        #[arg(long)]
        run: String,
        /// The shard's number, from 0.
        #[arg(long)]
        shard: usize,
    },
    /// Serve an in-process model (XGBoost JSON or linear/logistic) over HTTP with SageMaker's
    /// container contract (GET /ping, POST /invocations) and the runtime path
    /// (POST /endpoints/{name}/invocations); text/csv, application/jsonlines, application/json.
    ModelServer {
        /// The model file: XGBoost's JSON dump, or {"type": "linear"|"logistic", …}.
        #[arg(long)]
        model: PathBuf,
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on (0.0.0.0 to serve other hosts).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Answer only these endpoint names on `/endpoints/NAME/invocations` (repeatable;
        /// others get SageMaker's "not found"). Default: any name.
        #[arg(long = "endpoint", value_name = "NAME")]
        endpoints: Vec<String>,
    },
    /// Run every scheduled time of a schedule in [--from, --to), oldest first, skipping those
    /// the ledger (the execution records) says are Completed or CompletedWithViolations unless
    /// --force; prints a line per time and a summary. Exit 0 when none failed, else 1.
    Backfill {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
        /// The schedule's name in the file.
        #[arg(long)]
        schedule: String,
        /// First scheduled time included (RFC 3339 UTC, or a date).
        #[arg(long)]
        from: String,
        /// Scheduled times before this one are included.
        #[arg(long)]
        to: String,
        /// Run again the times already completed.
        #[arg(long)]
        force: bool,
        /// Run again the completed times whose captured records had no ground truth yet
        /// (model quality: the measured metrics replace the estimate once labels arrive).
        #[arg(long)]
        unlabelled: bool,
        /// Executions at once (in this process; `--executor ray` runs the executor's
        /// `parallelism` at once).
        #[arg(long, default_value_t = 1)]
        parallel: usize,
        /// Where each execution runs: `local` (this process) or `ray` (one Ray job each, on
        /// the schedule's `executor: {type: ray}` cluster).
        #[arg(long, value_enum, default_value_t = BackfillExecutor::Local)]
        executor: BackfillExecutor,
    },
    /// Run the daemon: every schedule on its UTC cadence, missed executions within the
    /// look-back caught up from the ledger (the execution records), a read-only status
    /// endpoint (/healthz /readyz /schedules /executions /metrics). SIGTERM/SIGINT: stop
    /// starting executions, wait up to --grace, record the rest Stopped, exit 0. SIGHUP:
    /// reload the config (kept when invalid).
    Serve {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
        /// Status endpoint address.
        #[arg(long, env = "DRIFTWATCH_LISTEN", default_value = "127.0.0.1:9464")]
        listen: String,
        /// Executions at once, all schedules together (one at a time per schedule).
        #[arg(long, env = "DRIFTWATCH_CONCURRENCY", default_value_t = 4)]
        concurrency: usize,
        /// How far back missed executions are caught up (e.g. 24h, 90m, 0).
        #[arg(long, env = "DRIFTWATCH_LOOKBACK", default_value = "24h")]
        lookback: String,
        /// Wait before retrying a Failed execution; doubles per retry.
        #[arg(long, env = "DRIFTWATCH_RETRY_AFTER", default_value = "15m")]
        retry_after: String,
        /// Attempts per scheduled time, the first included.
        #[arg(long, env = "DRIFTWATCH_MAX_ATTEMPTS", default_value_t = 3)]
        max_attempts: u32,
        /// How long running executions may finish after SIGTERM before they are cancelled.
        #[arg(long, env = "DRIFTWATCH_GRACE", default_value = "60s")]
        grace: String,
    },
    /// Rebuild the drift dashboards (each schedule's index.html and dashboard.json, and the
    /// top-level index.html of each output location) from the execution records. Executions
    /// keep them current on their own; this is for after an upgrade or a manual change.
    Dashboard {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
        /// Only this schedule.
        #[arg(long)]
        schedule: Option<String>,
    },
    /// Check, before the first fire, that every schedule can reach what its executions will
    /// touch: lists its capture and ground-truth prefixes, reads its analysis config and
    /// baseline, writes and deletes a probe object under its output, calls CloudWatch
    /// (publishing nothing) and invokes its endpoint with one row. One line per check; exit 0
    /// when all pass, 1 otherwise, 2 on an invalid config.
    CheckAccess {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
        /// Only this schedule.
        #[arg(long)]
        schedule: Option<String>,
    },
    /// Validate a schedules file and the analysis configs it names (exit 0 valid, 2 invalid).
    Validate {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
    },
    /// Make a monitor's baseline from a dataset, as SageMaker's `suggest_baseline` does:
    /// `--type data_quality` or `--type model_quality` (with --problem-type, the attributes)
    /// writes statistics.json and constraints.json into --output (both or neither).
    /// Exit 0 written, 2 bad input.
    SuggestBaseline {
        /// The monitor type the baseline is for.
        #[arg(long = "type", value_enum)]
        monitor: BaselineType,
        /// The dataset (plain or gzip-compressed).
        #[arg(long)]
        dataset: PathBuf,
        /// How the dataset is written (the SDK's `DatasetFormat`).
        #[arg(long, value_enum, default_value = "csv")]
        dataset_format: BaselineFormat,
        /// The CSV's first line names the columns (else they are `_c0`, `_c1`, … as
        /// SageMaker names them).
        #[arg(long)]
        header: bool,
        /// Output directory.
        #[arg(long)]
        output: PathBuf,
        /// model_quality: the problem type.
        #[arg(long, value_enum)]
        problem_type: Option<ProblemTypeArg>,
        /// model_quality: the predicted label's column (header name or 0-based index).
        #[arg(long)]
        inference_attribute: Option<String>,
        /// model_quality: the probability's column (binary classification).
        #[arg(long)]
        probability_attribute: Option<String>,
        /// model_quality: the probability above which the label is positive (default 0.5).
        #[arg(long)]
        probability_threshold_attribute: Option<f64>,
        /// model_quality: the ground truth's column.
        #[arg(long)]
        ground_truth_attribute: Option<String>,
    },
    /// Check a dataset against a data-quality baseline, as a monitoring execution checks a
    /// window: writes statistics.json and, when something violates, constraint_violations.json
    /// into --output; prints each violation and each check that could not be made.
    /// Exit 0 no violation, 1 violations, 2 bad input.
    CheckData {
        /// The dataset (plain or gzip-compressed CSV).
        #[arg(long)]
        dataset: PathBuf,
        /// The CSV's first line names the columns (else `_c0`, `_c1`, …).
        #[arg(long)]
        header: bool,
        /// The baseline's constraints.json.
        #[arg(long, value_name = "FILE")]
        baseline_constraints: PathBuf,
        /// The baseline's statistics.json (without it, drift is not checked).
        #[arg(long, value_name = "FILE")]
        baseline_statistics: Option<PathBuf>,
        /// Output directory.
        #[arg(long)]
        output: PathBuf,
        /// `significant`: a drift distance beyond its threshold violates only when a
        /// two-sample test at this confidence says it is beyond sampling noise.
        #[arg(long = "check", value_enum)]
        mode: Option<CheckModeArg>,
        /// Confidence of the significant check.
        #[arg(long, default_value_t = 0.95)]
        confidence: f64,
        /// The CDF numeric drift reads: `sagemaker` (Deequ's, a repeated value counted once)
        /// or `weighted` (every value counted).
        #[arg(long, value_enum, default_value = "sagemaker")]
        drift_cdf: DriftCdfArg,
    },
    /// Print the executions due between two times, one JSON object per line.
    Plan {
        /// The schedules file: a path or an S3 URI (s3://bucket/key.yaml).
        #[arg(long, env = "DRIFTWATCH_CONFIG")]
        config: String,
        /// Only this schedule.
        #[arg(long)]
        schedule: Option<String>,
        /// First scheduled time included (RFC 3339 UTC, or a date).
        #[arg(long)]
        from: String,
        /// Scheduled times before this one are included (RFC 3339 UTC, or a date).
        #[arg(long)]
        to: String,
    },
}

impl Command {
    /// Whether the command reads capture windows (executions): those return freed memory to
    /// the system at once (see `main.rs`).
    pub fn streams_windows(&self) -> bool {
        matches!(
            self,
            Self::Demo { .. }
                | Self::Run { .. }
                | Self::Shard { .. }
                | Self::Backfill { .. }
                | Self::Serve { .. }
        )
    }
}

/// Loads the schedules file `--config` names (a path or an S3 URI). `Ok(None)` when the file
/// is invalid (its problems are printed; the caller exits 2).
fn load_file(config: &str) -> anyhow::Result<Option<driftwatch::config::ScheduleFile>> {
    use anyhow::Context;
    use driftwatch::load::ConfigSource;
    let source = ConfigSource::parse(config)
        .map_err(anyhow::Error::msg)
        .context("--config")?;
    let loaded = match &source {
        ConfigSource::Local(p) => driftwatch::config::ScheduleFile::load(p.as_path()),
        ConfigSource::S3(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?
            .block_on(driftwatch::load::schedule_file(
                &source,
                &driftwatch::aws::AwsClients::new(),
            )),
    };
    match loaded {
        Ok(f) => Ok(Some(f)),
        Err(invalid) => {
            eprintln!("{invalid}");
            Ok(None)
        }
    }
}

/// Loads the schedules file and picks `name` from it. `Ok(None)` when the file is invalid
/// (its problems are printed; the caller exits 2); an error naming the schedules there are
/// when `name` is not one of them.
fn load_schedule(config: &str, name: &str) -> anyhow::Result<Option<driftwatch::config::Schedule>> {
    let Some(file) = load_file(config)? else {
        return Ok(None);
    };
    pick(&file, name, config).map(|s| Some(s.clone()))
}

/// The schedules a command works on: `name` alone, or every schedule of the file. `Ok(None)`
/// when the file is invalid (problems printed).
fn chosen_schedules(
    config: &str,
    name: Option<&str>,
) -> anyhow::Result<Option<Vec<driftwatch::config::Schedule>>> {
    let Some(file) = load_file(config)? else {
        return Ok(None);
    };
    Ok(Some(match name {
        Some(n) => vec![pick(&file, n, config)?.clone()],
        None => file.schedules.clone(),
    }))
}

/// The schedule `name` of `file`, or an error naming the schedules there are.
fn pick<'a>(
    file: &'a driftwatch::config::ScheduleFile,
    name: &str,
    config: &str,
) -> anyhow::Result<&'a driftwatch::config::Schedule> {
    file.schedule(name).ok_or_else(|| {
        let names: Vec<&str> = file.schedules.iter().map(|s| s.name.as_str()).collect();
        anyhow::anyhow!(
            "--schedule: no schedule named {name:?} in {config} (schedules: {})",
            names.join(", ")
        )
    })
}

pub fn init_logging(format: LogFormat, default_level: &str) {
    // The AWS SDK logs each credential provider it tries (with debug dumps) and the cron
    // library its every start: the failure that matters reaches driftwatch's own messages.
    let filter = tracing_subscriber::EnvFilter::try_from_env("DRIFTWATCH_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{default_level},aws_config=error,aws_smithy_runtime=error,tokio_cron_scheduler=warn"
        ))
    });
    // Colours only for a terminal: logs redirected to a file or journald stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless, so its error is ignored.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze {
            dataset,
            analysis_config,
            output,
            baseline,
            shadow_endpoint,
            facet_dataset,
            predicted_label_dataset,
            check,
        } => analyze::analyze_command(
            analyze::Inputs {
                dataset: &dataset,
                config: &analysis_config,
                output: &output,
                baseline: baseline.as_deref(),
                shadow_endpoint: shadow_endpoint.as_deref(),
                facet_dataset: facet_dataset.as_deref(),
                predicted_label_dataset: predicted_label_dataset.as_deref(),
            },
            check.config(CheckMode::Sagemaker)?,
        ),
        Command::Validate { config } => validate::validate_command(&config),
        Command::Import {
            from,
            output,
            shadow_endpoints,
            force,
        } => import::import_command(&from, &output, &shadow_endpoints, force),
        Command::CheckAccess { config, schedule } => {
            access::check_access_command(&config, schedule.as_deref())
        }
        Command::Dashboard { config, schedule } => {
            dashboard::dashboard_command(&config, schedule.as_deref())
        }
        Command::Demo {
            dir,
            hours,
            seed,
            rate,
            drift_hours,
            end,
            check,
            baseline_tolerance,
        } => demo::demo_command(demo::Flags {
            dir: &dir,
            hours,
            seed,
            rate,
            drift_hours,
            end: end.as_deref(),
            check: match check {
                CheckModeArg::Sagemaker => CheckMode::Sagemaker,
                CheckModeArg::Significant => CheckMode::Significant,
            },
            baseline_tolerance,
        }),
        Command::Serve {
            config,
            listen,
            concurrency,
            lookback,
            retry_after,
            max_attempts,
            grace,
        } => serve::serve_command(serve::Flags {
            config: &config,
            listen: &listen,
            concurrency,
            lookback: &lookback,
            retry_after: &retry_after,
            max_attempts,
            grace: &grace,
        }),
        Command::Backfill {
            config,
            schedule,
            from,
            to,
            force,
            unlabelled,
            parallel,
            executor,
        } => backfill::backfill_command(
            &config,
            &schedule,
            &from,
            &to,
            driftwatch::daemon::backfill::Options {
                force,
                unlabelled,
                parallel,
                on_ray: executor == BackfillExecutor::Ray,
            },
        ),
        Command::ModelServer {
            model,
            port,
            host,
            endpoints,
        } => model_server::model_server_command(&model, &host, port, endpoints),
        Command::Run {
            config,
            schedule,
            at,
            attempt,
            in_process,
        } => run::run_command(&config, &schedule, &at, attempt, in_process),
        Command::Shard {
            config,
            schedule,
            at,
            run,
            shard,
        } => shard::shard_command(&config, &schedule, &at, &run, shard),
        Command::SuggestBaseline {
            monitor: BaselineType::DataQuality,
            dataset,
            dataset_format: BaselineFormat::Csv,
            header,
            output,
            problem_type,
            inference_attribute,
            probability_attribute,
            probability_threshold_attribute,
            ground_truth_attribute,
        } => {
            if problem_type.is_some()
                || inference_attribute.is_some()
                || probability_attribute.is_some()
                || probability_threshold_attribute.is_some()
                || ground_truth_attribute.is_some()
            {
                eprintln!(
                    "error: --problem-type and the --*-attribute options are for --type model_quality; a data_quality baseline profiles every column"
                );
                return Ok(ExitCode::from(2));
            }
            data_quality::suggest_baseline_command(&dataset, header, &output)
        }
        Command::SuggestBaseline {
            monitor: BaselineType::ModelQuality,
            dataset,
            dataset_format: BaselineFormat::Csv,
            header,
            output,
            problem_type,
            inference_attribute,
            probability_attribute,
            probability_threshold_attribute,
            ground_truth_attribute,
        } => {
            let (Some(problem), Some(ground_truth)) = (problem_type, ground_truth_attribute) else {
                eprintln!(
                    "error: --type model_quality needs --problem-type and --ground-truth-attribute"
                );
                return Ok(ExitCode::from(2));
            };
            let problem = match problem {
                ProblemTypeArg::Regression => ProblemType::Regression,
                ProblemTypeArg::BinaryClassification => ProblemType::BinaryClassification,
                ProblemTypeArg::MulticlassClassification => ProblemType::MulticlassClassification,
            };
            data_quality::suggest_model_quality_command(
                &dataset,
                header,
                problem,
                &Attributes {
                    inference: inference_attribute,
                    probability: probability_attribute,
                    probability_threshold: probability_threshold_attribute,
                    ground_truth,
                },
                &output,
            )
        }
        Command::CheckData {
            dataset,
            header,
            baseline_constraints,
            baseline_statistics,
            output,
            mode,
            confidence,
            drift_cdf,
        } => {
            if !(confidence > 0.5 && confidence < 1.0) {
                anyhow::bail!(
                    "--confidence must be between 0.5 and 1 (exclusive), got {confidence}"
                );
            }
            let options = DriftOptions {
                cdf: match drift_cdf {
                    DriftCdfArg::Sagemaker => Cdf::Distinct,
                    DriftCdfArg::Weighted => Cdf::Weighted,
                },
                significant: matches!(mode, Some(CheckModeArg::Significant)).then_some(confidence),
            };
            data_quality::check_data_command(
                &dataset,
                header,
                &baseline_constraints,
                baseline_statistics.as_deref(),
                &output,
                options,
            )
        }
        Command::Plan {
            config,
            schedule,
            from,
            to,
        } => plan::plan_command(&config, schedule.as_deref(), &from, &to),
    }
}

/// An error and its causes on one line, each cause once: library errors already put their
/// source's text in their own message, so anyhow's `{:#}` would repeat it.
pub fn message_of(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// The async runtime of one command. Dropping it does not wait for blocking reads still in
/// flight: a read that cannot be cancelled (a hung network mount) must not keep a finished
/// command from exiting, and whatever it would return is no longer wanted (the execution
/// already wrote its record).
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    pub(crate) fn new() -> anyhow::Result<Self> {
        use anyhow::Context;
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map(|r| Self(Some(r)))
            .context("starting the async runtime")
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match &self.0 {
            Some(r) => r.block_on(future),
            None => unreachable!("the runtime is only taken when dropped"),
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn every_flag_says_what_it_is_and_every_config_takes_the_env_variable() {
        let cli = super::Cli::command();
        for sub in cli.get_subcommands() {
            for a in sub.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" {
                    continue;
                }
                assert!(
                    a.get_help().is_some() || a.get_long_help().is_some(),
                    "{} --{id} has no help",
                    sub.get_name()
                );
                if id == "config" {
                    assert_eq!(
                        a.get_env().and_then(|e| e.to_str()),
                        Some("DRIFTWATCH_CONFIG"),
                        "{} --config",
                        sub.get_name()
                    );
                }
            }
        }
    }
}

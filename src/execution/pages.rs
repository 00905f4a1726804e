//! The HTML pages of an execution: its `report.html` (best effort: a report that cannot be
//! written is logged and left out of the record, never a failed execution), and its entry in
//! the schedule's dashboard and the overview (after the record: the dashboard shows what the
//! ledger holds).

use super::ExecutionError;
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::dashboard::{self, Constraints, Execution, Identity};
use crate::monitor::MonitorOutput;
use crate::monitor::data_quality::DataQualityOutput;
use crate::monitor::model_quality::ModelQualityOutput;
use crate::report::{data_quality_html, execution_html, model_quality_html};
use crate::sagemaker::layout::{INDEX_FILE, REPORT_FILE};
use crate::sagemaker::{AnalysisDoc, ExecutionRecord};
use crate::store::{ObjectStore, Store, join_key};

/// The folder of the execution at `t`, relative to its schedule's folder (`2024/01/19/12`).
fn relative_folder(schedule: &Schedule, folder: &str) -> String {
    let root = schedule.root();
    folder
        .strip_prefix(&root)
        .unwrap_or(folder)
        .trim_start_matches('/')
        .to_string()
}

/// What a completed execution's pages are drawn from, per monitor type.
pub(super) enum Content {
    /// A Clarify monitor's analysis, the baseline it was judged against, and the analysis
    /// config's `methods.report.title`.
    Clarify {
        output: Box<MonitorOutput>,
        baseline: Option<Box<AnalysisDoc>>,
        title: Option<String>,
    },
    /// A data-quality window's statistics and violations.
    DataQuality(Box<DataQualityOutput>),
    /// A model-quality window's statistics and violations.
    ModelQuality(Box<ModelQualityOutput>),
}

/// What an execution's pages are made of: where they go and what the execution holds.
pub(super) struct Pages<'a> {
    pub store: &'a Store,
    pub schedule: &'a Schedule,
    pub folder: &'a str,
    /// What the monitor produced, when it completed.
    pub content: Option<&'a Content>,
}

impl Pages<'_> {
    /// The Clarify analysis, its violations and its baseline, when the execution has them.
    fn clarify(&self) -> (Option<&MonitorOutput>, Option<&AnalysisDoc>, Option<&str>) {
        match self.content {
            Some(Content::Clarify {
                output,
                baseline,
                title,
            }) => (Some(output), baseline.as_deref(), title.as_deref()),
            Some(Content::DataQuality(_) | Content::ModelQuality(_)) | None => (None, None, None),
        }
    }

    /// Writes the report into the folder; returns its address.
    pub async fn write_report(&self, record: &ExecutionRecord) -> Option<String> {
        let depth = relative_folder(self.schedule, self.folder)
            .split('/')
            .count();
        let dashboard = format!("{}{INDEX_FILE}", "../".repeat(depth));
        let (output, baseline, title) = self.clarify();
        let html = match self.content {
            Some(Content::DataQuality(o)) => {
                data_quality_html(record, &o.statistics, o.violations.as_ref(), &dashboard)
            }
            Some(Content::ModelQuality(o)) => {
                model_quality_html(record, &o.statistics, o.violations.as_ref(), &dashboard)
            }
            _ => execution_html(
                record,
                output.map(|o| &o.analysis),
                baseline,
                output.and_then(|o| o.violations.as_ref()),
                title,
                &dashboard,
            ),
        };
        let key = join_key(self.folder, REPORT_FILE);
        match self.store.put(&key, html.into_bytes()).await {
            Ok(()) => Some(self.store.describe(&key)),
            Err(e) => {
                tracing::warn!(error = %e, "cannot write report.html");
                None
            }
        }
    }

    /// Adds the execution (its record written) to the dashboards: best effort, logged, never
    /// a failed execution.
    pub async fn update_dashboard(&self, record: &ExecutionRecord) {
        let (output, baseline, _) = self.clarify();
        let e = Execution {
            record,
            analysis: output.map(|o| &o.analysis),
            violations: output.and_then(|o| o.violations.as_ref()),
            data_quality: match self.content {
                Some(Content::DataQuality(o)) => Some((&o.statistics, o.violations.as_ref())),
                _ => None,
            },
            model_quality: match self.content {
                Some(Content::ModelQuality(o)) => Some(&o.statistics),
                _ => None,
            },
            report: record.outputs.report.as_ref().map(|_| {
                format!(
                    "{}/{REPORT_FILE}",
                    relative_folder(self.schedule, self.folder)
                )
            }),
        };
        let c = constraints(baseline);
        if let Err(e) = dashboard::record(self.store, identity(self.schedule), &e, c).await {
            tracing::warn!(error = %e, "cannot update the dashboard");
        }
    }
}

fn identity(schedule: &Schedule) -> Identity<'_> {
    Identity {
        schedule: schedule.name.as_str(),
        endpoint: schedule.endpoint(),
        monitoring_type: schedule.monitoring_type(),
    }
}

fn constraints(baseline: Option<&AnalysisDoc>) -> Constraints<'_> {
    Constraints { baseline }
}

/// Rebuilds the schedule's dashboard from its ledger (`driftwatch dashboard`); returns how
/// many executions it shows and the page's address.
pub async fn rebuild_dashboard(
    schedule: &Schedule,
    clients: &AwsClients,
) -> Result<(usize, String), ExecutionError> {
    let baseline = match schedule.monitor.analysis_config() {
        Some(_) => super::clarify::read_baseline(schedule, clients).await?,
        None => None,
    };
    let store = Store::open(&schedule.output, clients).await;
    let n = dashboard::rebuild(&store, identity(schedule), constraints(baseline.as_ref()))
        .await
        .map_err(ExecutionError::Dashboard)?;
    let root = schedule.root();
    Ok((n, store.describe(&join_key(&root, INDEX_FILE))))
}

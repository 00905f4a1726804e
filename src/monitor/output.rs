//! What an analysis produces, whichever monitor made it: the analysis.json, the violations
//! (if any), the per-record SHAP values (if asked for) and every warning.

use super::Coverage;
use super::bias::BiasOutcome;
use super::explainability::ExplainOutcome;
use crate::config::check::{CheckConfig, CheckMode};
use crate::sagemaker::analysis::{CheckInfo, FORMAT_VERSION};
use crate::sagemaker::{AnalysisDoc, ConstraintViolations, DriftwatchBlock, Status, Violation};

/// Per-record SHAP values as a file: its name beside analysis.json and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalShap {
    pub file: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonitorOutput {
    pub analysis: AnalysisDoc,
    /// None when nothing violated (SageMaker writes no file then).
    pub violations: Option<ConstraintViolations>,
    /// The per-record SHAP values' file (out.csv, or out.jsonl for text).
    pub local_shap: Option<LocalShap>,
    /// Everything in the analysis' `driftwatch.warnings`, in order.
    pub warnings: Vec<String>,
    /// What could be computed and checked.
    pub coverage: Coverage,
    /// InvokeEndpoint requests the explanation made.
    pub endpoint_requests: usize,
}

impl MonitorOutput {
    /// One analysis from the monitors that ran. `leading` are the warnings of the steps
    /// before the analysis (reading, merging); they come first.
    pub fn assemble(
        leading: Vec<String>,
        check: &CheckConfig,
        bias: Option<BiasOutcome>,
        explained: Option<ExplainOutcome>,
    ) -> Self {
        let mut warnings = leading;
        let mut violations = Vec::new();
        let mut analysis = AnalysisDoc::default();
        let mut block = DriftwatchBlock {
            version: env!("CARGO_PKG_VERSION").to_string(),
            ..DriftwatchBlock::default()
        };
        block.di_neutral = check.di_neutral.recorded();
        let mut coverage = Coverage::default();
        let mut requests = 0;
        if check.intervals || check.mode == CheckMode::Significant {
            block.check = Some(CheckInfo {
                mode: check.mode.as_str().to_string(),
                confidence: check.confidence,
                resamples: check.resamples,
                min_records: check.min_records,
                seed: check.seed,
            });
        }
        if let Some(b) = bias {
            analysis.pre_training_bias_metrics = b.pre_training;
            analysis.post_training_bias_metrics = b.post_training;
            block.column_types = b.column_types;
            block.intervals = b.intervals;
            block.insufficient_data = b.insufficient;
            block.not_significant = b.not_significant;
            block.not_judged = b.not_judged;
            block.unusable_baselines = b.unusable_baselines;
            block.segments = b.segments;
            warnings.extend(b.warnings);
            violations.extend(b.violations.into_iter().map(Violation::Bias));
            coverage.merge(&b.coverage);
        }
        let mut local_shap = None;
        if let Some(s) = explained {
            analysis.explanations = Some(s.explanations);
            block.ndcg = s.ndcg;
            block.ndcg_threshold = s.ndcg_threshold;
            block.ndcg_intervals = s.ndcg_intervals;
            block.not_significant.extend(s.not_significant);
            warnings.extend(s.warnings);
            violations.extend(s.violations.into_iter().map(Violation::Attribution));
            local_shap = s.local;
            requests = s.endpoint_requests;
            coverage.merge(&s.coverage);
        }
        block.warnings = warnings.clone();
        analysis.version = FORMAT_VERSION.to_string();
        analysis.driftwatch = Some(block);
        Self {
            analysis,
            violations: ConstraintViolations::of(violations),
            local_shap,
            warnings,
            coverage,
            endpoint_requests: requests,
        }
    }

    pub fn violation_count(&self) -> usize {
        self.violations.as_ref().map_or(0, |v| v.violations.len())
    }

    /// The status the analysis means for an execution.
    pub fn status(&self) -> Status {
        if self.violations.is_some() {
            Status::CompletedWithViolations
        } else {
            Status::Completed
        }
    }
}

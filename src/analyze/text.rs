//! `analyze` for a text model: the dataset's records explained unit by unit, then
//! `explanations_shap/out.jsonl`, the report, and analysis.json last (so an analysis.json
//! always sits beside complete files); nothing stays behind when a write fails.

use std::sync::Arc;

use super::{Analysed, AnalyzeError, AnalyzeOutcome, AnalyzeRequest};
use crate::aws::AwsClients;
use crate::config::analysis::text::TextConfig;
use crate::config::{self, Location};
use crate::dataset;
use crate::monitor::MonitorError;
use crate::monitor::MonitorOutput;
use crate::monitor::explainability::ndcg_threshold;
use crate::monitor::inputs::baseline;
use crate::monitor::inputs::{ModelSource, shap_config};
use crate::monitor::text::{TextRecords, monitor_text};
use crate::report::text_html;
use crate::sagemaker::JsonFile as _;
use crate::sagemaker::layout::{ANALYSIS_FILE, VIOLATIONS_FILE};
use crate::sagemaker::text::{LOCAL_KEY, local_jsonl};

pub(super) async fn analyze_text(
    req: &AnalyzeRequest<'_>,
    cfg: &config::AnalysisConfig,
    text: &TextConfig,
    clients: &AwsClients,
) -> Result<AnalyzeOutcome, AnalyzeError> {
    let started = std::time::Instant::now();
    let in_dataset = |source| AnalyzeError::Analysis {
        dataset: req.dataset.to_path_buf(),
        source,
    };
    let config_location = Location::Local(req.config.to_path_buf());
    let methods = cfg.methods.clone().unwrap_or_default();
    let Some(shap) = &methods.shap else {
        return Err(in_dataset(MonitorError::Unsupported(
            "text_config needs methods.shap".into(),
        )));
    };
    let shap = shap_config(shap, &config_location, clients)
        .await
        .map_err(AnalyzeError::Input)?;
    let model = ModelSource::resolve(cfg, &config_location, req.shadow_endpoint, clients)
        .await
        .map_err(AnalyzeError::Input)?;
    let loaded = dataset::load(req.dataset, cfg, dataset::Columns::All)?;
    let frame = loaded.frame;
    let data = TextRecords::from_frame(&frame, cfg).map_err(in_dataset)?;
    drop(frame);
    let names = data.names.clone();
    let predictor = Arc::new(
        model
            .predictor(names, cfg.extensions.max_endpoint_requests, clients)
            .await
            .map_err(AnalyzeError::Input)?,
    );
    let load_time = started.elapsed();
    let mut out = monitor_text(data, cfg, &shap, text, predictor)
        .await
        .map_err(in_dataset)?;
    // The loader's notes on missing values speak of bias metrics, which a text analysis does
    // not compute; an empty text is reported per record instead.
    let mut leading: Vec<String> = loaded
        .warnings
        .into_iter()
        .filter(|w| !w.contains("FlipTest (FT)"))
        .collect();
    if methods.pre_training_bias.is_some() || methods.post_training_bias.is_some() {
        leading.push(
            "bias metrics are not computed in a text analysis (text_config): run them in an analysis without text_config".into(),
        );
    }
    // `--baseline`: the attribution drift check by top units, as a schedule makes it.
    let baseline = match req.baseline {
        Some(p) => Some(
            baseline("baseline", &Location::Local(p.to_path_buf()), clients)
                .await
                .map_err(AnalyzeError::Input)?,
        ),
        None => None,
    };
    let threshold = ndcg_threshold(&req.check, cfg);
    let outcome = out.outcome(baseline.as_ref(), threshold, &req.check);
    let result = MonitorOutput::assemble(leading, &req.check, None, Some(outcome));
    out.warnings = result.warnings.clone();
    out.analysis = result.analysis.clone();
    out.totals.violations = result.violation_count();
    let explained = started.elapsed() - load_time;
    let mut files: Vec<(String, Vec<u8>)> =
        vec![(LOCAL_KEY.to_string(), local_jsonl(&out.local).into_bytes())];
    if let Some(r) = &methods.report {
        let html = text_html(
            &r.title,
            &req.dataset.display().to_string(),
            &out.analysis,
            &out.local,
        );
        files.push((format!("{}.html", r.name), html.into_bytes()));
    }
    if let Some(v) = &result.violations {
        files.push((VIOLATIONS_FILE.to_string(), v.to_json_bytes()));
    }
    files.push((ANALYSIS_FILE.to_string(), result.analysis.to_json_bytes()));
    super::write_files(req.output, files, "a text explanation's files").await?;
    Ok(AnalyzeOutcome::staged(
        Analysed::Text(Box::new(out)),
        load_time,
        explained,
        started.elapsed(),
    ))
}

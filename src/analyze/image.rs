//! `analyze` for an image model: the images listed, explained, and their files written —
//! per image `explanations_shap/<stem>.json` and `shap_<stem>.jpeg`, then the report, then
//! analysis.json last, so an analysis.json always lists files that are all there; nothing
//! stays behind when a write fails.

use super::{Analysed, AnalyzeError, AnalyzeOutcome, AnalyzeRequest};
use crate::aws::AwsClients;
use crate::config;
use crate::monitor::MonitorError;
use crate::monitor::image::{ImageDataset, monitor_image};
use crate::report::{DrawnImage, image_html};
use crate::sagemaker::image::{analysis_json, results_key};
use crate::sagemaker::layout::ANALYSIS_FILE;

pub(super) async fn analyze_image(
    req: &AnalyzeRequest<'_>,
    cfg: &config::AnalysisConfig,
    ia: &config::analysis::image::ImageAnalysis,
    clients: &AwsClients,
) -> Result<AnalyzeOutcome, AnalyzeError> {
    let started = std::time::Instant::now();
    let dataset_text = req.dataset.display().to_string();
    let in_dataset = |source| AnalyzeError::Analysis {
        dataset: req.dataset.to_path_buf(),
        source,
    };
    let dataset = ImageDataset::list(&dataset_text, clients)
        .await
        .map_err(in_dataset)?;
    let loaded = started.elapsed();
    let config_dir = req.config.parent().unwrap_or(std::path::Path::new("."));
    let out = monitor_image(&dataset, cfg, ia, config_dir, req.shadow_endpoint, clients)
        .await
        .map_err(in_dataset)?;
    if out.explained.is_empty() {
        let first = out.warnings.first().cloned().unwrap_or_default();
        return Err(in_dataset(MonitorError::Data(format!(
            "no image could be explained ({} images; the first: {first})",
            out.entries.len()
        ))));
    }
    let explained = started.elapsed() - loaded;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for e in &out.explained {
        let text = serde_json::to_vec(&e.file.to_json()).unwrap_or_default();
        files.push((results_key(&e.stem), text));
        files.extend(e.pictures.iter().cloned());
    }
    if let Some(r) = cfg.methods.as_ref().and_then(|m| m.report.as_ref()) {
        let drawn: Vec<DrawnImage<'_>> = out
            .explained
            .iter()
            .map(|e| DrawnImage {
                name: &e.name,
                file: &e.file,
                pictures: &e.pictures,
            })
            .collect();
        let html = image_html(&r.title, &dataset_text, &out.entries, &drawn);
        files.push((format!("{}.html", r.name), html.into_bytes()));
    }
    let analysis = analysis_json(&out.entries, &out.totals);
    files.push((
        ANALYSIS_FILE.to_string(),
        serde_json::to_vec_pretty(&analysis).unwrap_or_default(),
    ));
    super::write_files(req.output, files, "an image explanation's files").await?;
    Ok(AnalyzeOutcome::staged(
        Analysed::Image(out),
        loaded,
        explained,
        started.elapsed(),
    ))
}

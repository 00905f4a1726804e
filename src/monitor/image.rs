//! An image model explained: the dataset's images listed (a folder, an S3 prefix, or an
//! image manifest), each segmented and explained with the config's endpoint, and Clarify's
//! files' content made — for `analyze`. An image that cannot be read or decoded is listed as
//! failed with its reason and the others are still explained; the endpoint failing fails
//! the analysis (its class says whether a retry can help).

use std::path::Path;
use std::sync::Arc;

use super::MonitorError;
use crate::aws::AwsClients;
use crate::capture::payload::OutputLocator;
use crate::config::analysis::image::{ImageAnalysis, ImageModelType};
use crate::config::analysis::{AnalysisConfig, endpoint_predictor};
use crate::config::{Location, SageMakerName};
use crate::explain::codec::Format;
use crate::explain::endpoint::Invoker;
use crate::explain::image::decode::decode;
use crate::explain::image::encode;
use crate::explain::image::heatmap::heatmap;
use crate::explain::image::masking::baseline_for;
use crate::explain::image::run::{ImageSettings, Scorer, explain_image};
use crate::explain::kernel_shap::{Link, ShapError};
use crate::sagemaker::image::{ImageAttributions, ImageEntry, ImageTotals};
use crate::store::{ObjectStore, Store, StoreError, fetch};

/// The file endings read as images in a folder or under a prefix.
const IMAGE_ENDINGS: &[&str] = &[".jpg", ".jpeg", ".png"];

/// The endings of an S3 object read as an image manifest (anything else is a prefix).
const MANIFEST_ENDINGS: &[&str] = &[".manifest", ".jsonl", ".json"];

/// Where an image's bytes are.
#[derive(Debug, Clone)]
enum Source {
    /// A key of the listed store.
    Key(String),
    /// A manifest's `source-ref`.
    Location(Location),
    /// A manifest line that names no image: why.
    Bad(String),
}

/// One image of the dataset: its name (as listed), a file stem for its outputs.
#[derive(Debug, Clone)]
pub struct ImageRef {
    pub name: String,
    pub stem: String,
    source: Source,
}

/// The dataset's images, in order.
pub struct ImageDataset {
    store: Option<Store>,
    pub images: Vec<ImageRef>,
}

/// One explained image and its heat map.
#[derive(Debug, Clone)]
pub struct ExplainedImage {
    pub stem: String,
    pub attributions: ImageAttributions,
    /// JPEG bytes of the heat map of the predicted label.
    pub heatmap: Vec<u8>,
}

/// What an image explanation writes.
#[derive(Debug, Clone)]
pub struct ImageOutput {
    pub entries: Vec<ImageEntry>,
    /// One per image not explained, naming it and why.
    pub warnings: Vec<String>,
    pub explained: Vec<ExplainedImage>,
    pub totals: ImageTotals,
}

fn read_failure(e: StoreError) -> Result<String, MonitorError> {
    match e {
        StoreError::Transient { .. } => Err(MonitorError::Read {
            what: "an image",
            source: e,
        }),
        other => Ok(other.to_string()),
    }
}

/// A stem unique within the dataset: the name's file stem, then `_2`, `_3`… for repeats.
fn unique_stem(name: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    let base = match file.rfind('.') {
        Some(i) if i > 0 => &file[..i],
        _ => file,
    };
    let base: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut stem = base.clone();
    let mut k = 2;
    while !taken.insert(stem.clone()) {
        stem = format!("{base}_{k}");
        k += 1;
    }
    stem
}

impl ImageDataset {
    /// `dataset`: a folder or `s3://` prefix (every JPEG and PNG under it, by key), or a
    /// manifest file (JSON Lines with `source-ref`, relative paths from the manifest's
    /// folder).
    pub async fn list(dataset: &str, clients: &AwsClients) -> Result<Self, MonitorError> {
        let location = Location::parse(dataset, Path::new("."))
            .map_err(|e| MonitorError::Data(format!("{dataset}: {e}")))?;
        // A local folder or an S3 prefix is listed; a file or an object named like a
        // manifest is read as one.
        let is_dir = matches!(&location, Location::Local(p) if p.is_dir());
        let lower = dataset.to_ascii_lowercase();
        let is_prefix = matches!(&location, Location::S3 { .. })
            && !MANIFEST_ENDINGS.iter().any(|e| lower.ends_with(e));
        let mut taken = std::collections::HashSet::new();
        if is_dir || is_prefix {
            let store = Store::open(&location, clients).await;
            let objects = store.list("").await.map_err(|e| MonitorError::Read {
                what: "the image dataset",
                source: e,
            })?;
            let images: Vec<ImageRef> = objects
                .into_iter()
                .filter(|o| {
                    let k = o.key.to_ascii_lowercase();
                    IMAGE_ENDINGS.iter().any(|e| k.ends_with(e))
                })
                .map(|o| ImageRef {
                    stem: unique_stem(&o.key, &mut taken),
                    name: o.key.clone(),
                    source: Source::Key(o.key),
                })
                .collect();
            if images.is_empty() {
                return Err(MonitorError::Data(format!(
                    "{dataset}: no images (files ending in .jpg, .jpeg or .png)"
                )));
            }
            return Ok(Self {
                store: Some(store),
                images,
            });
        }
        let text = fetch(&location, clients)
            .await
            .map_err(|e| MonitorError::Read {
                what: "the image manifest",
                source: e,
            })?;
        let text = String::from_utf8(text)
            .map_err(|e| MonitorError::Data(format!("{dataset}: not UTF-8 text ({e})")))?;
        let base = match &location {
            Location::Local(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            Location::S3 { .. } => Default::default(),
        };
        let mut images = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{dataset} line {}", i + 1);
            let parsed: Result<String, String> = serde_json::from_str::<serde_json::Value>(line)
                .map_err(|e| format!("{at}: not JSON ({e})"))
                .and_then(|v| {
                    v.get("source-ref")
                        .and_then(|s| s.as_str())
                        .map(str::to_string)
                        .ok_or_else(|| format!("{at}: no \"source-ref\" naming the image"))
                });
            let (name, source) = match parsed {
                Ok(r) => match Location::parse(&r, &base) {
                    Ok(l) => (r, Source::Location(l)),
                    Err(e) => (r.clone(), Source::Bad(format!("{at}: {r}: {e}"))),
                },
                Err(why) => (format!("line {}", i + 1), Source::Bad(why)),
            };
            images.push(ImageRef {
                stem: unique_stem(&name, &mut taken),
                name,
                source,
            });
        }
        if images.is_empty() {
            return Err(MonitorError::Data(format!(
                "{dataset}: the manifest names no images"
            )));
        }
        Ok(Self {
            store: None,
            images,
        })
    }

    /// An image's bytes, or why it cannot be read (`Err` only for a transient failure).
    async fn bytes(
        &self,
        image: &ImageRef,
        clients: &AwsClients,
    ) -> Result<Result<Vec<u8>, String>, MonitorError> {
        let got = match (&image.source, &self.store) {
            (Source::Key(k), Some(store)) => store.get(k).await,
            (Source::Location(l), _) => fetch(l, clients).await,
            (Source::Bad(why), _) => return Ok(Err(why.clone())),
            (Source::Key(k), None) => return Ok(Err(format!("{k}: no store"))),
        };
        match got {
            Ok(b) => Ok(Ok(b)),
            Err(e) => read_failure(e).map(Err),
        }
    }
}

/// Explains every image of `dataset` with the config's endpoint.
pub async fn monitor_image(
    dataset: &ImageDataset,
    cfg: &AnalysisConfig,
    ia: &ImageAnalysis,
    config_dir: &Path,
    shadow: Option<&SageMakerName>,
    clients: &AwsClients,
) -> Result<ImageOutput, MonitorError> {
    if ia.model_type == ImageModelType::ObjectDetection {
        return Err(MonitorError::Unsupported(
            "methods.shap.image_config.model_type OBJECT_DETECTION: not supported yet (IMAGE_CLASSIFICATION is)".into(),
        ));
    }
    let predictor =
        endpoint_predictor(cfg.predictor.as_ref(), shadow).map_err(MonitorError::Unsupported)?;
    let accept = match predictor.accept_type.as_deref() {
        Some(a) => Format::parse(a)
            .map_err(|e| MonitorError::Unsupported(format!("predictor.accept_type: {e}")))?,
        None => Format::Json,
    };
    let locator = predictor
        .probability
        .as_ref()
        .map(OutputLocator::from_config)
        .transpose()
        .map_err(|e| MonitorError::Unsupported(format!("predictor.probability: {e}")))?;
    // The body's format is the image content type; `Format` only matters for rows.
    let invoker = Invoker::new(
        clients.sagemaker_runtime().await,
        &predictor,
        Format::Json,
        accept,
        cfg.extensions.max_endpoint_requests,
    )
    .map_err(MonitorError::Unsupported)?
    .with_content_type(ia.content.mime());
    let baseline = match &ia.baseline {
        None => None,
        Some(b) => {
            let at = Location::parse(b, config_dir)
                .map_err(|e| MonitorError::Data(format!("methods.shap.baseline {b}: {e}")))?;
            let bytes = fetch(&at, clients).await.map_err(|e| MonitorError::Read {
                what: "the baseline image",
                source: e,
            })?;
            Some(
                decode(&bytes, b)
                    .map_err(|e| MonitorError::Data(format!("methods.shap.baseline: {e}")))?,
            )
        }
    };
    let scorer = Arc::new(Scorer {
        invoker,
        content: ia.content,
        locator,
        labels: ia.labels.len(),
        handle: tokio::runtime::Handle::current(),
    });
    let settings = ImageSettings {
        num_segments: ia.num_segments,
        compactness: ia.compactness,
        num_samples: ia.num_samples,
        seed: ia.seed,
        link: if ia.use_logit {
            Link::Logit
        } else {
            Link::Identity
        },
    };
    let mut entries = Vec::with_capacity(dataset.images.len());
    let mut explained = Vec::new();
    let mut masked_images = 0;
    for image in &dataset.images {
        let fail = |reason: String| ImageEntry::Failed {
            image: image.name.clone(),
            reason,
        };
        let bytes = match dataset.bytes(image, clients).await? {
            Ok(b) => b,
            Err(why) => {
                tracing::warn!(image = %image.name, reason = %why, "image not explained");
                entries.push(fail(why));
                continue;
            }
        };
        let rgb = match decode(&bytes, &image.name) {
            Ok(r) => r,
            Err(why) => {
                tracing::warn!(image = %image.name, reason = %why, "image not explained");
                entries.push(fail(why));
                continue;
            }
        };
        drop(bytes);
        let base = baseline_for(&rgb, baseline.as_ref(), &image.name);
        let s = scorer.clone();
        let (rgb, result) = tokio::task::spawn_blocking(move || {
            let r = explain_image(&s, &rgb, &base, &settings);
            (rgb, r)
        })
        .await
        .map_err(|e| {
            MonitorError::Data(format!("{}: the explanation stopped ({e})", image.name))
        })?;
        let (e, sent) = match result {
            Ok(ok) => ok,
            Err(ShapError::Invalid(why)) => {
                entries.push(fail(format!("{}: {why}", image.name)));
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        masked_images += sent;
        let attributions = attributions_of(&e, &ia.labels);
        let top = (0..ia.labels.len())
            .max_by(|&a, &b| e.prediction[a].total_cmp(&e.prediction[b]))
            .unwrap_or(0);
        let pixels = heatmap(&rgb, &e.segments, &e.phi[top]);
        let jpeg = encode::jpeg(&pixels, rgb.height, rgb.width).map_err(MonitorError::Data)?;
        entries.push(ImageEntry::Explained {
            image: image.name.clone(),
            stem: image.stem.clone(),
            segments: e.segments.segments,
            predicted_label: attributions.predicted_label().map(str::to_string),
        });
        explained.push(ExplainedImage {
            stem: image.stem.clone(),
            attributions,
            heatmap: jpeg,
        });
    }
    let warnings = entries
        .iter()
        .filter_map(|e| match e {
            ImageEntry::Failed { reason, .. } => Some(format!("image not explained: {reason}")),
            ImageEntry::Explained { .. } => None,
        })
        .collect();
    Ok(ImageOutput {
        entries,
        warnings,
        explained,
        totals: ImageTotals {
            model_type: ia.model_type.as_str().to_string(),
            num_segments: ia.num_segments,
            segment_compactness: ia.compactness,
            endpoint_requests: scorer.invoker.requests(),
            masked_images,
        },
    })
}

fn attributions_of(
    e: &crate::explain::image::run::ImageExplanation,
    labels: &[String],
) -> ImageAttributions {
    let named = |v: &[f64]| -> Vec<(String, f64)> {
        labels.iter().cloned().zip(v.iter().copied()).collect()
    };
    ImageAttributions {
        height: e.segments.height,
        width: e.segments.width,
        labels: e.segments.labels.clone(),
        segments: e.segments.segments,
        attributions: labels.iter().cloned().zip(e.phi.iter().cloned()).collect(),
        expected_value: named(&e.expected),
        prediction: named(&e.prediction),
        coalitions: e.coalitions,
    }
}

//! An image model explained: the dataset's images listed (a folder, an S3 prefix, or an
//! image manifest), each segmented and explained with the config's endpoint, and Clarify's
//! files' content made — for `analyze`. An image that cannot be read or decoded is listed as
//! failed with its reason and the others are still explained; the endpoint failing fails
//! the analysis (its class says whether a retry can help).

use std::path::Path;
use std::sync::Arc;

use super::MonitorError;
use crate::aws::AwsClients;
use crate::config::analysis::image::{ImageAnalysis, ImageModelType};
use crate::config::analysis::{AnalysisConfig, endpoint_predictor};
use crate::config::{Location, SageMakerName};
use crate::explain::codec::Format;
use crate::explain::endpoint::Invoker;
use crate::explain::image::decode::{Rgb, decode};
use crate::explain::image::encode;
use crate::explain::image::heatmap::{heatmap, outline};
use crate::explain::image::masking::baseline_for;
use crate::explain::image::run::{
    DetectionExplanation, ImageExplanation, ImageSettings, ObjectSettings, Scorer, explain_image,
    explain_objects,
};
use crate::explain::kernel_shap::{Link, ShapError};
use crate::sagemaker::image::{
    Box2, DetectedObjects, ExplainedObject, ImageAttributions, ImageEntry, ImageFile, ImageTotals,
    heatmap_key, object_heatmap_key, objects_key,
};
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

/// One explained image and its pictures.
#[derive(Debug, Clone)]
pub struct ExplainedImage {
    pub name: String,
    pub stem: String,
    pub file: ImageFile,
    /// (file name, JPEG bytes): the predicted label's heat map; for object detection one
    /// per object and the detections' picture.
    pub pictures: Vec<(String, Vec<u8>)>,
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
    let predictor =
        endpoint_predictor(cfg.predictor.as_ref(), shadow).map_err(MonitorError::Unsupported)?;
    let accept = match predictor.accept_type.as_deref() {
        Some(a) => Format::parse(a)
            .map_err(|e| MonitorError::Unsupported(format!("predictor.accept_type: {e}")))?,
        None => Format::Json,
    };
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
    let scorer = Arc::new(
        Scorer::new(
            invoker,
            ia.content,
            predictor.probability.as_ref(),
            ia.labels.len(),
        )
        .map_err(MonitorError::Unsupported)?,
    );
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
    let objects = ObjectSettings {
        probability_threshold: ia.probability_threshold,
        max_objects: ia.max_objects,
        iou_threshold: ia.iou_threshold,
        context: ia.context,
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
        let labels = ia.labels.clone();
        let (model_type, od) = (ia.model_type, objects);
        let stem = image.stem.clone();
        let outcome = tokio::task::spawn_blocking(move || match model_type {
            ImageModelType::Classification => explain_image(&s, &rgb, &base, &settings)
                .map(|(e, sent)| (classified(&rgb, &e, &labels, &stem), sent)),
            ImageModelType::ObjectDetection => explain_objects(&s, &rgb, &base, &settings, &od)
                .map(|(e, sent)| (detected(&rgb, &e, &labels, &stem), sent)),
        })
        .await
        .map_err(|e| {
            MonitorError::Data(format!("{}: the explanation stopped ({e})", image.name))
        })?;
        let ((file, pictures), sent) = match outcome {
            Ok(ok) => ok,
            Err(ShapError::Invalid(why)) => {
                entries.push(fail(format!("{}: {why}", image.name)));
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        let pictures = pictures.map_err(MonitorError::Data)?;
        masked_images += sent;
        entries.push(ImageEntry::Explained {
            image: image.name.clone(),
            stem: image.stem.clone(),
            segments: file.segments(),
            predicted_label: file.predicted_label().map(str::to_string),
            pictures: pictures.iter().map(|(k, _)| k.clone()).collect(),
        });
        explained.push(ExplainedImage {
            name: image.name.clone(),
            stem: image.stem.clone(),
            file,
            pictures,
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

type Pictures = Result<Vec<(String, Vec<u8>)>, String>;

/// A classifier's file and the heat map of its top label.
fn classified(
    rgb: &Rgb,
    e: &ImageExplanation,
    labels: &[String],
    stem: &str,
) -> (ImageFile, Pictures) {
    let named = |v: &[f64]| -> Vec<(String, f64)> {
        labels.iter().cloned().zip(v.iter().copied()).collect()
    };
    let a = ImageAttributions {
        height: e.segments.height,
        width: e.segments.width,
        labels: e.segments.labels.clone(),
        segments: e.segments.segments,
        attributions: labels.iter().cloned().zip(e.phi.iter().cloned()).collect(),
        expected_value: named(&e.expected),
        prediction: named(&e.prediction),
        coalitions: e.coalitions,
    };
    let top = a.top_label().unwrap_or(0);
    let pixels = heatmap(rgb, &e.segments, &e.phi[top]);
    let pictures =
        encode::jpeg(&pixels, rgb.height, rgb.width).map(|j| vec![(heatmap_key(stem), j)]);
    (ImageFile::Classification(a), pictures)
}

/// A detector's file, one heat map per object (its box outlined) and the detections' picture.
fn detected(
    rgb: &Rgb,
    e: &DetectionExplanation,
    labels: &[String],
    stem: &str,
) -> (ImageFile, Pictures) {
    let name = |c: usize| labels.get(c).cloned().unwrap_or_default();
    let d = DetectedObjects {
        height: e.segments.height,
        width: e.segments.width,
        labels: e.segments.labels.clone(),
        segments: e.segments.segments,
        detections: e
            .detections
            .iter()
            .map(|d| Box2 {
                label: name(d.class),
                score: d.score,
                bbox: d.bbox,
            })
            .collect(),
        objects: e
            .objects
            .iter()
            .map(|o| ExplainedObject {
                label: name(o.object.class),
                score: o.object.score,
                bbox: o.object.bbox,
                attributions: o.phi.clone(),
                expected_value: o.expected,
                prediction: o.prediction,
                coalitions: o.coalitions,
            })
            .collect(),
    };
    let (h, w) = (rgb.height, rgb.width);
    let pictures = (|| {
        let mut out = Vec::new();
        for (k, o) in e.objects.iter().enumerate() {
            let mut px = heatmap(rgb, &e.segments, &o.phi);
            outline(&mut px, h, w, o.object.bbox, BOX_COLOUR);
            out.push((object_heatmap_key(stem, k + 1), encode::jpeg(&px, h, w)?));
        }
        let mut px = rgb.pixels.clone();
        for det in &e.detections {
            outline(&mut px, h, w, det.bbox, BOX_COLOUR);
        }
        out.push((objects_key(stem), encode::jpeg(&px, h, w)?));
        Ok(out)
    })();
    (ImageFile::Detection(d), pictures)
}

/// The colour boxes are drawn in.
const BOX_COLOUR: [u8; 3] = [0, 230, 118];

//! One image explained: SLIC segments, then Kernel SHAP over them — the game
//! f(z) = model(masked image z), z ∈ {0,1}^M, against the all-absent coalition (the
//! baseline image), so shap's `KernelExplainer` with x = 1_M and background 0_M. The masked
//! images go to the endpoint in batches (a NumPy array of many images per request, or one
//! JPEG/PNG each), several requests in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::decode::Rgb;
use super::detection::{self, Detection};
use super::encode;
use super::masking::{Masker, ObjectMasker};
use super::response;
use super::slic::{Segments, slic};
use crate::capture::payload::{OutputLocator, truncate};
use crate::config::analysis::Locator;
use crate::config::analysis::image::ImageContent;
use crate::explain::endpoint::{Invoker, MAX_PAYLOAD_BYTES};
use crate::explain::kernel_shap::{Background, Explainer, Link, Settings, ShapError};
use crate::explain::predictor::PredictError;
use crate::explain::rng::Rng;

/// Appends a coalition's masked image (RGB bytes) to a buffer.
type Compose<'a> = dyn Fn(&[f64], &mut Vec<u8>) + Sync + 'a;

/// Reads a response holding `n` images: one reply per image.
type Parse<'a, T> = dyn Fn(&str, usize) -> Result<Vec<T>, String> + Sync + 'a;

/// Requests composed at a time: bounds the masked images held in memory.
const WAVE: usize = 8;

/// How images are explained.
#[derive(Debug, Clone, Copy)]
pub struct ImageSettings {
    pub num_segments: usize,
    pub compactness: f64,
    pub num_samples: Option<usize>,
    pub seed: u64,
    pub link: Link,
}

impl ImageSettings {
    /// `image`'s SLIC segments with these parameters.
    pub fn segment(&self, image: &Rgb) -> Segments {
        slic(
            &image.pixels,
            image.height,
            image.width,
            self.num_segments,
            self.compactness,
        )
    }
}

/// Sends masked images to an image classifier.
pub struct Scorer {
    pub invoker: Arc<Invoker>,
    pub content: ImageContent,
    pub locator: Option<OutputLocator>,
    pub labels: usize,
    pub handle: tokio::runtime::Handle,
}

/// One image's attributions.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageExplanation {
    pub segments: Segments,
    /// `phi[label][segment - 1]`.
    pub phi: Vec<Vec<f64>>,
    /// Per label: the baseline image's score (the all-absent coalition), after the link.
    pub expected: Vec<f64>,
    /// Per label: the image's own score, after the link.
    pub prediction: Vec<f64>,
    /// Coalitions evaluated.
    pub coalitions: usize,
}

impl Scorer {
    /// A scorer on the current tokio runtime; `probability`: where the scores (or
    /// detections) are in a response (`predictor.probability`).
    pub fn new(
        invoker: Invoker,
        content: ImageContent,
        probability: Option<&Locator>,
        labels: usize,
    ) -> Result<Self, String> {
        let locator = probability
            .map(OutputLocator::from_config)
            .transpose()
            .map_err(|e| format!("predictor.probability: {e}"))?;
        Ok(Self {
            invoker: Arc::new(invoker),
            content,
            locator,
            labels,
            handle: tokio::runtime::Handle::current(),
        })
    }

    /// Images per request: one for JPEG and PNG; as many as fit the payload limit for NumPy.
    fn per_request(&self, image_bytes: usize) -> usize {
        match self.content {
            ImageContent::Npy => ((MAX_PAYLOAD_BYTES * 9 / 10) / image_bytes.max(1)).max(1),
            ImageContent::Jpeg | ImageContent::Png => 1,
        }
    }

    /// One request's body: the coalitions' masked images, `image` appending one to a buffer.
    fn body(
        &self,
        image: &Compose<'_>,
        request: &[&[f64]],
        (height, width): (usize, usize),
    ) -> Result<Vec<u8>, String> {
        match self.content {
            ImageContent::Npy => {
                let mut body = encode::npy_header(request.len(), height, width);
                body.reserve(request.len() * height * width * 3);
                for z in request {
                    image(z, &mut body);
                }
                Ok(body)
            }
            ImageContent::Png | ImageContent::Jpeg => {
                let mut pixels = Vec::with_capacity(height * width * 3);
                for z in request {
                    image(z, &mut pixels);
                }
                if self.content == ImageContent::Png {
                    encode::png(&pixels, height, width)
                } else {
                    encode::jpeg(&pixels, height, width)
                }
            }
        }
    }

    /// The endpoint's replies for the coalitions `rows` (row-major, `m` values of 0 or 1
    /// each), one per coalition: `image` makes a coalition's masked image, `parse` reads a
    /// response holding `n` images. The requests go in waves: while one wave is in flight
    /// (each request its own task, so signing and sending use every core) the next wave's
    /// bodies are composed on another thread; two waves at most are held in memory.
    fn replies<T>(
        &self,
        image: &Compose<'_>,
        size: (usize, usize),
        rows: &[f64],
        m: usize,
        parse: &Parse<'_, T>,
    ) -> Result<Vec<T>, PredictError> {
        let coalitions: Vec<&[f64]> = rows.chunks(m.max(1)).collect();
        let per = self.per_request(size.0 * size.1 * 3);
        let requests: Vec<&[&[f64]]> = coalitions.chunks(per).collect();
        let waves: Vec<&[&[&[f64]]]> = requests.chunks(WAVE).collect();
        let compose = &|wave: &[&[&[f64]]]| -> Result<Vec<(Vec<u8>, usize)>, String> {
            wave.iter()
                .map(|r| self.body(image, r, size).map(|b| (b, r.len())))
                .collect()
        };
        let mut out = Vec::with_capacity(coalitions.len());
        std::thread::scope(|scope| {
            let mut pending = waves.first().map(|&w| scope.spawn(move || compose(w)));
            for k in 0..waves.len() {
                let Some(composing) = pending.take() else {
                    break;
                };
                let bodies = composing
                    .join()
                    .map_err(|_| PredictError::permanent("composing the masked images failed"))?
                    .map_err(PredictError::permanent)?;
                if let Some(&next) = waves.get(k + 1) {
                    pending = Some(scope.spawn(move || compose(next)));
                }
                let tasks: Vec<_> = bodies
                    .into_iter()
                    .map(|(body, n)| {
                        let invoker = self.invoker.clone();
                        let what = if n == 1 {
                            "1 image".to_string()
                        } else {
                            format!("{n} images")
                        };
                        (
                            n,
                            self.handle
                                .spawn(async move { invoker.invoke(body, &what).await }),
                        )
                    })
                    .collect();
                for (images, task) in tasks {
                    let (n, text) = self.handle.block_on(task).map_err(|e| {
                        PredictError::transient(format!("a request stopped: {e}"))
                    })??;
                    let replies = parse(&text, images).map_err(|why| {
                        PredictError::permanent(format!(
                            "endpoint {} request {n}: malformed response ({why}): {}",
                            self.invoker.endpoint(),
                            truncate(&text)
                        ))
                    })?;
                    out.extend(replies);
                }
            }
            Ok(out)
        })
    }

    /// A classifier's scores, one list per image.
    fn parse_scores(&self, text: &str, images: usize) -> Result<Vec<Vec<f64>>, String> {
        response::scores(
            self.invoker.accept(),
            text,
            self.locator.as_ref(),
            images,
            self.labels,
        )
    }

    /// A detector's detections, one list per image.
    fn parse_detections(&self, text: &str, images: usize) -> Result<Vec<Vec<Detection>>, String> {
        detection::parse(text, self.locator.as_ref(), images, self.labels)
    }
}

fn present(z: &[f64]) -> Vec<bool> {
    z.iter().map(|&v| v > 0.5).collect()
}

/// Segments `image` and explains the classifier's scores of it.
pub fn explain_image(
    scorer: &Scorer,
    image: &Rgb,
    baseline: &Rgb,
    settings: &ImageSettings,
) -> Result<(ImageExplanation, usize), ShapError> {
    let segments = settings.segment(image);
    let m = segments.segments;
    let masker = Masker::new(image, baseline, &segments);
    let sent = AtomicUsize::new(0);
    let size = (image.height, image.width);
    let parse = |text: &str, n: usize| scorer.parse_scores(text, n);
    let compose = |z: &[f64], out: &mut Vec<u8>| masker.masked_into(&present(z), out);
    let predict = |rows: &[f64]| {
        sent.fetch_add(rows.len() / m.max(1), Ordering::Relaxed);
        let scores = scorer.replies(&compose, size, rows, m, &parse)?;
        Ok(scores.concat())
    };
    let explainer = Explainer::new(
        &predict,
        Background::uniform(vec![vec![0.0; m]]),
        Settings {
            link: settings.link,
            num_samples: settings.num_samples,
            seed: settings.seed,
        },
    )?;
    let mut rng = Rng::seeded(settings.seed);
    let e = explainer.explain(&vec![1.0; m], &mut rng)?;
    let explanation = ImageExplanation {
        phi: e.phi,
        expected: explainer.expected_values(),
        prediction: e.prediction,
        coalitions: e.coalitions,
        segments,
    };
    Ok((explanation, sent.load(Ordering::Relaxed)))
}

/// How detected objects are chosen and matched (`image_config` and `probability_threshold`).
#[derive(Debug, Clone, Copy)]
pub struct ObjectSettings {
    pub probability_threshold: f64,
    pub max_objects: usize,
    pub iou_threshold: f64,
    pub context: f64,
}

/// One detected object's attributions.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectExplanation {
    pub object: Detection,
    /// One value per segment (0 for segments outside the box, which never play).
    pub phi: Vec<f64>,
    /// The object's score with every playing segment masked.
    pub expected: f64,
    /// The object's score with none masked.
    pub prediction: f64,
    pub coalitions: usize,
}

/// An image's detections and its objects' attributions.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionExplanation {
    pub segments: Segments,
    /// Every detection of the image, as the endpoint returned them.
    pub detections: Vec<Detection>,
    pub objects: Vec<ObjectExplanation>,
}

/// Segments `image`, asks the detector for its objects, and explains each object's score.
pub fn explain_objects(
    scorer: &Scorer,
    image: &Rgb,
    baseline: &Rgb,
    settings: &ImageSettings,
    od: &ObjectSettings,
) -> Result<(DetectionExplanation, usize), ShapError> {
    let segments = settings.segment(image);
    let size = (image.height, image.width);
    let parse = |text: &str, n: usize| scorer.parse_detections(text, n);
    let original = |_: &[f64], out: &mut Vec<u8>| out.extend_from_slice(&image.pixels);
    let detections = scorer
        .replies(&original, size, &[1.0], 1, &parse)?
        .pop()
        .unwrap_or_default();
    let mut sent = 1;
    let mut objects = Vec::new();
    for object in detection::objects(&detections, od.probability_threshold, od.max_objects) {
        let masker = ObjectMasker::new(image, baseline, &segments, object.bbox, od.context);
        let p = masker.players.len();
        let mut phi = vec![0.0; segments.segments];
        if p == 0 {
            objects.push(ObjectExplanation {
                object,
                phi,
                expected: object.score,
                prediction: object.score,
                coalitions: 0,
            });
            continue;
        }
        let count = AtomicUsize::new(0);
        let compose = |z: &[f64], out: &mut Vec<u8>| masker.masked_into(&present(z), out);
        let predict = |rows: &[f64]| {
            count.fetch_add(rows.len() / p, Ordering::Relaxed);
            let replies = scorer.replies(&compose, size, rows, p, &parse)?;
            Ok(replies
                .iter()
                .map(|d| detection::matched_score(d, &object, od.iou_threshold))
                .collect())
        };
        let explainer = Explainer::new(
            &predict,
            Background::uniform(vec![vec![0.0; p]]),
            Settings {
                link: settings.link,
                num_samples: settings.num_samples,
                seed: settings.seed,
            },
        )?;
        let mut rng = Rng::seeded(settings.seed);
        let e = explainer.explain(&vec![1.0; p], &mut rng)?;
        for (k, &label) in masker.players.iter().enumerate() {
            phi[label as usize - 1] = e.phi[0][k];
        }
        objects.push(ObjectExplanation {
            object,
            phi,
            expected: explainer.expected_value(),
            prediction: e.prediction[0],
            coalitions: e.coalitions,
        });
        sent += count.load(Ordering::Relaxed);
    }
    Ok((
        DetectionExplanation {
            segments,
            detections,
            objects,
        },
        sent,
    ))
}

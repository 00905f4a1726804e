//! One image explained: SLIC segments, then Kernel SHAP over them — the game
//! f(z) = model(masked image z), z ∈ {0,1}^M, against the all-absent coalition (the
//! baseline image), so shap's `KernelExplainer` with x = 1_M and background 0_M. The masked
//! images go to the endpoint in batches (a NumPy array of many images per request, or one
//! JPEG/PNG each), several requests in flight.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::decode::Rgb;
use super::encode;
use super::masking::Masker;
use super::response;
use super::slic::{Segments, slic};
use crate::capture::payload::{OutputLocator, truncate};
use crate::config::analysis::image::ImageContent;
use crate::explain::endpoint::{Invoker, MAX_PAYLOAD_BYTES, futures_join};
use crate::explain::kernel_shap::{Background, Explainer, Link, Settings, ShapError};
use crate::explain::predictor::PredictError;
use crate::explain::rng::Rng;

/// Requests composed at a time: bounds the masked images held in memory.
const WAVE: usize = 16;

/// How images are explained.
#[derive(Debug, Clone, Copy)]
pub struct ImageSettings {
    pub num_segments: usize,
    pub compactness: f64,
    pub num_samples: Option<usize>,
    pub seed: u64,
    pub link: Link,
}

/// Sends masked images to an image classifier.
pub struct Scorer {
    pub invoker: Invoker,
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
    /// Images per request: one for JPEG and PNG; as many as fit the payload limit for NumPy.
    fn per_request(&self, image_bytes: usize) -> usize {
        match self.content {
            ImageContent::Npy => ((MAX_PAYLOAD_BYTES * 9 / 10) / image_bytes.max(1)).max(1),
            ImageContent::Jpeg | ImageContent::Png => 1,
        }
    }

    fn body(&self, images: &[Vec<u8>], height: usize, width: usize) -> Result<Vec<u8>, String> {
        match self.content {
            ImageContent::Npy => Ok(encode::npy(images, height, width)),
            ImageContent::Png => encode::png(&images[0], height, width),
            ImageContent::Jpeg => encode::jpeg(&images[0], height, width),
        }
    }

    /// The scores of the coalitions `rows` (row-major, M values of 0 or 1 each).
    fn score(&self, masker: &Masker<'_>, rows: &[f64], m: usize) -> Result<Vec<f64>, PredictError> {
        let (h, w) = (masker.image.height, masker.image.width);
        let coalitions: Vec<&[f64]> = rows.chunks(m.max(1)).collect();
        let per = self.per_request(h * w * 3);
        let requests: Vec<&[&[f64]]> = coalitions.chunks(per).collect();
        let mut scores = Vec::with_capacity(coalitions.len() * self.labels);
        for wave in requests.chunks(WAVE) {
            let mut bodies = Vec::with_capacity(wave.len());
            for request in wave {
                let images: Vec<Vec<u8>> = request
                    .iter()
                    .map(|z| {
                        let present: Vec<bool> = z.iter().map(|&v| v > 0.5).collect();
                        masker.masked(&present)
                    })
                    .collect();
                let body = self.body(&images, h, w).map_err(PredictError::permanent)?;
                bodies.push((body, images.len()));
            }
            let futures = bodies
                .into_iter()
                .map(|(body, n)| self.send(body, n))
                .collect();
            for r in self.handle.block_on(futures_join(futures)) {
                for s in r? {
                    scores.extend(s);
                }
            }
        }
        Ok(scores)
    }

    async fn send(&self, body: Vec<u8>, images: usize) -> Result<Vec<Vec<f64>>, PredictError> {
        let what = if images == 1 {
            "1 image".to_string()
        } else {
            format!("{images} images")
        };
        let (n, text) = self.invoker.invoke(body, &what).await?;
        response::scores(
            self.invoker.accept(),
            &text,
            self.locator.as_ref(),
            images,
            self.labels,
        )
        .map_err(|why| {
            PredictError::permanent(format!(
                "endpoint {} request {n}: malformed response ({why}): {}",
                self.invoker.endpoint(),
                truncate(&text)
            ))
        })
    }
}

/// Segments `image` and explains the classifier's scores of it.
pub fn explain_image(
    scorer: &Scorer,
    image: &Rgb,
    baseline: &Rgb,
    settings: &ImageSettings,
) -> Result<(ImageExplanation, usize), ShapError> {
    let segments = slic(
        &image.pixels,
        image.height,
        image.width,
        settings.num_segments,
        settings.compactness,
    );
    let m = segments.segments;
    let masker = Masker {
        image,
        baseline,
        segments: &segments,
    };
    let sent = AtomicUsize::new(0);
    let predict = |rows: &[f64]| {
        sent.fetch_add(rows.len() / m.max(1), Ordering::Relaxed);
        scorer.score(&masker, rows, m)
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

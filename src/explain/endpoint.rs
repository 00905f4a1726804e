//! The endpoint predictor: synthetic rows scored by a SageMaker endpoint through the runtime
//! API's `InvokeEndpoint` (aws-sdk-sagemakerruntime), many rows per request (under the 6 MB
//! payload limit), several requests in flight, retries with backoff inside the SDK client,
//! and a cap on requests per execution.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_sagemakerruntime::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sagemakerruntime::primitives::Blob;
use tokio::sync::Semaphore;

use super::codec::{Format, Templates, encode_rows};
use crate::capture::payload::{OutputLocator, OutputLocators, decode_predictions, truncate};
use crate::capture::record::{Encoding, Payload};
use crate::config::analysis::PredictorConfig;

/// InvokeEndpoint's request payload limit.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// Rows per request at most (also bounded by the payload limit).
pub const MAX_ROWS_PER_REQUEST: usize = 1000;
/// Requests in flight per predictor.
pub const CONCURRENCY: usize = 8;
/// Default cap on requests per execution.
pub const DEFAULT_MAX_REQUESTS: usize = 100_000;

pub struct EndpointPredictor {
    client: aws_sdk_sagemakerruntime::Client,
    handle: tokio::runtime::Handle,
    endpoint: String,
    content: Format,
    accept: Format,
    templates: Templates,
    locators: Arc<OutputLocators>,
    names: Vec<String>,
    custom_attributes: Option<String>,
    target_model: Option<String>,
    max_requests: usize,
    requests: AtomicUsize,
    permits: Arc<Semaphore>,
}

impl EndpointPredictor {
    /// `handle` is the runtime the requests run on; `predict` may be called from any thread
    /// that is not itself driving that runtime (the explainer's worker threads).
    pub fn new(
        client: aws_sdk_sagemakerruntime::Client,
        handle: tokio::runtime::Handle,
        cfg: &PredictorConfig,
        names: Vec<String>,
        max_requests: Option<usize>,
    ) -> Result<Self, String> {
        let endpoint = cfg
            .endpoint_name
            .clone()
            .ok_or("predictor.endpoint_name is required to call an endpoint")?;
        let content = Format::parse(cfg.content_type.as_deref().unwrap_or("text/csv"))
            .map_err(|e| format!("predictor.content_type: {e}"))?;
        let accept = match cfg.accept_type.as_deref() {
            Some(a) => Format::parse(a).map_err(|e| format!("predictor.accept_type: {e}"))?,
            None => content,
        };
        let defaults = Templates::defaults(content);
        let templates = Templates {
            content: cfg.content_template.clone().unwrap_or(defaults.content),
            record: cfg.record_template.clone().unwrap_or(defaults.record),
        };
        let locator = |l: &Option<crate::config::analysis::Locator>, key: &str| {
            l.as_ref()
                .map(|l| OutputLocator::from_config(l).map_err(|e| format!("predictor.{key}: {e}")))
                .transpose()
        };
        // The score explained: `probability` when set, else `label` (a score-valued label).
        let probability = match locator(&cfg.probability, "probability")? {
            Some(p) => Some(p),
            None => locator(&cfg.label, "label")?,
        };
        Ok(Self {
            client,
            handle,
            endpoint,
            content,
            accept,
            templates,
            locators: Arc::new(OutputLocators {
                inference: None,
                probability,
            }),
            names,
            custom_attributes: cfg.custom_attributes.clone(),
            target_model: cfg.target_model.clone(),
            max_requests: max_requests.unwrap_or(DEFAULT_MAX_REQUESTS),
            requests: AtomicUsize::new(0),
            permits: Arc::new(Semaphore::new(CONCURRENCY)),
        })
    }

    /// Requests sent so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    fn rows_per_request(&self, rows: &[f64]) -> usize {
        let width = self.names.len().max(1);
        let sample = encode_rows(
            self.content,
            &rows[..width.min(rows.len())],
            &self.names,
            &self.templates,
        );
        let per_row = sample.len().max(1) + 2;
        ((MAX_PAYLOAD_BYTES * 8 / 10) / per_row).clamp(1, MAX_ROWS_PER_REQUEST)
    }

    /// Scores `rows` (row-major): one score per row.
    pub fn predict(&self, rows: &[f64]) -> Result<Vec<f64>, String> {
        let width = self.names.len().max(1);
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let per = self.rows_per_request(rows);
        let chunks: Vec<&[f64]> = rows.chunks(per * width).collect();
        let futures = chunks.iter().map(|chunk| {
            let body = encode_rows(self.content, chunk, &self.names, &self.templates);
            let n_rows = chunk.len() / width;
            self.send(body, n_rows)
        });
        // Bounded concurrency: the semaphore inside `send` limits requests in flight.
        let results = self.handle.block_on(futures_join(futures.collect()));
        let mut scores = Vec::with_capacity(rows.len() / width);
        for r in results {
            scores.extend(r?);
        }
        Ok(scores)
    }

    async fn send(&self, body: String, n_rows: usize) -> Result<Vec<f64>, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.max_requests {
            return Err(format!(
                "endpoint {}: more than {} requests in one execution (driftwatch.max_endpoint_requests); lower num_samples or raise the cap",
                self.endpoint, self.max_requests
            ));
        }
        let mut req = self
            .client
            .invoke_endpoint()
            .endpoint_name(&self.endpoint)
            .content_type(self.content.mime())
            .accept(self.accept.mime())
            .body(Blob::new(body.into_bytes()));
        if let Some(c) = &self.custom_attributes {
            req = req.custom_attributes(c);
        }
        if let Some(t) = &self.target_model {
            req = req.target_model(t);
        }
        let out = req.send().await.map_err(|e| {
            let detail = match e.code() {
                Some(code) => format!("{code}: {}", e.message().unwrap_or_default()),
                None => DisplayErrorContext(&e).to_string(),
            };
            format!(
                "InvokeEndpoint {} (request {n}, {n_rows} rows): {detail}",
                self.endpoint
            )
        })?;
        let bytes = out.body.map(|b| b.into_inner()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let payload = Payload {
            content_type: self.accept.mime().to_string(),
            encoding: Encoding::Json,
            data: text.clone(),
        };
        let bad = |why: String| {
            format!(
                "endpoint {} request {n}: malformed response ({why}): {}",
                self.endpoint,
                truncate(&text)
            )
        };
        let preds = decode_predictions(&payload, &self.locators).map_err(bad)?;
        if preds.len() != n_rows {
            return Err(bad(format!("{} scores for {n_rows} rows", preds.len())));
        }
        preds
            .into_iter()
            .map(|p| match (p.score, p.label) {
                (Some(s), _) => Ok(s),
                (None, Some(l)) => l
                    .as_f64()
                    .ok_or_else(|| bad(format!("label {l} is not a number"))),
                (None, None) => Err(bad("no score".into())),
            })
            .collect()
    }
}

/// Awaits futures concurrently, results in input order.
async fn futures_join<F, T>(futures: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<T>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_some() {
                continue;
            }
            match f.as_mut().poll(cx) {
                std::task::Poll::Ready(v) => results[i] = Some(v),
                std::task::Poll::Pending => pending = true,
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

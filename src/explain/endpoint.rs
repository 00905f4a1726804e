//! The endpoint predictor: synthetic rows scored by a SageMaker endpoint through the runtime
//! API's `InvokeEndpoint` (aws-sdk-sagemakerruntime), many rows per request (under the 6 MB
//! payload limit), several requests in flight, retries with backoff inside the SDK client,
//! and a cap on requests per execution.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_sagemakerruntime::error::ProvideErrorMetadata;
use aws_sdk_sagemakerruntime::primitives::Blob;
use tokio::sync::Semaphore;

use super::codec::{Format, Templates, encode_record, encode_rows, join_records};
use super::predictor::PredictError;
use crate::capture::payload::{OutputLocator, OutputLocators, truncate};
use crate::config::analysis::PredictorConfig;
use crate::sagemaker::FailureClass;

/// InvokeEndpoint's request payload limit.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// Rows per request at most (also bounded by the payload limit).
pub const MAX_ROWS_PER_REQUEST: usize = 1000;
/// Requests in flight per predictor.
pub const CONCURRENCY: usize = 8;
/// Default cap on requests per execution.
pub const DEFAULT_MAX_REQUESTS: usize = 100_000;

/// One endpoint's `InvokeEndpoint` calls, shared by every kind of request driftwatch sends
/// (scored rows, forecasts): the content types, bounded concurrency, the per-execution cap,
/// and failures classed as transient or permanent.
pub struct Invoker {
    client: aws_sdk_sagemakerruntime::Client,
    endpoint: String,
    content: Format,
    /// The request's Content-Type header: `content`'s, or an image type
    /// ([`Invoker::with_content_type`]), whose bodies are not encoded rows.
    content_type: &'static str,
    accept: Format,
    custom_attributes: Option<String>,
    target_model: Option<String>,
    max_requests: usize,
    requests: AtomicUsize,
    permits: Semaphore,
}

impl Invoker {
    pub fn new(
        client: aws_sdk_sagemakerruntime::Client,
        cfg: &PredictorConfig,
        content: Format,
        accept: Format,
        max_requests: Option<usize>,
    ) -> Result<Self, String> {
        let endpoint = cfg
            .endpoint_name
            .clone()
            .ok_or("predictor.endpoint_name is required to call an endpoint")?;
        Ok(Self {
            client,
            endpoint,
            content,
            content_type: content.mime(),
            accept,
            custom_attributes: cfg.custom_attributes.clone(),
            target_model: cfg.target_model.clone(),
            max_requests: max_requests.unwrap_or(DEFAULT_MAX_REQUESTS),
            requests: AtomicUsize::new(0),
            permits: Semaphore::new(CONCURRENCY),
        })
    }

    /// Sends bodies of another content type than rows (images), keeping the rest.
    pub fn with_content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = content_type;
        self
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The request's content type.
    pub fn content(&self) -> Format {
        self.content
    }

    /// The response's content type.
    pub fn accept(&self) -> Format {
        self.accept
    }

    /// Requests sent so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends one request (at most [`CONCURRENCY`] in flight); `what` says what it holds, for
    /// messages ("40 rows"). Returns the request's number and the response's text.
    pub async fn invoke(&self, body: Vec<u8>, what: &str) -> Result<(usize, String), PredictError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| PredictError::transient(e.to_string()))?;
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.max_requests {
            return Err(PredictError::permanent(format!(
                "endpoint {}: more than {} requests in one execution (driftwatch.max_endpoint_requests); lower num_samples or raise the cap",
                self.endpoint, self.max_requests
            )));
        }
        let mut req = self
            .client
            .invoke_endpoint()
            .endpoint_name(&self.endpoint)
            .content_type(self.content_type)
            .accept(self.accept.mime())
            .body(Blob::new(body));
        if let Some(c) = &self.custom_attributes {
            req = req.custom_attributes(c);
        }
        if let Some(t) = &self.target_model {
            req = req.target_model(t);
        }
        let out = req.send().await.map_err(|e| {
            let detail = match e.code() {
                Some(code) => format!("{code}: {}", e.message().unwrap_or_default()),
                None => crate::aws::describe_failure(&e),
            };
            let message = format!(
                "InvokeEndpoint {} (request {n}, {what}): {detail}",
                self.endpoint
            );
            PredictError {
                message,
                class: invoke_failure_class(&e),
            }
        })?;
        let bytes = out.body.map(|b| b.into_inner()).unwrap_or_default();
        Ok((n, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

pub struct EndpointPredictor {
    invoker: Invoker,
    handle: tokio::runtime::Handle,
    templates: Templates,
    locators: Arc<OutputLocators>,
    names: Vec<String>,
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
        let content = Format::parse(cfg.content_type.as_deref().unwrap_or("text/csv"))
            .map_err(|e| format!("predictor.content_type: {e}"))?;
        let accept = match cfg.accept_type.as_deref() {
            Some(a) => Format::parse(a).map_err(|e| format!("predictor.accept_type: {e}"))?,
            None => content,
        };
        let invoker = Invoker::new(client, cfg, content, accept, max_requests)?;
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
            invoker,
            handle,
            templates,
            locators: Arc::new(OutputLocators {
                inference: None,
                probability,
            }),
            names,
        })
    }

    /// Requests sent so far.
    pub fn requests(&self) -> usize {
        self.invoker.requests()
    }

    fn rows_per_request(&self, rows: &[f64]) -> usize {
        let width = self.names.len().max(1);
        let sample = encode_rows(
            self.invoker.content(),
            &rows[..width.min(rows.len())],
            &self.names,
            &self.templates,
        );
        let per_row = sample.len().max(1) + 2;
        ((MAX_PAYLOAD_BYTES * 8 / 10) / per_row).clamp(1, MAX_ROWS_PER_REQUEST)
    }

    /// Scores `rows` (row-major): one score per row.
    pub fn predict(&self, rows: &[f64]) -> Result<Vec<f64>, PredictError> {
        let width = self.names.len().max(1);
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let per = self.rows_per_request(rows);
        let chunks: Vec<&[f64]> = rows.chunks(per * width).collect();
        let futures = chunks.iter().map(|chunk| {
            let body = encode_rows(self.invoker.content(), chunk, &self.names, &self.templates);
            let n_rows = chunk.len() / width;
            self.send(body, n_rows)
        });
        // Bounded concurrency: the semaphore inside `send` limits requests in flight.
        let results = self.handle.block_on(futures_join(futures.collect()));
        let mut scores = Vec::with_capacity(rows.len() / width);
        let mut outputs = None;
        for r in results {
            for record in r? {
                match outputs {
                    None => outputs = Some(record.len()),
                    Some(d) if d != record.len() => {
                        return Err(PredictError::permanent(format!(
                            "endpoint {}: records have {d} and {} scores; every record needs the same number",
                            self.invoker.endpoint(),
                            record.len()
                        )));
                    }
                    Some(_) => {}
                }
                scores.extend(record);
            }
        }
        Ok(scores)
    }

    /// Scores records of JSON cells (a text column's masked texts): one list of scores per
    /// record. Requests hold as many records as fit 80 % of the payload limit, up to
    /// `max_per_request`, several in flight.
    pub fn predict_records(
        &self,
        records: &[Vec<serde_json::Value>],
        max_per_request: usize,
    ) -> Result<Vec<Vec<f64>>, PredictError> {
        let content = self.invoker.content();
        // Each record encoded once; requests grow while they fit (texts differ in length).
        let encoded: Vec<String> = records
            .iter()
            .map(|r| encode_record(content, r, &self.names, &self.templates))
            .collect();
        let mut requests: Vec<(String, usize)> = Vec::new();
        let mut start = 0;
        while start < records.len() {
            let mut end = start + 1;
            let mut size = encoded[start].len();
            while end < records.len()
                && end - start < max_per_request.max(1)
                && size + encoded[end].len() < MAX_PAYLOAD_BYTES * 8 / 10
            {
                size += encoded[end].len() + 1;
                end += 1;
            }
            let body = join_records(
                content,
                &encoded[start..end],
                &records[start],
                &self.names,
                &self.templates,
            );
            requests.push((body, end - start));
            start = end;
        }
        let futures = requests.into_iter().map(|(body, n)| self.send(body, n));
        let results = self.handle.block_on(futures_join(futures.collect()));
        let mut out = Vec::with_capacity(records.len());
        for r in results {
            out.extend(r?);
        }
        if let Some(bad) = out.iter().position(|s| s.len() != out[0].len()) {
            return Err(PredictError::permanent(format!(
                "endpoint {}: records have {} and {} scores; every record needs the same number",
                self.invoker.endpoint(),
                out[0].len(),
                out[bad].len()
            )));
        }
        Ok(out)
    }

    async fn send(&self, body: String, n_rows: usize) -> Result<Vec<Vec<f64>>, PredictError> {
        let (n, text) = self
            .invoker
            .invoke(body.into_bytes(), &format!("{n_rows} rows"))
            .await?;

        // A response that does not fit the configured format will not fit on a retry either.
        let bad = |why: String| {
            PredictError::permanent(format!(
                "endpoint {} request {n}: malformed response ({why}): {}",
                self.invoker.endpoint(),
                truncate(&text)
            ))
        };
        let scores = parse_scores(
            self.invoker.accept(),
            &text,
            self.locators.probability.as_ref(),
        )
        .map_err(bad)?;
        if scores.len() != n_rows {
            return Err(bad(format!("{} records for {n_rows} rows", scores.len())));
        }
        Ok(scores)
    }
}

/// Whether an InvokeEndpoint failure (after the SDK's own retries) may heal: throttling,
/// 5xx, a model container error or restart, timeouts and broken connections are transient;
/// a request the service rejects (no such endpoint, access denied, invalid input) is not.
fn invoke_failure_class(
    e: &aws_sdk_sagemakerruntime::error::SdkError<
        aws_sdk_sagemakerruntime::operation::invoke_endpoint::InvokeEndpointError,
        aws_sdk_sagemakerruntime::config::http::HttpResponse,
    >,
) -> FailureClass {
    use aws_sdk_sagemakerruntime::error::SdkError;
    match e {
        SdkError::ConstructionFailure(_) => FailureClass::Permanent,
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            let code = s.err().code().unwrap_or_default();
            let transient_code = code.contains("Throttl")
                || matches!(
                    code,
                    "ModelError"
                        | "ModelNotReadyException"
                        | "InternalFailure"
                        | "InternalDependencyException"
                        | "ServiceUnavailable"
                );
            if transient_code || status >= 500 || status == 429 || status == 408 {
                FailureClass::Transient
            } else {
                FailureClass::Permanent
            }
        }
        _ => FailureClass::Transient,
    }
}

fn score_values(v: &serde_json::Value, what: &str) -> Result<Vec<f64>, String> {
    match v {
        serde_json::Value::Number(n) => Ok(vec![n.as_f64().unwrap_or(f64::NAN)]),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map(|x| vec![x])
            .map_err(|_| format!("{what}: {s:?} is not a number")),
        serde_json::Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|x| {
                x.as_f64()
                    .ok_or_else(|| format!("{what}: {x} is not a number"))
            })
            .collect(),
        other => Err(format!(
            "{what}: {} is not a score",
            truncate(&other.to_string())
        )),
    }
}

/// The scores of a response, one list per record: one value for a single score, several for
/// per-class probabilities (one set of attributions per class). `locator`: the
/// `probability` (or `label`) index for CSV, JMESPath for JSON; without one, a CSV line's
/// values and a JSON record itself.
pub fn parse_scores(
    format: Format,
    text: &str,
    locator: Option<&OutputLocator>,
) -> Result<Vec<Vec<f64>>, String> {
    let lines = || text.lines().filter(|l| !l.trim().is_empty());
    match format {
        Format::Csv => lines()
            .enumerate()
            .map(|(i, l)| {
                let cells: Vec<&str> = l.split(',').map(str::trim).collect();
                let pick = |c: &str| {
                    c.parse::<f64>()
                        .map_err(|_| format!("line {}: {c:?} is not a number", i + 1))
                };
                match locator {
                    Some(OutputLocator::Index(k)) => cells
                        .get(*k)
                        .ok_or_else(|| {
                            format!("line {} has {} values, no index {k}", i + 1, cells.len())
                        })
                        .and_then(|c| pick(c))
                        .map(|x| vec![x]),
                    Some(OutputLocator::Path(p)) if cells.len() > 1 => Err(format!(
                        "a CSV response needs a zero-based index, not the JMESPath {:?}",
                        p.text()
                    )),
                    _ => cells.iter().map(|c| pick(c)).collect(),
                }
            })
            .collect(),
        Format::JsonLines => lines()
            .enumerate()
            .map(|(i, l)| {
                let what = format!("line {}", i + 1);
                let v: serde_json::Value =
                    serde_json::from_str(l).map_err(|e| format!("{what}: {e}"))?;
                let found = match locator {
                    Some(OutputLocator::Path(p)) => p.search(&v)?,
                    Some(OutputLocator::Index(k)) => {
                        v.get(*k).cloned().unwrap_or(serde_json::Value::Null)
                    }
                    None => v,
                };
                score_values(&found, &what)
            })
            .collect(),
        Format::Json => {
            let v: serde_json::Value =
                serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
            let found = match locator {
                Some(OutputLocator::Path(p)) => p.search(&v)?,
                Some(OutputLocator::Index(k)) => {
                    v.get(*k).cloned().unwrap_or(serde_json::Value::Null)
                }
                None => v,
            };
            match found {
                serde_json::Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| score_values(x, &format!("record {}", i + 1)))
                    .collect(),
                serde_json::Value::Null => Err("no scores found".into()),
                other => Ok(vec![score_values(&other, "record 1")?]),
            }
        }
    }
}

/// Awaits futures concurrently, results in input order.
pub(crate) async fn futures_join<F, T>(futures: Vec<F>) -> Vec<T>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::payload::JsonPath;

    #[test]
    fn scores_single_and_per_class() {
        assert_eq!(
            parse_scores(Format::Csv, "0.25\n0.5\n", None).unwrap(),
            vec![vec![0.25], vec![0.5]]
        );
        assert_eq!(
            parse_scores(Format::Csv, "1,0.9\n", Some(&OutputLocator::Index(1))).unwrap(),
            vec![vec![0.9]]
        );
        let path = OutputLocator::Path(JsonPath::compile("predictions[*].probabilities").unwrap());
        let got = parse_scores(
            Format::Json,
            r#"{"predictions": [{"probabilities": [0.2, 0.8]}, {"probabilities": [0.6, 0.4]}]}"#,
            Some(&path),
        )
        .unwrap();
        assert_eq!(got, vec![vec![0.2, 0.8], vec![0.6, 0.4]]);
        let score = OutputLocator::Path(JsonPath::compile("score").unwrap());
        assert_eq!(
            parse_scores(
                Format::JsonLines,
                "{\"score\": 0.1}\n{\"score\": 0.3}",
                Some(&score)
            )
            .unwrap(),
            vec![vec![0.1], vec![0.3]]
        );
        assert!(parse_scores(Format::Json, r#"{"x": 1}"#, Some(&score)).is_err());
    }
}

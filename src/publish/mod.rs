//! Publishing an execution's metrics: to CloudWatch (`cloudwatch: true`) with SageMaker's
//! namespaces, names and dimensions, and always to a local sink — the same datums as JSON
//! lines (`cloudwatch_metrics.jsonl`) beside the execution's outputs.
//!
//! Publishing never changes an execution's status and never loses its files: a failure is
//! reported in the record (`metrics_published: false` and the reason).

pub(crate) mod datum;
pub mod metrics;

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StatisticSet};

pub use datum::{Datum, batches};

use crate::aws::AwsClients;
use crate::sagemaker::MetricsDestination;
use crate::sagemaker::layout::METRICS_FILE;
use crate::store::{ObjectStore, Store, join_key};

/// What publishing did.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub datums: usize,
    pub requests: usize,
    /// None when everything reached its destination.
    pub error: Option<String>,
    pub local_file: Option<String>,
}

fn to_cloudwatch(d: &Datum) -> MetricDatum {
    let mut b = MetricDatum::builder().metric_name(&d.metric_name);
    b = match d.statistics {
        Some(s) => b.statistic_values(
            StatisticSet::builder()
                .sample_count(s.sample_count)
                .sum(s.sum)
                .minimum(s.minimum)
                .maximum(s.maximum)
                .build(),
        ),
        None => b.value(d.value),
    };
    let mut b = b
        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_millis(
            d.timestamp.timestamp_millis(),
        ))
        .unit(StandardUnit::from(d.unit.as_str()));
    for (n, v) in &d.dimensions {
        b = b.dimensions(Dimension::builder().name(n).value(v).build());
    }
    b.build()
}

/// Sends datums to CloudWatch in batches within the API limits. The SDK retries throttling
/// and 5xx with backoff; what still fails stops the publishing with a message.
pub async fn put_metric_data(
    client: &aws_sdk_cloudwatch::Client,
    datums: &[Datum],
) -> Result<usize, String> {
    if let Some(e) = datums.iter().find_map(|d| d.validate().err()) {
        return Err(format!("refusing to publish an invalid datum: {e}"));
    }
    let mut requests = 0;
    for (namespace, batch) in batches(datums) {
        client
            .put_metric_data()
            .namespace(&namespace)
            .set_metric_data(Some(batch.iter().map(|d| to_cloudwatch(d)).collect()))
            .send()
            .await
            .map_err(|e| {
                let detail = match e.code() {
                    Some(code) => format!("{code}: {}", e.message().unwrap_or_default()),
                    None => crate::aws::describe_failure(&e),
                };
                format!(
                    "PutMetricData to namespace {namespace} failed after {requests} successful requests: {detail}"
                )
            })?;
        requests += 1;
    }
    Ok(requests)
}

/// Whether CloudWatch takes this process's requests: a PutMetricData without datums, so
/// nothing is published (`driftwatch check-access`). A service's answer about the empty
/// request itself (a validation error) means the credentials were accepted.
pub async fn probe_cloudwatch(clients: &AwsClients) -> Result<(), String> {
    let client = clients.cloudwatch().await;
    match client
        .put_metric_data()
        .namespace(metrics::DRIFTWATCH_NAMESPACE)
        .set_metric_data(Some(Vec::new()))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => match e.code() {
            Some("MissingParameter" | "InvalidParameterValue" | "ValidationError") => Ok(()),
            Some(code) => Err(format!("{code}: {}", e.message().unwrap_or_default())),
            None => Err(crate::aws::describe_failure(&e)),
        },
    }
}

/// Writes the local sink file, then (for [`MetricsDestination::Cloudwatch`]) sends the datums.
pub async fn publish(
    datums: &[Datum],
    destination: MetricsDestination,
    out_store: &Store,
    folder: &str,
    clients: &AwsClients,
) -> Published {
    let mut out = Published {
        datums: datums.len(),
        requests: 0,
        error: None,
        local_file: None,
    };
    let mut lines = Vec::new();
    for d in datums {
        lines.extend(d.to_json().to_string().into_bytes());
        lines.push(b'\n');
    }
    let key = join_key(folder, METRICS_FILE);
    match out_store.put(&key, lines).await {
        Ok(()) => out.local_file = Some(out_store.describe(&key)),
        Err(e) => out.error = Some(format!("local metrics file: {e}")),
    }
    if destination == MetricsDestination::Cloudwatch {
        let client = clients.cloudwatch().await;
        match put_metric_data(&client, datums).await {
            Ok(n) => out.requests = n,
            Err(e) => {
                tracing::error!(error = %e, "publishing metrics failed");
                out.error = Some(match out.error.take() {
                    Some(local) => format!("{e}; {local}"),
                    None => e,
                });
            }
        }
    }
    out
}

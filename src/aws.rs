//! AWS clients, built once per process from the standard configuration chain (environment,
//! profile files, web identity, ECS and EC2 roles) and shared by every execution.
//!
//! Endpoint overrides follow the SDK's own variables (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_CLOUDWATCH`, `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`),
//! which is how the tests point the real clients at a local emulator and model server.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::OnceCell;

/// Attempts per call (the first plus retries) on throttling, 5xx, timeouts and broken
/// connections, with exponential backoff and jitter from 200 ms.
pub const MAX_ATTEMPTS: u32 = 5;
/// Used only when the configuration chain names no region (S3 needs one to sign requests).
pub const FALLBACK_REGION: &str = "us-east-1";

/// Retries on throttling, 5xx, timeouts and broken connections: exponential backoff with
/// jitter, from 200 ms up to 10 s between attempts.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(10))
}

/// A dead endpoint fails fast (connect), a slow one does not hang an execution forever.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(120))
        .build()
}

/// Lazily built, shared AWS clients.
#[derive(Debug, Default)]
pub struct AwsClients {
    sdk: OnceCell<SdkConfig>,
    s3: OnceCell<aws_sdk_s3::Client>,
    cloudwatch: OnceCell<aws_sdk_cloudwatch::Client>,
    sagemaker_runtime: OnceCell<aws_sdk_sagemakerruntime::Client>,
}

fn endpoint_overridden(service_var: &str) -> bool {
    [service_var, "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()))
}

impl AwsClients {
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared SDK configuration.
    pub async fn sdk_config(&self) -> &SdkConfig {
        self.sdk
            .get_or_init(|| async {
                let loaded = aws_config::defaults(BehaviorVersion::latest())
                    .retry_config(retry_config())
                    .timeout_config(timeout_config())
                    .load()
                    .await;
                if loaded.region().is_some() {
                    return loaded;
                }
                tracing::warn!(
                    region = FALLBACK_REGION,
                    "no AWS region configured (AWS_REGION or a profile); using the fallback"
                );
                loaded
                    .into_builder()
                    .region(Region::new(FALLBACK_REGION))
                    .build()
            })
            .await
    }

    /// The S3 client. With an endpoint override (an emulator, MinIO) requests use path-style
    /// addressing, which such servers need; against AWS, virtual-hosted style as usual.
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let sdk = self.sdk_config().await;
        self.s3
            .get_or_init(|| async {
                let config = aws_sdk_s3::config::Builder::from(sdk)
                    .force_path_style(endpoint_overridden("AWS_ENDPOINT_URL_S3"))
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            })
            .await
            .clone()
    }

    /// The CloudWatch client (`AWS_ENDPOINT_URL_CLOUDWATCH` overrides its endpoint).
    pub async fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        let sdk = self.sdk_config().await;
        self.cloudwatch
            .get_or_init(|| async { aws_sdk_cloudwatch::Client::new(sdk) })
            .await
            .clone()
    }

    /// The SageMaker runtime client (`AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME` overrides its
    /// endpoint, e.g. with `driftwatch model-server`).
    pub async fn sagemaker_runtime(&self) -> aws_sdk_sagemakerruntime::Client {
        let sdk = self.sdk_config().await;
        self.sagemaker_runtime
            .get_or_init(|| async { aws_sdk_sagemakerruntime::Client::new(sdk) })
            .await
            .clone()
    }
}

/// What the credential chain tries, for the message when it finds nothing.
pub const NO_CREDENTIALS: &str =
    "no AWS credentials found (tried environment, profile, web identity, ECS, EC2 metadata)";

/// An AWS SDK failure that never reached the service (no credentials, no connection, a
/// timeout) as one readable line: the causes' own messages, outermost first, without the
/// SDK's debug dump; a credentials failure says so first.
pub fn describe_failure(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let m = e.to_string();
        // Generic layers of the SDK's error types say nothing a user can act on.
        let generic = matches!(m.as_str(), "" | "other" | "service error" | "io error");
        if !generic && !parts.iter().any(|p| p.contains(&m)) {
            parts.push(m);
        }
        current = e.source();
    }
    let text = parts.join(": ");
    if text.contains("credentials") {
        // The chain's last word, first line only (the SDK lists every provider it tried on
        // the lines after), unless it only repeats that no credentials were found.
        let cause = parts
            .last()
            .and_then(|c| c.lines().next())
            .unwrap_or_default()
            .trim();
        if cause.is_empty() || cause.starts_with("no credentials found") {
            return NO_CREDENTIALS.to_string();
        }
        let cause: String = cause.chars().take(200).collect();
        return format!("{NO_CREDENTIALS}: {cause}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn failures_read_as_one_line() {
        let chain = E(
            "dispatch failure",
            Some(Box::new(E(
                "other",
                Some(Box::new(E(
                    "an error occurred while loading credentials",
                    Some(Box::new(E("request forbidden: IMDS is disabled", None))),
                ))),
            ))),
        );
        assert_eq!(
            describe_failure(&chain),
            format!("{NO_CREDENTIALS}: request forbidden: IMDS is disabled")
        );
        let chain = E(
            "dispatch failure",
            Some(Box::new(E(
                "no credentials found in chain. Attempted:\n  Environment: not set\n  Profile: not enabled",
                None,
            ))),
        );
        assert_eq!(describe_failure(&chain), NO_CREDENTIALS);
        let refused = E(
            "dispatch failure",
            Some(Box::new(E("tcp connect error: Connection refused", None))),
        );
        assert_eq!(
            describe_failure(&refused),
            "dispatch failure: tcp connect error: Connection refused"
        );
    }
}

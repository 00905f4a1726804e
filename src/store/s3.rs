//! An S3 prefix as a store, through aws-sdk-s3.
//!
//! Retries (throttling, 5xx, timeouts, broken connections) happen inside the SDK client with
//! exponential backoff ([`crate::aws::MAX_ATTEMPTS`] attempts); what still fails is sorted
//! here into not-found, permanent and transient errors, each naming the bucket and key.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

use super::{ObjectMeta, ObjectStore, StoreError, Version, Versioned, join_key};
use crate::aws::{NO_CREDENTIALS, describe_failure};

#[derive(Debug, Clone)]
pub struct S3Bucket {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

/// An answer from S3 (or a proxy or gateway in front of it) that says "not now" rather than
/// "no": throttling, S3's own retryable codes, and any 5xx, 429 or 408 whatever its code, since
/// a load balancer's 502 or 503 carries no S3 code at all. Classing those permanent left a
/// failed execution unretried after a storage outage.
fn transient_answer(code: &str, status: u16) -> bool {
    code.contains("Throttl")
        || matches!(
            code,
            "SlowDown" | "InternalError" | "ServiceUnavailable" | "RequestTimeout"
        )
        || status >= 500
        || status == 429
        || status == 408
}

/// Error codes that retrying cannot fix.
const PERMANENT_CODES: &[&str] = &[
    "NoSuchBucket",
    "AccessDenied",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidBucketName",
    "AuthorizationHeaderMalformed",
    "PermanentRedirect",
    "ExpiredToken",
    "InvalidToken",
    "KMS.AccessDeniedException",
];

fn classify<E>(location: String, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = match e.message() {
                Some(m) => format!("{code}: {m}"),
                None if code == "Unknown" => format!("HTTP {status}"),
                None => code.clone(),
            };
            if matches!(code.as_str(), "NoSuchKey" | "NotFound") {
                StoreError::NotFound { location }
            } else if !PERMANENT_CODES.contains(&code.as_str()) && transient_answer(&code, status) {
                StoreError::Transient { location, message }
            } else {
                StoreError::Permanent { location, message }
            }
        }
        SdkError::ConstructionFailure(_) => StoreError::Permanent {
            location,
            message: format!("cannot build the request: {}", describe_failure(&err)),
        },
        _ => {
            let message = describe_failure(&err);
            // Missing credentials stay missing until someone provides them.
            if message.starts_with(NO_CREDENTIALS) {
                StoreError::Permanent { location, message }
            } else {
                StoreError::Transient {
                    location,
                    message: format!("cannot reach S3: {message}"),
                }
            }
        }
    }
}

/// The `Content-Type` of an object driftwatch writes, by its name.
pub fn content_type(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "jsonl" => "application/x-ndjson",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

impl S3Bucket {
    pub fn new(client: aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Self {
        Self {
            client,
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    fn full_key(&self, key: &str) -> String {
        join_key(&self.prefix, key)
    }

    /// `prefix/key` as a listing prefix: with a trailing slash so `a/1` does not match `a/10`.
    fn dir_prefix(&self, key: &str) -> String {
        let k = self.full_key(key);
        if k.is_empty() { k } else { format!("{k}/") }
    }

    fn relative(&self, full: &str) -> String {
        full.strip_prefix(&self.prefix)
            .unwrap_or(full)
            .trim_start_matches('/')
            .to_string()
    }
}

impl ObjectStore for S3Bucket {
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(self.dir_prefix(prefix))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(self.describe(prefix), e))?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                if key.ends_with('/') {
                    continue; // "folder" placeholder objects made by consoles
                }
                out.push(ObjectMeta {
                    key: self.relative(key),
                    size: o.size().unwrap_or(0).max(0) as u64,
                    last_modified: o
                        .last_modified()
                        .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let base = self.dir_prefix(prefix);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&base)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(self.describe(prefix), e))?;
            for p in page.common_prefixes() {
                if let Some(name) = p
                    .prefix()
                    .and_then(|p| p.strip_prefix(&base))
                    .map(|p| p.trim_end_matches('/'))
                    .filter(|p| !p.is_empty())
                {
                    out.push(name.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.get_versioned(key).await?.bytes)
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        // A PUT is atomic on S3: readers see the old object or the new one. The content type
        // lets a browser show a report or a JSON file straight from S3 (or CloudFront).
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .content_type(content_type(key))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| classify(self.describe(key), e))?;
        Ok(())
    }

    async fn get_versioned(&self, key: &str) -> Result<Versioned, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| classify(self.describe(key), e))?;
        let version = Version::new(out.e_tag.clone().unwrap_or_default());
        let modified = out
            .last_modified
            .and_then(|t| std::time::SystemTime::try_from(t).ok());
        let size = out.content_length.unwrap_or(0).max(0) as u64;
        if size > crate::limits::MAX_OBJECT_BYTES {
            return Err(StoreError::NotData {
                location: self.describe(key),
                message: crate::limits::too_large(size),
            });
        }
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Transient {
                location: self.describe(key),
                message: format!("reading the object failed: {e}"),
            })?;
        Ok(Versioned {
            bytes: body.into_bytes().to_vec(),
            version,
            modified,
        })
    }

    async fn put_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        expected: Option<&Version>,
    ) -> Result<Option<Version>, StoreError> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .content_type(content_type(key))
            .body(ByteStream::from(bytes));
        let request = match expected {
            None => request.if_none_match("*"),
            Some(v) => request.if_match(v.as_str()),
        };
        match request.send().await {
            Ok(out) => Ok(Some(Version::new(out.e_tag.unwrap_or_default()))),
            Err(e) => {
                if lost_condition(e.as_service_error().and_then(|s| s.code())) {
                    Ok(None)
                } else {
                    Err(classify(self.describe(key), e))
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match classify(self.describe(key), e) {
                StoreError::NotFound { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn delete_if(&self, key: &str, expected: &Version) -> Result<bool, StoreError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .if_match(expected.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                if lost_condition(e.as_service_error().and_then(|s| s.code())) {
                    return Ok(false);
                }
                match classify(self.describe(key), e) {
                    StoreError::NotFound { .. } => Ok(false),
                    other => Err(other),
                }
            }
        }
    }

    fn describe(&self, key: &str) -> String {
        let k = self.full_key(key);
        if k.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{k}", self.bucket)
        }
    }
}

/// A conditional request that lost, not a failure: 412 the object changed since it was read,
/// 409 a concurrent conditional request won the race, 404 the object is gone.
fn lost_condition(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A tiny HTTP server answering each request with the next canned response (the last
    /// one repeats); returns its URL and the request counter.
    fn canned_server(responses: Vec<(u16, &'static str)>) -> (String, Arc<AtomicUsize>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let i = seen.fetch_add(1, Ordering::SeqCst);
                let (status, text) = responses[i.min(responses.len() - 1)];
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        (url, count)
    }

    fn bucket(url: &str) -> S3Bucket {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(url)
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "k", "s", None, None, "test",
            ))
            .retry_config(
                crate::aws::retry_config()
                    .with_initial_backoff(std::time::Duration::from_millis(10)),
            )
            .build();
        S3Bucket::new(aws_sdk_s3::Client::from_conf(conf), "bkt", "pre")
    }

    const SLOW_DOWN: &str =
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    const DENIED: &str = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";

    #[tokio::test]
    async fn transient_errors_are_retried_with_backoff() {
        let (url, count) = canned_server(vec![(503, SLOW_DOWN), (500, ""), (200, "hello")]);
        assert_eq!(bucket(&url).get("k").await.unwrap(), b"hello");
        assert_eq!(count.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn persistent_throttling_gives_up_as_transient() {
        let (url, count) = canned_server(vec![(503, SLOW_DOWN)]);
        let e = bucket(&url).get("k").await.unwrap_err();
        assert!(matches!(e, StoreError::Transient { .. }), "{e}");
        assert!(e.to_string().contains("s3://bkt/pre/k"), "{e}");
        assert_eq!(
            count.load(Ordering::SeqCst),
            crate::aws::MAX_ATTEMPTS as usize
        );
    }

    /// A gateway's 502 without an S3 error code is an outage, not a refusal (regression: it
    /// was classed permanent, so its execution was never retried).
    #[tokio::test]
    async fn a_gateway_error_without_a_code_is_transient() {
        let (url, _) = canned_server(vec![(502, "<html>Bad Gateway</html>")]);
        let e = bucket(&url).put("k", b"x".to_vec()).await.unwrap_err();
        assert!(matches!(e, StoreError::Transient { .. }), "{e}");
        assert!(e.to_string().contains("s3://bkt/pre/k"), "{e}");
    }

    #[tokio::test]
    async fn access_denied_is_permanent_and_not_retried() {
        let (url, count) = canned_server(vec![(403, DENIED)]);
        let e = bucket(&url).get("k").await.unwrap_err();
        assert!(matches!(e, StoreError::Permanent { .. }), "{e}");
        assert_eq!(e.to_string(), "s3://bkt/pre/k: AccessDenied: Access Denied");
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    /// Against the emulator the test command starts (skipped without it): a delete that
    /// names the version read removes only that version.
    #[tokio::test]
    async fn a_conditional_delete_removes_only_the_version_read() {
        let Ok(url) = std::env::var("DRIFTWATCH_MOTO_URL") else {
            assert!(
                std::env::var("DRIFTWATCH_REQUIRE_MOTO").is_err(),
                "DRIFTWATCH_MOTO_URL is not set but DRIFTWATCH_REQUIRE_MOTO is"
            );
            return;
        };
        let store = bucket(&url);
        let name = format!("dw-delete-if-{}", std::process::id());
        store
            .client
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .unwrap();
        let store = S3Bucket::new(store.client.clone(), &name, "pre");
        crate::store::conditional_delete_contract(&store, "lock").await;
    }
}

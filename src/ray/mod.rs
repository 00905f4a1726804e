//! A client of Ray's Jobs REST API (the dashboard's `/api/jobs/`), the whole of what
//! driftwatch needs from a Ray cluster: submit a job, ask its status, read its logs, stop it.
//! Plain HTTP + JSON, so no Ray client library (nor Python) is needed on the coordinator.
//!
//! Errors say whether asking again may help ([`RayError::is_transient`]): a refused
//! connection or a 5xx is the cluster being busy or restarting; a 4xx is a request Ray will
//! never accept.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long one request may take (a status or a stop; a submission only records the job).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of a job's log kept for a Failed record's reason (which SageMaker caps at 1,024
/// characters: the log's end, where the error is, must fit after the message).
pub const LOG_TAIL_BYTES: usize = 600;

#[derive(Debug, thiserror::Error)]
pub enum RayError {
    #[error("the Ray dashboard at {address} is unreachable ({what}): {message}")]
    Unreachable {
        address: String,
        what: String,
        message: String,
    },
    #[error("the Ray dashboard at {address} answered HTTP {status} to {what}: {body}")]
    Refused {
        address: String,
        what: String,
        status: u16,
        body: String,
    },
    #[error("the Ray dashboard at {address} sent an unreadable answer to {what}: {message}")]
    Unreadable {
        address: String,
        what: String,
        message: String,
    },
}

impl RayError {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Refused { status, .. } => *status >= 500 || *status == 429,
            Self::Unreadable { .. } => false,
        }
    }
}

/// A job's state as Ray reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Pending,
    Running,
    Stopped,
    Succeeded,
    Failed,
}

impl JobStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Stopped | Self::Succeeded | Self::Failed)
    }
}

/// What `GET /api/jobs/{id}` says of a job (the fields driftwatch reads).
#[derive(Debug, Clone, Deserialize)]
pub struct JobInfo {
    pub status: JobStatus,
    /// Ray's own words ("Job entrypoint command failed with exit code 1 …").
    #[serde(default)]
    pub message: Option<String>,
    /// The entrypoint's exit code, once it exited.
    #[serde(default)]
    pub driver_exit_code: Option<i32>,
}

/// `POST /api/jobs/`: one entrypoint command, named by the caller so that a resubmission
/// after a lost answer is refused rather than run twice.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    pub entrypoint: String,
    pub submission_id: String,
    /// CPUs reserved for the entrypoint: above zero, Ray may place it on any node with a
    /// free CPU rather than the head.
    pub entrypoint_num_cpus: f64,
    pub runtime_env: RuntimeEnv,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RuntimeEnv {
    pub env_vars: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Submitted {
    submission_id: String,
}

#[derive(Deserialize)]
struct Logs {
    logs: String,
}

#[derive(Deserialize)]
struct Stopped {
    stopped: bool,
}

#[derive(Deserialize)]
struct Version {
    ray_version: String,
}

/// A Ray cluster's Jobs API at `address` (`http://head:8265`).
#[derive(Debug, Clone)]
pub struct JobsClient {
    address: String,
    http: reqwest::Client,
}

impl JobsClient {
    pub fn new(address: &str) -> Result<Self, RayError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| RayError::Unreachable {
                address: address.to_string(),
                what: "building an HTTP client".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            address: address.trim_end_matches('/').to_string(),
            http,
        })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// The cluster's Ray version (a cheap reachability check).
    pub async fn version(&self) -> Result<String, RayError> {
        let v: Version = self
            .call(self.http.get(self.url("/api/version")), "GET /api/version")
            .await?;
        Ok(v.ray_version)
    }

    /// Submits a job; returns its submission id.
    pub async fn submit(&self, s: &Submission) -> Result<String, RayError> {
        let r: Submitted = self
            .call(
                self.http.post(self.url("/api/jobs/")).json(s),
                &format!("submitting job {}", s.submission_id),
            )
            .await?;
        Ok(r.submission_id)
    }

    pub async fn info(&self, id: &str) -> Result<JobInfo, RayError> {
        self.call(
            self.http.get(self.url(&format!("/api/jobs/{id}"))),
            &format!("the status of job {id}"),
        )
        .await
    }

    /// The job's log (its entrypoint's stdout and stderr).
    pub async fn logs(&self, id: &str) -> Result<String, RayError> {
        let l: Logs = self
            .call(
                self.http.get(self.url(&format!("/api/jobs/{id}/logs"))),
                &format!("the logs of job {id}"),
            )
            .await?;
        Ok(l.logs)
    }

    /// Asks Ray to stop the job; `false` when it had already ended.
    pub async fn stop(&self, id: &str) -> Result<bool, RayError> {
        let s: Stopped = self
            .call(
                self.http.post(self.url(&format!("/api/jobs/{id}/stop"))),
                &format!("stopping job {id}"),
            )
            .await?;
        Ok(s.stopped)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T, RayError> {
        let response = request.send().await.map_err(|e| RayError::Unreachable {
            address: self.address.clone(),
            what: what.to_string(),
            message: error_chain(&e),
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| RayError::Unreachable {
            address: self.address.clone(),
            what: what.to_string(),
            message: error_chain(&e),
        })?;
        if !status.is_success() {
            return Err(RayError::Refused {
                address: self.address.clone(),
                what: what.to_string(),
                status: status.as_u16(),
                body: tail(&String::from_utf8_lossy(&body), 500)
                    .trim()
                    .to_string(),
            });
        }
        serde_json::from_slice(&body).map_err(|e| RayError::Unreadable {
            address: self.address.clone(),
            what: what.to_string(),
            message: format!("{e} in {}", tail(&String::from_utf8_lossy(&body), 200)),
        })
    }
}

/// The error and its causes (reqwest's own message hides "connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The last `max` bytes of `s`, cut at a character boundary.
pub fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ray_job_details() {
        // The shape of Ray 2.x's JobDetails (trimmed), as the dashboard serves it.
        let info: JobInfo = serde_json::from_str(
            r#"{"type":"SUBMISSION","job_id":"02000000","submission_id":"s-1","driver_info":null,
                "status":"FAILED","entrypoint":"false","message":"Job entrypoint command failed with exit code 1",
                "error_type":"JOB_ENTRYPOINT_COMMAND_ERROR","start_time":1,"end_time":2,"metadata":{},
                "runtime_env":{},"driver_agent_http_address":null,"driver_node_id":null,"driver_exit_code":1}"#,
        )
        .unwrap();
        assert_eq!(info.status, JobStatus::Failed);
        assert!(info.status.is_terminal());
        assert_eq!(info.driver_exit_code, Some(1));
        let pending: JobInfo = serde_json::from_str(r#"{"status":"PENDING"}"#).unwrap();
        assert!(!pending.status.is_terminal());
    }

    #[test]
    fn classifies_errors() {
        let refused = |status| RayError::Refused {
            address: "http://h".into(),
            what: "x".into(),
            status,
            body: String::new(),
        };
        assert!(refused(503).is_transient());
        assert!(!refused(400).is_transient());
        assert!(
            RayError::Unreachable {
                address: "http://h".into(),
                what: "x".into(),
                message: "refused".into()
            }
            .is_transient()
        );
    }

    #[test]
    fn tails_at_character_boundaries() {
        assert_eq!(tail("abc", 5), "abc");
        assert_eq!(tail("aé", 1), "");
        assert_eq!(tail("abcdef", 2), "ef");
    }

    #[tokio::test]
    async fn an_unreachable_cluster_is_transient_and_named() {
        // A port nobody listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = JobsClient::new(&format!("http://127.0.0.1:{port}/")).unwrap();
        let e = c.info("s-1").await.unwrap_err();
        assert!(e.is_transient());
        let m = e.to_string();
        assert!(
            m.contains(&format!("http://127.0.0.1:{port} is unreachable")),
            "{m}"
        );
        assert!(m.contains("the status of job s-1"), "{m}");
    }
}

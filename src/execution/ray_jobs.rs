//! A batch of driftwatch commands run as Ray jobs through the Jobs API: at most `parallelism`
//! in flight, each polled until it ends, a failed one submitted again while it has retries
//! left and its exit code says a retry may help, and every job still running stopped when the
//! batch is dropped (a failure that ends it, a timeout, a shutdown, SIGTERM). What a job's end
//! means is the caller's: the shards of an execution stop at the first failure, a backfill
//! records each time's end and goes on.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::config::Schedule;
use crate::config::executor::RayExecutor;
use crate::ray::{JobStatus, JobsClient, LOG_TAIL_BYTES, RayError, RuntimeEnv, Submission, tail};
use crate::sagemaker::time::format_utc;

/// One command to run: `{command} {args…}` on a worker.
pub(super) struct JobSpec {
    pub args: Vec<String>,
    /// The submission id without the attempt (`-{attempt}` is appended).
    pub id_stem: String,
    pub metadata: BTreeMap<String, String>,
}

/// What every driftwatch job says of itself in Ray's dashboard: the schedule and the
/// scheduled time.
pub(super) fn job_metadata(schedule: &Schedule, t: DateTime<Utc>) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "driftwatch_schedule".to_string(),
            schedule.name.as_str().to_string(),
        ),
        ("driftwatch_scheduled_time".to_string(), format_utc(t)),
    ])
}

/// How a job ended, after its retries.
pub(super) enum JobEnd {
    Succeeded,
    Failed(JobFailure),
    /// Ray refused the submission or the status request, or could not be reached.
    Ray(RayError),
}

pub(super) struct JobFailure {
    pub id: String,
    pub attempts: u32,
    pub max_attempts: u32,
    pub exit_code: Option<i32>,
    pub stopped: bool,
    /// The exit code says running it again cannot help.
    pub permanent: bool,
    /// Ray's message, first line.
    pub said: String,
    /// The end of the job's log.
    pub log_tail: String,
}

impl JobFailure {
    /// `Ray job {id} failed after 3 of 3 attempts: {Ray's message}; its log ends: …`
    pub fn describe(&self) -> String {
        let code = match self.exit_code {
            Some(c) if !self.said.contains("exit code") => format!(" (exit code {c})"),
            _ => String::new(),
        };
        format!(
            "Ray job {} {} after {} of {} attempts: {}{code}; its log ends: {}",
            self.id,
            if self.stopped {
                "was stopped"
            } else {
                "failed"
            },
            self.attempts,
            self.max_attempts,
            self.said,
            self.log_tail
        )
    }
}

/// A batch's cluster, settings and retry rule.
pub(super) struct RayJobs<'a> {
    pub ray: &'a RayExecutor,
    pub client: JobsClient,
    /// Exit codes that end a job for good (its failure is reported at once).
    pub permanent_exit_codes: &'a [i32],
}

impl<'a> RayJobs<'a> {
    pub fn new(ray: &'a RayExecutor, permanent_exit_codes: &'a [i32]) -> Result<Self, RayError> {
        Ok(Self {
            ray,
            client: JobsClient::new(&ray.address)?,
            permanent_exit_codes,
        })
    }

    /// Runs every spec; `on_end(i, end)` is called once per spec as it ends, and an `Err` from
    /// it stops the batch (the jobs still running are stopped) and is returned.
    pub async fn run<E>(
        &self,
        specs: &[JobSpec],
        mut on_end: impl FnMut(usize, JobEnd) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut pending: VecDeque<usize> = (0..specs.len()).collect();
        let mut tries = vec![0u32; specs.len()];
        let mut running = InFlight::new(self.client.address());
        let limit = self.ray.parallelism.max(1);
        loop {
            while running.jobs.len() < limit
                && let Some(i) = pending.pop_front()
            {
                tries[i] += 1;
                let id = format!("{}-{}", specs[i].id_stem, tries[i]);
                super::waiting::on(|| {
                    format!(
                        "the Ray cluster at {} had not accepted job {id} (no answer)",
                        self.client.address()
                    )
                });
                match self.client.submit(&self.submission(&specs[i], &id)).await {
                    Ok(id) => {
                        tracing::info!(job = %id, attempt = tries[i], "Ray job submitted");
                        running.jobs.push((i, id));
                    }
                    Err(e) if e.is_transient() && tries[i] <= self.ray.retries => {
                        tracing::warn!(job = %id, error = %e, "submitting a Ray job failed; trying again");
                        super::waiting::on(|| {
                            format!(
                                "submitting Ray job {id} to {} was failing (attempt {}): {e}",
                                self.client.address(),
                                tries[i]
                            )
                        });
                        pending.push_back(i);
                        break;
                    }
                    Err(e) => on_end(i, JobEnd::Ray(e))?,
                }
            }
            if running.jobs.is_empty() && pending.is_empty() {
                super::waiting::done();
                return Ok(());
            }
            tokio::time::sleep(self.ray.poll).await;
            // Jobs leave `running` only once they ended, so a cancellation at any await
            // point stops every job still in it.
            let mut at = 0;
            while at < running.jobs.len() {
                let (i, id) = running.jobs[at].clone();
                let info = match self.client.info(&id).await {
                    Ok(info) => info,
                    // The dashboard restarting or busy: ask again next round (the caller's
                    // time limit bounds the wait).
                    Err(e) if e.is_transient() => {
                        tracing::warn!(job = %id, error = %e, "could not read a Ray job's status");
                        super::waiting::on(|| {
                            format!(
                                "the status of Ray job {id} could not be read from {}: {e}",
                                self.client.address()
                            )
                        });
                        at += 1;
                        continue;
                    }
                    Err(e) => {
                        running.jobs.remove(at);
                        on_end(i, JobEnd::Ray(e))?;
                        continue;
                    }
                };
                if !info.status.is_terminal() {
                    super::waiting::on(|| {
                        format!(
                            "Ray job {id} was {} on {}{}",
                            format!("{:?}", info.status).to_uppercase(),
                            self.client.address(),
                            info.message
                                .as_deref()
                                .and_then(|m| m.lines().next())
                                .map(|m| format!(" ({m})"))
                                .unwrap_or_default()
                        )
                    });
                    at += 1;
                    continue;
                }
                running.jobs.remove(at);
                if info.status == JobStatus::Succeeded {
                    tracing::info!(job = %id, "Ray job succeeded");
                    on_end(i, JobEnd::Succeeded)?;
                    continue;
                }
                let permanent = info
                    .driver_exit_code
                    .is_some_and(|c| self.permanent_exit_codes.contains(&c));
                if !permanent && tries[i] <= self.ray.retries {
                    tracing::warn!(job = %id, attempt = tries[i],
                        message = info.message.as_deref().unwrap_or(""),
                        "Ray job failed; submitting it again");
                    pending.push_back(i);
                    continue;
                }
                let logs = self
                    .client
                    .logs(&id)
                    .await
                    .unwrap_or_else(|e| format!("(its log could not be read: {e})"));
                // Ray's own words, first line only: it appends the log's tail, kept apart.
                let said = info
                    .message
                    .as_deref()
                    .and_then(|m| m.lines().next())
                    .map(|l| l.split(", last available logs").next().unwrap_or(l))
                    .unwrap_or("no message from Ray")
                    .to_string();
                on_end(
                    i,
                    JobEnd::Failed(JobFailure {
                        id,
                        attempts: tries[i],
                        max_attempts: self.ray.retries + 1,
                        exit_code: info.driver_exit_code,
                        stopped: info.status == JobStatus::Stopped,
                        permanent,
                        said,
                        log_tail: tail(logs.trim(), LOG_TAIL_BYTES).trim().to_string(),
                    }),
                )?;
            }
        }
    }

    fn submission(&self, spec: &JobSpec, id: &str) -> Submission {
        let entrypoint = std::iter::once(self.ray.command.as_str())
            .chain(spec.args.iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ");
        let env_vars = self
            .ray
            .forward_env
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (name.clone(), v)))
            .collect();
        Submission {
            entrypoint,
            submission_id: id.to_string(),
            entrypoint_num_cpus: self.ray.entrypoint_num_cpus,
            runtime_env: RuntimeEnv { env_vars },
            metadata: spec.metadata.clone(),
        }
    }
}

/// One word for the POSIX shell Ray runs an entrypoint with.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=+@%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The jobs in flight; those still running when it is dropped (the batch failed, timed out or
/// was cancelled) are stopped, so no orphan keeps a cluster busy.
struct InFlight {
    address: String,
    jobs: Vec<(usize, String)>,
}

impl InFlight {
    fn new(address: &str) -> Self {
        Self {
            address: address.to_string(),
            jobs: Vec::new(),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.jobs.is_empty() {
            return;
        }
        let ids: Vec<String> = self.jobs.drain(..).map(|(_, id)| id).collect();
        let address = self.address.clone();
        // Drop cannot await, and the runtime may be shutting down: a thread of its own with a
        // runtime of its own, waited for (each request is bounded by the client's timeout).
        let stopper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let Ok(client) = JobsClient::new(&address) else {
                    return;
                };
                for id in ids {
                    match client.stop(&id).await {
                        Ok(_) => tracing::info!(job = %id, "Ray job stopped"),
                        Err(e) => tracing::warn!(job = %id, error = %e, "could not stop a Ray job"),
                    }
                }
            });
        });
        let _ = stopper.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_the_shell_would_split() {
        assert_eq!(shell_quote("/usr/bin/driftwatch"), "/usr/bin/driftwatch");
        assert_eq!(shell_quote("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00Z");
        assert_eq!(shell_quote("/a b/c"), "'/a b/c'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$(x)"), "'$(x)'");
    }

    #[test]
    fn a_failure_reads_as_one_sentence() {
        let f = JobFailure {
            id: "driftwatch-s-20240119T1200-r-0-3".into(),
            attempts: 3,
            max_attempts: 3,
            exit_code: Some(75),
            stopped: false,
            permanent: false,
            said: "Job entrypoint command failed with exit code 75".into(),
            log_tail: "error: SlowDown".into(),
        };
        assert_eq!(
            f.describe(),
            "Ray job driftwatch-s-20240119T1200-r-0-3 failed after 3 of 3 attempts: Job entrypoint command failed with exit code 75; its log ends: error: SlowDown"
        );
        let f = JobFailure {
            said: "Job was intentionally stopped".into(),
            stopped: true,
            exit_code: Some(143),
            ..f
        };
        assert!(f.describe().contains(
            "was stopped after 3 of 3 attempts: Job was intentionally stopped (exit code 143)"
        ));
    }
}

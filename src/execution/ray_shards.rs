//! The shards of one execution as Ray jobs (`executor: {type: ray}`): the coordinator writes
//! the shard plan beside the execution's outputs, submits one `driftwatch shard` job per shard
//! through the Jobs API (at most `parallelism` in flight), polls them, submits a failed shard
//! again while it has retries left and its failure is worth retrying, and hands the merge the
//! states the jobs wrote. Jobs still running when the execution ends early (a failed shard, a
//! timeout, a shutdown) are stopped.
//!
//! A job's exit code says what kind of failure it was (see `driftwatch shard`): 1 and 2 are
//! permanent (bad input, bad arguments), as are 126 and 127 (the command is missing from the
//! worker); anything else — a transient store error (75), a killed process, a lost node — is
//! retried.

use std::collections::{BTreeMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

use super::error::ExecutionError;
use super::shards::{shard_dir, state_file};
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::config::executor::RayExecutor;
use crate::monitor::write::WriteError;
use crate::ray::{JobStatus, JobsClient, LOG_TAIL_BYTES, RayError, RuntimeEnv, Submission, tail};
use crate::sagemaker::time::format_utc;
use crate::store::{ObjectStore, Store, join_key};

/// Exit codes of a shard job that running it again cannot fix.
const PERMANENT_EXIT_CODES: &[i32] = &[1, 2, 126, 127];

/// The states the shard jobs wrote, read back in shard order.
pub(super) struct RemoteStates {
    out: Store,
    dir: String,
    of: usize,
    /// The input files written for the jobs (removed with the states).
    inputs: Vec<String>,
}

impl RemoteStates {
    /// Shard `k`'s state, in its wire form.
    pub async fn take(&mut self, k: usize) -> Result<Vec<u8>, ExecutionError> {
        let key = join_key(&self.dir, &state_file(k));
        self.out.get(&key).await.map_err(|e| ExecutionError::Shard {
            shard: k,
            of: self.of,
            transient: !e.is_not_found()
                && e.class() == crate::sagemaker::FailureClass::Transient,
            reason: if e.is_not_found() {
                format!(
                    "its job succeeded but left no state at {} (is executor.command a driftwatch binary of this version?)",
                    self.out.describe(&key)
                )
            } else {
                format!("its state could not be read: {e}")
            },
        })
    }

    /// Removes the inputs and the states (best effort: a leftover `_shards` folder is only
    /// clutter, never read again).
    pub async fn clean_up(self) {
        clean_up(&self.out, &self.dir, &self.inputs, self.of).await;
    }
}

async fn clean_up(out: &Store, dir: &str, inputs: &[String], of: usize) {
    let keys = inputs.iter().cloned().chain((0..of).map(state_file));
    for key in keys {
        let key = join_key(dir, &key);
        if let Err(e) = out.delete(&key).await
            && !e.is_not_found()
        {
            tracing::warn!(error = %e, "could not remove a shard file");
        }
    }
}

/// Writes `inputs` (file name → bytes) into a new run's shard folder, runs `of` shards as
/// Ray jobs and waits for all of them.
pub(super) async fn dispatch(
    schedule: &Schedule,
    t: DateTime<Utc>,
    ray: &RayExecutor,
    of: usize,
    inputs: Vec<(String, Vec<u8>)>,
    clients: &AwsClients,
) -> Result<RemoteStates, ExecutionError> {
    let run = run_id();
    let out = Store::open(&schedule.output, clients).await;
    let dir = shard_dir(&schedule.output_folder(t), &run);
    let names: Vec<String> = inputs.iter().map(|(n, _)| n.clone()).collect();
    for (name, bytes) in inputs {
        if let Err(source) = out.put(&join_key(&dir, &name), bytes).await {
            clean_up(&out, &dir, &names, 0).await;
            return Err(ExecutionError::Write(WriteError {
                action: "writing",
                file: "a shard input (_shards/…)",
                source,
            }));
        }
    }
    let client = JobsClient::new(&ray.address).map_err(|e| ray_error(0, of, &e))?;
    let jobs = Jobs {
        schedule,
        t,
        ray,
        run: &run,
        of,
        client: &client,
    };
    match jobs.run_all().await {
        Ok(()) => Ok(RemoteStates {
            out,
            dir,
            of,
            inputs: names,
        }),
        Err(e) => {
            clean_up(&out, &dir, &names, of).await;
            Err(e)
        }
    }
}

/// A unique name for one coordinator attempt's shards.
fn run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}{:x}", std::process::id())
}

fn ray_error(k: usize, of: usize, e: &RayError) -> ExecutionError {
    ExecutionError::Shard {
        shard: k,
        of,
        reason: e.to_string(),
        transient: e.is_transient(),
    }
}

struct Jobs<'a> {
    schedule: &'a Schedule,
    t: DateTime<Utc>,
    ray: &'a RayExecutor,
    run: &'a str,
    of: usize,
    client: &'a JobsClient,
}

impl Jobs<'_> {
    async fn run_all(&self) -> Result<(), ExecutionError> {
        let mut pending: VecDeque<usize> = (0..self.of).collect();
        let mut tries = vec![0u32; self.of];
        let mut running = InFlight::new(self.client.address());
        let limit = self.ray.parallelism.max(1);
        loop {
            while running.jobs.len() < limit
                && let Some(k) = pending.pop_front()
            {
                tries[k] += 1;
                let id = self.submission_id(k, tries[k]);
                match self.client.submit(&self.submission(k, &id)).await {
                    Ok(id) => {
                        tracing::info!(shard = k, of = self.of, job = %id, attempt = tries[k], "shard job submitted");
                        running.jobs.push((k, id));
                    }
                    Err(e) if e.is_transient() && tries[k] <= self.ray.retries => {
                        tracing::warn!(shard = k, error = %e, "submitting a shard job failed; trying again");
                        pending.push_back(k);
                        break;
                    }
                    Err(e) => return Err(ray_error(k, self.of, &e)),
                }
            }
            if running.jobs.is_empty() && pending.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(self.ray.poll).await;
            // Jobs leave `running` only once they ended, so a cancellation at any await
            // point stops every job still in it.
            let mut i = 0;
            while i < running.jobs.len() {
                let (k, id) = running.jobs[i].clone();
                let info = match self.client.info(&id).await {
                    Ok(info) => info,
                    // The dashboard restarting or busy: ask again next round (the
                    // execution's max_runtime bounds the wait).
                    Err(e) if e.is_transient() => {
                        tracing::warn!(shard = k, job = %id, error = %e, "could not read a shard job's status");
                        i += 1;
                        continue;
                    }
                    Err(e) => return Err(ray_error(k, self.of, &e)),
                };
                if !info.status.is_terminal() {
                    i += 1;
                    continue;
                }
                running.jobs.remove(i);
                if info.status == JobStatus::Succeeded {
                    tracing::info!(shard = k, of = self.of, job = %id, "shard job succeeded");
                    continue;
                }
                let permanent = info
                    .driver_exit_code
                    .is_some_and(|c| PERMANENT_EXIT_CODES.contains(&c));
                if !permanent && tries[k] <= self.ray.retries {
                    tracing::warn!(shard = k, job = %id, attempt = tries[k],
                        message = info.message.as_deref().unwrap_or(""),
                        "shard job failed; submitting it again");
                    pending.push_back(k);
                    continue;
                }
                let logs = self
                    .client
                    .logs(&id)
                    .await
                    .unwrap_or_else(|e| format!("(its log could not be read: {e})"));
                // Ray's own words, first line only: it appends the log's tail, quoted below.
                let said = info
                    .message
                    .as_deref()
                    .and_then(|m| m.lines().next())
                    .map(|l| l.split(", last available logs").next().unwrap_or(l))
                    .unwrap_or("no message from Ray");
                let code = match info.driver_exit_code {
                    Some(c) if !said.contains("exit code") => format!(" (exit code {c})"),
                    _ => String::new(),
                };
                return Err(ExecutionError::Shard {
                    shard: k,
                    of: self.of,
                    reason: format!(
                        "Ray job {id} {} after {} of {} attempts: {said}{code}; its log ends: {}",
                        if info.status == JobStatus::Stopped {
                            "was stopped"
                        } else {
                            "failed"
                        },
                        tries[k],
                        self.ray.retries + 1,
                        tail(logs.trim(), LOG_TAIL_BYTES).trim()
                    ),
                    transient: !permanent,
                });
            }
        }
    }

    /// `driftwatch-{schedule}-{T}-{run}-{shard}-{attempt}`: unique, and readable in Ray's
    /// dashboard.
    fn submission_id(&self, k: usize, attempt: u32) -> String {
        format!(
            "driftwatch-{}-{}-{}-{k}-{attempt}",
            self.schedule.name.as_str(),
            self.t.format("%Y%m%dT%H%M"),
            self.run
        )
    }

    fn submission(&self, k: usize, id: &str) -> Submission {
        let config = self.ray.config.as_deref().unwrap_or_default();
        let entrypoint = [
            self.ray.command.as_str(),
            "shard",
            "--config",
            config,
            "--schedule",
            self.schedule.name.as_str(),
            "--at",
            &format_utc(self.t),
            "--run",
            self.run,
            "--shard",
            &k.to_string(),
        ]
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
        let env_vars = self
            .ray
            .forward_env
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|v| (name.clone(), v)))
            .collect();
        let metadata = BTreeMap::from([
            (
                "driftwatch_schedule".to_string(),
                self.schedule.name.as_str().to_string(),
            ),
            ("driftwatch_scheduled_time".to_string(), format_utc(self.t)),
            ("driftwatch_shard".to_string(), format!("{k}/{}", self.of)),
        ]);
        Submission {
            entrypoint,
            submission_id: id.to_string(),
            entrypoint_num_cpus: self.ray.entrypoint_num_cpus,
            runtime_env: RuntimeEnv { env_vars },
            metadata,
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

/// The jobs in flight; those still running when it is dropped (the execution failed, timed
/// out or was cancelled) are stopped, so no orphan keeps a cluster busy.
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
                        Ok(_) => tracing::info!(job = %id, "shard job stopped"),
                        Err(e) => {
                            tracing::warn!(job = %id, error = %e, "could not stop a shard job")
                        }
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
}

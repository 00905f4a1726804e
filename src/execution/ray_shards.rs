//! The shards of one execution as Ray jobs (`executor: {type: ray}`): the coordinator writes
//! the shards' inputs beside the execution's outputs, runs one `driftwatch shard` job per
//! shard (`ray_jobs`), and hands the merge the states the jobs wrote. The first shard that
//! fails for good fails the execution; the jobs still running are then stopped.
//!
//! A job's exit code says what kind of failure it was (see `driftwatch shard`): 1 and 2 are
//! permanent (bad input, bad arguments), as are 126 and 127 (the command is missing from the
//! worker); anything else — a transient store error (75), a killed process, a lost node — is
//! retried.

use chrono::{DateTime, Utc};

use super::error::ExecutionError;
use super::ray_jobs::{JobEnd, JobSpec, RayJobs, job_metadata};
use super::shards::{RunId, shard_dir, state_file};
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::config::executor::RayExecutor;
use crate::monitor::write::WriteError;
use crate::ray::RayError;
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
    pub async fn take(&self, k: usize) -> Result<Vec<u8>, ExecutionError> {
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
    let jobs = RayJobs::new(ray, PERMANENT_EXIT_CODES).map_err(|e| ray_error(0, of, &e))?;
    let run = RunId::fresh();
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
    let specs: Vec<JobSpec> = (0..of)
        .map(|k| shard_job(schedule, t, ray, &run, k, of))
        .collect();
    let result = jobs
        .run(&specs, |k, end| match end {
            JobEnd::Succeeded => Ok(()),
            JobEnd::Ray(e) => Err(ray_error(k, of, &e)),
            JobEnd::Failed(f) => Err(ExecutionError::Shard {
                shard: k,
                of,
                reason: f.describe(),
                transient: !f.permanent,
            }),
        })
        .await;
    match result {
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

fn ray_error(k: usize, of: usize, e: &RayError) -> ExecutionError {
    ExecutionError::Shard {
        shard: k,
        of,
        reason: e.to_string(),
        transient: e.is_transient(),
    }
}

/// The job of shard `k`: `driftwatch shard` with the coordinator's run.
fn shard_job(
    schedule: &Schedule,
    t: DateTime<Utc>,
    ray: &RayExecutor,
    run: &RunId,
    k: usize,
    of: usize,
) -> JobSpec {
    let args = [
        "shard",
        "--config",
        ray.config.as_deref().unwrap_or_default(),
        "--schedule",
        schedule.name.as_str(),
        "--at",
        &format_utc(t),
        "--run",
        run.as_str(),
        "--shard",
        &k.to_string(),
    ];
    JobSpec {
        args: args.iter().map(|a| a.to_string()).collect(),
        // `driftwatch-{schedule}-{T}-{run}-{shard}` (then `-{attempt}`): unique, and readable
        // in Ray's dashboard.
        id_stem: format!(
            "driftwatch-{}-{}-{}-{k}",
            schedule.name.as_str(),
            t.format("%Y%m%dT%H%M"),
            run.as_str()
        ),
        metadata: {
            let mut m = job_metadata(schedule, t);
            m.insert("driftwatch_shard".to_string(), format!("{k}/{of}"));
            m
        },
    }
}

//! Whole executions as Ray jobs (`backfill --executor ray`): each scheduled time is one job
//! running `driftwatch run --in-process` (the execution in one piece on its worker, never
//! fanning out again), which writes its own outputs and record; the coordinator waits for the
//! jobs (`ray_jobs`, at most the executor's `parallelism` at once) and reads each record back.

use chrono::{DateTime, Utc};

use super::ray_jobs::{JobEnd, JobSpec, RayJobs, job_metadata};
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::sagemaker::ExecutionRecord;
use crate::sagemaker::json::JsonFile;
use crate::sagemaker::layout::RECORD_FILE;
use crate::sagemaker::time::format_utc;
use crate::store::{ObjectStore, Store, join_key};

/// Exit codes of `driftwatch run` that end its job for good: 1 is a Failed execution, which
/// wrote its record (the record's class says whether a later pass retries it); 2 is bad
/// arguments; 126 and 127 a missing binary. Anything else (killed, a lost node) is retried.
const RUN_DONE_EXIT_CODES: &[i32] = &[1, 2, 126, 127];

/// Runs the executions of `schedule` at `runs` ((time, attempt), oldest first) as Ray jobs on
/// the schedule's `executor` cluster. One result per time, in order: the record the job
/// wrote, or why there is none.
pub async fn run_on_ray(
    schedule: &Schedule,
    runs: &[(DateTime<Utc>, u32)],
    clients: &AwsClients,
) -> Vec<(DateTime<Utc>, Result<ExecutionRecord, String>)> {
    let Some(ray) = schedule.executor.ray() else {
        let why = format!(
            "schedule {} has no `executor: {{type: ray, address: …}}` naming a cluster",
            schedule.name.as_str()
        );
        return runs.iter().map(|(t, _)| (*t, Err(why.clone()))).collect();
    };
    let jobs = match RayJobs::new(ray, RUN_DONE_EXIT_CODES) {
        Ok(j) => j,
        Err(e) => return runs.iter().map(|(t, _)| (*t, Err(e.to_string()))).collect(),
    };
    let batch = Utc::now();
    let specs: Vec<JobSpec> = runs
        .iter()
        .map(|(t, attempt)| JobSpec {
            args: [
                "run",
                "--in-process",
                "--config",
                ray.config.as_deref().unwrap_or_default(),
                "--schedule",
                schedule.name.as_str(),
                "--at",
                &format_utc(*t),
                "--attempt",
                &attempt.to_string(),
            ]
            .iter()
            .map(|a| a.to_string())
            .collect(),
            id_stem: format!(
                "driftwatch-{}-{}-run{}-{:x}",
                schedule.name.as_str(),
                t.format("%Y%m%dT%H%M"),
                attempt,
                batch.timestamp_micros()
            ),
            metadata: job_metadata(schedule, *t),
        })
        .collect();
    let mut ends: Vec<Option<Result<(), String>>> = runs.iter().map(|_| None).collect();
    let finished: Result<(), std::convert::Infallible> = jobs
        .run(&specs, |i, end| {
            ends[i] = Some(match end {
                JobEnd::Succeeded => Ok(()),
                JobEnd::Failed(f) => Err(f.describe()),
                JobEnd::Ray(e) => Err(e.to_string()),
            });
            Ok(())
        })
        .await;
    let Ok(()) = finished;
    let out = Store::open(&schedule.output, clients).await;
    let mut results = Vec::with_capacity(runs.len());
    for ((t, _), end) in runs.iter().zip(ends) {
        let key = join_key(&schedule.output_folder(*t), RECORD_FILE);
        // The job's own record, not one an earlier attempt left: started after the batch.
        let record = match out.get(&key).await {
            Ok(bytes) => ExecutionRecord::from_json(&bytes)
                .map_err(|e| format!("{} is not readable: {e}", out.describe(&key)))
                .and_then(|r| {
                    (r.started_at >= batch - chrono::TimeDelta::seconds(5))
                        .then_some(r)
                        .ok_or_else(|| {
                            format!("the job wrote no new record at {}", out.describe(&key))
                        })
                }),
            Err(e) => Err(format!("no record at {}: {e}", out.describe(&key))),
        };
        results.push((
            *t,
            match (record, end) {
                (Ok(r), _) => Ok(r),
                (Err(_), Some(Err(job))) => Err(job),
                (Err(e), _) => Err(e),
            },
        ));
    }
    results
}

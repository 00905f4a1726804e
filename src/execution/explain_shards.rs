//! An explainability window's SHAP values computed in shards (`executor: {shards: N}`, local
//! or Ray): the coordinator reads the window and picks the rows to explain as always, computes
//! the background once, splits the rows into N contiguous slices and has each explained on its
//! own — here, or as a Ray job running `driftwatch shard` — then assembles the slices in row
//! order. Every row's coalition sampling is seeded by its index among all the rows, so the
//! values, the global aggregates and `analysis.json` are those of one process. Partial
//! dependence (one grid over all rows) stays with the coordinator.

use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::ExecutionError;
use super::shards::{PLAN_FILE, ShardFolder};
use crate::aws::AwsClients;
use crate::config::analysis::ShapAlgorithm;
use crate::config::executor::ExecutorKind;
use crate::config::{Purpose, Schedule};
use crate::monitor::explainability::{Predictor, ShapPart, explain_shard, shap_background};
use crate::monitor::inputs::analysis_config;

/// Bumped when the plan's or a state's layout changes.
const EXPLAIN_FORMAT: u32 = 1;

/// Rows of numbers as IEEE bits: exact, and NaN (a missing feature) survives JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Matrix {
    cols: usize,
    bits: Vec<u64>,
}

impl Matrix {
    fn of(rows: &[Vec<f64>]) -> Self {
        Self {
            cols: rows.first().map_or(0, Vec::len),
            bits: rows.iter().flatten().map(|v| v.to_bits()).collect(),
        }
    }

    fn rows(&self) -> Vec<Vec<f64>> {
        if self.cols == 0 {
            return Vec::new();
        }
        self.bits
            .chunks(self.cols)
            .map(|r| r.iter().map(|b| f64::from_bits(*b)).collect())
            .collect()
    }
}

/// What every shard of one explainability execution shares.
#[derive(Debug, Serialize, Deserialize)]
struct ExplainPlan {
    format: u32,
    shards: usize,
    features: Vec<String>,
    background: Matrix,
}

/// One shard's rows, and where they start among all the rows.
#[derive(Debug, Serialize, Deserialize)]
struct ExplainInput {
    first: usize,
    rows: Matrix,
}

/// What a shard hands back.
#[derive(Debug, Serialize, Deserialize)]
struct ExplainState {
    format: u32,
    shard: usize,
    part: ShapPart,
    /// InvokeEndpoint requests the shard made (a worker's own predictor).
    endpoint_requests: usize,
}

fn input_file(k: usize) -> String {
    format!("rows-{k}.json")
}

/// `n` rows in `shards` contiguous, non-empty slices of sizes differing by at most one.
fn row_slices(n: usize, shards: usize) -> Vec<Range<usize>> {
    let k = shards.clamp(1, n.max(1));
    (0..k).map(|i| i * n / k..(i + 1) * n / k).collect()
}

/// The SHAP values of the rows, computed in shards.
pub(super) struct Sharded {
    pub parts: Vec<ShapPart>,
    /// Endpoint requests made outside this process (Ray workers).
    pub remote_requests: usize,
}

pub(super) struct ExplainSharding<'a> {
    pub schedule: &'a Schedule,
    pub t: DateTime<Utc>,
    pub rows: &'a [Vec<f64>],
    pub features: &'a [String],
    pub shap: &'a crate::config::analysis::ShapConfig,
    pub algorithm: ShapAlgorithm,
    pub predictor: Arc<Predictor>,
    pub clients: &'a AwsClients,
}

fn refused(shard: usize, of: usize, reason: String, transient: bool) -> ExecutionError {
    ExecutionError::Shard {
        shard,
        of,
        reason,
        transient,
    }
}

fn to_json<T: Serialize>(value: &T, k: usize, of: usize) -> Result<Vec<u8>, ExecutionError> {
    serde_json::to_vec(value)
        .map_err(|e| refused(k, of, format!("not writable as JSON: {e}"), false))
}

fn decode_state(bytes: &[u8], k: usize, of: usize) -> Result<ExplainState, ExecutionError> {
    let state: ExplainState = serde_json::from_slice(bytes)
        .map_err(|e| refused(k, of, format!("its state is not readable: {e}"), false))?;
    if state.format != EXPLAIN_FORMAT || state.shard != k {
        return Err(refused(
            k,
            of,
            format!(
                "the shard's state is format {} for shard {}, expected format {EXPLAIN_FORMAT} for shard {k} (a worker running another driftwatch version?)",
                state.format, state.shard
            ),
            false,
        ));
    }
    Ok(state)
}

impl ExplainSharding<'_> {
    pub async fn explain(&self) -> Result<Sharded, ExecutionError> {
        let background = shap_background(self.rows, self.features, self.shap, &self.predictor)?;
        let slices = row_slices(self.rows.len(), self.schedule.executor.shards);
        let of = slices.len();
        let mut parts = Vec::with_capacity(of);
        let mut remote_requests = 0;
        match &self.schedule.executor.kind {
            ExecutorKind::Local => {
                for (k, r) in slices.iter().enumerate() {
                    let (part, _) = explain_shard(
                        self.rows[r.clone()].to_vec(),
                        r.start,
                        background.clone(),
                        self.features.to_vec(),
                        self.shap.clone(),
                        self.algorithm,
                        self.predictor.clone(),
                    )
                    .await?;
                    // Through the wire form, as a worker's state comes back.
                    let state = ExplainState {
                        format: EXPLAIN_FORMAT,
                        shard: k,
                        part,
                        endpoint_requests: 0,
                    };
                    parts.push(decode_state(&to_json(&state, k, of)?, k, of)?.part);
                }
            }
            ExecutorKind::Ray(ray) => {
                let plan = ExplainPlan {
                    format: EXPLAIN_FORMAT,
                    shards: of,
                    features: self.features.to_vec(),
                    background: Matrix::of(&background),
                };
                let mut inputs = vec![(PLAN_FILE.to_string(), to_json(&plan, 0, of)?)];
                for (k, r) in slices.iter().enumerate() {
                    let input = ExplainInput {
                        first: r.start,
                        rows: Matrix::of(&self.rows[r.clone()]),
                    };
                    inputs.push((input_file(k), to_json(&input, k, of)?));
                }
                let states = super::ray_shards::dispatch(
                    self.schedule,
                    self.t,
                    ray,
                    of,
                    inputs,
                    self.clients,
                )
                .await?;
                let mut read = async || {
                    for k in 0..of {
                        let state = decode_state(&states.take(k).await?, k, of)?;
                        remote_requests += state.endpoint_requests;
                        parts.push(state.part);
                    }
                    Ok::<_, ExecutionError>(())
                };
                let read = read().await;
                // The jobs' files go whether reading them worked or not.
                states.clean_up().await;
                read?;
            }
        }
        Ok(Sharded {
            parts,
            remote_requests,
        })
    }
}

/// A worker's share of an explainability execution (`driftwatch shard`): its rows explained
/// against the coordinator's background with the schedule's model, the state written beside
/// the plan. Returns the rows explained and where the state went.
pub(super) async fn run_worker(
    schedule: &Schedule,
    t: DateTime<Utc>,
    run: &super::shards::RunId,
    k: usize,
    clients: &AwsClients,
) -> Result<(usize, usize, String), ExecutionError> {
    let folder = ShardFolder::open(schedule, t, run, k, clients).await;
    let plan: ExplainPlan = folder.read(PLAN_FILE, 0).await?;
    let of = plan.shards;
    folder.check_format(plan.format, EXPLAIN_FORMAT, of)?;
    let input: ExplainInput = folder.read(&input_file(k), of).await?;
    let (config, _) = super::clarify::config_ref(schedule)?;
    let cfg = analysis_config(config, Purpose::ExplainabilityMonitor, clients).await?;
    let (shap, model) =
        super::explain_window::shap_inputs(&cfg, config.location(), schedule, clients).await?;
    let predictor = model
        .predictor(
            plan.features.clone(),
            cfg.extensions.max_endpoint_requests,
            clients,
        )
        .await?;
    let rows = input.rows.rows();
    let explained = rows.len();
    let (part, requests) = explain_shard(
        rows,
        input.first,
        plan.background.rows(),
        plan.features.clone(),
        shap,
        cfg.extensions.shap_algorithm,
        Arc::new(predictor),
    )
    .await?;
    let state = ExplainState {
        format: EXPLAIN_FORMAT,
        shard: k,
        part,
        endpoint_requests: requests,
    };
    let at = folder.write_state(&state, of).await?;
    Ok((of, explained, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_into_near_equal_contiguous_slices() {
        assert_eq!(row_slices(10, 3), vec![0..3, 3..6, 6..10]);
        assert_eq!(row_slices(2, 4), vec![0..1, 1..2]);
        assert_eq!(row_slices(5, 1), vec![0..5]);
        for n in 1..20 {
            for s in 1..8 {
                let r = row_slices(n, s);
                assert_eq!(r.len(), s.min(n));
                assert_eq!(r.last().map(|r| r.end), Some(n));
                assert!(r.iter().all(|r| !r.is_empty()));
                assert!(r.windows(2).all(|w| w[0].end == w[1].start));
            }
        }
    }

    #[test]
    fn a_matrix_keeps_every_bit_and_nan() {
        let rows = vec![vec![1.5, f64::NAN, -0.0], vec![f64::INFINITY, 0.1, 3.0]];
        let m: Matrix =
            serde_json::from_slice(&serde_json::to_vec(&Matrix::of(&rows)).unwrap()).unwrap();
        let back = m.rows();
        for (a, b) in rows.iter().flatten().zip(back.iter().flatten()) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }
}

//! Where an execution's work runs (`executor:`): in this process (`local`), in one piece or
//! split into `shards` reduced separately and merged exactly; or on a Ray cluster (`ray`),
//! each shard a Ray job submitted through the cluster's Jobs REST API.

use std::time::Duration;

use serde_json::Value;

use super::duration::parse_runtime;
use super::location::Location;
use super::node::{MapReader, Node};
use super::problems::Problems;

/// The most shards one execution splits into (each is a process, a listing slice and a
/// partial-state object).
pub const MAX_SHARDS: usize = 1024;

/// Environment variables a Ray shard job gets from the coordinator unless `forward_env` says
/// otherwise: the region and endpoint overrides, never credentials (a Ray job's runtime
/// environment is readable by anyone with the dashboard; workers use their own AWS chain).
pub const DEFAULT_FORWARD_ENV: &[&str] = &[
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "DRIFTWATCH_LOG",
];

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorConfig {
    /// Capture objects are split into this many contiguous slices (≥ 1).
    pub shards: usize,
    pub kind: ExecutorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExecutorKind {
    /// Shards run one after another in this process.
    Local,
    /// Shards run as Ray jobs.
    Ray(RayExecutor),
}

/// `executor: {type: ray, …}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RayExecutor {
    /// The Ray dashboard (Jobs API), e.g. `http://ray-head:8265`, without a trailing slash.
    pub address: String,
    /// Shard jobs in flight at once.
    pub parallelism: usize,
    /// Submissions of a shard after its first that failed for a reason worth retrying.
    pub retries: u32,
    /// The driftwatch binary on the workers (the same build as the coordinator's).
    pub command: String,
    /// Where workers read the schedules file: the coordinator's own file by default (an
    /// absolute path, so a shared volume or the same image works), or an S3 URI.
    pub config: Option<String>,
    /// CPUs Ray reserves for each shard job (what spreads shards over the nodes).
    pub entrypoint_num_cpus: f64,
    /// How often a running job's status is asked for.
    pub poll: Duration,
    /// The coordinator's environment variables copied into each job's runtime environment.
    pub forward_env: Vec<String>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            shards: 1,
            kind: ExecutorKind::Local,
        }
    }
}

pub const EXECUTOR_KEYS: &[&str] = &[
    "type",
    "shards",
    // The ray executor's own keys from here on (see `RAY_KEYS`).
    "address",
    "parallelism",
    "retries",
    "command",
    "config",
    "entrypoint_num_cpus",
    "poll",
    "forward_env",
];

/// Keys only the ray executor reads: naming one under `type: local` is a mistake to report.
const RAY_KEYS: &[&str] = EXECUTOR_KEYS.split_at(2).1;

impl ExecutorConfig {
    /// Whether the window is reduced in shards rather than in one piece (a Ray executor
    /// always shards, even into one: the work leaves the process).
    pub fn is_sharded(&self) -> bool {
        self.shards > 1 || matches!(self.kind, ExecutorKind::Ray(_))
    }

    pub fn ray(&self) -> Option<&RayExecutor> {
        match &self.kind {
            ExecutorKind::Ray(r) => Some(r),
            ExecutorKind::Local => None,
        }
    }

    /// Fills what defaults to the schedules file itself (`config` of a Ray executor) once
    /// the file's location is known; a relative local path is made absolute, as workers run
    /// elsewhere.
    pub fn locate_config(&mut self, doc: &Location) {
        if let ExecutorKind::Ray(r) = &mut self.kind
            && r.config.is_none()
        {
            r.config = Some(match doc {
                Location::Local(p) => std::path::absolute(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string(),
                s3 => s3.to_string(),
            });
        }
    }

    /// Reads an `executor:` mapping; `path` names it in problems.
    pub fn read(path: &str, value: &Value, problems: &mut Problems) -> Option<Self> {
        let m = MapReader::new(path, value, problems)?;
        let before = problems.len();
        m.reject_unknown(EXECUTOR_KEYS, problems);
        let text = |key: &str, problems: &mut Problems| {
            m.get(key)
                .and_then(|v| Node::new(&m.child_path(key), v).as_str(problems))
                .map(|s| s.trim().to_string())
        };
        let int = |key: &str, lo: i64, hi: i64, problems: &mut Problems| {
            m.get(key)
                .and_then(|v| Node::new(&m.child_path(key), v).as_int_in(lo, hi, problems))
        };
        let kind = text("type", problems).unwrap_or_else(|| "local".into());
        let shards = int("shards", 1, MAX_SHARDS as i64, problems).map_or(1, |s| s as usize);
        let kind = match kind.as_str() {
            "local" => {
                for key in RAY_KEYS {
                    if m.get(key).is_some() {
                        problems.push(m.child_path(key), "only the ray executor reads this key");
                    }
                }
                ExecutorKind::Local
            }
            "ray" => ExecutorKind::Ray(read_ray(&m, shards, problems)),
            other => {
                problems.push(
                    m.child_path("type"),
                    format!("must be local or ray, got {other:?}"),
                );
                ExecutorKind::Local
            }
        };
        (problems.len() == before).then_some(Self { shards, kind })
    }
}

fn read_ray(m: &MapReader, shards: usize, problems: &mut Problems) -> RayExecutor {
    let node = |key: &str| m.get(key).map(|v| (m.child_path(key), v));
    let address = match node("address") {
        None => {
            problems.push(
                m.child_path("address"),
                "missing required key (the Ray dashboard, e.g. http://ray-head:8265)",
            );
            String::new()
        }
        Some((p, v)) => Node::new(&p, v)
            .as_str(problems)
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| {
                let ok = (s.starts_with("http://") || s.starts_with("https://"))
                    && s.split_once("://")
                        .is_some_and(|(_, rest)| !rest.is_empty());
                if !ok {
                    problems.push(
                        &p,
                        format!(
                            "must be an http:// or https:// address of the Ray dashboard, got {s:?}"
                        ),
                    );
                }
                ok
            })
            .unwrap_or_default(),
    };
    let parallelism = node("parallelism")
        .and_then(|(p, v)| Node::new(&p, v).as_int_in(1, MAX_SHARDS as i64, problems))
        .map_or(shards, |x| x as usize);
    let retries = node("retries")
        .and_then(|(p, v)| Node::new(&p, v).as_int_in(0, 10, problems))
        .map_or(2, |x| x as u32);
    let command = node("command")
        .and_then(|(p, v)| {
            let s = Node::new(&p, v).as_str(problems)?.trim().to_string();
            if s.is_empty() {
                problems.push(&p, "must not be empty");
                return None;
            }
            Some(s)
        })
        .unwrap_or_else(|| "driftwatch".into());
    let config = node("config").and_then(|(p, v)| {
        let s = Node::new(&p, v).as_str(problems)?.trim().to_string();
        if s.is_empty() || !(s.starts_with("s3://") || s.starts_with('/')) {
            problems.push(
                &p,
                format!("must be an absolute path or an s3:// URI the workers can read, got {s:?}"),
            );
            return None;
        }
        Some(s)
    });
    let entrypoint_num_cpus = node("entrypoint_num_cpus")
        .and_then(|(p, v)| {
            let x = Node::new(&p, v).as_f64(problems)?;
            if !(0.0..=1024.0).contains(&x) {
                problems.push(&p, format!("must be between 0 and 1024, got {x}"));
                return None;
            }
            Some(x)
        })
        .unwrap_or(1.0);
    let poll = node("poll")
        .and_then(|(p, v)| {
            // Sub-second polls (tests, small clusters) are written in milliseconds.
            let millis = v
                .as_str()
                .and_then(|s| s.trim().strip_suffix("ms"))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .filter(|ms| (10..=60_000).contains(ms))
                .map(Duration::from_millis);
            millis.or_else(|| parse_runtime(v).map_err(|e| problems.push(&p, e)).ok())
        })
        .unwrap_or(Duration::from_secs(1));
    let forward_env = match node("forward_env") {
        None => DEFAULT_FORWARD_ENV.iter().map(|s| s.to_string()).collect(),
        Some((p, v)) => Node::new(&p, v)
            .as_list(problems)
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        let ip = super::node::index_path(&p, i);
                        Node::new(&ip, item).as_str(problems).map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    RayExecutor {
        address,
        parallelism,
        retries,
        command,
        config,
        entrypoint_num_cpus,
        poll,
        forward_env,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Result<ExecutorConfig, Vec<String>> {
        let mut p = Problems::new();
        ExecutorConfig::read("executor", &v, &mut p)
            .ok_or_else(|| p.into_vec().iter().map(|x| x.to_string()).collect())
    }

    #[test]
    fn reads_shards_and_names_the_key_of_each_problem() {
        assert_eq!(
            read(json!({"type": "local", "shards": 16})).unwrap().shards,
            16
        );
        assert!(!read(json!({})).unwrap().is_sharded());
        assert!(read(json!({"shards": 3})).unwrap().is_sharded());
        let e = read(json!({"type": "spark"})).unwrap_err();
        assert!(
            e[0].starts_with("executor.type: must be local or ray"),
            "{e:?}"
        );
        let e = read(json!({"shards": 0})).unwrap_err();
        assert!(e[0].starts_with("executor.shards:"), "{e:?}");
        let e = read(json!({"shards": 2, "shard": 2})).unwrap_err();
        assert!(e[0].starts_with("executor.shard:"), "{e:?}");
        let e = read(json!({"shards": 2, "address": "http://h:8265"})).unwrap_err();
        assert_eq!(
            e,
            ["executor.address: only the ray executor reads this key"]
        );
    }

    #[test]
    fn reads_a_ray_executor_with_defaults() {
        let c = read(json!({"type": "ray", "address": "http://head:8265/", "shards": 4})).unwrap();
        assert!(c.is_sharded());
        let r = c.ray().unwrap();
        assert_eq!(r.address, "http://head:8265");
        assert_eq!((r.parallelism, r.retries), (4, 2));
        assert_eq!(r.command, "driftwatch");
        assert_eq!(r.poll, Duration::from_secs(1));
        assert!(r.forward_env.iter().any(|v| v == "AWS_ENDPOINT_URL"));
        let one = read(json!({"type": "ray", "address": "http://h:1", "poll": "200ms"})).unwrap();
        assert!(
            one.is_sharded(),
            "a ray execution always leaves the process"
        );
        assert_eq!(one.ray().unwrap().poll, Duration::from_millis(200));
    }

    #[test]
    fn ray_problems_name_their_keys() {
        let e = read(json!({"type": "ray"})).unwrap_err();
        assert!(
            e[0].starts_with("executor.address: missing required key"),
            "{e:?}"
        );
        let e = read(json!({"type": "ray", "address": "ray-head:8265"})).unwrap_err();
        assert!(
            e[0].starts_with("executor.address: must be an http://"),
            "{e:?}"
        );
        let e = read(
            json!({"type": "ray", "address": "http://h:1", "config": "rel.yaml", "retries": 99}),
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e.iter()
                .any(|x| x.starts_with("executor.config: must be an absolute path"))
        );
        assert!(
            e.iter()
                .any(|x| x.starts_with("executor.retries: must be between 0 and 10"))
        );
    }

    #[test]
    fn the_workers_config_defaults_to_the_schedules_file() {
        let mut c = read(json!({"type": "ray", "address": "http://h:1"})).unwrap();
        c.locate_config(&Location::Local("/etc/driftwatch/schedules.yaml".into()));
        assert_eq!(
            c.ray().unwrap().config.as_deref(),
            Some("/etc/driftwatch/schedules.yaml")
        );
        let mut c =
            read(json!({"type": "ray", "address": "http://h:1", "config": "s3://b/s.yaml"}))
                .unwrap();
        c.locate_config(&Location::Local("/x.yaml".into()));
        assert_eq!(c.ray().unwrap().config.as_deref(), Some("s3://b/s.yaml"));
    }
}

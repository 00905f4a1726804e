//! Where an execution's work runs (`executor:`). Today: in this process (`local`), either
//! in one piece or split into `shards` that are reduced separately and merged exactly — the
//! seam a distributed executor (Ray jobs, planned) plugs into.

use serde_json::Value;

use super::node::{MapReader, Node};
use super::problems::Problems;

/// The most shards one execution splits into (each is a process, a listing slice and a
/// partial-state object).
pub const MAX_SHARDS: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorConfig {
    /// Capture objects are split into this many contiguous slices (≥ 1).
    pub shards: usize,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self { shards: 1 }
    }
}

pub const EXECUTOR_KEYS: &[&str] = &["type", "shards"];

impl ExecutorConfig {
    /// Whether shards run at all (otherwise the execution reads its window in one piece).
    pub fn is_sharded(&self) -> bool {
        self.shards > 1
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
        match kind.as_str() {
            "local" => {}
            "ray" => problems.push(
                m.child_path("type"),
                "the ray executor is not available in this version yet; use local",
            ),
            other => problems.push(
                m.child_path("type"),
                format!("must be local, got {other:?}"),
            ),
        }
        (problems.len() == before).then_some(Self { shards })
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
        assert!(e[0].starts_with("executor.type: must be local"), "{e:?}");
        let e = read(json!({"type": "ray", "shards": 2})).unwrap_err();
        assert!(
            e[0].starts_with("executor.type: the ray executor is not available"),
            "{e:?}"
        );
        let e = read(json!({"shards": 0})).unwrap_err();
        assert!(e[0].starts_with("executor.shards:"), "{e:?}");
        let e = read(json!({"shards": 2, "shard": 2})).unwrap_err();
        assert!(e[0].starts_with("executor.shard:"), "{e:?}");
    }
}

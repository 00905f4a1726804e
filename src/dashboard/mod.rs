//! The drift dashboard: per schedule, `index.html` (charts of every metric over the whole
//! history with its baseline constraint, the state and since when, the executions and their
//! failure reasons) from `dashboard.json`; per output location, a top-level `index.html` over
//! all its schedules from `overview.json`.
//!
//! Kept current by every execution (so `run`, `backfill`, `serve` and the demo alike): after
//! its record is written, an execution adds itself to its schedule's history and the
//! overview. A history that is missing, unreadable or of an older format is rebuilt from the
//! ledger (every `execution.json` and its analysis files), as is any history on request
//! (`driftwatch dashboard`). Updates of one file are serialized within a process; two
//! processes writing the same output at once may drop each other's entry from a history
//! until the next rebuild (the ledger itself is never affected).

mod history;
mod ledger;
mod overview;
mod page;
mod summary;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

pub use history::{Constraints, Execution, History};

use crate::sagemaker::MonitoringType;
use crate::sagemaker::layout::{DASHBOARD_FILE, INDEX_FILE, OVERVIEW_FILE, schedule_root};
use crate::store::{ObjectStore, Store, StoreError, join_key};
use overview::{Overview, overview_html};

/// Whose dashboard.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub schedule: &'a str,
    pub endpoint: &'a str,
    pub monitoring_type: MonitoringType,
}

impl Identity<'_> {
    pub(super) fn root(&self) -> String {
        schedule_root(self.endpoint, self.schedule)
    }
}

/// One async lock per file address: a process's executions update a file one at a time.
async fn lock(address: String) -> tokio::sync::OwnedMutexGuard<()> {
    static LOCKS: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let m = {
        let mut map = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(address).or_default().clone()
    };
    m.lock_owned().await
}

/// Adds an execution (whose record is already written) to its schedule's dashboard and to
/// the overview, and rewrites both pages.
pub async fn record(
    store: &Store,
    id: Identity<'_>,
    e: &Execution<'_>,
    constraints: Constraints<'_>,
) -> Result<(), StoreError> {
    let root = id.root();
    let key = join_key(&root, DASHBOARD_FILE);
    let guard = lock(store.describe(&key)).await;
    let mut history = match read::<History>(store, &key).await? {
        Some(h)
            if h.format == history::FORMAT
                && h.schedule == id.schedule
                && h.endpoint == id.endpoint =>
        {
            h
        }
        _ => ledger::history(store, id, constraints).await?,
    };
    history.upsert(e, constraints);
    write_history(store, &root, &history).await?;
    drop(guard);
    update_overview(store, &history, &root).await
}

/// Rebuilds a schedule's dashboard from its ledger; returns how many executions it holds.
pub async fn rebuild(
    store: &Store,
    id: Identity<'_>,
    constraints: Constraints<'_>,
) -> Result<usize, StoreError> {
    let root = id.root();
    let guard = lock(store.describe(&join_key(&root, DASHBOARD_FILE))).await;
    let history = ledger::history(store, id, constraints).await?;
    write_history(store, &root, &history).await?;
    drop(guard);
    update_overview(store, &history, &root).await?;
    Ok(history.executions.len())
}

/// A JSON file of ours, or None when missing or unreadable (both mean: build it again).
async fn read<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match store.get(key).await {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                tracing::warn!(file = %store.describe(key), error = %e, "unreadable; rebuilding it");
                Ok(None)
            }
        },
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

async fn write_history(store: &Store, root: &str, h: &History) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(h).unwrap_or_default();
    store.put(&join_key(root, DASHBOARD_FILE), bytes).await?;
    let overview = "../../index.html";
    store
        .put(
            &join_key(root, INDEX_FILE),
            page::schedule_html(h, overview).into_bytes(),
        )
        .await
}

async fn update_overview(store: &Store, h: &History, root: &str) -> Result<(), StoreError> {
    let _guard = lock(store.describe(OVERVIEW_FILE)).await;
    let mut o: Overview = read(store, OVERVIEW_FILE).await?.unwrap_or_default();
    o.format = history::FORMAT;
    o.upsert(h, root);
    store
        .put(OVERVIEW_FILE, serde_json::to_vec(&o).unwrap_or_default())
        .await?;
    store.put(INDEX_FILE, overview_html(&o).into_bytes()).await
}

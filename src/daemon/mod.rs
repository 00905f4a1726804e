//! Running schedules over time. The execution records in each schedule's output location are
//! the ledger: whether a scheduled time still needs an execution is decided from them alone,
//! so a restart at any moment loses nothing and duplicates nothing.
//!
//! - `ledger`: reading a record; `reconcile`: what is due and the retry policy (pure);
//! - `scheduler`: the queue, the dispatcher, shutdown (clock and work injected);
//! - `wake`: cron wake-ups (tokio-cron-scheduler); `state` + `http`: the status endpoint;
//! - `lease`: one daemon per schedule output;
//! - `serve`: wiring and signals; `backfill`: a range of times on demand.

pub mod backfill;
pub(crate) mod http;
pub(crate) mod lease;
pub(crate) mod ledger;
pub mod reconcile;
pub(crate) mod scheduler;
pub mod serve;
pub(crate) mod state;
pub(crate) mod wake;

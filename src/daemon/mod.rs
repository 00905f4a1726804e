//! Running schedules over time. The execution records in each schedule's output location are
//! the ledger: whether a scheduled time still needs an execution is decided from them alone,
//! so a restart at any moment loses nothing and duplicates nothing.
//!
//! Status: the ledger and `backfill`; `serve` (the scheduler, HTTP status, signals) builds on
//! them.

pub mod backfill;
pub mod ledger;

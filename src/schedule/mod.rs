//! Cadences, SageMaker cron strings and window math: when each schedule fires and which data
//! each execution reads.

pub(crate) mod cadence;
pub(crate) mod cron;
pub(crate) mod window;

pub use cadence::{Cadence, Hour, HourInterval, MAX_FIRE_TIMES, SubHourPeriod, TooManyFireTimes};
pub use window::{Window, WindowSpec};
pub mod plan;

//! Wake-up calls from tokio-cron-scheduler at each schedule's fire times (UTC, 6-field cron
//! with seconds). A fire only prompts a reconciliation pass; the pass decides what runs, so
//! a lost or late fire delays an execution by at most the reconciliation interval and never
//! loses it.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::config::ScheduleFile;
use crate::schedule::Cadence;

/// The 6-field cron expression that fires at `cadence`'s times: every cadence's fire times
/// are a set of minutes-of-hour × a set of hours (checked by a test).
pub fn cron_expression(cadence: &Cadence) -> String {
    let minutes = cadence.fire_minutes_of_day();
    let mins: BTreeSet<u32> = minutes.iter().map(|m| m % 60).collect();
    let hours: BTreeSet<u32> = minutes.iter().map(|m| m / 60).collect();
    let list = |s: &BTreeSet<u32>| {
        s.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let hours = if hours.len() == 24 {
        "*".to_string()
    } else {
        list(&hours)
    };
    format!("0 {} {hours} * * *", list(&mins))
}

/// The running wake-up jobs (one per distinct cron expression).
pub struct Wakes {
    scheduler: JobScheduler,
    pub expressions: BTreeSet<String>,
}

impl Wakes {
    pub async fn start(file: &ScheduleFile, wake: Arc<Notify>) -> Result<Self, JobSchedulerError> {
        // One-time schedules have no fire times: the reconciliation starts them.
        let expressions: BTreeSet<String> = file
            .schedules
            .iter()
            .filter(|s| !s.cadence.is_once())
            .map(|s| cron_expression(&s.cadence))
            .collect();
        let scheduler = JobScheduler::new().await?;
        for expr in &expressions {
            let wake = wake.clone();
            let job = Job::new_async(expr.as_str(), move |_, _| {
                let wake = wake.clone();
                Box::pin(async move { wake.notify_one() })
            })?;
            scheduler.add(job).await?;
        }
        scheduler.start().await?;
        Ok(Self {
            scheduler,
            expressions,
        })
    }

    pub async fn stop(mut self) {
        if let Err(e) = self.scheduler.shutdown().await {
            tracing::warn!(error = %e, "stopping the cron wake-ups");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Hour, HourInterval, SubHourPeriod};

    fn cadences() -> Vec<Cadence> {
        vec![
            Cadence::Hourly,
            Cadence::Daily {
                hour: Hour::new(7).unwrap(),
            },
            Cadence::EveryXHours {
                hour_interval: HourInterval::new(5).unwrap(),
                starting_hour: Hour::new(2).unwrap(),
            },
            Cadence::EveryMinutes(SubHourPeriod::M15),
        ]
    }

    #[test]
    fn expressions_name_exactly_the_fire_times() {
        assert_eq!(cron_expression(&cadences()[0]), "0 0 * * * *");
        assert_eq!(cron_expression(&cadences()[1]), "0 0 7 * * *");
        assert_eq!(cron_expression(&cadences()[2]), "0 0 2,7,12,17,22 * * *");
        assert_eq!(cron_expression(&cadences()[3]), "0 0,15,30,45 * * * *");
        // minutes × hours is exactly the cadence's set of fire times.
        for c in cadences() {
            let fire = c.fire_minutes_of_day();
            let mins: BTreeSet<u32> = fire.iter().map(|m| m % 60).collect();
            let hours: BTreeSet<u32> = fire.iter().map(|m| m / 60).collect();
            let product: Vec<u32> = hours
                .iter()
                .flat_map(|h| mins.iter().map(move |m| h * 60 + m))
                .collect();
            assert_eq!(product, fire, "{c:?}");
        }
    }

    #[tokio::test]
    async fn every_expression_is_accepted_by_the_scheduler() {
        for c in cadences() {
            let wake = Arc::new(Notify::new());
            let job = Job::new_async(cron_expression(&c).as_str(), move |_, _| {
                let wake = wake.clone();
                Box::pin(async move { wake.notify_one() })
            });
            assert!(job.is_ok(), "{c:?}: {:?}", job.err());
        }
    }
}

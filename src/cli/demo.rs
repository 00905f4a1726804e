use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{TimeDelta, Timelike, Utc};
use driftwatch::config::check::CheckMode;
use driftwatch::demo::{DemoOptions, run_demo};
use driftwatch::sagemaker::Status;
use driftwatch::sagemaker::time::{format_utc, parse_utc};

pub struct Flags<'a> {
    pub dir: &'a Path,
    pub hours: usize,
    pub seed: u64,
    pub rate: usize,
    pub drift_hours: usize,
    pub end: Option<&'a str>,
    pub check: CheckMode,
    pub baseline_tolerance: f64,
}

/// `driftwatch demo`: prints a table per schedule and where the outputs are. Exit 0 when
/// every execution completed (violations are the point of the demo), 1 otherwise.
pub fn demo_command(f: Flags<'_>) -> anyhow::Result<ExitCode> {
    if f.hours < 7 || f.hours > 24 * 31 {
        anyhow::bail!("--hours must be between 7 and 744, got {}", f.hours);
    }
    if f.rate == 0 || f.rate > 100_000 {
        anyhow::bail!("--rate must be between 1 and 100000 requests per hour");
    }
    let end = match f.end {
        Some(e) => parse_utc(e).map_err(anyhow::Error::msg).context("--end")?,
        None => {
            let now = Utc::now();
            now - TimeDelta::seconds(i64::from(now.minute() * 60 + now.second()))
                - TimeDelta::nanoseconds(i64::from(now.nanosecond()))
        }
    };
    if end.minute() != 0 || end.second() != 0 {
        anyhow::bail!("--end must be a whole hour, got {}", format_utc(end));
    }
    let clock = std::time::Instant::now();
    let options = DemoOptions {
        dir: f.dir.to_path_buf(),
        hours: f.hours,
        seed: f.seed,
        rate: f.rate,
        end,
        drift_hours: f.drift_hours.min(f.hours),
        check: f.check,
        baseline_tolerance: f.baseline_tolerance,
    };
    let s = run_demo(&options)?;
    println!(
        "driftwatch demo: {} hours of census-xgb traffic ({} records) ending {}, drift injected from {}",
        f.hours,
        s.records_written,
        format_utc(end),
        format_utc(s.drift_from)
    );
    println!(
        "data, configs, baselines and outputs in {}",
        s.dir.display()
    );
    for w in &s.baseline_warnings {
        println!("note: {w}");
    }
    println!();
    let mut failed = 0;
    for run in &s.schedules {
        println!("{}:", run.name);
        println!(
            "  {:<22} {:<24} {:>8} {:>10}  detail",
            "scheduled_time", "status", "records", "violations"
        );
        for r in &run.records {
            let detail = if r.status == Status::Failed {
                failed += 1;
                r.failure_reason.clone().unwrap_or_default()
            } else if r.counts.metrics_not_computed > 0 {
                format!("{} metrics not computed", r.counts.metrics_not_computed)
            } else {
                String::new()
            };
            let detail: String = detail.chars().take(70).collect();
            println!(
                "  {:<22} {:<24} {:>8} {:>10}  {detail}",
                format_utc(r.scheduled_time),
                r.status.as_str(),
                r.counts.records_merged,
                r.counts.violations
            );
        }
        let with = run
            .records
            .iter()
            .filter(|r| r.status == Status::CompletedWithViolations)
            .count();
        println!(
            "  {} executions, {} with violations; outputs: {}\n  dashboard: {}\n",
            run.records.len(),
            with,
            run.output.display(),
            run.output.join("index.html").display()
        );
    }
    println!(
        "all schedules: {}\nfinished in {:.1} s. Next: open a dashboard, or run the daemon on this directory:\n  driftwatch serve --config {}",
        s.dir.join("output/index.html").display(),
        clock.elapsed().as_secs_f64(),
        s.dir.join("schedules.yaml").display()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

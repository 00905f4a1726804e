//! The words at the top of a dashboard: what state the schedule is in and since when
//! ("DPPL, DI (Sex=0) beyond baseline since 16:00 UTC").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::history::{History, Point, SeriesKey};
use crate::sagemaker::Status;

/// A schedule's state at a glance, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The latest execution failed or was stopped: monitoring is not working.
    Failing,
    /// The latest execution violated the baseline.
    Drifting,
    /// The latest execution completed, but some metrics were not computed or not checked.
    PartlyChecked,
    Healthy,
    /// No execution yet.
    Empty,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failing => "failing",
            Self::Drifting => "drifting",
            Self::PartlyChecked => "partly checked",
            Self::Healthy => "healthy",
            Self::Empty => "no executions yet",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub state: State,
    /// One sentence each, most important first.
    pub lines: Vec<String>,
}

/// A series' short name: `DPPL (Sex=0)`, `nDCG (label)`, `Age (label)`.
pub fn series_name(key: &SeriesKey) -> String {
    match key {
        SeriesKey::Bias {
            facet,
            facet_value,
            metric,
            ..
        } => format!("{metric} ({facet}={facet_value})"),
        SeriesKey::Ndcg { label } => format!("nDCG ({label})"),
        SeriesKey::Shap { label, feature } => format!("{feature} ({label})"),
        SeriesKey::Drift { feature } => format!("drift of {feature}"),
        SeriesKey::Completeness { feature } => format!("completeness of {feature}"),
        SeriesKey::Quality { metric } => metric.clone(),
        SeriesKey::Estimated { metric } => format!("{metric} (estimated, no labels)"),
    }
}

/// `16:00 UTC` when on `day`'s date, else `2024-01-18 16:00 UTC`.
pub fn when(t: DateTime<Utc>, day: DateTime<Utc>) -> String {
    if t.date_naive() == day.date_naive() {
        t.format("%H:%M UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// When series `i` started violating without a break, looking back from the latest
/// execution: failed executions in between say nothing and are skipped.
fn violating_since(executions: &[Point], i: usize) -> Option<DateTime<Utc>> {
    let mut since = None;
    for p in executions.iter().rev() {
        if !p.status.is_success() {
            continue;
        }
        if p.flag(i) != 'V' {
            break;
        }
        since = Some(p.scheduled_time);
    }
    since
}

pub fn summarize(h: &History) -> Summary {
    let Some(latest) = h.latest() else {
        return Summary {
            state: State::Empty,
            lines: vec!["no executions yet".into()],
        };
    };
    let mut lines = Vec::new();
    let t = latest.scheduled_time;
    if !latest.status.is_success() {
        let failed_run = h
            .executions
            .iter()
            .rev()
            .take_while(|p| !p.status.is_success())
            .count();
        let what = if latest.status == Status::Stopped {
            "was stopped"
        } else {
            "failed"
        };
        lines.push(format!(
            "the latest execution ({}) {what}: {}",
            when(t, t),
            latest
                .failure_reason
                .as_deref()
                .unwrap_or("no reason recorded")
        ));
        if failed_run > 1 {
            lines.push(format!("{failed_run} executions in a row did not complete"));
        }
        if let Some(ok) = h.executions.iter().rev().find(|p| p.status.is_success()) {
            lines.push(format!(
                "last completed execution: {}",
                when(ok.scheduled_time, t)
            ));
        }
        return Summary {
            state: State::Failing,
            lines,
        };
    }
    // Violating series grouped by since when, then by facet: "DPL, KL (Sex=0) beyond
    // baseline since 16:00 UTC".
    let mut groups: Vec<(DateTime<Utc>, String, Vec<String>)> = Vec::new();
    for (i, s) in h.series.iter().enumerate() {
        if latest.flag(i) != 'V' {
            continue;
        }
        let since = violating_since(&h.executions, i).unwrap_or(t);
        let (group, name) = match &s.key {
            SeriesKey::Bias {
                facet,
                facet_value,
                metric,
                ..
            } => (format!("{facet}={facet_value}"), metric.clone()),
            other => (String::new(), series_name(other)),
        };
        match groups.iter_mut().find(|g| g.0 == since && g.1 == group) {
            Some(g) => g.2.push(name),
            None => groups.push((since, group, vec![name])),
        }
    }
    groups.sort_by_key(|g| g.0);
    for (since, group, names) in &groups {
        let scope = if group.is_empty() {
            String::new()
        } else {
            format!(" ({group})")
        };
        lines.push(format!(
            "{}{scope} beyond baseline since {}",
            names.join(", "),
            when(*since, t)
        ));
    }
    if latest.not_computed > 0 {
        lines.push(format!(
            "{} metrics not computed in the latest window: {}",
            latest.not_computed,
            latest.not_computed_reasons.join("; ")
        ));
    }
    if latest.not_checked > 0 {
        lines.push(format!(
            "{} metrics not checked against the baseline in the latest window (see its report)",
            latest.not_checked
        ));
    }
    let state = if !groups.is_empty() {
        State::Drifting
    } else if latest.not_computed > 0 || latest.not_checked > 0 {
        State::PartlyChecked
    } else {
        State::Healthy
    };
    if state == State::Healthy {
        lines.push(format!(
            "the latest execution ({}) completed without violations",
            when(t, t)
        ));
    }
    Summary { state, lines }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sagemaker::{MetricValue, MonitoringType};

    fn point(hour: u32, status: Status, flags: &str) -> Point {
        Point {
            scheduled_time: format!("2024-01-19T{hour:02}:00:00Z").parse().unwrap(),
            status,
            failure_reason: (status == Status::Failed).then(|| "boom".into()),
            failure_class: None,
            records: 100,
            violations: flags.matches('V').count(),
            not_computed: 0,
            not_checked: 0,
            not_computed_reasons: Vec::new(),
            report: None,
            values: vec![MetricValue::new(0.1); flags.len()],
            flags: flags.into(),
        }
    }

    fn history(points: Vec<Point>) -> History {
        let mut h = History::new("s", "ep", MonitoringType::ModelBias);
        for m in ["DPL", "KL", "LP"] {
            h.series.push(super::super::history::Series {
                key: SeriesKey::Bias {
                    stage: "pre_training_bias_metrics".into(),
                    facet: "Sex".into(),
                    facet_value: "0".into(),
                    metric: m.into(),
                },
                baseline: MetricValue::new(0.1),
                neutral: 0.0,
            });
        }
        h.executions = points;
        h
    }

    #[test]
    fn says_which_metrics_drift_since_when() {
        let h = history(vec![
            point(14, Status::Completed, "ooo"),
            point(15, Status::CompletedWithViolations, "Voo"),
            point(16, Status::CompletedWithViolations, "VVV"),
            point(17, Status::Failed, ""),
            point(18, Status::CompletedWithViolations, "VVV"),
        ]);
        let s = summarize(&h);
        assert_eq!(s.state, State::Drifting);
        assert_eq!(
            s.lines,
            [
                "DPL (Sex=0) beyond baseline since 15:00 UTC",
                "KL, LP (Sex=0) beyond baseline since 16:00 UTC"
            ]
        );
    }

    #[test]
    fn a_failing_schedule_says_why_and_for_how_long() {
        let h = history(vec![
            point(14, Status::Completed, "ooo"),
            point(15, Status::Failed, ""),
            point(16, Status::Failed, ""),
        ]);
        let s = summarize(&h);
        assert_eq!(s.state, State::Failing);
        assert_eq!(
            s.lines,
            [
                "the latest execution (16:00 UTC) failed: boom",
                "2 executions in a row did not complete",
                "last completed execution: 14:00 UTC"
            ]
        );
        assert_eq!(summarize(&history(vec![])).state, State::Empty);
    }
}

//! The top-level dashboard of an output location (`index.html` at its root, from
//! `overview.json`): one row per schedule writing there, worst state first, each linking to
//! its own dashboard.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::history::History;
use super::page::{DASHBOARD_STYLE, state_class};
use super::summary::{Summary, summarize};
use crate::report::svg::status_timeline;
use crate::report::{esc, page_end, page_start, status_badge};
use crate::sagemaker::time::{format_utc, rfc3339};
use crate::sagemaker::{MonitoringType, Status};

/// The latest executions a row's time line shows.
const RECENT: usize = 48;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub format: u32,
    pub schedules: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub endpoint: String,
    pub schedule: String,
    pub monitoring_type: MonitoringType,
    /// The schedule's dashboard, relative to the overview.
    pub link: String,
    pub executions: usize,
    pub summary: Summary,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub last_success: Option<DateTime<Utc>>,
    /// The latest executions, oldest first.
    pub recent: Vec<Tick>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    #[serde(with = "rfc3339")]
    pub scheduled_time: DateTime<Utc>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

mod opt_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&crate::sagemaker::time::format_utc(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| crate::sagemaker::time::parse_utc(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl Overview {
    /// Adds or replaces the row of `h`'s schedule; `root` is its folder relative to the
    /// overview.
    pub fn upsert(&mut self, h: &History, root: &str) {
        let row = Row {
            endpoint: h.endpoint.clone(),
            schedule: h.schedule.clone(),
            monitoring_type: h.monitoring_type,
            link: format!("{root}/index.html"),
            executions: h.executions.len(),
            summary: summarize(h),
            last_success: h
                .executions
                .iter()
                .rev()
                .find(|p| p.status.is_success())
                .map(|p| p.scheduled_time),
            recent: h
                .executions
                .iter()
                .rev()
                .take(RECENT)
                .rev()
                .map(|p| Tick {
                    scheduled_time: p.scheduled_time,
                    status: p.status,
                    report: p.report.as_ref().map(|r| format!("{root}/{r}")),
                })
                .collect(),
        };
        match self
            .schedules
            .iter_mut()
            .find(|r| r.endpoint == row.endpoint && r.schedule == row.schedule)
        {
            Some(r) => *r = row,
            None => self.schedules.push(row),
        }
        self.schedules.sort_by(|a, b| {
            (a.summary.state, &a.endpoint, &a.schedule).cmp(&(
                b.summary.state,
                &b.endpoint,
                &b.schedule,
            ))
        });
    }
}

pub fn overview_html(o: &Overview) -> String {
    let mut out = String::new();
    page_start(&mut out, "driftwatch — all schedules", DASHBOARD_STYLE);
    out.push_str("<h1>driftwatch</h1>");
    if o.schedules.is_empty() {
        out.push_str("<p>No schedule has written here yet.</p>");
    }
    out.push_str("<table><tr><th>schedule</th><th>endpoint</th><th>type</th><th>state</th><th>latest executions</th><th>last completed</th></tr>");
    for r in &o.schedules {
        let ticks: Vec<_> = r
            .recent
            .iter()
            .map(|t| {
                (
                    t.scheduled_time.timestamp(),
                    t.status,
                    format!("{} {}", format_utc(t.scheduled_time), t.status.as_str()),
                    t.report.clone(),
                )
            })
            .collect();
        let mut state = String::new();
        let _ = write!(
            state,
            "<div class=\"summary {}\" data-state=\"{}\"><p><b>{}</b></p>",
            state_class(r.summary.state),
            r.summary.state.as_str(),
            esc(r.summary.state.as_str())
        );
        for l in &r.summary.lines {
            let _ = write!(state, "<p>{}</p>", esc(l));
        }
        state.push_str("</div>");
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{state}</td><td>{}{}</td><td>{}</td></tr>",
            esc(&r.link),
            esc(&r.schedule),
            crate::report::endpoint_cell(&r.endpoint),
            r.monitoring_type.as_str(),
            status_timeline(&ticks, 260.0, 6.0),
            r.recent
                .last()
                .map(|t| status_badge(t.status))
                .unwrap_or_default(),
            r.last_success
                .map(format_utc)
                .unwrap_or_else(|| "never".into())
        );
    }
    out.push_str("</table>");
    page_end(&mut out, env!("CARGO_PKG_VERSION"));
    out
}

//! What the steps of an execution accumulate for its record: counts, malformed lines,
//! warnings and the wall time of each stage.

use std::time::Instant;

use crate::capture::read::{CaptureRead, Malformed};
use crate::monitor::Coverage;
use crate::sagemaker::{Counts, OrderedMap};

#[derive(Debug)]
pub struct Trace {
    pub counts: Counts,
    pub malformed: Malformed,
    /// Warnings of the steps before the analysis (reading, merging, framing).
    pub warnings: Vec<String>,
    pub timings: OrderedMap<f64>,
    /// What the analysis could compute and check, once it ran.
    pub coverage: Option<Coverage>,
    clock: Instant,
}

impl Trace {
    pub fn start() -> Self {
        Self {
            counts: Counts::default(),
            malformed: Malformed::default(),
            warnings: Vec::new(),
            timings: OrderedMap::new(),
            coverage: None,
            clock: Instant::now(),
        }
    }

    /// Ends the current stage: its wall time goes into the record under `name`.
    pub fn lap(&mut self, name: &str) {
        let now = Instant::now();
        self.timings.insert(name, (now - self.clock).as_secs_f64());
        self.clock = now;
    }

    /// Records a stage timed elsewhere (e.g. listing inside reading).
    pub fn timing(&mut self, name: &str, secs: f64) {
        self.timings.insert(name, secs);
    }

    /// Takes a capture read's counts, timings and malformed lines into the record.
    pub fn record_capture(&mut self, capture: &mut CaptureRead) {
        self.timing("capture_list", capture.list_seconds);
        self.timing("capture_read", capture.read_seconds);
        self.counts.capture_files = capture.files;
        self.counts.capture_bytes = capture.bytes;
        self.counts.capture_lines = capture.lines;
        self.counts.capture_records = capture.records_in_window;
        self.counts.capture_outside_window = capture.outside_window;
        self.counts.capture_not_selected = capture.not_selected;
        self.counts.capture_malformed = capture.malformed.count;
        self.malformed
            .extend(std::mem::take(&mut capture.malformed));
        self.lap("capture");
    }

    /// Takes the analysis' coverage into the record's counts.
    pub fn record_coverage(&mut self, c: &Coverage) {
        self.counts.metrics_computed = c.computed;
        self.counts.metrics_not_computed = c.not_computed;
        self.counts.metrics_checked = c.checked.unwrap_or(0);
        self.counts.metrics_not_checked = c.checked.map_or(0, |_| c.not_checked.total());
        self.coverage = Some(c.clone());
    }

    pub fn warn(&mut self, w: impl Into<String>) {
        let w = w.into();
        tracing::warn!("{w}");
        self.warnings.push(w);
    }
}

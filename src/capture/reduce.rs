//! A bias window reduced as it streams. Every bias metric but FT is a function of how many
//! records share each combination of facet, group, label and prediction values (and
//! smclarify's type rules look only at the distinct values and the row count), so a merged
//! record shrinks at once to its row of the cells the analysis reads, and identical rows are
//! counted instead of kept: memory follows the distinct rows, not the window. FT compares
//! records by their features, so with FT every record keeps its features (and nothing else).
//!
//! [`BiasPartial`] is the state of any run of records: it serialises, and the partials of
//! consecutive runs merge ([`BiasPartial::absorb`]) into the partial of the whole — what
//! sharding a window across processes builds on. [`crate::capture::frame`] turns the final
//! one into the analysis frame.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::cell::{Cell, RowKey};
use super::frame::{FrameSpec, PREDICTION_COLUMN, generated_name};
use super::quality::{Quality, Role};
use super::read::CapturedEvent;
use super::truth::{Labels, MISS_BATCH, SeqSet, TruthIndex, id_hash};
use crate::config::analysis::{AnalysisConfig, ColumnRef};

/// Which cells of a merged record the analysis keeps, decided once from the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReducePlan {
    pub spec: FrameSpec,
    /// Feature positions a row keeps, in order; `None`: every feature (FT needs them, or the
    /// config has no headers to resolve the columns it names before the data is seen).
    pub kept: Option<Vec<usize>>,
    /// Identical rows are counted once with their number (off when FT needs every record).
    pub distinct: bool,
    /// Positions of the schedule's excluded features: not tallied for data quality.
    excluded_at: Vec<usize>,
    /// The facets' column names (a facet's gaps affect FT only for the other facets).
    #[serde(default)]
    facets: Vec<String>,
}

impl ReducePlan {
    /// True when `name` is a facet's column.
    pub fn is_facet(&self, name: &str) -> bool {
        self.facets.iter().any(|f| f == name)
    }

    pub fn new(spec: FrameSpec, cfg: &AnalysisConfig) -> Self {
        let ft = cfg.requests_ft();
        let excluded_at = spec
            .excluded
            .iter()
            .filter_map(|n| match &spec.features {
                Some(f) => f.iter().position(|c| c == n),
                // Without headers only generated names (`column_3`) can name a feature.
                None => n
                    .strip_prefix("column_")
                    .and_then(|i| i.parse::<usize>().ok())
                    .filter(|i| generated_name(*i) == *n),
            })
            .collect();
        let kept = if ft {
            None
        } else {
            spec.features
                .as_ref()
                .and_then(|f| kept_positions(f, &spec, cfg))
        };
        let facets = cfg
            .facets
            .iter()
            .map(|f| match &f.column {
                ColumnRef::Name(n) => n.clone(),
                ColumnRef::Index(i) => spec
                    .features
                    .as_ref()
                    .and_then(|names| names.get(*i).cloned())
                    .unwrap_or_else(|| generated_name(*i)),
            })
            .collect();
        Self {
            spec,
            kept,
            distinct: !ft,
            excluded_at,
            facets,
        }
    }

    /// The config the engine runs with on the reduced frame: [`FrameSpec::engine_config`],
    /// with columns named by position renamed (positions change when features are left out).
    pub fn engine_config(&self, cfg: &AnalysisConfig) -> AnalysisConfig {
        let mut c = self.spec.engine_config(cfg);
        if let (Some(_), Some(features)) = (&self.kept, &self.spec.features) {
            c.name_positions(&full_columns(features, &self.spec));
        }
        c
    }

    /// The names of the feature cells a row of `width` features keeps.
    pub fn kept_names(&self, width: usize) -> Vec<String> {
        let all: Vec<String> = match &self.spec.features {
            Some(f) => f.clone(),
            None => (0..width).map(generated_name).collect(),
        };
        match &self.kept {
            Some(k) => k.iter().filter_map(|&i| all.get(i).cloned()).collect(),
            None => all,
        }
    }

    fn quality(&self, width: usize) -> Quality {
        let names = match &self.spec.features {
            Some(f) => f.clone(),
            None => (0..width).map(generated_name).collect(),
        };
        Quality::new(
            names
                .into_iter()
                .map(|n| {
                    let role = if self.facets.contains(&n) {
                        Role::Facet
                    } else {
                        Role::Feature
                    };
                    (n, role)
                })
                .chain([
                    (self.spec.label.clone(), Role::Label),
                    ("endpoint output".to_string(), Role::Prediction),
                ]),
        )
    }
}

/// The frame's columns before reduction: features not excluded, the label, the predictions.
fn full_columns(features: &[String], spec: &FrameSpec) -> Vec<String> {
    features
        .iter()
        .filter(|f| !spec.excluded.contains(f))
        .cloned()
        .chain([spec.label.clone(), PREDICTION_COLUMN.to_string()])
        .collect()
}

/// The feature positions the engine reads (facets, group variable, and the columns it must
/// find: excluded columns, join source); `None` when one of them does not resolve, so the
/// engine sees every column and reports the mistake as it would on the full frame.
fn kept_positions(
    features: &[String],
    spec: &FrameSpec,
    cfg: &AnalysisConfig,
) -> Option<Vec<usize>> {
    let full = full_columns(features, spec);
    let mut kept = Vec::new();
    for r in cfg.feature_refs() {
        let name = r.resolve_in(&full)?;
        if let Some(p) = features.iter().position(|f| f == name)
            && !kept.contains(&p)
        {
            kept.push(p);
        }
    }
    kept.sort_unstable();
    Some(kept)
}

/// Counts of the join.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinCounts {
    /// Records merged with their labels.
    pub merged: usize,
    /// Captured records with no ground truth (or whose event's labels did not fit).
    pub unmatched_captures: usize,
    /// Labels of events whose label count differs from the captured records'.
    pub mismatched_labels: usize,
    /// Such events.
    pub mismatched_events: usize,
}

impl JoinCounts {
    fn add(&mut self, o: JoinCounts) {
        self.merged += o.merged;
        self.unmatched_captures += o.unmatched_captures;
        self.mismatched_labels += o.mismatched_labels;
        self.mismatched_events += o.mismatched_events;
    }
}

/// Distinct rows in order of first appearance, with how many records have each (the order
/// is the insertion order, so a fast hash changes nothing but the time).
type RowCounts = IndexMap<RowKey, u64, foldhash::fast::RandomState>;

#[derive(Debug, Clone, PartialEq)]
enum Rows {
    /// Distinct rows in order of first appearance, with how many records have each.
    Distinct(RowCounts),
    /// Every record's row, in order.
    Every(Vec<RowKey>),
}

/// The reduced state of a run of merged records: rows of (kept features, label, prediction),
/// data-quality tallies per feature count, join counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Wire", from = "Wire")]
pub struct BiasPartial {
    rows: Rows,
    /// By the number of features the records had (one entry when the config has headers).
    quality: BTreeMap<usize, Quality>,
    pub join: JoinCounts,
}

/// The serialised form: rows as (cells, count) pairs.
#[derive(Serialize, Deserialize)]
struct Wire {
    distinct: bool,
    rows: Vec<(Box<[Cell]>, u64)>,
    quality: BTreeMap<usize, Quality>,
    join: JoinCounts,
}

impl From<BiasPartial> for Wire {
    fn from(p: BiasPartial) -> Self {
        let (distinct, rows) = match p.rows {
            Rows::Distinct(m) => (true, m.into_iter().map(|(k, n)| (k.0, n)).collect()),
            Rows::Every(v) => (false, v.into_iter().map(|k| (k.0, 1)).collect()),
        };
        Wire {
            distinct,
            rows,
            quality: p.quality,
            join: p.join,
        }
    }
}

impl From<Wire> for BiasPartial {
    fn from(w: Wire) -> Self {
        let rows = if w.distinct {
            let mut m = RowCounts::with_capacity_and_hasher(w.rows.len(), Default::default());
            for (cells, n) in w.rows {
                *m.entry(RowKey(cells)).or_default() += n;
            }
            Rows::Distinct(m)
        } else {
            Rows::Every(
                w.rows
                    .into_iter()
                    .flat_map(|(c, n)| std::iter::repeat_n(RowKey(c), n as usize))
                    .collect(),
            )
        };
        Self {
            rows,
            quality: w.quality,
            join: w.join,
        }
    }
}

impl BiasPartial {
    pub fn new(plan: &ReducePlan) -> Self {
        Self {
            rows: if plan.distinct {
                Rows::Distinct(RowCounts::default())
            } else {
                Rows::Every(Vec::new())
            },
            quality: BTreeMap::new(),
            join: JoinCounts::default(),
        }
    }

    /// Adds one merged record of capture event `id`.
    pub fn add(
        &mut self,
        plan: &ReducePlan,
        id: &str,
        features: Vec<Cell>,
        label: Cell,
        prediction: Cell,
    ) {
        let width = features.len();
        let q = self
            .quality
            .entry(width)
            .or_insert_with(|| plan.quality(width));
        for (j, v) in features.iter().enumerate() {
            if !plan.excluded_at.contains(&j) {
                q.observe(j, v, id);
            }
        }
        q.observe(width, &label, id);
        q.observe(width + 1, &prediction, id);
        let mut row: Vec<Cell> = match &plan.kept {
            Some(k) => {
                let mut r = Vec::with_capacity(k.len() + 2);
                r.extend(
                    k.iter()
                        .map(|&j| features.get(j).cloned().unwrap_or(Cell::Null)),
                );
                r
            }
            None => {
                let mut r = features;
                r.reserve_exact(2);
                r
            }
        };
        row.push(label);
        row.push(prediction);
        let key = RowKey(row.into_boxed_slice());
        match &mut self.rows {
            Rows::Distinct(m) => *m.entry(key).or_default() += 1,
            Rows::Every(v) => v.push(key),
        }
        self.join.merged += 1;
    }

    /// Appends the state of the records that come after these.
    pub fn absorb(&mut self, later: BiasPartial) {
        match (&mut self.rows, later.rows) {
            (Rows::Distinct(m), Rows::Distinct(l)) => {
                for (k, n) in l {
                    *m.entry(k).or_default() += n;
                }
            }
            (Rows::Every(v), Rows::Every(l)) => v.extend(l),
            // Partials of one plan share a kind; mixing them keeps every count.
            (Rows::Distinct(m), Rows::Every(l)) => {
                for k in l {
                    *m.entry(k).or_default() += 1;
                }
            }
            (Rows::Every(v), Rows::Distinct(l)) => {
                for (k, n) in l {
                    v.extend(std::iter::repeat_n(k, n as usize));
                }
            }
        }
        for (w, q) in later.quality {
            match self.quality.get_mut(&w) {
                Some(mine) => mine.absorb(q),
                None => {
                    self.quality.insert(w, q);
                }
            }
        }
        self.join.add(later.join);
    }

    /// Distinct rows held (every record's row without deduplication).
    pub fn rows_held(&self) -> usize {
        match &self.rows {
            Rows::Distinct(m) => m.len(),
            Rows::Every(v) => v.len(),
        }
    }

    /// The rows with their counts, in order, and the quality tallies.
    pub fn into_parts(self) -> (Vec<(RowKey, u64)>, BTreeMap<usize, Quality>) {
        let rows = match self.rows {
            Rows::Distinct(m) => m.into_iter().collect(),
            Rows::Every(v) => v.into_iter().map(|k| (k, 1)).collect(),
        };
        (rows, self.quality)
    }
}

/// One capture file's events joined and reduced, and the ground-truth entries its events
/// claimed (in order), for [`TruthIndex::claim`].
#[derive(Debug)]
pub struct FileReduced {
    pub partial: BiasPartial,
    pub claims: Vec<u32>,
}

/// Joins one file's events with the ground truth and reduces them, in order. `taken`: entries
/// earlier files claimed (their events here are unmatched, as a second event with one id is).
pub struct FileReducer<'a> {
    truth: &'a TruthIndex,
    plan: &'a ReducePlan,
    taken: &'a SeqSet,
    mine: SeqSet,
    out: FileReduced,
    /// Events whose ids are looked up together (see [`MISS_BATCH`]), in arrival order.
    pending: Vec<CapturedEvent>,
    found: Vec<Option<Labels<'a>>>,
}

impl<'a> FileReducer<'a> {
    pub fn new(truth: &'a TruthIndex, plan: &'a ReducePlan, taken: &'a SeqSet) -> Self {
        Self {
            truth,
            plan,
            taken,
            mine: SeqSet::default(),
            out: FileReduced {
                partial: BiasPartial::new(plan),
                claims: Vec::new(),
            },
            pending: Vec::with_capacity(MISS_BATCH),
            found: Vec::with_capacity(MISS_BATCH),
        }
    }

    pub fn event(&mut self, e: CapturedEvent) {
        self.pending.push(e);
        if self.pending.len() >= MISS_BATCH {
            self.flush();
        }
    }

    /// Joins the pending events, in order: the lookups first (the index is read-only here,
    /// so looking up early changes nothing), then each event.
    fn flush(&mut self) {
        let mut hashes = [0; MISS_BATCH];
        for (h, e) in hashes.iter_mut().zip(&self.pending) {
            *h = id_hash(&e.key);
        }
        let truth = self.truth;
        let mut found = std::mem::take(&mut self.found);
        found.extend(
            hashes
                .iter()
                .take(self.pending.len())
                .map(|&h| truth.lookup(h)),
        );
        let mut pending = std::mem::take(&mut self.pending);
        for (e, labels) in pending.drain(..).zip(found.drain(..)) {
            self.join(e, labels);
        }
        self.pending = pending;
        self.found = found;
    }

    fn join(&mut self, e: CapturedEvent, found: Option<Labels<'_>>) {
        let n = e.records.len();
        let partial = &mut self.out.partial;
        let labels = match found {
            Some(l) if !self.taken.contains(&l.seq) && self.mine.insert(l.seq) => l,
            _ => {
                partial.join.unmatched_captures += n;
                return;
            }
        };
        self.out.claims.push(labels.seq);
        if labels.count() != n {
            partial.join.mismatched_events += 1;
            partial.join.unmatched_captures += n;
            partial.join.mismatched_labels += labels.count();
            return;
        }
        for (i, (features, prediction)) in e.records.into_iter().enumerate() {
            partial.add(self.plan, &e.key, features, labels.get(i), prediction);
        }
    }

    pub fn finish(mut self) -> FileReduced {
        self.flush();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::analysis::{ColumnRef, FacetConfig};

    fn event(key: &str, rows: &[(i64, i64)]) -> CapturedEvent {
        CapturedEvent {
            key: key.into(),
            line: 1,
            records: rows
                .iter()
                .map(|&(a, b)| (vec![Cell::Int(a), Cell::Int(b)], Cell::Int(a % 2)))
                .collect(),
        }
    }

    fn plan(facet: ColumnRef) -> ReducePlan {
        let cfg = AnalysisConfig {
            headers: Some(vec!["a".into(), "b".into(), "y".into()]),
            label: Some(ColumnRef::Name("y".into())),
            facets: vec![FacetConfig {
                column: facet,
                values: None,
            }],
            ..Default::default()
        };
        ReducePlan::new(FrameSpec::new(&cfg, None, None).unwrap(), &cfg)
    }

    fn reduce_events(
        events: Vec<CapturedEvent>,
        truth: &TruthIndex,
        plan: &ReducePlan,
        taken: &SeqSet,
    ) -> FileReduced {
        let mut r = FileReducer::new(truth, plan, taken);
        events.into_iter().for_each(|e| r.event(e));
        r.finish()
    }

    fn truth(entries: &[(&str, &[i64])]) -> TruthIndex {
        let mut t = TruthIndex::default();
        for (id, labels) in entries {
            t.insert(id_hash(id), labels.iter().map(|l| Cell::Int(*l)))
                .unwrap();
        }
        t
    }

    #[test]
    fn keeps_only_the_facet_and_counts_identical_rows() {
        let p = plan(ColumnRef::Index(1));
        assert_eq!(p.kept, Some(vec![1]));
        assert_eq!(
            p.engine_config(&AnalysisConfig {
                facets: vec![FacetConfig {
                    column: ColumnRef::Index(1),
                    values: None
                }],
                label: Some(ColumnRef::Name("y".into())),
                ..Default::default()
            })
            .facets[0]
                .column,
            ColumnRef::Name("b".into())
        );
        let t = truth(&[("e1", &[1]), ("e2", &[1, 0]), ("e3", &[0]), ("e9", &[1])]);
        let events = vec![
            event("e1", &[(5, 7)]),
            event("e2", &[(6, 7), (8, 7)]),
            event("e3", &[(1, 2), (3, 4)]),
            event("e4", &[(1, 1)]),
            event("e1", &[(5, 7)]),
        ];
        let r = reduce_events(events, &t, &p, &SeqSet::default());
        assert_eq!(
            r.partial.join,
            JoinCounts {
                merged: 3,
                unmatched_captures: 2 + 1 + 1,
                mismatched_labels: 1,
                mismatched_events: 1
            },
            "e3 has 1 label for 2 records; e4 none; the second e1 finds e1 taken"
        );
        assert_eq!(r.claims.len(), 3);
        // (b=7, y=1, ŷ=1), (b=7, y=1, ŷ=0) ×1, (b=7, y=0, ŷ=0)
        let (rows, _) = r.partial.into_parts();
        let counts: Vec<u64> = rows.iter().map(|(_, n)| *n).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(counts.iter().sum::<u64>(), 3);
    }

    #[test]
    fn partials_merge_into_the_partial_of_the_whole_and_round_trip() {
        let p = plan(ColumnRef::Name("a".into()));
        let t = truth(&[("e1", &[1]), ("e2", &[0, 1]), ("e3", &[1])]);
        let all = || {
            vec![
                event("e1", &[(1, 0)]),
                event("e2", &[(2, 0), (1, 0)]),
                event("e3", &[(1, 9)]),
            ]
        };
        let whole = reduce_events(all(), &t, &p, &SeqSet::default()).partial;
        let mut parts = all().into_iter();
        let mut first =
            reduce_events(parts.by_ref().take(2).collect(), &t, &p, &SeqSet::default()).partial;
        let second = reduce_events(parts.collect(), &t, &p, &SeqSet::default()).partial;
        first.absorb(second);
        assert_eq!(first, whole);
        let text = serde_json::to_string(&whole).unwrap();
        let back: BiasPartial = serde_json::from_str(&text).unwrap();
        assert_eq!(back, whole);
        assert_eq!(
            whole.rows_held(),
            2,
            "a=1,y=1,ŷ=1 three times; a=2,y=0,ŷ=0 once"
        );
    }

    #[test]
    fn an_unresolvable_column_keeps_every_feature() {
        assert_eq!(plan(ColumnRef::Name("nope".into())).kept, None);
        assert_eq!(plan(ColumnRef::Index(7)).kept, None);
    }
}

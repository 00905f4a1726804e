//! A time-series dataset read into items: each item's timestamps, its target over the context,
//! its related series over the context and the future, and its static covariates — from the
//! three JSON layouts the SDK documents (`TimeSeriesJSONDatasetFormat`) or column indexes.
//!
//! How the fields are evaluated (the SDK shows the paths, not how they are applied):
//! - `columns`: every path on the whole document gives one value per row (item × timestamp);
//! - `timestamp_records`: the document is a list of rows; every path is applied to each row
//!   alone (as `[row]`), so a row without a target (a future step) keeps its place — applied
//!   to the whole list, a projection would drop it and misalign the columns;
//! - `item_records`: the document is a list of items; every path is applied to each item
//!   alone (`[item]`): the id and the static covariates give one value, the timestamps and the
//!   series a list (DeepAR's `[].target` gives `[[…]]`, unwrapped);
//! - column indexes: the document is a list of rows, each a list of cells.
//!
//! Rows are grouped by item id in order of first appearance and sorted by timestamp. The
//! target's context is its leading non-null values; the rows after it are the future, where
//! only the related series have values.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::Value;

use crate::capture::payload::JsonPath;
use crate::config::analysis::time_series::{TimeSeriesDataConfig, TsDatasetFormat, TsField};

/// Most items one dataset may hold, and most timestamps per item.
pub const MAX_ITEMS: usize = 100_000;
pub const MAX_STEPS: usize = 10_000;

/// One item's series.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// As given in the data (echoed in the output).
    pub id: Value,
    /// Every timestamp, context then future, as given.
    pub timestamps: Vec<Value>,
    /// The target at the first `target.len()` timestamps (the context).
    pub target: Vec<f64>,
    /// Per related series, a value at every timestamp.
    pub related: Vec<Vec<f64>>,
    /// The static covariates' values.
    pub statics: Vec<Value>,
}

impl Item {
    /// The id as text: how static-covariate baselines name it, and how messages do.
    pub fn key(&self) -> String {
        id_key(&self.id)
    }
}

/// One thing per field of the data config, in its order.
#[derive(Debug, Clone, PartialEq)]
struct Fields<T> {
    item_id: T,
    timestamp: T,
    target: T,
    related: Vec<T>,
    statics: Vec<T>,
}

impl<'a> Fields<&'a TsField> {
    fn of(cfg: &'a TimeSeriesDataConfig) -> Self {
        Self {
            item_id: &cfg.item_id,
            timestamp: &cfg.timestamp,
            target: &cfg.target_time_series,
            related: cfg.related_time_series.iter().collect(),
            statics: cfg.static_covariates.iter().collect(),
        }
    }
}

impl<T> Fields<T> {
    /// `f` of every field, with its key in the data config (`related_time_series[1]`).
    fn try_map<U, E>(&self, mut f: impl FnMut(&T, &str) -> Result<U, E>) -> Result<Fields<U>, E> {
        let list = |xs: &[T], key: &str, f: &mut dyn FnMut(&T, &str) -> Result<U, E>| {
            xs.iter()
                .enumerate()
                .map(|(i, x)| f(x, &format!("{key}[{i}]")))
                .collect::<Result<Vec<U>, E>>()
        };
        Ok(Fields {
            item_id: f(&self.item_id, "item_id")?,
            timestamp: f(&self.timestamp, "timestamp")?,
            target: f(&self.target, "target_time_series")?,
            related: list(&self.related, "related_time_series", &mut f)?,
            statics: list(&self.statics, "static_covariates", &mut f)?,
        })
    }
}

pub fn id_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The feature names of the output: `headers` (item id, timestamp, target, related…,
/// static…) when given, else each field's name (the path's last identifier when the names
/// stay distinct, else the whole path; `column_<i>` for an index).
#[derive(Debug, Clone, PartialEq)]
pub struct Names {
    pub target: String,
    pub related: Vec<String>,
    pub statics: Vec<String>,
}

impl Names {
    pub fn of(cfg: &TimeSeriesDataConfig, headers: Option<&[String]>) -> Result<Self, String> {
        let (r, s) = (cfg.related_time_series.len(), cfg.static_covariates.len());
        // With column indexes, the headers name the rows' columns (the SDK writes them so).
        if let (Some(h), TsField::Index(_)) = (headers, &cfg.target_time_series) {
            let n = Fields::of(cfg).try_map(|f, _| match f {
                TsField::Index(i) => h
                    .get(*i)
                    .cloned()
                    .ok_or_else(|| format!("headers: has {} names, none for column {i}", h.len())),
                TsField::Path(p) => Ok(p.clone()),
            })?;
            return Ok(Self {
                target: n.target,
                related: n.related,
                statics: n.statics,
            });
        }
        if let Some(h) = headers {
            if h.len() != 3 + r + s {
                return Err(format!(
                    "headers: has {} names; a time-series dataset needs {} (item_id, timestamp, target_time_series, {r} related_time_series, {s} static_covariates, in that order)",
                    h.len(),
                    3 + r + s
                ));
            }
            return Ok(Self {
                target: h[2].clone(),
                related: h[3..3 + r].to_vec(),
                statics: h[3 + r..].to_vec(),
            });
        }
        let fields: Vec<&TsField> = std::iter::once(&cfg.target_time_series)
            .chain(&cfg.related_time_series)
            .chain(&cfg.static_covariates)
            .collect();
        let short: Vec<String> = fields.iter().map(|f| short_name(f)).collect();
        let distinct = short
            .iter()
            .enumerate()
            .all(|(i, a)| short[..i].iter().all(|b| a != b));
        let names: Vec<String> = if distinct {
            short
        } else {
            fields.iter().map(|f| full_name(f)).collect()
        };
        Ok(Self {
            target: names[0].clone(),
            related: names[1..1 + r].to_vec(),
            statics: names[1 + r..].to_vec(),
        })
    }
}

fn full_name(f: &TsField) -> String {
    match f {
        TsField::Path(p) => p.clone(),
        TsField::Index(i) => format!("column_{i}"),
    }
}

fn short_name(f: &TsField) -> String {
    let TsField::Path(p) = f else {
        return full_name(f);
    };
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    p.split(|c: char| !ident(c))
        .rev()
        .find(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        })
        .map_or_else(|| p.clone(), str::to_string)
}

/// A timestamp's place in time: numbers by value, text as an ISO 8601 date or date-time.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Instant {
    Number(f64),
    /// Seconds since the epoch (a zone-less time read as UTC).
    Time(f64),
}

fn instant(v: &Value) -> Option<Instant> {
    match v {
        Value::Number(n) => n.as_f64().map(Instant::Number),
        Value::String(s) => parse_time(s.trim()).map(Instant::Time),
        _ => None,
    }
}

fn parse_time(s: &str) -> Option<f64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) * 1e-9);
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            let t = t.and_utc();
            return Some(t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) * 1e-9);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp() as f64)
}

/// One row of a row-based layout, before grouping.
struct Row {
    values: Fields<Value>,
    /// Where it came from, for messages ("row 7").
    at: String,
}

type Paths = Fields<JsonPath>;

fn compile(f: &TsField, key: &str) -> Result<JsonPath, String> {
    match f {
        TsField::Path(p) => {
            JsonPath::compile(p).map_err(|e| format!("time_series_data_config.{key}: {e}"))
        }
        TsField::Index(_) => Err(format!(
            "time_series_data_config.{key}: expected a JMESPath"
        )),
    }
}

fn paths(cfg: &TimeSeriesDataConfig) -> Result<Paths, String> {
    Fields::of(cfg).try_map(|f, key| compile(f, key))
}

/// Reads the items of a dataset document.
pub fn read_items(doc: &Value, cfg: &TimeSeriesDataConfig) -> Result<Vec<Item>, String> {
    let items = match (cfg.dataset_format, &cfg.target_time_series) {
        (None, _) => group(index_rows(doc, cfg)?)?,
        (Some(TsDatasetFormat::Columns), _) => group(column_rows(doc, &paths(cfg)?)?)?,
        (Some(TsDatasetFormat::TimestampRecords), _) => group(record_rows(doc, &paths(cfg)?)?)?,
        (Some(TsDatasetFormat::ItemRecords), _) => item_records(doc, &paths(cfg)?)?,
    };
    if items.is_empty() {
        return Err("the dataset holds no items".into());
    }
    if items.len() > MAX_ITEMS {
        return Err(format!(
            "the dataset holds {} items; at most {MAX_ITEMS} are explained in one analysis",
            items.len()
        ));
    }
    Ok(items)
}

fn index_rows(doc: &Value, cfg: &TimeSeriesDataConfig) -> Result<Vec<Row>, String> {
    let rows = doc.as_array().ok_or(
        "with column indexes the dataset must be a JSON list of rows (each a list of cells)",
    )?;
    let idx = |f: &TsField| match f {
        TsField::Index(i) => *i,
        TsField::Path(_) => 0,
    };
    rows.iter()
        .enumerate()
        .map(|(r, row)| {
            let cells = row
                .as_array()
                .ok_or_else(|| format!("row {r}: is not a list of cells"))?;
            let cell = |f: &TsField| -> Result<Value, String> {
                cells.get(idx(f)).cloned().ok_or_else(|| {
                    format!("row {r}: has {} cells, no column {}", cells.len(), idx(f))
                })
            };
            Ok(Row {
                values: Fields::of(cfg).try_map(|f, _| cell(f))?,
                at: format!("row {r}"),
            })
        })
        .collect()
}

fn column(doc: &Value, path: &JsonPath) -> Result<Vec<Value>, String> {
    match path.search(doc)? {
        Value::Array(a) => Ok(a),
        Value::Null => Err(format!("{:?} finds nothing in the dataset", path.text())),
        other => Err(format!(
            "{:?} gives {}, not a list of values (columns: one value per row)",
            path.text(),
            crate::capture::payload::truncate(&other.to_string())
        )),
    }
}

fn column_rows(doc: &Value, p: &Paths) -> Result<Vec<Row>, String> {
    let n = column(doc, &p.item_id)?.len();
    let columns = p.try_map(|path, _| {
        let c = column(doc, path)?;
        if c.len() != n {
            return Err(format!(
                "{:?} has {} values but {:?} has {n}: every column needs one value per row",
                path.text(),
                c.len(),
                p.item_id.text()
            ));
        }
        Ok(c)
    })?;
    let pick = |c: &Vec<Value>, r: usize| c[r].clone();
    Ok((0..n)
        .map(|r| Row {
            values: Fields {
                item_id: pick(&columns.item_id, r),
                timestamp: pick(&columns.timestamp, r),
                target: pick(&columns.target, r),
                related: columns.related.iter().map(|c| pick(c, r)).collect(),
                statics: columns.statics.iter().map(|c| pick(c, r)).collect(),
            },
            at: format!("row {r}"),
        })
        .collect())
}

/// One record as the paths see it alone: `[record]`.
fn alone(record: &Value) -> Value {
    Value::Array(vec![record.clone()])
}

/// A path applied to one record alone (`wrapped` = [`alone`]): its one value, or null.
fn one(wrapped: &Value, path: &JsonPath) -> Result<Value, String> {
    Ok(match path.search(wrapped)? {
        Value::Array(mut a) if a.len() <= 1 => a.pop().unwrap_or(Value::Null),
        other => other,
    })
}

fn record_rows(doc: &Value, p: &Paths) -> Result<Vec<Row>, String> {
    let records = doc
        .as_array()
        .ok_or("timestamp_records: the dataset must be a JSON list of records (one per item and timestamp)")?;
    records
        .iter()
        .enumerate()
        .map(|(r, rec)| {
            let wrapped = alone(rec);
            Ok(Row {
                values: p.try_map(|path, _| one(&wrapped, path))?,
                at: format!("record {r}"),
            })
        })
        .collect()
}

fn number(v: &Value, what: impl Fn() -> String) -> Result<f64, String> {
    v.as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{}: {} is not a finite number", what(), truncate(v)))
}

fn truncate(v: &Value) -> String {
    crate::capture::payload::truncate(&v.to_string())
}

/// Rows grouped into items (first appearance), each sorted by time.
fn group(rows: Vec<Row>) -> Result<Vec<Item>, String> {
    let mut order: Vec<(Value, Vec<Row>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows {
        if row.values.item_id.is_null() {
            return Err(format!("{}: has no item id", row.at));
        }
        let slot = *index.entry(id_key(&row.values.item_id)).or_insert_with(|| {
            order.push((row.values.item_id.clone(), Vec::new()));
            order.len() - 1
        });
        order[slot].1.push(row);
    }
    order
        .into_iter()
        .map(|(id, rows)| {
            let key = id_key(&id);
            let mut timed = Vec::with_capacity(rows.len());
            for r in rows {
                let t = instant(&r.values.timestamp)
                    .ok_or_else(|| unparsable(&key, &r.at, &r.values.timestamp))?;
                timed.push((t, r));
            }
            // Stable: rows with equal times keep their order (and are then refused).
            timed.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
            let statics = timed.first().map(|(_, r)| r.values.statics.clone()).unwrap_or_default();
            if let Some((_, r)) = timed.iter().find(|(_, r)| r.values.statics != statics) {
                return Err(format!(
                    "item {key:?}, {}: its static covariates {} differ from the item's first row's {}",
                    r.at,
                    truncate(&Value::Array(r.values.statics.clone())),
                    truncate(&Value::Array(statics.clone()))
                ));
            }
            let width = timed.first().map_or(0, |(_, r)| r.values.related.len());
            let at: Vec<String> = timed.iter().map(|(_, r)| r.at.clone()).collect();
            let mut timestamps = Vec::with_capacity(timed.len());
            let mut target = Vec::with_capacity(timed.len());
            let mut related = vec![Vec::with_capacity(timed.len()); width];
            for (_, r) in timed {
                timestamps.push(r.values.timestamp);
                target.push(r.values.target);
                for (k, v) in r.values.related.into_iter().enumerate() {
                    related[k].push(v);
                }
            }
            finish_item(id, timestamps, target, related, statics, &|i| at[i].clone())
        })
        .collect()
}

fn unparsable(key: &str, at: &str, v: &Value) -> String {
    format!(
        "item {key:?}, {at}: the timestamp {} does not parse (expected a number, a date YYYY-MM-DD, or an ISO 8601 date and time)",
        truncate(v)
    )
}

/// Checks one item's aligned lists and makes the item: timestamps that parse and increase,
/// a target whose values lead and whose nulls (the future) trail, related series with a
/// value at every timestamp.
fn finish_item(
    id: Value,
    timestamps: Vec<Value>,
    target: Vec<Value>,
    related: Vec<Vec<Value>>,
    statics: Vec<Value>,
    at: &dyn Fn(usize) -> String,
) -> Result<Item, String> {
    let key = id_key(&id);
    let t = timestamps.len();
    if t == 0 {
        return Err(format!("item {key:?}: has no timestamps"));
    }
    if t > MAX_STEPS {
        return Err(format!(
            "item {key:?}: has {t} timestamps; at most {MAX_STEPS} are explained per item"
        ));
    }
    let mut previous: Option<(Instant, usize)> = None;
    for (i, v) in timestamps.iter().enumerate() {
        let now = instant(v).ok_or_else(|| unparsable(&key, &at(i), v))?;
        if let Some((before, j)) = previous {
            if std::mem::discriminant(&before) != std::mem::discriminant(&now) {
                return Err(format!(
                    "item {key:?}, {}: the timestamp {} mixes numbers and dates with {} ({})",
                    at(i),
                    truncate(v),
                    truncate(&timestamps[j]),
                    at(j)
                ));
            }
            match before.partial_cmp(&now) {
                Some(Ordering::Less) => {}
                Some(Ordering::Equal) => {
                    return Err(format!(
                        "item {key:?}: the timestamp {} appears twice ({} and {})",
                        truncate(v),
                        at(j),
                        at(i)
                    ));
                }
                _ => {
                    return Err(format!(
                        "item {key:?}, {}: the timestamp {} comes before the one at {} ({}): an item's series must be in time order",
                        at(i),
                        truncate(v),
                        at(j),
                        truncate(&timestamps[j])
                    ));
                }
            }
        }
        previous = Some((now, i));
    }
    if target.len() > t {
        return Err(format!(
            "item {key:?}: the target has {} values for {t} timestamps (a ragged series)",
            target.len()
        ));
    }
    let mut context = Vec::with_capacity(target.len());
    for (i, v) in target.iter().enumerate() {
        match v {
            Value::Null => {}
            v if context.len() == i => context.push(number(v, || {
                format!("item {key:?}, {}: the target", at(i))
            })?),
            _ => {
                return Err(format!(
                    "item {key:?}, {}: the target has a value after a missing one (at {}); the context must be the leading values, the future the trailing missing ones",
                    at(i),
                    at(context.len())
                ));
            }
        }
    }
    if context.is_empty() {
        return Err(format!("item {key:?}: the target has no values"));
    }
    let related = related
        .into_iter()
        .enumerate()
        .map(|(k, series)| {
            if series.len() != t {
                return Err(format!(
                    "item {key:?}: related_time_series[{k}] has {} values for {t} timestamps (a ragged series; it needs one at every timestamp, the future's included)",
                    series.len()
                ));
            }
            series
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    number(v, || {
                        format!("item {key:?}, {}: related_time_series[{k}]", at(i))
                    })
                })
                .collect()
        })
        .collect::<Result<Vec<Vec<f64>>, String>>()?;
    Ok(Item {
        id,
        timestamps,
        target: context,
        related,
        statics,
    })
}

/// Stands for a JSON null while a path is searched: a JMESPath projection drops nulls, which
/// would shift a series' later values onto earlier timestamps.
const NULL_MARK: &str = "\u{0}driftwatch:null";

fn mark_nulls(v: &Value) -> Value {
    match v {
        Value::Null => Value::String(NULL_MARK.into()),
        Value::Array(a) => Value::Array(a.iter().map(mark_nulls).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), mark_nulls(v))).collect())
        }
        other => other.clone(),
    }
}

fn unmark(v: Value) -> Value {
    match v {
        Value::String(s) if s == NULL_MARK => Value::Null,
        other => other,
    }
}

/// A series path applied to one item: a list (DeepAR's `[].target` gives `[[…]]`: unwrapped).
/// Nulls keep their place; a key that is missing from an inner record cannot (the projection
/// skips it), so only trailing ones are told apart — the future's targets.
/// `marked` = the item alone with its nulls marked (`[mark_nulls(item)]`).
fn series(marked: &Value, path: &JsonPath, key: &str, r: usize) -> Result<Vec<Value>, String> {
    let found = match path.search(marked)? {
        Value::Array(a) if a.len() == 1 && a[0].is_array() => match a.into_iter().next() {
            Some(Value::Array(inner)) => Ok(inner),
            _ => Ok(Vec::new()),
        },
        Value::Array(a) => Ok(a),
        Value::Null => Ok(Vec::new()),
        other => Err(format!(
            "item {key:?} (record {r}): {:?} gives {}, not a list",
            path.text(),
            truncate(&other)
        )),
    };
    found.map(|a| a.into_iter().map(unmark).collect())
}

fn item_records(doc: &Value, p: &Paths) -> Result<Vec<Item>, String> {
    let records = doc
        .as_array()
        .ok_or("item_records: the dataset must be a JSON list of items")?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    records
        .iter()
        .enumerate()
        .map(|(r, rec)| {
            let wrapped = alone(rec);
            let id = one(&wrapped, &p.item_id)?;
            if id.is_null() {
                return Err(format!("record {r}: {:?} finds no item id", p.item_id.text()));
            }
            let key = id_key(&id);
            if let Some(first) = seen.insert(key.clone(), r) {
                return Err(format!(
                    "item {key:?} appears twice (records {first} and {r}); item_records holds one record per item"
                ));
            }
            let marked = Value::Array(vec![mark_nulls(rec)]);
            let timestamps = series(&marked, &p.timestamp, &key, r)?;
            let target = series(&marked, &p.target, &key, r)?;
            let related = p
                .related
                .iter()
                .map(|x| series(&marked, x, &key, r))
                .collect::<Result<_, _>>()?;
            let statics = p
                .statics
                .iter()
                .map(|x| one(&wrapped, x))
                .collect::<Result<_, _>>()?;
            finish_item(id, timestamps, target, related, statics, &|i| {
                format!("record {r}, step {i}")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::analysis::time_series::TsField::{Index, Path};
    use serde_json::json;

    fn cfg(format: Option<TsDatasetFormat>, f: [&str; 5]) -> TimeSeriesDataConfig {
        TimeSeriesDataConfig {
            item_id: Path(f[0].into()),
            timestamp: Path(f[1].into()),
            target_time_series: Path(f[2].into()),
            related_time_series: vec![Path(f[3].into())],
            static_covariates: vec![Path(f[4].into())],
            dataset_format: format,
        }
    }

    fn expected() -> Vec<Item> {
        vec![
            Item {
                id: json!(1),
                timestamps: vec![json!(1), json!(2), json!(3)],
                target: vec![5.0, 6.0],
                related: vec![vec![0.25, 0.35, 0.45]],
                statics: vec![json!(10)],
            },
            Item {
                id: json!(2),
                timestamps: vec![json!(1), json!(2)],
                target: vec![4.0, 2.0],
                related: vec![vec![0.5, 0.75]],
                statics: vec![json!(20)],
            },
        ]
    }

    #[test]
    fn the_three_sdk_layouts_and_indexes_give_the_same_items() {
        let items = json!([
            {"id": 1, "scv1": 10, "timeseries": [
                {"timestamp": 1, "target_ts": 5, "rts1": 0.25},
                {"timestamp": 2, "target_ts": 6, "rts1": 0.35},
                {"timestamp": 3, "rts1": 0.45}]},
            {"id": 2, "scv1": 20, "timeseries": [
                {"timestamp": 1, "target_ts": 4, "rts1": 0.5},
                {"timestamp": 2, "target_ts": 2, "rts1": 0.75}]}
        ]);
        let c = cfg(
            Some(TsDatasetFormat::ItemRecords),
            [
                "[*].id",
                "[*].timeseries[].timestamp",
                "[*].timeseries[].target_ts",
                "[*].timeseries[].rts1",
                "[*].scv1",
            ],
        );
        assert_eq!(read_items(&items, &c).unwrap(), expected());
        // Rows out of time order, a future row without a target.
        let records = json!([
            {"id": 1, "timestamp": 2, "target_ts": 6, "scv1": 10, "rts1": 0.35},
            {"id": 1, "timestamp": 1, "target_ts": 5, "scv1": 10, "rts1": 0.25},
            {"id": 2, "timestamp": 1, "target_ts": 4, "scv1": 20, "rts1": 0.5},
            {"id": 1, "timestamp": 3, "scv1": 10, "rts1": 0.45},
            {"id": 2, "timestamp": 2, "target_ts": 2, "scv1": 20, "rts1": 0.75}
        ]);
        let c = cfg(
            Some(TsDatasetFormat::TimestampRecords),
            [
                "[*].id",
                "[*].timestamp",
                "[*].target_ts",
                "[*].rts1",
                "[*].scv1",
            ],
        );
        assert_eq!(read_items(&records, &c).unwrap(), expected());
        let columns = json!({"ids": [1, 1, 1, 2, 2], "timestamps": [1, 2, 3, 1, 2],
            "target_ts": [5, 6, null, 4, 2], "rts1": [0.25, 0.35, 0.45, 0.5, 0.75],
            "scv1": [10, 10, 10, 20, 20]});
        let c = cfg(
            Some(TsDatasetFormat::Columns),
            ["ids", "timestamps", "target_ts", "rts1", "scv1"],
        );
        assert_eq!(read_items(&columns, &c).unwrap(), expected());
        let rows = json!([
            [1, 1, 5, 0.25, 10],
            [1, 2, 6, 0.35, 10],
            [1, 3, null, 0.45, 10],
            [2, 1, 4, 0.5, 20],
            [2, 2, 2, 0.75, 20]
        ]);
        let c = TimeSeriesDataConfig {
            item_id: Index(0),
            timestamp: Index(1),
            target_time_series: Index(2),
            related_time_series: vec![Index(3)],
            static_covariates: vec![Index(4)],
            dataset_format: None,
        };
        assert_eq!(read_items(&rows, &c).unwrap(), expected());
    }

    #[test]
    fn deepar_style_item_records_are_unwrapped() {
        let doc = json!([{"item_id": "mosfets", "timestamp": ["2019-09-11", "2019-09-12", "2019-09-13"],
            "target": [1.5, 2.5], "dynamic_feat": [[0, 1, 0]], "cat": [3]}]);
        let c = cfg(
            Some(TsDatasetFormat::ItemRecords),
            [
                "[].item_id",
                "[].timestamp",
                "[].target",
                "[].dynamic_feat[0]",
                "[].cat[0]",
            ],
        );
        let items = read_items(&doc, &c).unwrap();
        assert_eq!(items[0].target, vec![1.5, 2.5]);
        assert_eq!(items[0].related, vec![vec![0.0, 1.0, 0.0]]);
        assert_eq!(items[0].statics, vec![json!(3)]);
    }

    #[test]
    fn bad_series_are_named_precisely() {
        let c = cfg(
            Some(TsDatasetFormat::Columns),
            ["ids", "timestamps", "target_ts", "rts1", "scv1"],
        );
        let err = |doc: Value| read_items(&doc, &c).unwrap_err();
        let base = json!({"ids": ["a", "a"], "timestamps": ["2024-01-01", "2024-01-02"],
            "target_ts": [1, 2], "rts1": [0, 1], "scv1": [1, 1]});
        let mut d = base.clone();
        d["timestamps"][1] = json!("Jan 2nd");
        let e = err(d);
        assert!(
            e.contains("item \"a\", row 1: the timestamp \"Jan 2nd\" does not parse"),
            "{e}"
        );
        let mut d = base.clone();
        d["rts1"] = json!([0]);
        let e = err(d);
        assert!(e.contains("\"rts1\" has 1 values but \"ids\" has 2"), "{e}");
        let mut d = base.clone();
        d["target_ts"] = json!([null, 2]);
        let e = err(d);
        assert!(e.contains("a value after a missing one"), "{e}");
        let mut d = base.clone();
        d["timestamps"][1] = json!("2024-01-01");
        let e = err(d);
        assert!(e.contains("appears twice (row 0 and row 1)"), "{e}");
        let mut d = base.clone();
        d["scv1"][1] = json!(2);
        assert!(err(d).contains("differ from the item's first row"));
        let items =
            json!([{"id": "x", "ts": [{"t": 1, "y": 1, "r": 0}, {"t": 2, "r": 1}, {"t": 3}]}]);
        let c = cfg(
            Some(TsDatasetFormat::ItemRecords),
            ["[*].id", "[*].ts[].t", "[*].ts[].y", "[*].ts[].r", "[*].s"],
        );
        let e = read_items(&items, &c).unwrap_err();
        assert!(
            e.contains("related_time_series[0] has 2 values for 3 timestamps (a ragged series"),
            "{e}"
        );
        // An explicit null inside the context is found, not skipped by the projection.
        let items = json!([{"id": "x", "ts": [{"t": 1, "y": 1, "r": 0}, {"t": 2, "y": null, "r": 1}, {"t": 3, "y": 4, "r": 2}]}]);
        let e = read_items(&items, &c).unwrap_err();
        assert!(e.contains("a value after a missing one"), "{e}");
    }

    #[test]
    fn names_come_from_headers_or_paths() {
        let c = cfg(
            Some(TsDatasetFormat::ItemRecords),
            [
                "[*].id",
                "[*].timeseries[].timestamp",
                "[*].timeseries[].target_ts",
                "[*].timeseries[].rts1",
                "[*].scv1",
            ],
        );
        let n = Names::of(&c, None).unwrap();
        assert_eq!(
            (
                n.target.as_str(),
                n.related[0].as_str(),
                n.statics[0].as_str()
            ),
            ("target_ts", "rts1", "scv1")
        );
        let c = cfg(
            Some(TsDatasetFormat::ItemRecords),
            [
                "[].item_id",
                "[].timestamp",
                "[].target",
                "[].dynamic_feat[0]",
                "[].dynamic_feat[1]",
            ],
        );
        let n = Names::of(&c, None).unwrap();
        assert_eq!(n.related[0], "[].dynamic_feat[0]");
        let h: Vec<String> = ["id", "ts", "y", "r", "s"].map(String::from).to_vec();
        assert_eq!(
            Names::of(&c, Some(&h)).unwrap().statics,
            vec!["s".to_string()]
        );
        assert!(
            Names::of(&c, Some(&h[..4]))
                .unwrap_err()
                .contains("headers: has 4 names")
        );
    }
}

//! A metric datum as CloudWatch's `PutMetricData` takes it, and the API's limits, enforced
//! here because the emulator the tests use enforces none of them.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::sagemaker::time::format_utc;

/// What SageMaker publishes for ±∞ (CloudWatch rejects non-finite values).
pub const INFINITY_VALUE: f64 = 2.348543e108;
/// Datums per `PutMetricData` request.
pub const MAX_DATUMS_PER_REQUEST: usize = 1000;
/// Bytes per `PutMetricData` request (the payload limit is 1 MB).
pub const MAX_REQUEST_BYTES: usize = 1_000_000;
/// Dimensions per datum.
pub const MAX_DIMENSIONS: usize = 30;
/// Characters in a dimension value (and name) and in a metric name.
pub const MAX_NAME_CHARS: usize = 255;

/// CloudWatch units used by driftwatch's datums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    None,
    Count,
    Seconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Count => "Count",
            Self::Seconds => "Seconds",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    /// Always finite (see [`publishable`]).
    pub value: f64,
    pub timestamp: DateTime<Utc>,
    pub unit: Unit,
    /// A summary of many observations instead of one value (`StatisticValues`: the
    /// data-quality monitor's `feature_data_*`); `value` then holds their mean, for the
    /// daemon's gauges.
    pub statistics: Option<StatisticSet>,
}

/// The value CloudWatch gets for a metric value: ±∞ as ±2.348543e108, NaN not at all.
pub fn publishable(x: f64) -> Option<f64> {
    if x.is_nan() {
        None
    } else if x.is_infinite() {
        Some(INFINITY_VALUE.copysign(x))
    } else {
        Some(x)
    }
}

/// CloudWatch's `StatisticSet`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatisticSet {
    pub sample_count: f64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
}

impl Datum {
    /// The local sink's line: the shape of SageMaker's BYOC CloudWatch metric files.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "Namespace": self.namespace,
            "MetricName": self.metric_name,
            "Timestamp": format_utc(self.timestamp),
            "Dimensions": self.dimensions.iter().map(|(n, v)| json!({"Name": n, "Value": v})).collect::<Vec<_>>(),
            "Value": self.value,
            "Unit": self.unit.as_str(),
        });
        if let (Some(s), Some(o)) = (self.statistics, v.as_object_mut()) {
            o.remove("Value");
            o.insert(
                "StatisticValues".into(),
                json!({"SampleCount": s.sample_count, "Sum": s.sum, "Minimum": s.minimum, "Maximum": s.maximum}),
            );
        }
        v
    }

    /// An upper bound of the bytes this datum adds to an awsQuery request (form-encoded
    /// `MetricData.member.N.…` keys, values percent-encoded up to 3x).
    pub fn estimated_bytes(&self) -> usize {
        let dims: usize = self
            .dimensions
            .iter()
            .map(|(n, v)| 2 * 50 + 3 * (n.len() + v.len()))
            .sum();
        200 + 3 * self.metric_name.len() + dims
    }

    /// Checks what CloudWatch would reject.
    pub fn validate(&self) -> Result<(), String> {
        if !self.value.is_finite() {
            return Err(format!(
                "{}: value {} is not finite",
                self.metric_name, self.value
            ));
        }
        if let Some(s) = self.statistics
            && ![s.sample_count, s.sum, s.minimum, s.maximum]
                .iter()
                .all(|x| x.is_finite())
        {
            return Err(format!("{}: a statistic is not finite", self.metric_name));
        }
        if self.dimensions.len() > MAX_DIMENSIONS {
            return Err(format!(
                "{}: {} dimensions (at most {MAX_DIMENSIONS})",
                self.metric_name,
                self.dimensions.len()
            ));
        }
        if self.metric_name.is_empty() || self.metric_name.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "metric name {:?} must have 1-{MAX_NAME_CHARS} characters",
                self.metric_name
            ));
        }
        for (n, v) in &self.dimensions {
            for s in [n, v] {
                if s.is_empty() || s.chars().count() > MAX_NAME_CHARS {
                    return Err(format!(
                        "{}: dimension {n}={v:?} must have 1-{MAX_NAME_CHARS} characters",
                        self.metric_name
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Splits datums into `PutMetricData` requests: one namespace per request, at most
/// [`MAX_DATUMS_PER_REQUEST`] datums and [`MAX_REQUEST_BYTES`] (estimated) each, in order.
pub fn batches(datums: &[Datum]) -> Vec<(String, Vec<&Datum>)> {
    let mut namespaces: Vec<&str> = Vec::new();
    for d in datums {
        if !namespaces.contains(&d.namespace.as_str()) {
            namespaces.push(&d.namespace);
        }
    }
    let mut out = Vec::new();
    for ns in namespaces {
        let mut current: Vec<&Datum> = Vec::new();
        let mut bytes = 200 + 3 * ns.len();
        for d in datums.iter().filter(|d| d.namespace == ns) {
            let b = d.estimated_bytes();
            if !current.is_empty()
                && (current.len() == MAX_DATUMS_PER_REQUEST || bytes + b > MAX_REQUEST_BYTES)
            {
                out.push((ns.to_string(), std::mem::take(&mut current)));
                bytes = 200 + 3 * ns.len();
            }
            bytes += b;
            current.push(d);
        }
        if !current.is_empty() {
            out.push((ns.to_string(), current));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datum(ns: &str, i: usize, dim_len: usize) -> Datum {
        Datum {
            namespace: ns.into(),
            metric_name: format!("m{i}"),
            dimensions: vec![("D".into(), "x".repeat(dim_len))],
            value: 1.0,
            timestamp: DateTime::<Utc>::UNIX_EPOCH,
            unit: Unit::None,
            statistics: None,
        }
    }

    #[test]
    fn infinities_become_sagemakers_number_and_nan_is_dropped() {
        assert_eq!(publishable(f64::INFINITY), Some(2.348543e108));
        assert_eq!(publishable(f64::NEG_INFINITY), Some(-2.348543e108));
        assert_eq!(publishable(f64::NAN), None);
        assert_eq!(publishable(-0.5), Some(-0.5));
    }

    #[test]
    fn batches_respect_count_size_and_namespace() {
        let many: Vec<Datum> = (0..2500).map(|i| datum("a", i, 5)).collect();
        let b = batches(&many);
        assert_eq!(
            b.iter().map(|(_, d)| d.len()).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        // Big dimension values: the byte limit splits before the count limit.
        let big: Vec<Datum> = (0..1000).map(|i| datum("a", i, 250)).collect();
        let b = batches(&big);
        assert!(b.len() > 1);
        for (_, d) in &b {
            let bytes: usize = d.iter().map(|x| x.estimated_bytes()).sum();
            assert!(bytes <= MAX_REQUEST_BYTES);
        }
        assert_eq!(b.iter().map(|(_, d)| d.len()).sum::<usize>(), 1000);
        let mixed = vec![datum("a", 0, 1), datum("b", 1, 1), datum("a", 2, 1)];
        let b = batches(&mixed);
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].0.as_str(), b[0].1.len()), ("a", 2));
    }

    #[test]
    fn limits_are_enforced() {
        let mut d = datum("a", 0, 1);
        d.dimensions = (0..31).map(|i| (format!("D{i}"), "v".into())).collect();
        assert!(d.validate().unwrap_err().contains("31 dimensions"));
        let mut d = datum("a", 0, 256);
        assert!(d.validate().unwrap_err().contains("1-255 characters"));
        d.dimensions[0].1 = "ok".into();
        d.value = f64::INFINITY;
        assert!(d.validate().unwrap_err().contains("not finite"));
    }
}

//! The cross-key requirements of each use of an analysis config: a bias monitor needs a
//! label, label values and facets; an explainability monitor needs `methods.shap`; a monitor
//! needs `headers` (captured records carry no column names).

use serde_json::Value;

use super::{AnalysisConfig, ColumnRef, DatasetType, Purpose};
use crate::config::node::{MapReader, did_you_mean};
use crate::config::problems::Problems;

impl AnalysisConfig {
    /// Cross-key requirements; `top` tells a missing key from one already reported as invalid.
    pub(super) fn check_for(&self, purpose: Purpose, top: &MapReader<'_>, problems: &mut Problems) {
        // Decide from the keys as written, so an invalid method block (already reported)
        // does not hide the checks the method would need.
        let has_method = |name: &str| {
            top.get("methods")
                .and_then(Value::as_object)
                .is_some_and(|m| m.get(name).is_some_and(|v| !v.is_null()))
        };
        let wants_bias = match purpose {
            Purpose::BiasMonitor => true,
            Purpose::ExplainabilityMonitor => false,
            Purpose::Analyze => has_method("pre_training_bias") || has_method("post_training_bias"),
        };
        for (uri, headers) in [
            ("facet_dataset_uri", "facet_headers"),
            ("predicted_label_dataset_uri", "predicted_label_headers"),
        ] {
            let given = [uri, headers].into_iter().find(|k| top.get(k).is_some());
            match given {
                Some(key) if purpose != Purpose::Analyze => problems.push(
                    key,
                    "applies to a dataset given to analyze; a monitoring schedule's columns all come from its captured records",
                ),
                Some(key) if self.dataset_type.is_some_and(|t| t != DatasetType::Csv) => {
                    problems.push(
                        key,
                        "is supported for dataset_type text/csv only (as the SageMaker SDK says)",
                    )
                }
                _ => {}
            }
        }
        if !self.segment_config.is_empty() && !wants_bias {
            problems.push(
                "segment_config",
                "segments are analysed with the bias metrics: it needs pre_training_bias or post_training_bias",
            );
        }
        if let Some(headers) = &self.headers {
            for (i, s) in self.segment_config.iter().enumerate() {
                if let ColumnRef::Name(n) = &s.column
                    && !headers.contains(n)
                    && self.facet_dataset.is_none()
                {
                    problems.push(
                        format!("segment_config[{i}].name_or_index"),
                        format!("{n:?} is not one of the headers"),
                    );
                }
            }
        }
        if purpose == Purpose::Analyze && top.get("methods").is_none() {
            problems.push("methods", "missing required key");
        }
        if top.get("methods").is_some_and(Value::is_object) {
            let any_bias = has_method("pre_training_bias") || has_method("post_training_bias");
            if purpose == Purpose::BiasMonitor && !any_bias {
                problems.push(
                    "methods",
                    "a model_bias schedule needs pre_training_bias and/or post_training_bias",
                );
            }
            if purpose == Purpose::ExplainabilityMonitor && !has_method("shap") {
                problems.push(
                    "methods.shap",
                    "missing: a model_explainability schedule needs it",
                );
            }
            if purpose == Purpose::Analyze && !any_bias && !has_method("shap") && !has_method("pdp")
            {
                problems.push(
                    "methods",
                    "names no method driftwatch runs (pre_training_bias, post_training_bias, shap, pdp)",
                );
            }
            let pdp_features = top
                .get("methods")
                .and_then(|m| m.get("pdp"))
                .and_then(|p| p.get("features"))
                .is_some();
            if has_method("pdp") && !pdp_features && !has_method("shap") {
                problems.push(
                    "methods.pdp.features",
                    "missing: without methods.shap the features to plot must be named (the top features come from SHAP)",
                );
            }
        }
        if wants_bias {
            if top.get("label").is_none() {
                problems.push("label", "missing: bias metrics need the label column");
            }
            match &self.label_values_or_threshold {
                None if top.get("label_values_or_threshold").is_some() => {}
                None => problems.push(
                    "label_values_or_threshold",
                    "missing: bias metrics need the positive label values or a threshold",
                ),
                Some(v) if v.is_empty() => {
                    problems.push("label_values_or_threshold", "must not be empty")
                }
                Some(_) => {}
            }
            match top.get("facet") {
                None => problems.push("facet", "missing: bias metrics need at least one facet"),
                Some(Value::Array(items)) if items.is_empty() => {
                    problems.push("facet", "must list at least one facet")
                }
                Some(_) => {}
            }
        }
        if purpose != Purpose::Analyze && top.get("headers").is_none() {
            // Captured records carry no column names: without headers the columns are
            // column_0, column_1, … (as Clarify names them), so references must be indices
            // or those names.
            let mut refs: Vec<(String, &ColumnRef)> = Vec::new();
            refs.extend(self.label.iter().map(|c| ("label".to_string(), c)));
            for (i, f) in self.facets.iter().enumerate() {
                refs.push((format!("facet[{i}].name_or_index"), &f.column));
            }
            refs.extend(
                self.group_variable
                    .iter()
                    .map(|c| ("group_variable".to_string(), c)),
            );
            for (i, c) in self.excluded_columns.iter().enumerate() {
                refs.push((format!("excluded_columns[{i}]"), c));
            }
            for (path, c) in refs {
                if let ColumnRef::Name(n) = c
                    && !is_generated_name(n)
                    && !(path == "label" && is_jmespath(n))
                {
                    problems.push(
                        path,
                        format!(
                            "{n:?} names a column, but without headers captured columns are named column_0, column_1, …: add headers, or refer to columns by index"
                        ),
                    );
                }
            }
        }
        if let (Some(headers), Some(ColumnRef::Name(label))) = (&self.headers, &self.label)
            && purpose == Purpose::BiasMonitor
            && !headers.contains(label)
            && self.dataset_type.is_none_or(|t| t == DatasetType::Csv)
            // The SDK's BiasAnalysisConfig for JSON traffic: the label is a JMESPath into the
            // ground truth, the headers end with the label's name (no dataset_type is set).
            && !(self.dataset_type.is_none() && is_jmespath(label))
        {
            problems.push("label", format!("{label:?} is not one of the headers"));
        }
        let side_facets = self.facet_dataset.as_ref().and_then(|d| d.headers.as_ref());
        for (i, facet) in self.facets.iter().enumerate() {
            if let (Some(headers), ColumnRef::Name(name)) = (&self.headers, &facet.column)
                && !headers.contains(name)
                && !side_facets.is_some_and(|h| h.contains(name))
                && !(self.facet_dataset.is_some() && side_facets.is_none())
            {
                let hint = did_you_mean(
                    name,
                    &headers.iter().map(String::as_str).collect::<Vec<_>>(),
                )
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
                problems.push(
                    format!("facet[{i}].name_or_index"),
                    format!("{name:?} is not one of the headers{hint}"),
                );
            }
        }
    }
}

/// `column_<n>`: the name Clarify gives a column of a dataset without headers.
fn is_generated_name(n: &str) -> bool {
    n.strip_prefix("column_")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A label given as a JMESPath into JSON ground truth (`instances[*].label`).
fn is_jmespath(n: &str) -> bool {
    n.contains(['[', ']', '.', '*', '(', ')', '|', '@'])
}

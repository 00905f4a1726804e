//! A text analysis's files as Clarify writes them: `explanations_shap/out.jsonl`, one line per
//! record — each feature's attributions, a text column's per unit with its `partial_text` and
//! `start_idx` — and analysis.json's `global_top_shap_text` (in [`super::analysis::ShapLabel`]).

use serde::{Deserialize, Serialize};

/// Where the local values go (Clarify: out.jsonl, not out.csv, for text).
pub const LOCAL_KEY: &str = super::layout::LOCAL_TEXT_SHAP_FILE;

/// `data_type` of a text column (Clarify's), and of a numeric feature beside it.
pub const FREE_TEXT: &str = "free_text";
pub const NUMERICAL: &str = "numerical";

/// One unit's (or one numeric feature's) values, one per label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    pub attribution: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<UnitDescription>,
}

/// Where a unit is: its text (no surrounding whitespace) and its character offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitDescription {
    pub partial_text: String,
    pub start_idx: usize,
}

/// One feature of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureAttributions {
    pub feature_name: String,
    pub data_type: String,
    pub attributions: Vec<Attribution>,
}

/// driftwatch's note on a record it could not explain (the line stays, so line N is record N).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordNote {
    pub error: String,
}

/// One line of out.jsonl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalLine {
    pub explanations: Vec<FeatureAttributions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driftwatch: Option<RecordNote>,
}

impl LocalLine {
    pub fn failed(reason: impl Into<String>) -> Self {
        Self {
            explanations: Vec::new(),
            driftwatch: Some(RecordNote {
                error: reason.into(),
            }),
        }
    }
}

/// out.jsonl's text: one JSON object per line.
pub fn local_jsonl(lines: &[LocalLine]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&serde_json::to_string(l).unwrap_or_default());
        out.push('\n');
    }
    out
}

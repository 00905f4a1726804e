//! One record with text columns explained: its players are its numeric features (one each)
//! and the units of its texts (one each), so shap's `KernelExplainer` with x = 1_P: a player
//! present takes the record's value or unit, an absent one the baseline row's value — for a
//! text unit the baseline row's replacement string (Clarify's text baseline). Several
//! baseline rows are a weighted background as in tabular SHAP: a synthetic row's absent players
//! are encoded as −(k+1) for baseline row k, so one game serves them all.

use serde_json::Value;

use super::units::{Unit, compose, units};
use crate::config::analysis::text::Granularity;
use crate::explain::kernel_shap::{Background, Explainer, Link, Settings, ShapError};
use crate::explain::predictor::PredictError;
use crate::explain::rng::Rng;

/// Most characters in one text cell: beyond it a record is refused (documented in the README).
pub const MAX_TEXT_CHARS: usize = 100_000;
/// Most units of one record (Kernel SHAP's least squares grows with their square).
pub const MAX_UNITS: usize = 2_000;

/// Scores masked records: one list of scores per record.
pub type ScoreRecords<'a> =
    dyn Fn(&[Vec<Value>]) -> Result<Vec<Vec<f64>>, PredictError> + Sync + 'a;

/// How a column plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Numeric,
    Text,
}

/// The settings of a text explanation.
#[derive(Debug, Clone, Copy)]
pub struct TextSettings {
    pub granularity: Granularity,
    pub language: &'static str,
    pub link: Link,
    pub num_samples: Option<usize>,
    pub seed: u64,
}

/// A player: a numeric column, or one unit of a text column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Player {
    Column(usize),
    Unit { column: usize, unit: usize },
}

/// One record's attributions.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordExplanation {
    /// Per column: its units (empty for a numeric column).
    pub units: Vec<Vec<Unit>>,
    pub players: Vec<Player>,
    /// `phi[output][player]`.
    pub phi: Vec<Vec<f64>>,
    /// Per output: the score of the record with every player absent (after the link).
    pub expected: Vec<f64>,
    /// Per output: the record's own score (after the link).
    pub prediction: Vec<f64>,
    pub coalitions: usize,
}

/// The record's players, or why it cannot be explained.
pub fn players(
    record: &[Value],
    kinds: &[ColumnKind],
    names: &[String],
    settings: &TextSettings,
) -> Result<(Vec<Vec<Unit>>, Vec<Player>), String> {
    let mut all_units = Vec::with_capacity(kinds.len());
    let mut players = Vec::new();
    for (j, kind) in kinds.iter().enumerate() {
        match kind {
            ColumnKind::Numeric => {
                players.push(Player::Column(j));
                all_units.push(Vec::new());
            }
            ColumnKind::Text => {
                let text = record.get(j).and_then(Value::as_str).unwrap_or_default();
                let chars = text.chars().count();
                if chars > MAX_TEXT_CHARS {
                    return Err(format!(
                        "column {}: the text has {chars} characters, more than driftwatch explains ({MAX_TEXT_CHARS})",
                        names[j]
                    ));
                }
                let u = units(text, settings.language, settings.granularity)
                    .map_err(|e| e.to_string())?;
                for k in 0..u.len() {
                    players.push(Player::Unit { column: j, unit: k });
                }
                all_units.push(u);
            }
        }
    }
    if players.len() > MAX_UNITS {
        return Err(format!(
            "{} units and features, more than driftwatch explains in one record ({MAX_UNITS}); use a coarser granularity",
            players.len()
        ));
    }
    if players.is_empty() {
        let texts: Vec<&str> = kinds
            .iter()
            .zip(names)
            .filter(|(k, _)| **k == ColumnKind::Text)
            .map(|(_, n)| n.as_str())
            .collect();
        return Err(format!(
            "nothing to explain: the text of {} has no {} (it is empty or only whitespace)",
            texts.join(", "),
            settings.granularity.as_str()
        ));
    }
    Ok((all_units, players))
}

/// Explains one record against `baselines` (rows of the record's width; a text column's
/// entry is its replacement string).
pub fn explain_record(
    score: &ScoreRecords<'_>,
    record: &[Value],
    kinds: &[ColumnKind],
    names: &[String],
    baselines: &[Vec<Value>],
    settings: &TextSettings,
) -> Result<RecordExplanation, ShapError> {
    let (units, players) = players(record, kinds, names, settings).map_err(ShapError::Invalid)?;
    let p = players.len();
    // The first player of each column, so a synthetic row is decoded column by column.
    let mut first = vec![0; kinds.len()];
    {
        let mut at = 0;
        for (j, kind) in kinds.iter().enumerate() {
            first[j] = at;
            at += match kind {
                ColumnKind::Numeric => 1,
                ColumnKind::Text => units[j].len(),
            };
        }
    }
    let masked = |z: &[f64]| -> Vec<Value> {
        // Every absent player of one synthetic row comes from the same baseline row.
        let k = z
            .iter()
            .find(|&&v| v < 0.5)
            .map_or(0, |&v| (-v - 1.0).round().max(0.0) as usize)
            .min(baselines.len().saturating_sub(1));
        let base = &baselines[k];
        kinds
            .iter()
            .enumerate()
            .map(|(j, kind)| match kind {
                ColumnKind::Numeric => {
                    if z[first[j]] > 0.5 {
                        record[j].clone()
                    } else {
                        base[j].clone()
                    }
                }
                ColumnKind::Text => {
                    let text = record[j].as_str().unwrap_or_default();
                    let replacement = base[j].as_str().unwrap_or_default();
                    let mut out = String::with_capacity(text.len());
                    let z = &z[first[j]..first[j] + units[j].len()];
                    compose(text, &units[j], |u| z[u] > 0.5, replacement, &mut out);
                    Value::String(out)
                }
            })
            .collect()
    };
    let predict = |rows: &[f64]| -> Result<Vec<f64>, PredictError> {
        let records: Vec<Vec<Value>> = rows.chunks(p).map(masked).collect();
        let scores = score(&records)?;
        if scores.len() != records.len() {
            return Err(PredictError::permanent(format!(
                "{} score lists for {} records",
                scores.len(),
                records.len()
            )));
        }
        Ok(scores.concat())
    };
    let background = Background::uniform(
        (0..baselines.len())
            .map(|k| vec![-(k as f64) - 1.0; p])
            .collect(),
    );
    let explainer = Explainer::new(
        &predict,
        background,
        Settings {
            link: settings.link,
            num_samples: settings.num_samples,
            seed: settings.seed,
        },
    )?;
    let mut rng = Rng::seeded(settings.seed);
    let e = explainer.explain(&vec![1.0; p], &mut rng)?;
    let expected = explainer.expected_values();
    drop(explainer);
    Ok(RecordExplanation {
        units,
        players,
        phi: e.phi,
        expected,
        prediction: e.prediction,
        coalitions: e.coalitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bag-of-words model: the score is the sum of the words' weights.
    fn words_model(records: &[Vec<Value>]) -> Result<Vec<Vec<f64>>, PredictError> {
        Ok(records
            .iter()
            .map(|r| {
                let t = r[0].as_str().unwrap();
                let s: f64 = t
                    .split_whitespace()
                    .map(|w| match w {
                        "good" => 2.0,
                        "bad" => -3.0,
                        "not" => -1.0,
                        _ => 0.0,
                    })
                    .sum();
                vec![s + r[1].as_f64().unwrap() * 0.5]
            })
            .collect())
    }

    #[test]
    fn an_additive_model_gets_each_unit_its_own_weight() {
        let settings = TextSettings {
            granularity: Granularity::Token,
            language: "en",
            link: Link::Identity,
            num_samples: None,
            seed: 0,
        };
        let record = vec![Value::from("good movie , not bad"), Value::from(4.0)];
        let names = vec!["review".to_string(), "stars".to_string()];
        let e = explain_record(
            &words_model,
            &record,
            &[ColumnKind::Text, ColumnKind::Numeric],
            &names,
            &[vec![Value::from("[MASK]"), Value::from(2.0)]],
            &settings,
        )
        .unwrap();
        let want = [2.0, 0.0, 0.0, -1.0, -3.0, 1.0];
        for (got, want) in e.phi[0].iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{:?}", e.phi);
        }
        assert_eq!(e.players.len(), 6);
    }

    #[test]
    fn an_empty_text_says_there_is_nothing_to_explain() {
        let settings = TextSettings {
            granularity: Granularity::Sentence,
            language: "en",
            link: Link::Identity,
            num_samples: None,
            seed: 0,
        };
        let e = players(
            &[Value::from("  ")],
            &[ColumnKind::Text],
            &["review".into()],
            &settings,
        )
        .unwrap_err();
        assert_eq!(
            e,
            "nothing to explain: the text of review has no sentence (it is empty or only whitespace)"
        );
    }
}

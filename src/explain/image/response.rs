//! An image classifier's response → one score per label per image.
//!
//! JSON: the value at `predictor.probability` (a JMESPath), else the whole document: a list
//! of numbers is one image's scores, a list of such lists one per image (a NumPy batch).
//! CSV: one line per image, its values the scores.

use serde_json::Value;

use crate::capture::payload::OutputLocator;
use crate::explain::codec::Format;

/// The scores of `images` images, `labels` each.
pub fn scores(
    accept: Format,
    text: &str,
    locator: Option<&OutputLocator>,
    images: usize,
    labels: usize,
) -> Result<Vec<Vec<f64>>, String> {
    let rows: Vec<Vec<f64>> = match accept {
        Format::Csv | Format::JsonLines if text.trim_start().starts_with(['[', '{']) => {
            json_rows(text, locator)?
        }
        Format::Csv => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                l.split(',')
                    .map(|c| {
                        c.trim()
                            .parse::<f64>()
                            .map_err(|_| format!("line {}: {:?} is not a number", i + 1, c.trim()))
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?,
        Format::JsonLines | Format::Json => json_rows(text, locator)?,
    };
    if rows.len() != images {
        return Err(format!("{} score lists for {images} images", rows.len()));
    }
    if let Some(r) = rows.iter().find(|r| r.len() != labels) {
        return Err(format!(
            "{} scores for an image, but predictor.label_headers names {labels} labels",
            r.len()
        ));
    }
    Ok(rows)
}

fn json_rows(text: &str, locator: Option<&OutputLocator>) -> Result<Vec<Vec<f64>>, String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    let found = match locator {
        Some(OutputLocator::Path(p)) => p.search(&v)?,
        Some(OutputLocator::Index(k)) => v.get(*k).cloned().unwrap_or(Value::Null),
        None => v,
    };
    let numbers = |x: &Value| -> Result<Vec<f64>, String> {
        x.as_array()
            .ok_or_else(|| format!("{x} is not a list of scores"))?
            .iter()
            .map(|s| s.as_f64().ok_or_else(|| format!("{s} is not a number")))
            .collect()
    };
    match &found {
        Value::Array(items) if items.iter().all(Value::is_number) => Ok(vec![numbers(&found)?]),
        Value::Array(items) => items.iter().map(numbers).collect(),
        Value::Null => Err("no scores found".into()),
        other => Err(format!("{other} is not a list of scores")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_image_or_a_batch() {
        let one = scores(Format::Json, "[0.1, 0.9]", None, 1, 2).unwrap();
        assert_eq!(one, vec![vec![0.1, 0.9]]);
        let two = scores(Format::Json, "[[0.1, 0.9], [0.5, 0.5]]", None, 2, 2).unwrap();
        assert_eq!(two.len(), 2);
        let err = scores(Format::Json, "[0.1, 0.9, 0.0]", None, 1, 2).unwrap_err();
        assert!(err.contains("label_headers names 2 labels"), "{err}");
        let csv = scores(Format::Csv, "0.25,0.75\n", None, 1, 2).unwrap();
        assert_eq!(csv, vec![vec![0.25, 0.75]]);
    }
}

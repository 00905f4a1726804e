//! Clarify's facet and predicted-label datasets: CSV files beside the dataset that hold some
//! of its columns. Joined row by row when the config has no `joinsource_name_or_index` (then
//! both files must have as many rows), else on that identifier column, an inner join as
//! Clarify makes it: a dataset row without a partner is left out, and said.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use super::{Columns, Dataset, DatasetError};
use crate::config::analysis::{AnalysisConfig, ColumnRef, DatasetType, SideDataset};

/// The files of the config's facet and predicted-label datasets, where they are local.
#[derive(Debug, Clone, Copy, Default)]
pub struct SidePaths<'a> {
    pub facet: Option<&'a Path>,
    pub predicted_label: Option<&'a Path>,
}

/// The columns each side dataset added (no model input: Clarify never sends them to the
/// model).
#[derive(Debug, Default)]
pub struct SideColumns {
    pub facet: Vec<String>,
    pub predicted_label: Vec<String>,
}

/// `dataset` with the facet and predicted-label datasets joined on, and the columns they
/// added.
pub fn with_sides(
    mut dataset: Dataset,
    main_path: &Path,
    cfg: &AnalysisConfig,
    paths: SidePaths<'_>,
) -> Result<(Dataset, SideColumns), DatasetError> {
    let joinsource = match &cfg.joinsource {
        None => None,
        Some(ColumnRef::Name(n)) => Some(n.clone()),
        Some(ColumnRef::Index(i)) => Some(
            dataset
                .frame
                .get_column_names()
                .get(*i)
                .map(|c| c.to_string())
                .ok_or_else(|| DatasetError::Invalid {
                    path: main_path.to_path_buf(),
                    message: format!(
                        "joinsource_name_or_index: index {i} is beyond its {} columns",
                        dataset.frame.width()
                    ),
                })?,
        ),
    };
    let mut added = SideColumns::default();
    for (key, side, path, into) in [
        (
            "facet_dataset_uri",
            &cfg.facet_dataset,
            paths.facet,
            &mut added.facet,
        ),
        (
            "predicted_label_dataset_uri",
            &cfg.predicted_label_dataset,
            paths.predicted_label,
            &mut added.predicted_label,
        ),
    ] {
        let (Some(side), Some(path)) = (side, path) else {
            continue;
        };
        let frame = read_side(side, path)?;
        let main = std::mem::take(&mut dataset.frame);
        let (joined, columns, warnings) =
            join(main, main_path, frame, path, key, joinsource.as_deref())?;
        dataset.frame = joined;
        dataset.warnings.extend(warnings);
        *into = columns;
    }
    Ok((dataset, added))
}

/// A side dataset: CSV typed as the dataset is, its `*_headers` naming its columns.
fn read_side(side: &SideDataset, path: &Path) -> Result<DataFrame, DatasetError> {
    let cfg = AnalysisConfig {
        dataset_type: Some(DatasetType::Csv),
        headers: side.headers.clone(),
        ..Default::default()
    };
    Ok(super::load(path, &cfg, Columns::All)?.frame)
}

/// `side` (read from `side_path`, named by the config key `key`) joined onto `main`:
/// `main`'s rows (those with a partner, with a joinsource) and columns, then `side`'s other
/// columns. Returns the frame, the columns added, and the warnings.
pub fn join(
    main: DataFrame,
    main_path: &Path,
    side: DataFrame,
    side_path: &Path,
    key: &str,
    joinsource: Option<&str>,
) -> Result<(DataFrame, Vec<String>, Vec<String>), DatasetError> {
    let invalid = |message: String| DatasetError::Invalid {
        path: side_path.to_path_buf(),
        message: format!("{key}: {message}"),
    };
    let added: Vec<String> = side
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| Some(c.as_str()) != joinsource)
        .collect();
    if added.is_empty() {
        return Err(invalid("has no column besides the joinsource".into()));
    }
    if let Some(clash) = added.iter().find(|c| main.column(c.as_str()).is_ok()) {
        return Err(invalid(format!(
            "column {clash:?} is also a column of the dataset {}; a column must come from one file",
            main_path.display()
        )));
    }
    let mut warnings = Vec::new();
    let (main, picked) = match joinsource {
        None => {
            if side.height() != main.height() {
                return Err(invalid(format!(
                    "has {} rows and the dataset {} has {}: without joinsource_name_or_index the rows are paired in order, so their numbers must agree (give joinsource_name_or_index to join them on an identifier)",
                    side.height(),
                    main_path.display(),
                    main.height()
                )));
            }
            (main, None)
        }
        Some(id) => {
            let keys =
                |frame: &DataFrame, path: &Path| -> Result<Vec<Option<String>>, DatasetError> {
                    let col = frame.column(id).map_err(|_| DatasetError::Invalid {
                        path: path.to_path_buf(),
                        message: format!(
                            "{key}: joinsource_name_or_index {id:?} is not one of its columns ({})",
                            frame
                                .get_column_names()
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })?;
                    let text = col
                        .cast(&DataType::String)
                        .map_err(|e| DatasetError::Invalid {
                            path: path.to_path_buf(),
                            message: format!("{key}: joinsource column {id:?}: {e}"),
                        })?;
                    Ok(text
                        .str()
                        .map_err(|e| DatasetError::Invalid {
                            path: path.to_path_buf(),
                            message: format!("{key}: joinsource column {id:?}: {e}"),
                        })?
                        .iter()
                        .map(|v| v.map(str::to_string))
                        .collect())
                };
            let side_keys = keys(&side, side_path)?;
            let mut at: HashMap<&str, usize> = HashMap::with_capacity(side_keys.len());
            for (row, k) in side_keys.iter().enumerate() {
                let Some(k) = k else {
                    return Err(invalid(format!(
                        "row {} has no joinsource value ({id:?})",
                        row + 1
                    )));
                };
                if let Some(first) = at.insert(k.as_str(), row) {
                    return Err(invalid(format!(
                        "joinsource value {k:?} ({id:?}) is in rows {} and {}: each identifier may name one row",
                        first + 1,
                        row + 1
                    )));
                }
            }
            let main_keys = keys(&main, main_path)?;
            let mut keep = Vec::with_capacity(main_keys.len());
            let mut partner = Vec::with_capacity(main_keys.len());
            for k in &main_keys {
                match k.as_deref().and_then(|k| at.get(k)) {
                    Some(&row) => {
                        keep.push(true);
                        partner.push(row as IdxSize);
                    }
                    None => keep.push(false),
                }
            }
            let unmatched = keep.iter().filter(|k| !**k).count();
            if unmatched > 0 {
                warnings.push(format!(
                    "{unmatched} of the dataset's {} rows have no row with the same {id:?} in {} ({key}) and were left out (an inner join, as Clarify's)",
                    main.height(),
                    side_path.display()
                ));
            }
            let mask = BooleanChunked::from_slice("keep".into(), &keep);
            let main = main.filter(&mask).map_err(|e| invalid(e.to_string()))?;
            (main, Some(IdxCa::from_vec("at".into(), partner)))
        }
    };
    let mut frame = main;
    for name in &added {
        let col = side
            .column(name.as_str())
            .map_err(|e| invalid(e.to_string()))?;
        let col = match &picked {
            None => col.clone(),
            Some(idx) => col.take(idx).map_err(|e| invalid(e.to_string()))?,
        };
        frame.with_column(col).map_err(|e| invalid(e.to_string()))?;
    }
    Ok((frame, added, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(cols: &[(&str, Vec<i64>)]) -> DataFrame {
        let columns: Vec<Column> = cols
            .iter()
            .map(|(n, v)| Column::new((*n).into(), v.clone()))
            .collect();
        DataFrame::new(cols[0].1.len(), columns).unwrap()
    }

    #[test]
    fn joins_on_the_identifier_and_says_what_it_left_out() {
        let main = frame(&[("id", vec![3, 1, 2, 9]), ("x", vec![30, 10, 20, 90])]);
        let side = frame(&[("id", vec![1, 2, 3]), ("sex", vec![1, 2, 1])]);
        let (j, added, warnings) = join(
            main,
            Path::new("d.csv"),
            side,
            Path::new("f.csv"),
            "facet_dataset_uri",
            Some("id"),
        )
        .unwrap();
        assert_eq!(added, ["sex"]);
        let sex: Vec<i64> = j
            .column("sex")
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(sex, [1, 1, 2]);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("1 of the dataset's 4 rows"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn in_order_the_row_counts_must_agree_and_identifiers_be_unique() {
        let main = frame(&[("x", vec![1, 2])]);
        let side = frame(&[("sex", vec![1])]);
        let e = join(
            main.clone(),
            Path::new("d.csv"),
            side,
            Path::new("f.csv"),
            "facet_dataset_uri",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("f.csv: facet_dataset_uri: has 1 rows and the dataset d.csv has 2"),
            "{e}"
        );
        let main = frame(&[("id", vec![1, 2])]);
        let side = frame(&[("id", vec![1, 1]), ("s", vec![0, 1])]);
        let e = join(
            main,
            Path::new("d.csv"),
            side,
            Path::new("f.csv"),
            "facet_dataset_uri",
            Some("id"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("joinsource value \"1\" (\"id\") is in rows 1 and 2"),
            "{e}"
        );
    }
}

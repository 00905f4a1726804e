//! CSV as pandas' `read_csv` reads it: the same missing-value markers, full-file type
//! inference, and a precise message (row number) for a row with the wrong number of fields.

use std::path::Path;

use polars::prelude::*;

use super::DatasetError;

/// pandas' default `na_values`: these cells are missing, whatever the column (in datasets and
/// in captured CSV payloads alike).
pub(crate) const PANDAS_NA: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// A CSV dataset and what a user must know about how it was read.
pub struct CsvRead {
    pub frame: DataFrame,
    pub warnings: Vec<String>,
}

/// Reads CSV bytes (`path` names them in messages). `headers` given: the file's columns get
/// these names (their count must match); a first row that spells the headers is recognised
/// as a header row and skipped, with a warning; a first row that holds text where every
/// other row of the column holds numbers is an error naming it (a header row that does not
/// match the config, most likely), never a silently different dataset.
pub fn read_csv(
    bytes: &[u8],
    path: &Path,
    headers: Option<&[String]>,
) -> Result<CsvRead, DatasetError> {
    // Checked first: polars would read a bad byte into a string cell (turning a numeric
    // column categorical without a word), and UTF-16 as one garbled field per row.
    crate::limits::utf8(bytes).map_err(|message| DatasetError::Invalid {
        path: path.to_path_buf(),
        message,
    })?;
    let mut warnings = Vec::new();
    let expected_fields = match headers {
        Some(h) => h.len(),
        None => first_line_fields(bytes),
    };
    // The file's own header row: always without `headers`; with them, when it spells them.
    let has_header_row = match headers {
        None => true,
        Some(h) => {
            let first = first_nonblank(bytes).map(split_fields).unwrap_or_default();
            let spelled = first.len() == h.len() && first.iter().zip(h).all(|(a, b)| a == b);
            if spelled {
                warnings.push(format!(
                    "{}: the first row spells the config's headers; it is read as a header row, not as data",
                    path.display()
                ));
            }
            spelled
        }
    };
    if let Some((row, got)) = first_ragged_row(bytes, expected_fields, has_header_row) {
        return Err(DatasetError::MalformedRow {
            path: path.to_path_buf(),
            row,
            message: format!("expected {expected_fields} fields, found {got}"),
        });
    }
    // Inferring types from the first rows is fast; a later value that does not fit makes
    // polars fail (never coerce), and then the whole file is used for inference, as pandas
    // does.
    let frame = match parse_csv(bytes, has_header_row, Some(10_000)) {
        Ok(f) => f,
        Err(_) => parse_csv(bytes, has_header_row, None).map_err(|e| DatasetError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?,
    };
    let Some(h) = headers else {
        return Ok(CsvRead { frame, warnings });
    };
    let mut frame = frame;
    frame
        .set_column_names(h)
        .map_err(|e| DatasetError::Invalid {
            path: path.to_path_buf(),
            message: format!("cannot apply headers: {e}"),
        })?;
    if !has_header_row {
        let row = lines(bytes)
            .position(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
            .map_or(1, |i| i + 1);
        reject_text_first_row(&frame, path, row)?;
    }
    Ok(CsvRead { frame, warnings })
}

/// A first row with text in a column whose every other value is a number: a header row
/// (or a stray line) that would otherwise turn the column into text and change the metrics.
fn reject_text_first_row(frame: &DataFrame, path: &Path, row: usize) -> Result<(), DatasetError> {
    if frame.height() < 2 {
        return Ok(());
    }
    for c in frame.columns() {
        let Ok(text) = c.str() else { continue };
        let number = |v: Option<&str>| v.is_none_or(|s| s.trim().parse::<f64>().is_ok());
        let first = text.get(0);
        if !number(first) && text.iter().skip(1).all(number) {
            return Err(DatasetError::MalformedRow {
                path: path.to_path_buf(),
                row,
                message: format!(
                    "column {:?} holds {:?} here and numbers in every other row; if this is a header row, make it spell the config's headers ({} columns) or remove it",
                    c.name().as_str(),
                    first.unwrap_or_default(),
                    frame.width()
                ),
            });
        }
    }
    Ok(())
}

fn parse_csv(bytes: &[u8], has_header: bool, infer_rows: Option<usize>) -> PolarsResult<DataFrame> {
    let parse = CsvParseOptions::default().with_null_values(Some(NullValues::AllColumns(
        PANDAS_NA.iter().map(|s| PlSmallStr::from(*s)).collect(),
    )));
    CsvReadOptions::default()
        .with_has_header(has_header)
        .with_infer_schema_length(infer_rows)
        .with_parse_options(parse)
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
}

/// Field count of a CSV line, honouring double quotes.
fn count_fields(line: &[u8]) -> usize {
    let mut in_quotes = false;
    let mut n = 1;
    for b in line {
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => n += 1,
            _ => {}
        }
    }
    n
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn first_line_fields(bytes: &[u8]) -> usize {
    lines(bytes).next().map(count_fields).unwrap_or(0)
}

fn first_nonblank(bytes: &[u8]) -> Option<&[u8]> {
    lines(bytes).find(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
}

/// A CSV line's fields, unquoted and trimmed (for comparing a row with the headers).
fn split_fields(line: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(line);
    let mut out = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    for ch in text.chars() {
        match ch {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => out.push(std::mem::take(&mut field).trim().to_string()),
            c => field.push(c),
        }
    }
    out.push(field.trim().to_string());
    out
}

/// The first data row (1-based, counting the header row as row 1 when there is one) whose
/// field count differs from `expected`, and its count. Blank lines are skipped, as pandas does.
fn first_ragged_row(bytes: &[u8], expected: usize, has_header: bool) -> Option<(usize, usize)> {
    lines(bytes)
        .enumerate()
        .skip(usize::from(has_header))
        .filter(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()))
        .map(|(i, l)| (i + 1, count_fields(l)))
        .find(|(_, n)| *n != expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, headers: Option<&[String]>) -> Result<DataFrame, DatasetError> {
        read_csv(text.as_bytes(), Path::new("d.csv"), headers).map(|r| r.frame)
    }

    #[test]
    fn reads_with_pandas_types_and_missing_markers() {
        let df =
            super::super::pandas_like(read("a,b,c,d\n1,x,1.5,NA\n2,NA,2.5,3\n", None).unwrap());
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::Int64);
        assert_eq!(df.column("b").unwrap().null_count(), 1);
        assert_eq!(df.column("c").unwrap().dtype(), &DataType::Float64);
        // An integer column with a missing value is float in pandas.
        assert_eq!(df.column("d").unwrap().dtype(), &DataType::Float64);
    }

    #[test]
    fn a_late_float_in_an_integer_column_is_read_as_float() {
        let mut text = String::from("a\n");
        for i in 0..20_000 {
            text.push_str(&format!("{i}\n"));
        }
        text.push_str("0.5\n");
        let df = read(&text, None).unwrap();
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::Float64);
        assert_eq!(df.height(), 20_001);
    }

    #[test]
    fn headers_name_columns_of_a_headerless_file() {
        let h = vec!["x".to_string(), "y".to_string()];
        let df = read("1,2\n3,4\n", Some(&h)).unwrap();
        assert_eq!(df.height(), 2);
        assert_eq!(df.column("y").unwrap().get(1).unwrap().to_string(), "4");
    }

    #[test]
    fn a_ragged_row_is_named() {
        let e = read("a,b\n1,2\n3\n", None).unwrap_err().to_string();
        assert!(
            e.contains("malformed row 3: expected 2 fields, found 1"),
            "{e}"
        );
        let h = vec!["x".to_string(), "y".to_string(), "z".to_string()];
        let e = read("1,2,3\n\"a,b\",2,3\n4,5\n", Some(&h))
            .unwrap_err()
            .to_string();
        assert!(e.contains("malformed row 3"), "{e}");
    }

    #[test]
    fn a_first_row_spelling_the_headers_is_a_header_row() {
        let h = vec!["sex".to_string(), "label".to_string()];
        let r = read_csv(b"sex,label\n1,0\n2,1\n", Path::new("d.csv"), Some(&h)).unwrap();
        assert_eq!(r.frame.height(), 2);
        assert_eq!(r.frame.column("sex").unwrap().dtype(), &DataType::Int64);
        assert!(r.warnings[0].contains("header row"), "{:?}", r.warnings);
        // Another header row is not silently data.
        let e = read("gender,y\n1,0\n2,1\n", Some(&h))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("d.csv: malformed row 1: column \"sex\" holds \"gender\""),
            "{e}"
        );
        // Text columns stay text.
        assert!(read("a,0\nb,1\n", Some(&h)).is_ok());
    }
}

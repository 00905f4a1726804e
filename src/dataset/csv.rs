//! CSV as pandas' `read_csv` reads it: the same missing-value markers, full-file type
//! inference, and a precise message (row number) for a row with the wrong number of fields.

use std::path::Path;

use polars::prelude::*;

use super::DatasetError;

/// pandas' default `na_values`: these cells are missing, whatever the column.
const PANDAS_NA: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Reads a CSV file. `headers` given: the file has no header row and its columns get these
/// names (their count must match).
pub fn read_csv(path: &Path, headers: Option<&[String]>) -> Result<DataFrame, DatasetError> {
    let bytes = std::fs::read(path).map_err(|source| DatasetError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let expected_fields = match headers {
        Some(h) => h.len(),
        None => first_line_fields(&bytes),
    };
    if let Some((row, got)) = first_ragged_row(&bytes, expected_fields, headers.is_none()) {
        return Err(DatasetError::MalformedRow {
            path: path.to_path_buf(),
            row,
            message: format!("expected {expected_fields} fields, found {got}"),
        });
    }
    // Inferring types from the first rows is fast; a later value that does not fit makes
    // polars fail (never coerce), and then the whole file is used for inference, as pandas
    // does.
    let frame = match parse_csv(&bytes, headers.is_none(), Some(10_000)) {
        Ok(f) => f,
        Err(_) => {
            parse_csv(&bytes, headers.is_none(), None).map_err(|e| DatasetError::Invalid {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        }
    };
    match headers {
        None => Ok(frame),
        Some(h) => {
            let mut frame = frame;
            frame
                .set_column_names(h)
                .map_err(|e| DatasetError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("cannot apply headers: {e}"),
                })?;
            Ok(frame)
        }
    }
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

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn reads_with_pandas_types_and_missing_markers() {
        let f = write("a,b,c,d\n1,x,1.5,NA\n2,NA,2.5,3\n");
        let df = super::super::pandas_like(read_csv(f.path(), None).unwrap());
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
        let f = write(&text);
        let df = read_csv(f.path(), None).unwrap();
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::Float64);
        assert_eq!(df.height(), 20_001);
    }

    #[test]
    fn headers_name_columns_of_a_headerless_file() {
        let f = write("1,2\n3,4\n");
        let h = vec!["x".to_string(), "y".to_string()];
        let df = read_csv(f.path(), Some(&h)).unwrap();
        assert_eq!(df.height(), 2);
        assert_eq!(df.column("y").unwrap().get(1).unwrap().to_string(), "4");
    }

    #[test]
    fn a_ragged_row_is_named() {
        let f = write("a,b\n1,2\n3\n");
        let e = read_csv(f.path(), None).unwrap_err().to_string();
        assert!(
            e.contains("malformed row 3: expected 2 fields, found 1"),
            "{e}"
        );
        let h = vec!["x".to_string(), "y".to_string(), "z".to_string()];
        let f = write("1,2,3\n\"a,b\",2,3\n4,5\n");
        let e = read_csv(f.path(), Some(&h)).unwrap_err().to_string();
        assert!(e.contains("malformed row 3"), "{e}");
    }
}

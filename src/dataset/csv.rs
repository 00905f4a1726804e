//! CSV as pandas' `read_csv` reads it: the same missing-value markers, full-file type
//! inference, and a precise message (row number) for a row with the wrong number of fields.

use std::path::Path;

use polars::prelude::*;

use super::DatasetError;
use super::parsed::{self, ParsedColumn};
use super::scan::{self, ScanSpec};
use crate::config::analysis::AnalysisConfig;

/// pandas' default `na_values`: these cells are missing, whatever the column (in datasets and
/// in captured CSV payloads alike).
pub(crate) const PANDAS_NA: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Which of pandas' markers `cell` spells, if any. Every marker but the empty one holds `#`,
/// `N` or `n`, and none is longer than 8 bytes: numbers are ruled out without comparing.
pub(crate) fn na_marker(cell: &[u8]) -> Option<usize> {
    if cell.len() > 8 || !(cell.is_empty() || cell.iter().any(|b| matches!(b, b'#' | b'N' | b'n')))
    {
        return None;
    }
    PANDAS_NA.iter().position(|m| m.as_bytes() == cell)
}

/// A CSV dataset and what a user must know about how it was read.
pub struct CsvRead {
    pub frame: DataFrame,
    pub warnings: Vec<String>,
    /// `Some` when only the bias engine's columns were read: the config to run the engine
    /// with on this frame (references by position renamed, since positions moved).
    pub projected: Option<AnalysisConfig>,
}

/// Reads CSV bytes (`path` names them in messages). `headers` given: the file's columns get
/// these names (their count must match); a first row that spells the headers is recognised
/// as a header row and skipped, with a warning; a first row that holds text where every
/// other row of the column holds numbers is an error naming it (a header row that does not
/// match the config, most likely), never a silently different dataset.
///
/// `bias_only`: the frame feeds only the bias engine with this config, so the columns it
/// does not read may be left unparsed. That is done when the file has its own header row
/// and no quotes (names and positions are then certain); otherwise every column is read.
pub fn read_csv(
    bytes: &[u8],
    path: &Path,
    headers: Option<&[String]>,
    bias_only: Option<&AnalysisConfig>,
) -> Result<CsvRead, DatasetError> {
    let mut warnings = Vec::new();
    let expected_fields = match headers {
        Some(h) => h.len(),
        None => lines(bytes).next().map_or(0, scan::count_fields),
    };
    if expected_fields > crate::limits::MAX_COLUMNS {
        return Err(DatasetError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "{} has {expected_fields} columns, more than the {} a dataset may have",
                if headers.is_some() {
                    "the config's headers list"
                } else {
                    "the first row"
                },
                crate::limits::MAX_COLUMNS
            ),
        });
    }
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
    let duplicates = match headers {
        None => duplicate_names(&first_nonblank(bytes).map(split_fields).unwrap_or_default()),
        Some(_) => Vec::new(),
    };
    warnings.extend(duplicates.iter().map(|(name, at)| {
        let later: Vec<String> = (1..at.len()).map(|k| format!("{name}.{k}")).collect();
        let at: Vec<String> = at.iter().map(|i| (i + 1).to_string()).collect();
        format!(
            "{}: the header row names column {name:?} more than once (columns {}); as pandas does, {name:?} is the first of them and the others are {}",
            path.display(),
            at.join(", "),
            later.join(", ")
        )
    }));
    let quoted = scan::has_quotes(bytes);
    // With config headers and no header row, the first-row check below needs every column.
    let projection = match (bias_only, headers, quoted) {
        (Some(cfg), None, false) => header_names(bytes).and_then(|names| {
            let (kept, cfg) = cfg.bias_projection(&names)?;
            let kept_names = kept.iter().map(|k| names[*k].clone()).collect();
            Some(Projection {
                kept,
                names: kept_names,
                cfg,
            })
        }),
        _ => None,
    };
    let found = scan::scan(
        bytes,
        &ScanSpec {
            expected_fields,
            header_row: has_header_row,
            read: projection.as_ref().map(|p| p.kept.as_slice()),
            quoted,
            parse: projection.is_some(),
        },
    );
    // Checked first: polars would read a bad byte into a string cell (turning a numeric
    // column categorical without a word), and UTF-16 as one garbled field per row.
    if !found.utf8 {
        crate::limits::utf8(bytes).map_err(|message| DatasetError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
    }
    if let Some((row, got)) = found.ragged {
        return Err(DatasetError::MalformedRow {
            path: path.to_path_buf(),
            row,
            message: format!("expected {expected_fields} fields, found {got}"),
        });
    }
    let parsed = match (&projection, found.parsed) {
        (Some(p), Some(parsed)) => parsed_frame(&p.names, parsed),
        _ => None,
    };
    let frame = match parsed {
        Some(frame) => frame,
        None => {
            let options = ParseOptions {
                has_header: has_header_row,
                markers: &found.markers,
                projection: projection.as_ref().map(|p| &p.kept),
            };
            // Inferring types from the first rows is fast; a later value that does not fit
            // makes polars fail (never coerce), and then the whole file is used for
            // inference, as pandas does.
            match parse_csv(bytes, &options, Some(10_000)) {
                Ok(f) => f,
                Err(_) => parse_csv(bytes, &options, None).map_err(|e| DatasetError::Invalid {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?,
            }
        }
    };
    let projected = projection.map(|p| p.cfg);
    // pandas' names for repeated columns (`x.1`, `x.2`), which a Clarify config can use,
    // instead of polars' (`x_duplicated_0`).
    let mut frame = frame;
    for (name, at) in &duplicates {
        for (k, pos) in at.iter().enumerate().skip(1) {
            let Some(current) = frame.get_column_names().get(*pos).map(|n| n.to_string()) else {
                continue;
            };
            let _ = frame.rename(&current, format!("{name}.{k}").into());
        }
    }
    let Some(h) = headers else {
        return Ok(CsvRead {
            frame,
            warnings,
            projected,
        });
    };
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
    Ok(CsvRead {
        frame,
        warnings,
        projected,
    })
}

/// The bias engine's columns of a file, read alone.
struct Projection {
    /// Their positions, ascending.
    kept: Vec<usize>,
    names: Vec<String>,
    /// The config to run the engine with on them.
    cfg: AnalysisConfig,
}

/// The frame of the columns the scan parsed, when it could type every one of them (see
/// [`parsed`]); `None`: polars reads them.
fn parsed_frame(names: &[String], parts: Vec<Vec<ParsedColumn<'_>>>) -> Option<DataFrame> {
    let columns = names
        .iter()
        .zip(parts)
        .map(|(name, parts)| parsed::assemble(name, parts))
        .collect::<Option<Vec<Column>>>()?;
    let height = columns.first().map_or(0, Column::len);
    DataFrame::new(height, columns).ok()
}

/// The names on the first line of a file without quotes, when polars takes them as they
/// are: present, distinct, without surrounding blanks or a byte-order mark (polars renames
/// duplicates, so a name would no longer say which position it stands for).
fn header_names(bytes: &[u8]) -> Option<Vec<String>> {
    let first = lines(bytes).next()?;
    let names: Vec<String> = std::str::from_utf8(first)
        .ok()?
        .split(',')
        .map(str::to_string)
        .collect();
    let plain = names
        .iter()
        .all(|n| !n.is_empty() && n.trim() == n && !n.starts_with('\u{feff}'));
    let distinct = names
        .iter()
        .enumerate()
        .all(|(i, n)| !names[..i].contains(n));
    (plain && distinct).then_some(names)
}

/// The names given to more than one column, each with its positions (0-based), in order of
/// first appearance.
fn duplicate_names(names: &[String]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            continue;
        }
        let at: Vec<usize> = (i..names.len()).filter(|j| names[*j] == *n).collect();
        if at.len() > 1 {
            out.push((n.clone(), at));
        }
    }
    out
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

/// How polars is asked to read the file.
struct ParseOptions<'a> {
    has_header: bool,
    /// The missing-value markers that occur in the columns read (see [`scan`]).
    markers: &'a [&'static str],
    /// The columns to read, in file order (`None`: all).
    projection: Option<&'a Vec<usize>>,
}

fn parse_csv(
    bytes: &[u8],
    options: &ParseOptions<'_>,
    infer_rows: Option<usize>,
) -> PolarsResult<DataFrame> {
    let nulls = match options.markers {
        [] => None,
        [one] => Some(NullValues::AllColumnsSingle(PlSmallStr::from(*one))),
        many => Some(NullValues::AllColumns(
            many.iter().map(|s| PlSmallStr::from(*s)).collect(),
        )),
    };
    CsvReadOptions::default()
        .with_has_header(options.has_header)
        .with_infer_schema_length(infer_rows)
        .with_projection(options.projection.map(|p| Arc::new(p.clone())))
        .with_parse_options(CsvParseOptions::default().with_null_values(nulls))
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a 17.9 MB CSV of 1,000,000 columns peaked at 1.97 GB.
    #[test]
    fn a_file_wider_than_the_column_limit_is_refused_before_it_is_parsed() {
        let width = crate::limits::MAX_COLUMNS + 1;
        let row = vec!["1"; width].join(",");
        let text = format!(
            "{}\n{row}\n",
            (0..width)
                .map(|i| format!("c{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let e = read_csv(text.as_bytes(), Path::new("wide.csv"), None, None)
            .err()
            .expect("refused");
        assert_eq!(
            e.to_string(),
            "wide.csv: the first row has 10001 columns, more than the 10000 a dataset may have"
        );
    }

    #[test]
    fn repeated_header_names_get_pandas_names_and_a_warning() {
        let read = read_csv(b"a,b,a,a\n1,2,3,4\n", Path::new("d.csv"), None, None).unwrap();
        let names: Vec<String> = read
            .frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["a", "b", "a.1", "a.2"]);
        assert_eq!(read.warnings.len(), 1);
        assert!(
            read.warnings[0].contains("columns 1, 3, 4"),
            "{:?}",
            read.warnings
        );
    }

    fn read(text: &str, headers: Option<&[String]>) -> Result<DataFrame, DatasetError> {
        read_csv(text.as_bytes(), Path::new("d.csv"), headers, None).map(|r| r.frame)
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
    fn a_quoted_line_break_stays_in_its_cell() {
        // Regression: a text column's paragraphs were read as ragged rows.
        let h = vec!["y".to_string(), "text".to_string()];
        let df = read("1,\"one\ntwo\"\n0,three\n", Some(&h)).unwrap();
        assert_eq!(df.height(), 2);
        let e = read("1,\"a\nb\"\n0\n", Some(&h)).unwrap_err().to_string();
        assert!(
            e.contains("malformed row 3: expected 2 fields, found 1"),
            "{e}"
        );
    }

    #[test]
    fn a_first_row_spelling_the_headers_is_a_header_row() {
        let h = vec!["sex".to_string(), "label".to_string()];
        let r = read_csv(b"sex,label\n1,0\n2,1\n", Path::new("d.csv"), Some(&h), None).unwrap();
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

    use crate::config::analysis::{ColumnRef, FacetConfig};

    /// A config whose bias engine reads `a` (label), `b` (facet) and `c` (group).
    fn bias_config() -> AnalysisConfig {
        AnalysisConfig {
            label: Some(ColumnRef::Name("a".into())),
            facets: vec![FacetConfig {
                column: ColumnRef::Index(1),
                values: None,
            }],
            group_variable: Some(ColumnRef::Name("c".into())),
            ..AnalysisConfig::default()
        }
    }

    /// Columns as the engine sees them: dtype, and every value's bits (missing: None).
    fn cells(frame: &DataFrame) -> Vec<(String, DataType, Vec<Option<String>>)> {
        let frame = super::super::pandas_like(frame.clone());
        frame
            .columns()
            .iter()
            .map(|c| {
                let values = (0..c.len())
                    .map(|i| {
                        let v = c.get(i).unwrap();
                        match v {
                            AnyValue::Null => None,
                            AnyValue::Float64(f) => Some(format!("f{:x}", f.to_bits())),
                            other => Some(format!("{other:?}")),
                        }
                    })
                    .collect();
                (c.name().to_string(), c.dtype().clone(), values)
            })
            .collect()
    }

    /// The same file read only for the bias engine (the scan's columns when it can) and
    /// read whole by polars: the engine's columns must be the same, bit for bit.
    fn assert_same_both_ways(text: &str) -> bool {
        let path = Path::new("d.csv");
        let cfg = bias_config();
        let fast = read_csv(text.as_bytes(), path, None, Some(&cfg));
        let whole = read_csv(text.as_bytes(), path, None, None);
        let (fast, whole) = match (fast, whole) {
            (Ok(f), Ok(w)) => (f, w),
            (Err(f), Err(w)) => {
                assert_eq!(f.to_string(), w.to_string(), "{text}");
                return false;
            }
            (f, w) => panic!(
                "{text}\nprojected: {:?}\nwhole: {:?}",
                f.map(|r| r.frame),
                w.map(|r| r.frame)
            ),
        };
        let projected = fast.projected.expect("projected");
        assert_eq!(projected.facets[0].column, ColumnRef::Name("b".into()));
        let kept = whole.frame.select(["a", "b", "c"]).unwrap();
        assert_eq!(cells(&fast.frame), cells(&kept), "{text}");
        let found = scan::scan(
            text.as_bytes(),
            &ScanSpec {
                expected_fields: 4,
                header_row: true,
                read: Some(&[0, 1, 2]),
                quoted: false,
                parse: true,
            },
        );
        let names = ["a", "b", "c"].map(String::from);
        found.parsed.and_then(|n| parsed_frame(&names, n)).is_some()
    }

    #[test]
    fn every_marker_and_nothing_else_is_missing() {
        for (i, m) in PANDAS_NA.iter().enumerate() {
            assert_eq!(na_marker(m.as_bytes()), Some(i), "{m}");
        }
        for cell in [
            "0",
            "-1.5",
            "1e5",
            "na",
            "Nan",
            "NA ",
            " NA",
            "None!",
            "#N/A N/A!",
            "inf",
        ] {
            assert_eq!(na_marker(cell.as_bytes()), None, "{cell}");
        }
    }

    #[test]
    fn columns_parsed_by_the_scan_are_the_columns_polars_reads() {
        const NUMBERS: &[&str] = &[
            "0",
            "7",
            "-3",
            "0012",
            "-0012",
            "123456789012345678",
            "1.5",
            ".5",
            "5.",
            "-.25",
            "1e3",
            "2E-2",
            "+1.5",
            "-0.0",
            "0.1",
            "3.14159265358979323846",
            "1e308",
            "4.9e-324",
        ];
        const OTHERS: &[&str] = &[
            "",
            "NA",
            "nan",
            "NaN",
            "null",
            "N/A",
            "#N/A",
            "-1.#IND",
            "abc",
            "+5",
            "-0",
            "inf",
            "-inf",
            "True",
            "false",
            " 1",
            "1 ",
            "9223372036854775808",
            "1_0",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        const TEXTS: &[&str] = &[
            "Male", "Female", "a b", "x1", "+5", "-", "Nan", "é", "1.2.3",
        ];
        let mut fast = 0;
        for case in 0..400 {
            let rows = 1 + next(40);
            // Most columns plain numbers or text (the fast path), some with an odd field.
            let kinds: Vec<usize> = (0..3).map(|_| next(6)).collect();
            let mut text = String::from("a,b,c,d\n");
            for _ in 0..rows {
                for (k, kind) in kinds.iter().enumerate() {
                    let pool = match kind {
                        // An odd field now and then.
                        0 if next(3) == 0 => OTHERS,
                        // Text, with a number or a marker now and then.
                        1 => match next(5) {
                            0 => NUMBERS,
                            1 => OTHERS,
                            _ => TEXTS,
                        },
                        // Integers only.
                        2 if case % 3 == 0 || k == 0 => &NUMBERS[..6],
                        _ => NUMBERS,
                    };
                    text.push_str(pool[next(pool.len())]);
                    text.push(',');
                }
                text.push_str("x\n");
            }
            fast += usize::from(assert_same_both_ways(&text));
        }
        assert!(fast > 150, "the scan parsed only {fast} of 400 files");
    }

    #[test]
    fn edge_files_read_the_same_both_ways() {
        for text in [
            "a,b,c,d\n1,2,3,x\n",
            "a,b,c,d\r\n1,2,3,x\r\n4,5,6,y\r\n",
            "a,b,c,d\n1,2,3,x",
            "a,b,c,d\n1,2,3,x\n\n4,5,6,y\n",
            "a,b,c,d\n1,2,3,x\n  \n4,5,6,y\n",
            "a,b,c,d\n1,NA,3,x\n4,5,,y\n",
            "a,b,c,d\n1,2,3,NA\n",
            "a,b,c,d\n",
            "a,b,c,d\n1,2,3\n",
            "a,b,c,d\n1,2,3,4,5\n",
            "a,b,c,d\n1,2.5,3,\n",
        ] {
            assert_same_both_ways(text);
        }
    }

    #[test]
    fn a_ragged_row_deep_in_a_large_file_is_named_by_its_line() {
        // Large enough to be scanned in chunks on every core.
        for eol in ["\n", "\r\n"] {
            let mut text = format!("a,b,c,d{eol}");
            for i in 0..400_000 {
                if i == 350_000 {
                    text.push_str(&format!("1,2,3{eol}"));
                } else {
                    text.push_str(&format!("10,20,{i},40{eol}"));
                }
                if i == 1_000 {
                    text.push_str(eol);
                }
            }
            for bias_only in [None, Some(&bias_config())] {
                let e = read_csv(text.as_bytes(), Path::new("d.csv"), None, bias_only)
                    .err()
                    .map(|e| e.to_string());
                // Header, 350,000 rows before it and one blank line.
                assert_eq!(
                    e.as_deref(),
                    Some("d.csv: malformed row 350003: expected 4 fields, found 3")
                );
            }
        }
    }

    #[test]
    fn invalid_utf8_anywhere_is_named() {
        let mut bytes = b"a,b,c,d\n".to_vec();
        for i in 0..400_000 {
            bytes.extend_from_slice(format!("1,2,{i},4\n").as_bytes());
        }
        let at = bytes.len() - 100;
        bytes[at] = 0xff;
        let e = read_csv(&bytes, Path::new("d.csv"), None, Some(&bias_config()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        assert!(
            e.starts_with("d.csv: is not UTF-8 text")
                && e.contains(&format!("invalid byte 0xff at line {line},")),
            "{e}"
        );
    }

    #[test]
    fn text_columns_are_parsed_by_the_scan_too() {
        let text = "a,b,c,d\nyes,Male,1,x\nNA,Female,2,x\nno,,3,x\nno,5,4,x\n";
        assert!(assert_same_both_ways(text));
        // Text first in one chunk, numbers first in the next (with two or more cores): the
        // same column either way.
        let mut mixed = String::from("a,b,c,d\n");
        for i in 0..300_000 {
            let b = if i < 100_000 { "Male" } else { "7" };
            mixed.push_str(&format!("1,{b},{i},x\n"));
        }
        assert_same_both_ways(&mixed);
    }

    #[test]
    fn a_column_whose_first_value_comes_late_is_left_to_polars() {
        // polars infers types from the first 10,000 rows: a column empty there is text.
        let mut text = String::from("a,b,c,d\n");
        for i in 0..12_000 {
            let b = if i < 9_500 {
                String::new()
            } else {
                i.to_string()
            };
            text.push_str(&format!("{i},{b},1,x\n"));
        }
        assert!(!assert_same_both_ways(&text));
    }

    #[test]
    fn without_a_usable_header_every_column_is_read() {
        let cfg = bias_config();
        for text in [
            "a,b,a,d\n1,2,3,4\n",
            "a, b,c,d\n1,2,3,4\n",
            "\"a\",b,c,d\n1,2,3,4\n",
        ] {
            let r = read_csv(text.as_bytes(), Path::new("d.csv"), None, Some(&cfg)).unwrap();
            assert!(r.projected.is_none(), "{text}");
            assert_eq!(r.frame.width(), 4, "{text}");
        }
    }
}

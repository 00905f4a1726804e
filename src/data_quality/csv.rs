//! A CSV dataset into a [`Profile`], read as the container's Spark reader reads it for
//! profiling: every cell as text, an empty unquoted cell missing, `"…"` quoting with `\"` or
//! `""` for a quote inside, names from the header line or Spark's `_c0`, `_c1`, … without one.
//!
//! Where Spark would quietly fill a short row with nulls or drop a long row's extra cells,
//! this reader stops with the line: a ragged file is a broken baseline, not a profile.

use std::io::{BufRead, Read};

use super::error::DataQualityError;
use super::profile::Profile;
use crate::limits::MAX_LINE_BYTES;
use crate::spark_csv::split;

/// Profiles a CSV file line by line: its header (or first line) fixes the width, every
/// other line must have as many cells.
pub struct CsvProfiler<'a> {
    header: bool,
    source: &'a str,
    profile: Option<Profile>,
    width: usize,
    line_no: usize,
}

impl<'a> CsvProfiler<'a> {
    pub fn new(header: bool, source: &'a str) -> Self {
        Self {
            header,
            source,
            profile: None,
            width: 0,
            line_no: 0,
        }
    }

    fn error(&self, reason: String) -> DataQualityError {
        DataQualityError::Input {
            at: format!("{}:{}", self.source, self.line_no),
            reason,
        }
    }

    /// One line, without its `\n` (a `\r` before it is dropped).
    pub fn line(&mut self, raw: &[u8]) -> Result<(), DataQualityError> {
        self.line_no += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            return Ok(());
        }
        let line = std::str::from_utf8(raw).map_err(|e| {
            self.error(format!(
                "is not UTF-8 (byte {} of the line)",
                e.valid_up_to() + 1
            ))
        })?;
        let row = split(line).map_err(|reason| self.error(reason))?;
        let Some(p) = &mut self.profile else {
            self.width = row.len();
            if self.header {
                let names: Vec<String> = row
                    .into_iter()
                    .enumerate()
                    .map(|(j, n)| n.map_or_else(|| format!("_c{j}"), |n| n.into_owned()))
                    .collect();
                self.profile = Some(Profile::new(names));
            } else {
                let mut p = Profile::new((0..self.width).map(|j| format!("_c{j}")).collect());
                p.add_row(row.iter().map(Option::as_deref));
                self.profile = Some(p);
            }
            return Ok(());
        };
        if row.len() != self.width {
            let (n, width) = (row.len(), self.width);
            let first = if self.header { "header" } else { "first line" };
            return Err(self.error(format!("has {n} cells, the {first} has {width}")));
        }
        p.add_row(row.iter().map(Option::as_deref));
        Ok(())
    }

    pub fn finish(self) -> Result<Profile, DataQualityError> {
        self.profile.ok_or_else(|| DataQualityError::Input {
            at: self.source.to_string(),
            reason: "holds no line".into(),
        })
    }
}

/// Profiles `bytes` (a whole CSV file named `source` in messages).
pub fn profile_csv(bytes: &[u8], header: bool, source: &str) -> Result<Profile, DataQualityError> {
    let mut p = CsvProfiler::new(header, source);
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    for raw in bytes.split(|&b| b == b'\n') {
        p.line(raw)?;
    }
    p.finish()
}

/// Profiles a CSV stream line by line, in memory bounded by the longest line (at most
/// [`MAX_LINE_BYTES`]), so a baseline dataset of any size can be profiled.
pub fn profile_csv_reader(
    mut reader: impl BufRead,
    header: bool,
    source: &str,
) -> Result<Profile, DataQualityError> {
    let mut p = CsvProfiler::new(header, source);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = match (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(n) => n,
            Err(e) => {
                // The line that could not be read (a broken gzip stream, an I/O error).
                p.line_no += 1;
                return Err(p.error(format!("cannot be read: {e}")));
            }
        };
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if line.len() > MAX_LINE_BYTES {
            p.line_no += 1;
            return Err(p.error(format!(
                "is longer than {} (the longest line driftwatch reads)",
                crate::limits::human_bytes(MAX_LINE_BYTES as u64)
            )));
        }
        p.line(&line)?;
    }
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_name_the_line() {
        let e = profile_csv(b"1,2\n3\n", false, "d.csv").unwrap_err();
        assert_eq!(e.to_string(), "d.csv:2: has 1 cells, the first line has 2");
        let e = profile_csv(b"a,b\n1,\xff\n", true, "d.csv").unwrap_err();
        assert_eq!(e.to_string(), "d.csv:2: is not UTF-8 (byte 3 of the line)");
        let e = profile_csv(b"\n\n", true, "d.csv").unwrap_err();
        assert_eq!(e.to_string(), "d.csv: holds no line");
    }

    #[test]
    fn names_come_from_the_header_or_are_sparks() {
        let p = profile_csv(b"x,y\n1,2\n", true, "d").unwrap();
        assert_eq!(p.names, ["x", "y"]);
        assert_eq!(p.rows, 1);
        let p = profile_csv(b"1,2\r\n3,4\r\n", false, "d").unwrap();
        assert_eq!(p.names, ["_c0", "_c1"]);
        assert_eq!(p.rows, 2);
        // The streaming reader gives the same profile and the same errors.
        let text = b"x,y\n1,a\n\n2.5,b\n";
        let r = profile_csv_reader(&text[..], true, "d").unwrap();
        assert_eq!(r, profile_csv(text, true, "d").unwrap());
        let e = profile_csv_reader(&b"1,2\n3\n"[..], false, "d.csv").unwrap_err();
        assert_eq!(e.to_string(), "d.csv:2: has 1 cells, the first line has 2");
    }
}

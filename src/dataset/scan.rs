//! One pass over a CSV's bytes before polars parses them: the first row with the wrong
//! number of fields (pandas names it; polars would pad or fail without a row number), and
//! which of pandas' missing-value markers occur in the columns that will be read.
//!
//! The markers matter for speed, not meaning: polars compares every field with every null
//! marker it is given, and 19 markers on every cell cost more than parsing the numbers. The
//! markers that do occur in the read columns give polars the same nulls as all 19 (a marker
//! that occurs nowhere changes nothing), and usually there are none, or one.
//!
//! A file without double quotes is split into chunks at line ends and scanned on every core.
//! A file with quotes is scanned line by line, as before, and keeps all 19 markers: a quoted
//! field may span lines, so fields cannot be told apart line by line.

use super::csv::{PANDAS_NA, na_marker};
use super::parsed::ParsedColumn;

/// What the scan found.
#[derive(Debug)]
pub(super) struct Scan<'a> {
    /// Whether the bytes are UTF-8 (checked here, on every core, for large files).
    pub utf8: bool,
    /// The first data row (1-based, counting every line) whose field count differs from the
    /// expected count, and its count. Whitespace-only lines are skipped, as pandas does.
    pub ragged: Option<(usize, usize)>,
    /// The null markers polars must be given for the same result as all of pandas' markers.
    pub markers: Vec<&'static str>,
    /// With [`ScanSpec::parse`]: per read column, its chunks parsed (see
    /// [`super::parsed`]); `None` when the file has whitespace-only lines (polars decides
    /// what they are).
    pub parsed: Option<Vec<Vec<ParsedColumn<'a>>>>,
}

/// What the scan is told.
pub(super) struct ScanSpec<'a> {
    pub expected_fields: usize,
    /// Line 0 is a header row (not checked for its field count).
    pub header_row: bool,
    /// The columns that will be read (`None`: all): markers elsewhere do not matter.
    pub read: Option<&'a [usize]>,
    /// The file holds a double quote (see [`has_quotes`]).
    pub quoted: bool,
    /// Parse the read columns on the way (with `read` and a header row).
    pub parse: bool,
}

/// Whether the bytes hold a double quote: then a field may hold commas or line ends.
pub(super) fn has_quotes(bytes: &[u8]) -> bool {
    memchr::memchr(b'"', bytes).is_some()
}

/// Below this many bytes a file is scanned on one thread (threads cost more than they save).
const PARALLEL_FROM: usize = 4 << 20;

pub(super) fn scan<'a>(bytes: &'a [u8], spec: &ScanSpec<'_>) -> Scan<'a> {
    if spec.quoted {
        return Scan {
            utf8: std::str::from_utf8(bytes).is_ok(),
            ragged: quoted_ragged_row(bytes, spec),
            markers: PANDAS_NA.to_vec(),
            parsed: None,
        };
    }
    let read = read_slots(spec);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = if bytes.len() < PARALLEL_FROM {
        1
    } else {
        threads.min(bytes.len() / (PARALLEL_FROM / 2)).max(1)
    };
    let chunks = split_at_lines(bytes, parts);
    let results: Vec<ChunkScan<'a>> = if chunks.len() == 1 {
        vec![scan_chunk(bytes, spec, &read, true)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let read = &read;
                    s.spawn(move || scan_chunk(c, spec, read, i == 0))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    let mut seen = 0u32;
    let mut lines_before = 0;
    let mut ragged = None;
    let parsed = spec.parse && spec.read.is_some() && results.iter().all(|r| !r.blank_line);
    let read_columns = if parsed {
        read.iter().flatten().count()
    } else {
        0
    };
    let mut numbers: Vec<Vec<ParsedColumn<'a>>> = (0..read_columns).map(|_| Vec::new()).collect();
    let results_utf8 = results.iter().all(|r| r.utf8);
    for r in results {
        seen |= r.markers;
        if parsed {
            for (column, part) in numbers.iter_mut().zip(r.numbers) {
                column.push(part);
            }
        }
        if ragged.is_none()
            && let Some((line, got)) = r.ragged
        {
            ragged = Some((lines_before + line + 1, got));
        }
        lines_before += r.line_ends;
    }
    Scan {
        // Chunks end after a line end, an ASCII byte, so each is UTF-8 if the whole is.
        utf8: results_utf8,
        ragged,
        markers: PANDAS_NA
            .iter()
            .enumerate()
            .filter(|(i, _)| seen & (1 << i) != 0)
            .map(|(_, m)| *m)
            .collect(),
        parsed: parsed.then_some(numbers),
    }
}

/// Per column: its place among the read columns, if it is read (empty: every column is
/// read, and none parsed).
fn read_slots(spec: &ScanSpec<'_>) -> Vec<Option<usize>> {
    match spec.read {
        None => Vec::new(),
        Some(cols) => {
            let mut slots = vec![None; cols.iter().max().map_or(0, |m| m + 1)];
            for (k, c) in cols.iter().enumerate() {
                slots[*c] = Some(k);
            }
            slots
        }
    }
}

/// `bytes` in up to `parts` pieces, each ending just after a line end (the last at the end).
fn split_at_lines(bytes: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..parts {
        let target = (bytes.len() * k / parts).max(start);
        match memchr::memchr(b'\n', &bytes[target..]) {
            Some(at) => {
                let end = target + at + 1;
                out.push(&bytes[start..end]);
                start = end;
            }
            None => break,
        }
    }
    out.push(&bytes[start..]);
    out
}

/// One chunk's findings; `ragged` counts lines from the chunk's start (0-based), and
/// `line_ends` how many line ends it holds (complete only when no ragged row stopped it).
struct ChunkScan<'a> {
    utf8: bool,
    ragged: Option<(usize, usize)>,
    markers: u32,
    line_ends: usize,
    /// A whitespace-only line (other than the empty end of the chunk).
    blank_line: bool,
    /// The read columns' fields, parsed (with [`ScanSpec::parse`]).
    numbers: Vec<ParsedColumn<'a>>,
}

fn scan_chunk<'a>(
    chunk: &'a [u8],
    spec: &ScanSpec<'_>,
    read: &[Option<usize>],
    first: bool,
) -> ChunkScan<'a> {
    let parse = spec.parse && !read.is_empty();
    let mut out = ChunkScan {
        utf8: std::str::from_utf8(chunk).is_ok(),
        ragged: None,
        markers: 0,
        line_ends: 0,
        blank_line: false,
        numbers: if parse {
            // Rows, guessed from the first line's length.
            let first = memchr::memchr(b'\n', chunk).unwrap_or(chunk.len()) + 1;
            let rows = chunk.len() / first + 1;
            (0..read.iter().flatten().count())
                .map(|_| ParsedColumn::with_capacity(rows))
                .collect()
        } else {
            Vec::new()
        },
    };
    let mut rest = chunk;
    loop {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let index = out.line_ends;
        if line.iter().all(u8::is_ascii_whitespace) {
            out.blank_line |= next.is_some() || !line.is_empty();
        } else {
            let header = first && index == 0 && spec.header_row;
            let mut fields = 0;
            let mut start = 0;
            for end in memchr::memchr_iter(b',', line).chain([line.len()]) {
                // Some(parse slot) for a column that is read.
                let slot = if read.is_empty() {
                    Some(None)
                } else {
                    read.get(fields).copied().flatten().map(Some)
                };
                if let Some(slot) = slot {
                    let field = &line[start..end];
                    let bit = marker_bit(field);
                    out.markers |= bit;
                    if let (Some(k), false) = (slot, header)
                        && let Some(column) = out.numbers.get_mut(k)
                    {
                        column.push(field, bit != 0);
                    }
                }
                fields += 1;
                start = end + 1;
            }
            if !header && fields != spec.expected_fields {
                out.ragged = Some((index, fields));
                return out;
            }
        }
        match next {
            Some(n) => {
                out.line_ends += 1;
                rest = n;
            }
            None => return out,
        }
    }
}

/// The bit of the pandas marker `field` spells, if any.
fn marker_bit(field: &[u8]) -> u32 {
    na_marker(field).map_or(0, |i| 1 << i)
}

/// The record-by-record check for a file with quotes: a quoted comma is not a separator and
/// a quoted line break does not end the record (a text column's paragraphs). A record is
/// numbered by the line it starts on.
fn quoted_ragged_row(bytes: &[u8], spec: &ScanSpec<'_>) -> Option<(usize, usize)> {
    let mut line = 1;
    let mut start_line = 1;
    let mut start = 0;
    let mut in_quotes = false;
    let mut records = 0usize;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' => {
                line += 1;
                if !in_quotes {
                    let record = &bytes[start..i];
                    let record = record.strip_suffix(b"\r").unwrap_or(record);
                    if let Some(found) = check_record(record, start_line, records, spec) {
                        return Some(found);
                    }
                    records += 1;
                    start = i + 1;
                    start_line = line;
                }
            }
            _ => {}
        }
    }
    check_record(&bytes[start..], start_line, records, spec)
}

/// One record's field count, unless it is the header row or blank.
fn check_record(
    record: &[u8],
    line: usize,
    index: usize,
    spec: &ScanSpec<'_>,
) -> Option<(usize, usize)> {
    if (spec.header_row && index == 0) || record.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let n = count_fields(record);
    (n != spec.expected_fields).then_some((line, n))
}

/// Field count of a CSV line, honouring double quotes.
pub(super) fn count_fields(line: &[u8]) -> usize {
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

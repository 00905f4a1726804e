//! Splitting a JSON Lines object (capture or ground truth) into numbered lines, each checked
//! before it is parsed: valid UTF-8 (JSON is UTF-8; a replacement character would silently
//! change a value) and no longer than [`MAX_LINE_BYTES`] (one hostile line must not cost
//! gigabytes of parse state before it is found malformed).

use crate::limits::MAX_LINE_BYTES;

/// The non-blank lines of `bytes` with their 1-based numbers; a line that cannot be read is
/// `Err(reason)` so the caller counts it as malformed and goes on.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, Result<&str, String>)> {
    // Line ends found with memchr: splitting byte by byte was a visible share of a window's
    // parse. A line is blank only when its first byte is whitespace and all the rest too.
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let raw = &bytes[start.min(end)..end];
        start = end + 1;
        Some(raw)
    })
    .enumerate()
    .filter(|(_, l)| {
        l.first()
            .is_some_and(|b| !b.is_ascii_whitespace() || !l.iter().all(u8::is_ascii_whitespace))
    })
    .map(|(i, raw)| (i + 1, checked(raw)))
}

fn checked(raw: &[u8]) -> Result<&str, String> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.len() > MAX_LINE_BYTES {
        return Err(format!(
            "the line is {}, longer than the {} limit for one line",
            crate::limits::human_bytes(raw.len() as u64),
            crate::limits::human_bytes(MAX_LINE_BYTES as u64)
        ));
    }
    std::str::from_utf8(raw).map_err(|e| {
        format!(
            "not UTF-8 text: invalid byte 0x{:02x} at column {}",
            raw[e.valid_up_to()],
            e.valid_up_to() + 1
        )
    })
}

/// The items of a file that is one JSON array (`[{…}, {…}]`), one at a time with their
/// 1-based numbers, each checked as a line is: the array is split at its top-level commas
/// (strings and escapes tracked), so a 100 MiB array costs one item's parse state at a time,
/// not a tree of the whole file (regression: 1,000,000 records on one line peaked at 1.5 GB).
/// `None` when `bytes` is not an array. An item that cannot be delimited (the array is not
/// closed) ends the iteration with its reason.
pub fn array_items(bytes: &[u8]) -> Option<impl Iterator<Item = (usize, Result<&str, String>)>> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes[start] != b'[' {
        return None;
    }
    let mut at = start + 1;
    let mut n = 0;
    let mut done = false;
    Some(std::iter::from_fn(move || {
        if done {
            return None;
        }
        match next_item(bytes, at) {
            Item::End => {
                done = true;
                None
            }
            Item::Unclosed => {
                done = true;
                n += 1;
                Some((
                    n,
                    Err("the JSON array is not closed (a truncated file?)".to_string()),
                ))
            }
            Item::At(from, to) => {
                at = to + 1;
                done = bytes[to] == b']';
                n += 1;
                Some((n, checked(&bytes[from..to])))
            }
        }
    }))
}

enum Item {
    /// `bytes[from..to]`; `to` is the comma or the closing bracket.
    At(usize, usize),
    End,
    Unclosed,
}

/// The next top-level item at or after `at`: nesting depth and strings (with escapes) are
/// tracked byte by byte; everything else is the item parser's to judge.
fn next_item(bytes: &[u8], at: usize) -> Item {
    let mut i = at;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if i >= bytes.len() {
        return Item::Unclosed;
    }
    if bytes[i] == b']' {
        return Item::End;
    }
    let from = i;
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => depth -= 1,
                b']' | b',' if depth == 0 => return Item::At(from, i),
                _ => {}
            }
        }
        i += 1;
    }
    Item::Unclosed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_is_split_into_its_items() {
        let text = br#" [ {"a": "x,]}\"y"}, [1, {"b": 2}] ,3,
            "s" ] "#;
        let got: Vec<_> = array_items(text).unwrap().collect();
        assert_eq!(
            got,
            vec![
                (1, Ok(r#"{"a": "x,]}\"y"}"#)),
                (2, Ok(r#"[1, {"b": 2}] "#)),
                (3, Ok("3")),
                (4, Ok("\"s\" ")),
            ]
        );
        assert_eq!(array_items(b"[]").unwrap().count(), 0);
        assert!(array_items(b"{\"a\": 1}").is_none());
        let cut: Vec<_> = array_items(b"[{\"a\": 1}, {\"b\"").unwrap().collect();
        assert_eq!(cut.len(), 2);
        assert!(cut[1].1.as_ref().unwrap_err().contains("not closed"));
        let long = [b"[\"".as_slice(), &vec![b'x'; MAX_LINE_BYTES], b"\"]"].concat();
        let (_, r) = array_items(&long).unwrap().next().unwrap();
        assert!(r.unwrap_err().contains("longer than the 16 MiB limit"));
    }

    #[test]
    fn numbers_lines_from_one_and_skips_blank_ones() {
        let got: Vec<_> = lines(b"a\n\n  \nb\r\nc").collect();
        assert_eq!(got, vec![(1, Ok("a")), (4, Ok("b")), (5, Ok("c"))]);
    }

    #[test]
    fn lines_are_those_of_a_plain_split_on_every_shape() {
        let plain = |bytes: &[u8]| -> Vec<(usize, Result<String, String>)> {
            bytes
                .split(|b| *b == b'\n')
                .enumerate()
                .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
                .map(|(i, raw)| (i + 1, checked(raw).map(str::to_string)))
                .collect()
        };
        for case in [
            &b""[..],
            b"\n",
            b"\n\n",
            b"a",
            b"a\n",
            b"\na",
            b" x\n\t\n  \r\n{}\n",
            b"{\"a\":1}\r\n{\"b\":2}",
        ] {
            let ours: Vec<_> = lines(case)
                .map(|(n, r)| (n, r.map(str::to_string)))
                .collect();
            assert_eq!(ours, plain(case), "{case:?}");
        }
    }

    #[test]
    fn invalid_utf8_and_overlong_lines_are_reasons() {
        let got: Vec<_> = lines(b"ok\n{\"a\": \"\xff\"}\n").collect();
        assert_eq!(got[0], (1, Ok("ok")));
        assert_eq!(
            got[1],
            (
                2,
                Err("not UTF-8 text: invalid byte 0xff at column 8".to_string())
            )
        );
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        let (_, r) = lines(&long).next().unwrap();
        assert!(r.unwrap_err().contains("longer than the 16 MiB limit"));
    }
}

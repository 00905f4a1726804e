//! Splitting a JSON Lines object (capture or ground truth) into numbered lines, each checked
//! before it is parsed: valid UTF-8 (JSON is UTF-8; a replacement character would silently
//! change a value) and no longer than [`MAX_LINE_BYTES`] (one hostile line must not cost
//! gigabytes of parse state before it is found malformed).

use crate::limits::MAX_LINE_BYTES;

/// The non-blank lines of `bytes` with their 1-based numbers; a line that cannot be read is
/// `Err(reason)` so the caller counts it as malformed and goes on.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, Result<&str, String>)> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_from_one_and_skips_blank_ones() {
        let got: Vec<_> = lines(b"a\n\n  \nb\r\nc").collect();
        assert_eq!(got, vec![(1, Ok("a")), (4, Ok("b")), (5, Ok("c"))]);
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

//! Python `re` expressions run on Rust: spaCy's tokenizer rules are Python regular
//! expressions, and its units are only reproduced if they match exactly what Python matches.
//!
//! The translation keeps the engine's semantics (leftmost-first backtracking, which
//! fancy-regex shares with Python) and rewrites only where the two syntaxes mean different
//! things:
//! - `$` is end of string *or before a final newline* in Python: `(?=\n?\z)`.
//! - `\w` is `str.isalnum()` or `_` (letters and numbers, no combining marks, which Rust's `\w`
//!   includes); `\s` is `str.isspace()` (Rust's `\s` lacks U+001C–U+001F).
//! - every escaped punctuation character becomes `\x{..}`: Python lets anything be escaped, Rust
//!   gives some escapes meaning (`\<` is a word boundary there), and `[`, `&&`, `--` and `~~`
//!   inside a class are Rust set syntax but literals in Python.
//! - `{` that is not a quantifier is a literal in Python, an error in Rust; `{,n}` is `{0,n}`.

use fancy_regex::{Regex, RegexBuilder};

const WORD: &str = r"\p{L}\p{N}_";
const SPACE: &str = r"\s\x{1C}-\x{1F}";

/// A compiled Python expression.
#[derive(Debug)]
pub struct PyRegex {
    /// Searches anywhere (`re.search`, `re.finditer`).
    search: Regex,
    /// Anchored at the start (`re.match`).
    anchored: Regex,
}

impl PyRegex {
    pub fn new(pattern: &str, ignore_case: bool) -> Result<Self, String> {
        let body = translate(pattern)?;
        let flags = if ignore_case { "(?i)" } else { "" };
        let build = |source: String| {
            RegexBuilder::new(&source)
                // Python's `re` never gives up; neither does this (a text is at most
                // `run::MAX_TEXT_CHARS` long, so a search is bounded anyway).
                .backtrack_limit(usize::MAX)
                .delegate_size_limit(1 << 28)
                .delegate_dfa_size_limit(1 << 26)
                .build()
                .map_err(|e| format!("{e}"))
        };
        Ok(Self {
            search: build(format!("{flags}(?:{body})"))?,
            anchored: build(format!(r"{flags}\A(?:{body})"))?,
        })
    }

    /// `re.search(text)`: the byte range of the leftmost match.
    pub fn search(&self, text: &str) -> Option<(usize, usize)> {
        match self.search.find(text) {
            Ok(Some(m)) => Some((m.start(), m.end())),
            // No backtracking limit is set, so no error comes back.
            Ok(None) | Err(_) => None,
        }
    }

    /// `re.match(text)` is not None.
    pub fn matches_start(&self, text: &str) -> bool {
        matches!(self.anchored.find(text), Ok(Some(_)))
    }

    /// `re.finditer(text)`: non-overlapping matches left to right; after an empty match the
    /// next one may not be empty at the same place (Python 3.7+).
    pub fn find_iter(&self, text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        let mut pos = 0;
        let mut last_empty_at = None;
        while pos <= text.len() {
            let Ok(Some(m)) = self.search.find_from_pos(text, pos) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            if s == e && last_empty_at == Some(s) {
                // Python would retry at s needing a non-empty match; try one character on.
                match text[s..].chars().next() {
                    Some(c) => {
                        pos = s + c.len_utf8();
                        last_empty_at = None;
                        continue;
                    }
                    None => break,
                }
            }
            found.push((s, e));
            last_empty_at = (s == e).then_some(e);
            pos = e;
        }
        found
    }
}

/// Python expression source → the same expression in fancy-regex syntax.
pub fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + pattern.len() / 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (text, used) = escape(&chars, i, false)?;
                out.push_str(&text);
                i += used;
            }
            '[' => i = class(&chars, i, &mut out)?,
            '$' => {
                out.push_str(r"(?=\n?\z)");
                i += 1;
            }
            '{' => match quantifier(&chars, i) {
                Some((text, used)) => {
                    out.push_str(&text);
                    i += used;
                }
                None => {
                    out.push_str(r"\x{7B}");
                    i += 1;
                }
            },
            '}' => {
                out.push_str(r"\x{7D}");
                i += 1;
            }
            '(' if chars.get(i + 1) == Some(&'?') && chars.get(i + 2) == Some(&'P') => {
                if chars.get(i + 3) == Some(&'=') {
                    return Err("back references are not supported".into());
                }
                out.push_str("(?P");
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The escape starting at `chars[i] == '\\'`: its translation and how many chars it used.
fn escape(chars: &[char], i: usize, in_class: bool) -> Result<(String, usize), String> {
    let Some(&n) = chars.get(i + 1) else {
        return Err("the expression ends with a backslash".into());
    };
    let hex = |len: usize| -> Result<(String, usize), String> {
        let digits: String = chars.iter().skip(i + 2).take(len).collect();
        let code = u32::from_str_radix(&digits, 16)
            .ok()
            .filter(|_| digits.len() == len)
            .ok_or_else(|| format!("bad \\{n} escape"))?;
        Ok((format!(r"\x{{{code:X}}}"), 2 + len))
    };
    Ok(match n {
        'u' => hex(4)?,
        'U' => hex(8)?,
        'x' => hex(2)?,
        'd' | 'D' => (format!("\\{n}"), 2),
        'w' if in_class => (WORD.into(), 2),
        's' if in_class => (SPACE.into(), 2),
        'W' | 'S' if in_class => (format!("\\{n}"), 2),
        'w' => (format!("[{WORD}]"), 2),
        'W' => (format!("[^{WORD}]"), 2),
        's' => (format!("[{SPACE}]"), 2),
        'S' => (format!("[^{SPACE}]"), 2),
        'A' if !in_class => (r"\A".into(), 2),
        'Z' if !in_class => (r"\z".into(), 2),
        'b' if !in_class => (r"\b".into(), 2),
        'B' if !in_class => (r"\B".into(), 2),
        'b' => (r"\x{8}".into(), 2),
        'n' => (r"\n".into(), 2),
        't' => (r"\t".into(), 2),
        'r' => (r"\r".into(), 2),
        'f' => (r"\x{C}".into(), 2),
        'v' => (r"\x{B}".into(), 2),
        'a' => (r"\x{7}".into(), 2),
        '0' => (r"\x{0}".into(), 2),
        c if c.is_alphanumeric() => return Err(format!("the escape \\{c} is not supported")),
        c => (format!(r"\x{{{:X}}}", c as u32), 2),
    })
}

/// A character class from `chars[i] == '['`, written to `out`; returns the index after it.
fn class(chars: &[char], mut i: usize, out: &mut String) -> Result<usize, String> {
    out.push('[');
    i += 1;
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("a character class is not closed".into());
        };
        if c == ']' && !first {
            out.push(']');
            return Ok(i + 1);
        }
        first = false;
        // One atom, then maybe `-` and a second atom (a range).
        let (atom, used) = class_atom(chars, i)?;
        out.push_str(&atom);
        i += used;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let (to, used) = class_atom(chars, i + 1)?;
            out.push('-');
            out.push_str(&to);
            i += 1 + used;
        }
    }
}

fn class_atom(chars: &[char], i: usize) -> Result<(String, usize), String> {
    let c = chars[i];
    if c == '\\' {
        return escape(chars, i, true);
    }
    Ok(if c.is_ascii_punctuation() {
        (format!(r"\x{{{:X}}}", c as u32), 1)
    } else {
        (c.to_string(), 1)
    })
}

/// `{m}`, `{m,}`, `{,n}`, `{m,n}` (with an optional `?`), as Python reads a quantifier.
fn quantifier(chars: &[char], i: usize) -> Option<(String, usize)> {
    let close = (i + 1..chars.len()).find(|&j| chars[j] == '}')?;
    let inner: String = chars[i + 1..close].iter().collect();
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner.as_str(), None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none_or(str::is_empty)) {
        return None;
    }
    let lo = if lo.is_empty() { "0" } else { lo };
    let text = match hi {
        None => format!("{{{lo}}}"),
        Some(hi) => format!("{{{lo},{hi}}}"),
    };
    Some((text, close + 1 - i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> PyRegex {
        PyRegex::new(p, false).unwrap()
    }

    #[test]
    fn dollar_matches_before_a_final_newline_as_in_python() {
        assert_eq!(re(r"\.$").search("a.\n"), Some((1, 2)));
        assert_eq!(re(r"\.$").search("a.b"), None);
    }

    #[test]
    fn python_literals_stay_literals() {
        assert_eq!(re(r"a{").search("xa{"), Some((1, 3)));
        assert_eq!(re(r"x{,2}").search("xxx"), Some((0, 2)));
        assert_eq!(re(r"[[&&~-]+").search("a[&&~"), Some((1, 5)));
        assert_eq!(re(r"[+--]").search("a,"), Some((1, 2)));
        assert_eq!(re(r"\<").search("a<"), Some((1, 2)));
        assert_eq!(re(r"[]a]").search("]"), Some((0, 1)));
    }

    #[test]
    fn word_and_space_classes_follow_python() {
        // U+0301 (a combining accent) is not \w in Python.
        assert_eq!(re(r"\w+").search("e\u{301}"), Some((0, 1)));
        assert!(re(r"\s").search("\u{1F}").is_some());
    }

    #[test]
    fn finditer_allows_an_empty_match_after_a_non_empty_one() {
        // Python: [m.span() for m in re.finditer(r"a|(?=b)", "ab")] == [(0, 1), (1, 1)]
        assert_eq!(re(r"a|(?=b)").find_iter("ab"), vec![(0, 1), (1, 1)]);
        assert_eq!(re(r"x*").find_iter("ab"), vec![(0, 0), (1, 1), (2, 2)]);
    }

    #[test]
    fn match_is_anchored_at_the_start_only() {
        assert!(re("ab").matches_start("abc"));
        assert!(!re("b").matches_start("abc"));
    }
}

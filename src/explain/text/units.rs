//! Text units as Clarify makes them: spaCy tokens, spaCy's rule-based sentences, or
//! paragraphs; each unit with its character offset (`start_idx`) and its byte range, from
//! which masked texts are composed.

use super::tables::{LanguageError, tables, tokenizer};
use super::tokenizer::{Token, is_space, span_text};
pub use crate::config::analysis::text::Granularity;

/// One unit of a text: one Kernel SHAP player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// `description.partial_text`.
    pub text: String,
    /// `description.start_idx`: characters from the start of the text.
    pub start_idx: usize,
    /// Where the unit's text sits in the original string (bytes).
    pub bytes: std::ops::Range<usize>,
}

/// spaCy's `Token.is_punct`: every character's general category is P* (true for "").
pub fn is_punct(text: &str) -> bool {
    static PUNCT: std::sync::OnceLock<fancy_regex::Regex> = std::sync::OnceLock::new();
    let re = PUNCT.get_or_init(|| fancy_regex::Regex::new(r"\A\p{P}*\z").expect("valid"));
    re.is_match(text).unwrap_or(false)
}

/// The Sentencizer's sentence starts (spacy/pipeline/sentencizer.pyx `predict`): a sentence
/// starts at the first token that is neither punctuation nor a sentence-final character after
/// one that is.
pub fn sentence_starts(tokens: &[Token]) -> Vec<usize> {
    if tokens.is_empty() {
        return Vec::new();
    }
    let punct = &tables().punct_chars;
    let mut starts = vec![0];
    let mut seen_period = false;
    for (i, t) in tokens.iter().enumerate() {
        let in_punct_chars = punct.binary_search(&t.text).is_ok();
        if seen_period && !is_punct(&t.text) && !in_punct_chars {
            starts.push(i);
            seen_period = false;
        } else if in_punct_chars {
            seen_period = true;
        }
    }
    starts.dedup();
    starts
}

/// spaCy's sentences as (start_char, text).
pub fn sentences(tokens: &[Token]) -> Vec<(usize, String)> {
    let starts = sentence_starts(tokens);
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let e = starts.get(k + 1).copied().unwrap_or(tokens.len());
            (tokens[s].idx, span_text(&tokens[s..e]))
        })
        .collect()
}

/// The units of `text`. Whitespace is never a unit: a token of whitespace stays in the text
/// between units, and sentences and paragraphs lose their leading and trailing whitespace.
pub fn units(
    text: &str,
    language: &str,
    granularity: Granularity,
) -> Result<Vec<Unit>, LanguageError> {
    let offsets = CharOffsets::new(text);
    let pieces: Vec<(usize, String)> = match granularity {
        Granularity::Paragraph => paragraphs(text),
        Granularity::Token => tokenizer(language)?
            .tokenize(text)
            .into_iter()
            .map(|t| (t.idx, t.text))
            .collect(),
        Granularity::Sentence => sentences(&tokenizer(language)?.tokenize(text)),
    };
    Ok(pieces
        .into_iter()
        .filter_map(|(idx, piece)| {
            let lead = piece.chars().take_while(|&c| is_space(c)).count();
            let body = piece
                .trim_start_matches(is_space)
                .trim_end_matches(is_space);
            if body.is_empty() {
                return None;
            }
            let start_idx = idx + lead;
            let from = offsets.byte(start_idx);
            Some(Unit {
                text: body.to_string(),
                start_idx,
                bytes: from..from + body.len(),
            })
        })
        .collect())
}

/// Paragraphs: the text between line breaks (a run of whitespace holding a newline), as
/// (start_char, text). The reference does not define them; this is driftwatch's rule.
fn paragraphs(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (byte, char)
    for (chars, (b, c)) in text.char_indices().enumerate() {
        if c == '\n' || c == '\r' || c == '\u{2029}' {
            if let Some((sb, sc)) = start.take() {
                out.push((sc, text[sb..b].to_string()));
            }
        } else if start.is_none() && !is_space(c) {
            start = Some((b, chars));
        }
    }
    if let Some((sb, sc)) = start {
        out.push((sc, text[sb..].to_string()));
    }
    out
}

/// Character index → byte offset.
struct CharOffsets {
    bytes: Vec<usize>,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        bytes.push(text.len());
        Self { bytes }
    }

    fn byte(&self, char_idx: usize) -> usize {
        self.bytes
            .get(char_idx)
            .copied()
            .unwrap_or_else(|| self.bytes.last().copied().unwrap_or(0))
    }
}

/// The text with the units not in `present` replaced by `baseline` (everything between units
/// kept as it was), written into `out`.
pub fn compose(
    text: &str,
    units: &[Unit],
    present: impl Fn(usize) -> bool,
    baseline: &str,
    out: &mut String,
) {
    let mut at = 0;
    for (k, u) in units.iter().enumerate() {
        out.push_str(&text[at..u.bytes.start]);
        out.push_str(if present(k) {
            &text[u.bytes.clone()]
        } else {
            baseline
        });
        at = u.bytes.end;
    }
    out.push_str(&text[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_split_at_line_breaks_and_trimmed() {
        let p = paragraphs("  One.\nTwo  \r\n\n three");
        assert_eq!(
            p,
            vec![
                (2, "One.".into()),
                (7, "Two  ".into()),
                (16, "three".into())
            ]
        );
    }

    #[test]
    fn masked_texts_keep_the_gaps() {
        let text = "Flavor needs work";
        let u = units(text, "en", Granularity::Token).unwrap();
        let mut out = String::new();
        compose(text, &u, |k| k != 1, "[MASK]", &mut out);
        assert_eq!(out, "Flavor [MASK] work");
    }

    #[test]
    fn english_contractions_split_as_spacy_splits_them() {
        let u = units("I can't go.", "en", Granularity::Token).unwrap();
        let t: Vec<&str> = u.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(t, ["I", "ca", "n't", "go", "."]);
    }
}

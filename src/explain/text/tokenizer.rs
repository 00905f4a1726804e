//! spaCy's rule-based tokenizer (spacy/tokenizer.pyx, 3.8), step for step: split on
//! whitespace (a single space after a chunk is its `spacy` flag, any other whitespace a token),
//! take special cases whole, strip prefixes and suffixes until a special case or nothing is
//! left, split what remains at infixes, then the second pass that finds special cases spanning
//! several of the first pass's tokens (spaCy's PhraseMatcher) and retokenizes them.
//!
//! Offsets are Python's: characters (code points), not bytes.

use std::collections::HashMap;

use super::pyre::PyRegex;

/// One token: spaCy's `Token.text`, `Token.idx` and whether one space follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Character offset in the original text.
    pub idx: usize,
    pub space_after: bool,
}

#[derive(Debug)]
pub struct Tokenizer {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Chinese's default segmenter: every non-space character.
    Characters,
    Rules(Box<Rules>),
}

#[derive(Debug)]
struct Rules {
    prefix: Option<PyRegex>,
    suffix: Option<PyRegex>,
    infix: Option<PyRegex>,
    token_match: Option<PyRegex>,
    url_match: Option<PyRegex>,
    specials: HashMap<String, Vec<String>>,
    /// Second-pass patterns by their first token: (rule key, the token texts it matches).
    matcher: HashMap<String, Vec<(String, Vec<String>)>>,
}

/// Python's `str.isspace()` for one character.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1C}'..='\u{1F}').contains(&c)
}

impl Tokenizer {
    pub(super) fn characters() -> Self {
        Self {
            kind: Kind::Characters,
        }
    }

    pub(super) fn rules(
        prefix: Option<PyRegex>,
        suffix: Option<PyRegex>,
        infix: Option<PyRegex>,
        token_match: Option<PyRegex>,
        url_match: Option<PyRegex>,
        specials: HashMap<String, Vec<String>>,
        matcher_rules: &HashMap<String, Vec<String>>,
    ) -> Self {
        let mut matcher: HashMap<String, Vec<(String, Vec<String>)>> = HashMap::new();
        let mut keys: Vec<&String> = matcher_rules.keys().collect();
        keys.sort();
        for key in keys {
            let pattern = &matcher_rules[key];
            if let Some(first) = pattern.first() {
                matcher
                    .entry(first.clone())
                    .or_default()
                    .push((key.clone(), pattern.clone()));
            }
        }
        Self {
            kind: Kind::Rules(Box::new(Rules {
                prefix,
                suffix,
                infix,
                token_match,
                url_match,
                specials,
                matcher,
            })),
        }
    }

    /// spaCy's `nlp.tokenizer(text)`.
    pub fn tokenize(&self, text: &str) -> Vec<Token> {
        match &self.kind {
            Kind::Characters => characters(text),
            Kind::Rules(r) => {
                let mut doc = Doc::default();
                r.tokenize_affixes(text, &mut doc);
                r.apply_special_cases(doc.tokens)
            }
        }
    }
}

/// Tokens being pushed, with spaCy's `idx` arithmetic (previous idx + length + space).
#[derive(Default)]
struct Doc {
    tokens: Vec<Token>,
}

impl Doc {
    fn push(&mut self, text: &str) {
        let idx = self.tokens.last().map_or(0, |t| {
            t.idx + t.text.chars().count() + usize::from(t.space_after)
        });
        self.tokens.push(Token {
            text: text.to_string(),
            idx,
            space_after: false,
        });
    }

    fn set_last_space(&mut self, value: bool) {
        if let Some(t) = self.tokens.last_mut() {
            t.space_after = value;
        }
    }
}

impl Rules {
    fn tokenize_affixes(&self, text: &str, doc: &mut Doc) {
        let Some(first) = text.chars().next() else {
            return;
        };
        let mut in_ws = is_space(first);
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if is_space(c) != in_ws {
                if start < i {
                    self.chunk(&text[start..i], doc);
                }
                if c == ' ' {
                    doc.set_last_space(true);
                    start = i + 1;
                } else {
                    start = i;
                }
                in_ws = !in_ws;
            }
        }
        if start < text.len() {
            self.chunk(&text[start..], doc);
            doc.set_last_space(text.ends_with(' ') && !in_ws);
        }
    }

    /// One whitespace-delimited chunk: a special case whole, else affixes and infixes.
    fn chunk(&self, span: &str, doc: &mut Doc) {
        if self.special(span, doc) {
            return;
        }
        let mut prefixes = Vec::new();
        let mut suffixes = Vec::new();
        let rest = self.split_affixes(span, &mut prefixes, &mut suffixes);
        for p in &prefixes {
            doc.push(p);
        }
        if !rest.is_empty() && !self.special(rest, doc) {
            if self
                .token_match
                .as_ref()
                .is_some_and(|m| m.matches_start(rest))
                || self
                    .url_match
                    .as_ref()
                    .is_some_and(|m| m.matches_start(rest))
            {
                doc.push(rest);
            } else {
                self.infixes(rest, doc);
            }
        }
        for s in suffixes.iter().rev() {
            doc.push(s);
        }
    }

    fn special(&self, span: &str, doc: &mut Doc) -> bool {
        match self.specials.get(span) {
            Some(pieces) => {
                for p in pieces {
                    doc.push(p);
                }
                true
            }
            None => false,
        }
    }

    fn split_affixes<'a>(
        &self,
        mut string: &'a str,
        prefixes: &mut Vec<&'a str>,
        suffixes: &mut Vec<&'a str>,
    ) -> &'a str {
        let mut last_size = usize::MAX;
        while !string.is_empty() && string.len() != last_size {
            if self
                .token_match
                .as_ref()
                .is_some_and(|m| m.matches_start(string))
            {
                break;
            }
            if self.specials.contains_key(string) {
                break;
            }
            last_size = string.len();
            let pre_len = self.find(&self.prefix, string);
            if pre_len != 0 {
                let minus_pre = &string[pre_len..];
                if !minus_pre.is_empty() && self.specials.contains_key(minus_pre) {
                    prefixes.push(&string[..pre_len]);
                    string = minus_pre;
                    break;
                }
            }
            let suf_len = self.find(&self.suffix, &string[pre_len..]);
            if suf_len != 0 {
                let minus_suf = &string[..string.len() - suf_len];
                if !minus_suf.is_empty() && self.specials.contains_key(minus_suf) {
                    suffixes.push(&string[string.len() - suf_len..]);
                    string = minus_suf;
                    break;
                }
            }
            if pre_len != 0 && suf_len != 0 && pre_len + suf_len <= string.len() {
                prefixes.push(&string[..pre_len]);
                suffixes.push(&string[string.len() - suf_len..]);
                string = &string[pre_len..string.len() - suf_len];
            } else if pre_len != 0 {
                prefixes.push(&string[..pre_len]);
                string = &string[pre_len..];
            } else if suf_len != 0 {
                suffixes.push(&string[string.len() - suf_len..]);
                string = &string[..string.len() - suf_len];
            }
        }
        string
    }

    /// The length of a prefix or suffix match (spaCy's `find_prefix`/`find_suffix`).
    fn find(&self, re: &Option<PyRegex>, s: &str) -> usize {
        re.as_ref()
            .and_then(|r| r.search(s))
            .map_or(0, |(a, b)| b - a)
    }

    fn infixes(&self, string: &str, doc: &mut Doc) {
        let matches = self
            .infix
            .as_ref()
            .map(|r| r.find_iter(string))
            .unwrap_or_default();
        if matches.is_empty() {
            doc.push(string);
            return;
        }
        let mut start = 0;
        for (infix_start, infix_end) in matches {
            // spaCy skips a match at the very start (`start_before_infixes`).
            if infix_start == 0 {
                continue;
            }
            if infix_start != start {
                doc.push(&string[start..infix_start]);
            }
            if infix_start != infix_end {
                doc.push(&string[infix_start..infix_end]);
            }
            start = infix_end;
        }
        if start < string.len() {
            doc.push(&string[start..]);
        }
    }

    /// The PhraseMatcher pass: special cases whose text the first pass split into several
    /// tokens, longest first, then leftmost; a match whose first or last token is already
    /// taken is dropped (spaCy's `_filter_special_spans`).
    fn apply_special_cases(&self, tokens: Vec<Token>) -> Vec<Token> {
        if self.matcher.is_empty() {
            return tokens;
        }
        let mut spans = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            let Some(patterns) = self.matcher.get(&t.text) else {
                continue;
            };
            for (_, pattern) in patterns {
                let end = i + pattern.len();
                if end <= tokens.len()
                    && tokens[i..end]
                        .iter()
                        .zip(pattern)
                        .all(|(t, p)| t.text == *p)
                {
                    spans.push((i, end));
                }
            }
        }
        if spans.is_empty() {
            return tokens;
        }
        // Longest first; among equal lengths the smallest start first.
        spans.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
        let mut seen = std::collections::HashSet::new();
        let mut kept = Vec::new();
        for (s, e) in spans {
            if !seen.contains(&s) && !seen.contains(&(e - 1)) {
                kept.push((s, e));
            }
            seen.extend(s..e);
        }
        kept.sort_unstable();
        kept.dedup();
        let mut out = Vec::with_capacity(tokens.len());
        let mut i = 0;
        let mut next = kept.into_iter().peekable();
        while i < tokens.len() {
            match next.peek() {
                Some(&(s, e)) if s == i => {
                    next.next();
                    let text = span_text(&tokens[s..e]);
                    match self.specials.get(&text) {
                        None => out.extend_from_slice(&tokens[s..e]),
                        Some(pieces) => {
                            let mut idx = tokens[s].idx;
                            for p in pieces {
                                out.push(Token {
                                    text: p.clone(),
                                    idx,
                                    space_after: false,
                                });
                                idx += p.chars().count();
                            }
                            if let Some(last) = out.last_mut() {
                                last.space_after = tokens[e - 1].space_after;
                            }
                        }
                    }
                    i = e;
                }
                _ => {
                    out.push(tokens[i].clone());
                    i += 1;
                }
            }
        }
        out
    }
}

/// The text of consecutive tokens as spaCy's `Span.text` gives it (no trailing space).
pub fn span_text(tokens: &[Token]) -> String {
    let mut s = String::new();
    for (k, t) in tokens.iter().enumerate() {
        s.push_str(&t.text);
        if t.space_after && k + 1 < tokens.len() {
            s.push(' ');
        }
    }
    s
}

/// Chinese's `char` segmenter: every non-space character a token, then spaCy's
/// `get_words_and_spaces` (one space after a character is its flag, other whitespace a token).
fn characters(text: &str) -> Vec<Token> {
    let mut doc = Doc::default();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (at, c) = chars[k];
        if is_space(c) {
            let from = at;
            while k < chars.len() && is_space(chars[k].1) {
                k += 1;
            }
            let to = chars.get(k).map_or(text.len(), |x| x.0);
            doc.push(&text[from..to]);
            continue;
        }
        doc.push(&text[at..at + c.len_utf8()]);
        k += 1;
        if chars.get(k).is_some_and(|x| x.1 == ' ') {
            doc.set_last_space(true);
            k += 1;
        }
    }
    doc.tokens
}

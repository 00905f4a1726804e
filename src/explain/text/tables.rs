//! spaCy's tokenizer data (generated from spaCy itself by `spacy/make_tables.py`), embedded in
//! the binary and read once, each language's expressions compiled when it is first used.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;

use super::pyre::PyRegex;
use super::tokenizer::Tokenizer;

static TABLES_GZ: &[u8] = include_bytes!("spacy/tables.json.gz");

#[derive(Debug, Deserialize)]
pub(super) struct Tables {
    pub punct_chars: Vec<String>,
    patterns: Vec<Pattern>,
    languages: HashMap<String, Language>,
}

#[derive(Debug, Deserialize)]
struct Pattern {
    pattern: String,
    ignore_case: bool,
}

#[derive(Debug, Deserialize)]
struct Language {
    prefix: Option<usize>,
    suffix: Option<usize>,
    infix: Option<usize>,
    token_match: Option<usize>,
    url_match: Option<usize>,
    #[serde(default)]
    rules: HashMap<String, Vec<String>>,
    #[serde(default)]
    matcher: HashMap<String, Vec<String>>,
    /// Set for languages whose blank pipeline needs a dictionary segmenter.
    unsupported: Option<String>,
    /// Set for a language with its own tokenizer class (Chinese: characters).
    segmenter: Option<String>,
}

/// Why a language has no tokenizer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LanguageError {
    #[error(
        "language `{0}` needs a dictionary segmenter spaCy does not bundle ({1}); driftwatch does not tokenize it"
    )]
    NeedsSegmenter(String, String),
    #[error("language `{0}` is not one of spaCy's")]
    Unknown(String),
    #[error("spaCy's tokenizer table for `{code}` does not compile: {reason}")]
    Broken { code: String, reason: String },
}

pub(super) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut json = Vec::new();
        // The table is part of the binary; a broken one is a build defect, found by every test.
        flate2::read::GzDecoder::new(TABLES_GZ)
            .read_to_end(&mut json)
            .expect("the embedded spaCy table is gzip");
        serde_json::from_slice(&json).expect("the embedded spaCy table is valid")
    })
}

/// The tokenizer of a spaCy language code (compiled once per process).
pub fn tokenizer(code: &str) -> Result<Arc<Tokenizer>, LanguageError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Tokenizer>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(t) = cache.lock().ok().and_then(|c| c.get(code).cloned()) {
        return Ok(t);
    }
    let built = Arc::new(build(code)?);
    if let Ok(mut c) = cache.lock() {
        c.insert(code.to_string(), built.clone());
    }
    Ok(built)
}

fn build(code: &str) -> Result<Tokenizer, LanguageError> {
    let t = tables();
    let lang = t
        .languages
        .get(code)
        .ok_or_else(|| LanguageError::Unknown(code.to_string()))?;
    if let Some(why) = &lang.unsupported {
        return Err(LanguageError::NeedsSegmenter(code.to_string(), why.clone()));
    }
    if lang.segmenter.is_some() {
        return Ok(Tokenizer::characters());
    }
    let compile = |i: Option<usize>| -> Result<Option<PyRegex>, LanguageError> {
        i.map(|i| {
            let p = t.patterns.get(i).ok_or_else(|| LanguageError::Broken {
                code: code.to_string(),
                reason: format!("no expression {i}"),
            })?;
            PyRegex::new(&p.pattern, p.ignore_case).map_err(|reason| LanguageError::Broken {
                code: code.to_string(),
                reason,
            })
        })
        .transpose()
    };
    Ok(Tokenizer::rules(
        compile(lang.prefix)?,
        compile(lang.suffix)?,
        compile(lang.infix)?,
        compile(lang.token_match)?,
        compile(lang.url_match)?,
        lang.rules.clone(),
        &lang.matcher,
    ))
}

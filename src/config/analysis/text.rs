//! `methods.shap.text_config` (the SDK's `TextConfig`): how a text column is split into the
//! units SHAP values are given to, in which language.

use serde_json::Value;

use crate::config::node::{MapReader, Node};
use crate::config::problems::Problems;

/// `text_config.granularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Token,
    Sentence,
    Paragraph,
}

impl Granularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Sentence => "sentence",
            Self::Paragraph => "paragraph",
        }
    }
}

/// The text settings of a SHAP analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct TextConfig {
    pub granularity: Granularity,
    /// spaCy's language code (`en`, `xx`, …), whichever way the config named it.
    pub language: &'static str,
    /// `max_top_tokens`: how many units `global_top_shap_text` lists (default 50).
    pub max_top_tokens: usize,
}

/// The languages the SDK's `TextConfig` accepts (`_SUPPORTED_LANGUAGES`): name and code.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("chinese", "zh"),
    ("danish", "da"),
    ("dutch", "nl"),
    ("english", "en"),
    ("french", "fr"),
    ("german", "de"),
    ("greek", "el"),
    ("italian", "it"),
    ("japanese", "ja"),
    ("lithuanian", "lt"),
    ("multi-language", "xx"),
    ("norwegian bokmål", "nb"),
    ("polish", "pl"),
    ("portuguese", "pt"),
    ("romanian", "ro"),
    ("russian", "ru"),
    ("spanish", "es"),
    ("afrikaans", "af"),
    ("albanian", "sq"),
    ("arabic", "ar"),
    ("armenian", "hy"),
    ("basque", "eu"),
    ("bengali", "bn"),
    ("bulgarian", "bg"),
    ("catalan", "ca"),
    ("croatian", "hr"),
    ("czech", "cs"),
    ("estonian", "et"),
    ("finnish", "fi"),
    ("gujarati", "gu"),
    ("hebrew", "he"),
    ("hindi", "hi"),
    ("hungarian", "hu"),
    ("icelandic", "is"),
    ("indonesian", "id"),
    ("irish", "ga"),
    ("kannada", "kn"),
    ("kyrgyz", "ky"),
    ("latvian", "lv"),
    ("ligurian", "lij"),
    ("luxembourgish", "lb"),
    ("macedonian", "mk"),
    ("malayalam", "ml"),
    ("marathi", "mr"),
    ("nepali", "ne"),
    ("persian", "fa"),
    ("sanskrit", "sa"),
    ("serbian", "sr"),
    ("setswana", "tn"),
    ("sinhala", "si"),
    ("slovak", "sk"),
    ("slovenian", "sl"),
    ("swedish", "sv"),
    ("tagalog", "tl"),
    ("tamil", "ta"),
    ("tatar", "tt"),
    ("telugu", "te"),
    ("thai", "th"),
    ("turkish", "tr"),
    ("ukrainian", "uk"),
    ("urdu", "ur"),
    ("vietnamese", "vi"),
    ("yoruba", "yo"),
];

/// Languages whose spaCy tokenizer needs a dictionary segmenter (SudachiPy, PyThaiNLP, pyvi).
pub const NEEDS_SEGMENTER: &[&str] = &["ja", "th", "vi"];

/// A language name or code (case-insensitive, as the SDK's schema compares) → the code.
pub fn language_code(given: &str) -> Option<&'static str> {
    let g = given.trim().to_lowercase();
    LANGUAGES
        .iter()
        .find(|(name, code)| *name == g || *code == g)
        .map(|(_, code)| *code)
}

pub(super) fn text_config(path: &str, v: &Value, problems: &mut Problems) -> Option<TextConfig> {
    let m = MapReader::new(path, v, problems)?;
    m.reject_unknown(&["granularity", "language", "max_top_tokens"], problems);
    let before = problems.len();
    let text = |key: &str, problems: &mut Problems| match m.get(key) {
        None => {
            problems.push(m.child_path(key), "missing required key");
            None
        }
        Some(v) => Node::new(&m.child_path(key), v)
            .as_str(problems)
            .map(str::to_string),
    };
    let granularity = text("granularity", problems).and_then(|g| match g.as_str() {
        "token" => Some(Granularity::Token),
        "sentence" => Some(Granularity::Sentence),
        "paragraph" => Some(Granularity::Paragraph),
        other => {
            problems.push(
                m.child_path("granularity"),
                format!("must be token, sentence or paragraph, got {other:?}"),
            );
            None
        }
    });
    let language = text("language", problems).and_then(|l| match language_code(&l) {
        Some(code) if NEEDS_SEGMENTER.contains(&code) => {
            problems.push(
                m.child_path("language"),
                format!(
                    "{l:?}: spaCy tokenizes it with a dictionary segmenter (SudachiPy, PyThaiNLP or pyvi) that driftwatch does not include; every other language of the SDK's list is supported"
                ),
            );
            None
        }
        Some(code) => Some(code),
        None => {
            let codes: Vec<String> = LANGUAGES
                .iter()
                .map(|(n, c)| format!("{n} ({c})"))
                .collect();
            problems.push(
                m.child_path("language"),
                format!("{l:?} is not a language the SDK accepts: {}", codes.join(", ")),
            );
            None
        }
    });
    let max_top_tokens = match m.get("max_top_tokens") {
        None => Some(50),
        Some(v) => Node::new(&m.child_path("max_top_tokens"), v)
            .as_int_in(1, 100_000, problems)
            .map(|x| x as usize),
    };
    if problems.len() != before {
        return None;
    }
    Some(TextConfig {
        granularity: granularity?,
        language: language?,
        max_top_tokens: max_top_tokens?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(v: Value) -> Result<TextConfig, String> {
        let mut p = Problems::new();
        text_config("methods.shap.text_config", &v, &mut p).ok_or_else(|| {
            p.into_vec()
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    #[test]
    fn names_and_codes_are_accepted_in_any_case() {
        let c =
            read(serde_json::json!({"granularity": "sentence", "language": "Norwegian Bokmål"}))
                .unwrap();
        assert_eq!(
            (c.granularity, c.language, c.max_top_tokens),
            (Granularity::Sentence, "nb", 50)
        );
        assert_eq!(
            read(serde_json::json!({"granularity": "token", "language": "xx"}))
                .unwrap()
                .language,
            "xx"
        );
        assert_eq!(LANGUAGES.len(), 63);
    }

    #[test]
    fn bad_values_are_named_with_their_key() {
        let e =
            read(serde_json::json!({"granularity": "word", "language": "klingon"})).unwrap_err();
        assert!(e.contains("methods.shap.text_config.granularity"), "{e}");
        assert!(
            e.contains("\"klingon\" is not a language the SDK accepts: chinese (zh)"),
            "{e}"
        );
        let e =
            read(serde_json::json!({"granularity": "token", "language": "japanese"})).unwrap_err();
        assert!(e.contains("SudachiPy"), "{e}");
        let e = read(serde_json::json!({"granularity": "token"})).unwrap_err();
        assert!(e.contains("language: missing required key"), "{e}");
    }
}

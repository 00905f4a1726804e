//! Text units against spaCy itself: every language's golden file (tests/fixtures/text/units,
//! made by make_units_golden.py with spaCy 3.8.18's blank pipelines and its Sentencizer) must be
//! reproduced token for token and sentence for sentence, text and offsets.

use driftwatch::explain::text::{is_punct, sentences, tokenizer};
use serde_json::Value;

#[test]
fn tokens_and_sentences_equal_spacy_in_every_language() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/text/units");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{} languages", files.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let golden: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let code = golden["language"].as_str().unwrap();
        let tok = tokenizer(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        for case in golden["cases"].as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            let tokens = tok.tokenize(text);
            let got: Vec<Value> = tokens
                .iter()
                .map(|t| {
                    serde_json::json!([
                        t.text,
                        t.idx,
                        is_punct(&t.text),
                        t.text
                            .chars()
                            .all(driftwatch::explain::text::tokenizer::is_space)
                    ])
                })
                .collect();
            let want = case["tokens"].as_array().unwrap();
            if &got != want {
                let at = got
                    .iter()
                    .zip(want)
                    .position(|(a, b)| a != b)
                    .unwrap_or(got.len().min(want.len()));
                failures.push(format!(
                    "{code} {text:?}: token {at}: driftwatch {:?}, spaCy {:?}",
                    got.get(at),
                    want.get(at)
                ));
                continue;
            }
            let sents: Vec<Value> = sentences(&tokens)
                .into_iter()
                .map(|(s, t)| serde_json::json!([s, t]))
                .collect();
            if &sents != case["sentences"].as_array().unwrap() {
                failures.push(format!(
                    "{code} {text:?}: sentences {sents:?} vs {}",
                    case["sentences"]
                ));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} texts differ:\n{}",
        failures.len(),
        checked + failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{checked} texts in {} languages identical to spaCy",
        files.len()
    );
}

#[test]
fn a_text_at_the_length_limit_is_tokenized() {
    // One 100,000-character chunk: every prefix, suffix and infix search runs over all of it.
    let text = format!("({}).", "ab-".repeat(33_332));
    let tokens = tokenizer("en").unwrap().tokenize(&text);
    // spaCy 3.8.18: 66,666 tokens, `(`, then `ab` `-` pairs, the last `ab-` whole, `)`, `.`.
    assert_eq!(tokens.len(), 66_666);
    let last: Vec<&str> = tokens[tokens.len() - 4..]
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(last, ["-", "ab-", ")", "."]);
    assert_eq!(tokens[1].text, "ab");
}

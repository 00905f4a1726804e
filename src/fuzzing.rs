//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz, `scripts/fuzz`): each feeds
//! arbitrary bytes through one parser the way production code does and must return — no
//! panic, no hang, memory bounded by the input limits. Not an API.

use std::path::{Path, PathBuf};

use crate::capture::ground_truth::parse_ground_truth;
use crate::capture::jsonl;
use crate::capture::line::parse_capture_line;
use crate::capture::payload::{JsonPath, OutputLocator, OutputLocators};
use crate::capture::read::Decoder;
use crate::config::{Location, Purpose, ScheduleFile, parse_analysis_config};

fn path(p: &str) -> Option<JsonPath> {
    JsonPath::compile(p).ok()
}

/// Capture lines, then their payloads with the two decoders executions use: CSV with the
/// score at index 0, and SageMaker's JSON shapes located by JMESPath.
pub fn capture(bytes: &[u8]) {
    let decoders = [
        Decoder {
            features: None,
            outputs: OutputLocators {
                inference: None,
                probability: Some(OutputLocator::Index(0)),
            },
            expected_features: None,
            threshold: 0.5,
            ignore_output: false,
            select: None,
            rows: Default::default(),
        },
        Decoder {
            features: path("instances[*].features"),
            outputs: OutputLocators {
                inference: path("predictions[*].predicted_label").map(OutputLocator::Path),
                probability: path("predictions[*].score").map(OutputLocator::Path),
            },
            expected_features: Some(4),
            threshold: 0.5,
            ignore_output: false,
            select: None,
            rows: Default::default(),
        },
    ];
    for (_, line) in jsonl::lines(bytes) {
        if let Ok(captured) = line.and_then(parse_capture_line) {
            for d in &decoders {
                let _ = d.decode(&captured);
            }
        }
    }
}

/// A ground-truth object, with and without a label path.
pub fn ground_truth(bytes: &[u8]) {
    let _ = parse_ground_truth(bytes, None);
    let _ = parse_ground_truth(bytes, path("instances[*].label").as_ref());
}

/// A schedules file (its analysis configs resolve to a folder that does not exist).
pub fn schedules(bytes: &[u8]) {
    if let Ok(text) = crate::limits::config_text(bytes.to_vec()) {
        let doc = PathBuf::from("/nonexistent-driftwatch-fuzz/schedules.yaml");
        let _ = ScheduleFile::parse(&text, &doc, &Location::Local(doc.clone()));
    }
}

/// An analysis config, for every use.
pub fn analysis_config(bytes: &[u8]) {
    if let Ok(text) = crate::limits::config_text(bytes.to_vec()) {
        for purpose in [
            Purpose::Analyze,
            Purpose::BiasMonitor,
            Purpose::ExplainabilityMonitor,
        ] {
            let _ = parse_analysis_config(&text, Path::new("fuzz.json"), purpose);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The committed corpus runs through every target in the ordinary tests too, so a crash
    /// once found by the fuzzer stays fixed.
    #[test]
    fn the_corpus_passes_every_target() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 4] = [
            ("capture", super::capture),
            ("ground_truth", super::ground_truth),
            ("schedules", super::schedules),
            ("analysis_config", super::analysis_config),
        ];
        let mut inputs = 0;
        for (name, target) in targets {
            let Ok(dir) = std::fs::read_dir(root.join(name)) else {
                continue;
            };
            for entry in dir.flatten() {
                target(&std::fs::read(entry.path()).unwrap());
                inputs += 1;
            }
        }
        assert!(inputs > 0, "no corpus under {}", root.display());
    }
}

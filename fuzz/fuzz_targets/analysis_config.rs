#![no_main]
//! Fuzz target: see `driftwatch::fuzzing::analysis_config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftwatch::fuzzing::analysis_config(data));

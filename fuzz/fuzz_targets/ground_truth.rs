#![no_main]
//! Fuzz target: see `driftwatch::fuzzing::ground_truth`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftwatch::fuzzing::ground_truth(data));

#![no_main]
//! Fuzz target: see `driftwatch::fuzzing::capture`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftwatch::fuzzing::capture(data));

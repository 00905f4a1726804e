#![no_main]
//! Fuzz target: see `driftwatch::fuzzing::schedules`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| driftwatch::fuzzing::schedules(data));

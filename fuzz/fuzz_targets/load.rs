//! The `load` target: see `harness.rs` and the table in `README.md`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::load(data));

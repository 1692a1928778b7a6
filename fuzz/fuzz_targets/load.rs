//! Arbitrary bytes as customers and managers in every format: a table or a typed error.
#![no_main]

use apportion::load::{self, Format, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = LoadOptions::default();
    for format in [Format::Csv, Format::Json, Format::JsonLines] {
        let _ = load::parse_customers(data, format, "fuzz", &options);
        let _ = load::parse_managers(data, format, "fuzz", &options);
    }
});

//! Arbitrary text as a rulebook: compiling, checking and profiling a small bank must end in a
//! value or a typed error, never a panic, a hang or unbounded memory.
#![no_main]

use apportion::load::{self, Format, LoadOptions};
use apportion::{OnRuleError, ProfileOptions, Rulebook};
use libfuzzer_sys::fuzz_target;

const BANK: &[u8] = b"id,manager,assets,kind,onboarded,products\n\
C-1,M-1,2500000,individual,2020-01-15,savings;mortgage\n\
C-2,,4000,sme,2026-05-01,business_loan\n\
C-3,M-9,,individual,,\n";

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let Ok(customers) = load::parse_customers(BANK, Format::Csv, "bank", &LoadOptions::default()) else { return };
    let Ok(rules) = Rulebook::compile(source) else { return };
    let mut options = ProfileOptions::new(apportion::Date::EPOCH);
    options.on_error = OnRuleError::Skip;
    let _ = rules.profile(&customers, &options);
});

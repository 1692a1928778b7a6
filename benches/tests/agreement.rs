//! The hand-written bank rules must compute exactly what the rulebook computes, or the bench
//! would compare different work.
#![allow(missing_docs, clippy::unwrap_used)]

use apportion::load::{self, Format, LoadOptions};
use apportion::{ProfileOptions, Rulebook};
use apportion_benches::native_bank;
use apportion_examples::{BankConfig, customers_csv, generate};

#[test]
fn hand_written_rules_agree_with_the_rulebook() {
    let config = BankConfig::sized(20_000);
    let csv = customers_csv(&generate(&config)).unwrap();
    let customers =
        load::parse_customers(&csv, Format::Csv, "generated", &LoadOptions::default()).unwrap();
    let rules = Rulebook::compile(include_str!("../../examples/rules/bank.rhai")).unwrap();
    let profile = rules
        .profile(&customers, &ProfileOptions::new(config.as_of))
        .unwrap();
    assert_eq!(profile.fields, native_bank::FIELDS);
    let native = native_bank::profile(&customers, config.as_of).unwrap();
    assert_eq!(profile.customers.len(), native.len());
    for (rhai, rust) in profile.customers.iter().zip(&native) {
        assert_eq!(rhai, rust, "customer {}", rhai.id);
    }
}

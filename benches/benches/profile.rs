//! Profiling 100,000 generated customers with the example bank's rulebook, beside the same
//! rules hand-written in Rust (the speed limit the sandboxed rules are compared with), and
//! 100,000 borrowers of the example lender with its rulebook.
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a bench fails loudly on bad set-up"
)]

use apportion::load::{self, Format, LoadOptions};
use apportion::{ProfileOptions, Rulebook};
use apportion_benches::{native_bank, sized};
use apportion_examples::lender::{self, LenderConfig};
use apportion_examples::{BankConfig, customers_csv, generate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The allocator the CLI uses, so both sides are measured as users run them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn profile(c: &mut Criterion) {
    let customers_count = sized(100_000, 5_000);
    let config = BankConfig::sized(customers_count);
    let csv = customers_csv(&generate(&config)).expect("generate the bank");
    let customers = load::parse_customers(&csv, Format::Csv, "generated", &LoadOptions::default())
        .expect("load the bank");
    let rules = Rulebook::compile(include_str!("../../examples/rules/bank.rhai"))
        .expect("compile the rulebook");
    let options = ProfileOptions::new(config.as_of);

    let mut group = c.benchmark_group("profile");
    group.sample_size(10);
    group.throughput(Throughput::Elements(customers_count as u64));
    group.bench_function("bank_rulebook_rhai", |b| {
        b.iter(|| rules.profile(&customers, &options).expect("profile"))
    });
    group.bench_function("bank_rules_hand_written_rust", |b| {
        b.iter(|| native_bank::profile(&customers, config.as_of).expect("profile"))
    });

    let borrowers_count = sized(100_000, 5_000);
    let config = LenderConfig::sized(borrowers_count);
    let borrowers = lender::load_book(&lender::generate(&config))
        .expect("load the lender")
        .customers;
    let rules = Rulebook::compile(include_str!("../../examples/rules/lender.rhai"))
        .expect("compile the lender's rulebook");
    let options = ProfileOptions::new(config.as_of);
    group.throughput(Throughput::Elements(borrowers_count as u64));
    group.bench_function("lender_rulebook_rhai", |b| {
        b.iter(|| rules.profile(&borrowers, &options).expect("profile"))
    });
    group.finish();
}

criterion_group!(benches, profile);
criterion_main!(benches);

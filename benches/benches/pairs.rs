//! The rules phase of an assignment without the solve (`apportion::dry_run`): derived fields,
//! pair classes and the pair rules, on the example bank (100,000 customers, 500 managers) and
//! the example lender (100,000 borrowers, 1,000 managers). Throughput is counted in eligible
//! (customer, manager) pairs, so the time per element is the rules phase's cost per pair;
//! subtract the `profile` bench of the same book for the pair rules alone.
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a bench fails loudly on bad set-up"
)]

use apportion::{AssignOptions, Book, Rulebook, dry_run};
use apportion_benches::sized;
use apportion_examples::lender::{self, LenderConfig};
use apportion_examples::{BankConfig, generate, load_book};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The allocator the CLI uses, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn measure(c: &mut Criterion, name: &str, book: &Book, rules: &Rulebook, options: &AssignOptions) {
    let pairs = dry_run(book, rules, options)
        .expect("dry run")
        .eligible_pairs;
    let mut group = c.benchmark_group("rules_phase");
    group.sample_size(10);
    group.throughput(Throughput::Elements(pairs));
    group.bench_with_input(
        BenchmarkId::new(name, book.customers.records.len()),
        book,
        |b, book| b.iter(|| dry_run(book, rules, options).expect("dry run")),
    );
    group.finish();
}

fn rules_phase(c: &mut Criterion) {
    let (customers, scale) = sized((100_000, 1), (5_000, 20));

    let config = BankConfig {
        customers,
        managers: 500 / scale,
        ..BankConfig::default()
    };
    let book = load_book(&generate(&config)).expect("the generated bank loads");
    let rules =
        Rulebook::compile(include_str!("../../examples/rules/bank.rhai")).expect("rulebook");
    let options = AssignOptions::new(config.as_of);
    measure(c, "bank_500_managers", &book, &rules, &options);

    let config = LenderConfig {
        customers,
        managers: 1_000 / scale,
        ..LenderConfig::default()
    };
    let book = lender::load_book(&lender::generate(&config)).expect("the lender loads");
    let rules = Rulebook::compile(include_str!("../../examples/rules/lender.rhai"))
        .expect("the lender's rulebook");
    let options = AssignOptions::new(config.as_of);
    measure(c, "lender_1000_managers", &book, &rules, &options);
}

criterion_group!(benches, rules_phase);
criterion_main!(benches);

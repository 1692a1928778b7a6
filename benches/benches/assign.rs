//! The whole assignment of a generated bank — rules, pair rules and the exact solve — at
//! 10,000 and 100,000 customers with 500 managers.
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a bench fails loudly on bad set-up"
)]

use apportion::{AssignOptions, Book, Rulebook, assign};
use apportion_examples::{BankConfig, generate, load_book};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The allocator the CLI uses, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bank(customers: usize, managers: usize) -> (Book, BankConfig) {
    let config = BankConfig {
        customers,
        managers,
        ..BankConfig::default()
    };
    let book = load_book(&generate(&config)).expect("the generated bank loads");
    (book, config)
}

fn assignment(c: &mut Criterion) {
    let rules =
        Rulebook::compile(include_str!("../../examples/rules/bank.rhai")).expect("rulebook");
    let mut group = c.benchmark_group("assign");
    group.sample_size(10);
    for customers in [10_000, 100_000] {
        let (book, config) = bank(customers, 500);
        let options = AssignOptions::new(config.as_of);
        group.throughput(Throughput::Elements(customers as u64));
        group.bench_with_input(
            BenchmarkId::new("bank_500_managers", customers),
            &book,
            |b, book| b.iter(|| assign(book, &rules, &options).expect("assign")),
        );
    }
    group.finish();
}

criterion_group!(benches, assignment);
criterion_main!(benches);

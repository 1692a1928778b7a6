//! The exact solve alone: the aggregated assignment network of a generated bank of 100,000
//! customers and 500 managers, built once, solved on each iteration. This is the network
//! `benches/compare/ortools.sh` hands to OR-Tools, so the two figures compare directly.
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a bench fails loudly on bad set-up"
)]

use apportion::assignment_network;
use apportion::{AssignOptions, Rulebook};
use apportion_benches::sized;
use apportion_examples::{BankConfig, generate, load_book};
use criterion::{Criterion, criterion_group, criterion_main};

/// The allocator the CLI uses, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn solve(c: &mut Criterion) {
    let rules =
        Rulebook::compile(include_str!("../../examples/rules/bank.rhai")).expect("rulebook");
    let (customers, managers) = sized((100_000, 500), (5_000, 50));
    let config = BankConfig {
        customers,
        managers,
        ..BankConfig::default()
    };
    let book = load_book(&generate(&config)).expect("the generated bank loads");
    let network = assignment_network(&book, &rules, &AssignOptions::new(config.as_of))
        .expect("the network builds");
    let mut group = c.benchmark_group("solve");
    group.sample_size(20);
    group.bench_function(format!("aggregated_{customers}x{managers}"), |b| {
        b.iter(|| network.solve().expect("solves"))
    });
    group.finish();
}

criterion_group!(benches, solve);
criterion_main!(benches);

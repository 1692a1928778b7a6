//! The whole assignment of a generated bank — rules, pair rules and the exact solve — at
//! 10,000 and 100,000 customers with 500 managers, without and with its groups of managers
//! (teams, desks and business lines: three levels), with its fit model's scores (a fifth of
//! the customers scored, each a pair class of their own), and of the example lender at 10,000
//! borrowers with 100 managers, without and with its groups (provincial desks, and the same
//! teams under one capped national desk per line): its pair rules read the current manager and
//! a lead score, so nearly every borrower is a pair class of its own.
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a bench fails loudly on bad set-up"
)]

use apportion::{AssignOptions, Book, Rulebook, assign};
use apportion_benches::sized;
use apportion_examples::lender::{self, LenderConfig};
use apportion_examples::{BankConfig, generate, load_book, load_organised_book, load_scored_book};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The allocator the CLI uses, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The generated bank, the same bank with its groups, and with its model's scores.
fn bank(customers: usize, managers: usize) -> ([Book; 3], BankConfig) {
    let config = BankConfig {
        customers,
        managers,
        ..BankConfig::default()
    };
    let bank = generate(&config);
    let book = load_book(&bank).expect("the generated bank loads");
    let organised = load_organised_book(&bank).expect("the bank's groups load");
    let scored = load_scored_book(&bank).expect("the bank's scores load");
    ([book, organised, scored], config)
}

fn assignment(c: &mut Criterion) {
    let rules =
        Rulebook::compile(include_str!("../../examples/rules/bank.rhai")).expect("rulebook");
    let mut group = c.benchmark_group("assign");
    group.sample_size(10);
    for (customers, managers) in sized(vec![(10_000, 500), (100_000, 500)], vec![(2_000, 50)]) {
        let ([book, organised, scored], config) = bank(customers, managers);
        let options = AssignOptions::new(config.as_of);
        group.throughput(Throughput::Elements(customers as u64));
        for (name, book) in [
            (format!("bank_{managers}_managers"), book),
            (format!("bank_{managers}_managers_groups"), organised),
            (format!("bank_{managers}_managers_scores"), scored),
        ] {
            group.bench_with_input(BenchmarkId::new(name, customers), &book, |b, book| {
                b.iter(|| assign(book, &rules, &options).expect("assign"))
            });
        }
    }

    let rules = Rulebook::compile(include_str!("../../examples/rules/lender.rhai"))
        .expect("the lender's rulebook");
    let (customers, managers) = sized((10_000, 100), (2_000, 20));
    let config = LenderConfig {
        customers,
        managers,
        ..LenderConfig::default()
    };
    let generated = lender::generate(&config);
    let book = lender::load_book(&generated).expect("the lender loads");
    let organised = lender::load_organised_book(&generated).expect("the lender's groups load");
    let national = lender::load_national_book(&generated).expect("the lender's national desks");
    let options = AssignOptions::new(config.as_of);
    group.throughput(Throughput::Elements(config.customers as u64));
    for (name, book) in [
        (format!("lender_{managers}_managers"), book),
        (format!("lender_{managers}_managers_groups"), organised),
        (
            format!("lender_{managers}_managers_national_desks"),
            national,
        ),
    ] {
        group.bench_with_input(BenchmarkId::new(name, customers), &book, |b, book| {
            b.iter(|| assign(book, &rules, &options).expect("assign"))
        });
    }
    group.finish();
}

criterion_group!(benches, assignment);
criterion_main!(benches);

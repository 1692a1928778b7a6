//! Explaining one customer's place in a plan, on the example bank at 100,000 customers with
//! 500 managers and on the example lender at 100,000 borrowers with 1,000 managers: the plan
//! is made once, then customers spread over the book are explained in turn (only that
//! customer's rules run again; the target is under 50 ms).
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a bench fails loudly on bad set-up"
)]

use apportion::{AssignOptions, Book, Plan, Rulebook, assign};
use apportion_benches::sized;
use apportion_examples::lender::{self, LenderConfig};
use apportion_examples::{BankConfig, generate, load_book};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// The allocator the CLI uses, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Customers explained in turn, spread over the book.
const EXPLAINED: usize = 16;

fn bench_book(c: &mut Criterion, name: &str, (book, rules, plan): (&Book, &Rulebook, &Plan)) {
    let step = (plan.assignments.len() / EXPLAINED).max(1);
    let ids: Vec<&str> = (plan.assignments.iter().step_by(step))
        .map(|a| a.customer.as_str())
        .collect();
    let mut next = ids.iter().cycle();
    let mut group = c.benchmark_group("explain");
    group.sample_size(20);
    group.bench_function(BenchmarkId::new(name, book.customers.records.len()), |b| {
        b.iter(|| {
            let id = next.next().expect("ids cycle");
            plan.explain(book, rules, id).expect("explain")
        })
    });
    group.finish();
}

fn explain(c: &mut Criterion) {
    let (customers, managers) = sized((100_000, 500), (2_000, 50));
    let config = BankConfig {
        customers,
        managers,
        ..BankConfig::default()
    };
    let book = load_book(&generate(&config)).expect("the generated bank loads");
    let rules =
        Rulebook::compile(include_str!("../../examples/rules/bank.rhai")).expect("rulebook");
    let plan = assign(&book, &rules, &AssignOptions::new(config.as_of)).expect("assign");
    bench_book(
        c,
        &format!("bank_{managers}_managers"),
        (&book, &rules, &plan),
    );
    drop((book, plan));

    let (customers, managers) = sized((100_000, 1_000), (2_000, 20));
    let config = LenderConfig {
        customers,
        managers,
        ..LenderConfig::default()
    };
    let book = lender::load_book(&lender::generate(&config)).expect("the lender loads");
    let rules = Rulebook::compile(include_str!("../../examples/rules/lender.rhai"))
        .expect("the lender's rulebook");
    let plan = assign(&book, &rules, &AssignOptions::new(config.as_of)).expect("assign");
    bench_book(
        c,
        &format!("lender_{managers}_managers"),
        (&book, &rules, &plan),
    );
}

criterion_group!(benches, explain);
criterion_main!(benches);

//! Routing one lead: latency with 500 and 5,000 managers, and throughput on two threads; and
//! the example lender's leads, each first met as a new pair class, without and with its
//! groups of managers (desks and lines, whose steps and room the router adds), provincial or
//! one capped desk per line over every province.
//!
//! The router starts from a generated bank's book (loads from its current managers); leads
//! are the customers of another bank generated with a different seed. Each measured call
//! routes a lead (profiling it with the bank's rulebook, finding its class, choosing and
//! booking a manager); the lead is released outside the measurement so the book stays as it
//! was. Criterion reports the mean and median; the p50 and p99 of single calls are printed too
//! (criterion has no percentiles), from 20,000 timed calls.
#![allow(
    missing_docs,
    clippy::expect_used,
    reason = "a bench fails loudly on bad set-up"
)]

use std::time::{Duration, Instant};

use apportion::{Customer, Router, RouterOptions, Rulebook};
use apportion_benches::sized;
use apportion_examples::lender::{self, LenderConfig};
use apportion_examples::{BankConfig, generate, load_book};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The allocator the CLI uses, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Customers per manager in the book the router starts from.
const BOOK_PER_MANAGER: usize = 20;
/// Leads routed in a round.
const LEADS: usize = 4_096;

fn setup(managers: usize) -> (Router, Vec<Customer>) {
    let rules =
        Rulebook::compile(include_str!("../../examples/rules/bank.rhai")).expect("rulebook");
    let config = BankConfig {
        customers: managers * BOOK_PER_MANAGER,
        managers,
        ..BankConfig::default()
    };
    let book = load_book(&generate(&config)).expect("the generated bank loads");
    let router = Router::new(&rules, &book, RouterOptions::new(config.as_of)).expect("router");
    let leads_bank = generate(&BankConfig {
        customers: sized(LEADS, 256),
        seed: config.seed + 1,
        ..config.clone()
    });
    let mut leads = load_book(&leads_bank)
        .expect("leads load")
        .customers
        .records;
    for lead in &mut leads {
        lead.id = format!("L-{}", lead.id).as_str().into();
        lead.manager = None;
    }
    // Every lead's class is met once before timing starts, as in a router that has run a while.
    for lead in &leads {
        if router.route(lead).expect("route").manager.is_some() {
            router.release(&lead.id).expect("release");
        }
    }
    (router, leads)
}

/// Routes one lead, timing only the routing, and releases it again.
fn timed_route(router: &Router, lead: &Customer) -> Duration {
    let started = Instant::now();
    let decision = router.route(lead).expect("route");
    let elapsed = started.elapsed();
    if decision.manager.is_some() {
        router.release(&lead.id).expect("release");
    }
    elapsed
}

/// Routes `calls` leads cycling through `leads` and prints the p50, p99 and max of the calls.
fn percentiles(router: &Router, leads: &[Customer], calls: usize, label: &str) {
    let mut times: Vec<Duration> = leads
        .iter()
        .cycle()
        .take(calls)
        .map(|lead| timed_route(router, lead))
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "route/{label}: p50 {:.2} µs, p99 {:.2} µs, max {:.1} µs over {} calls",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        at(1.0).as_secs_f64() * 1e6,
        times.len()
    );
}

/// Criterion's latency of one routing, cycling through `leads`.
fn bench_latency(c: &mut Criterion, id: BenchmarkId, router: &Router, leads: &[Customer]) {
    let mut group = c.benchmark_group("route");
    group.throughput(Throughput::Elements(1));
    group.bench_function(id, |b| {
        let mut next = leads.iter().cycle();
        b.iter_custom(|iterations| {
            (0..iterations)
                .map(|_| timed_route(router, next.next().expect("cycle")))
                .sum()
        });
    });
    group.finish();
}

fn latency(c: &mut Criterion) {
    for managers in sized(vec![500, 5_000], vec![50]) {
        let (router, leads) = setup(managers);
        let calls = sized(20_000, 1_000);
        percentiles(&router, &leads, calls, &format!("{managers} managers"));
        bench_latency(c, BenchmarkId::new("latency", managers), &router, &leads);
    }
}

fn throughput(c: &mut Criterion) {
    let (router, leads) = setup(sized(500, 50));
    let mut group = c.benchmark_group("route_two_threads");
    group.throughput(Throughput::Elements(leads.len() as u64));
    group.sample_size(20);
    group.bench_function("500_managers", |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for half in leads.chunks(leads.len() / 2) {
                    let router = &router;
                    scope.spawn(move || {
                        for lead in half {
                            router.route(lead).expect("route");
                        }
                    });
                }
            });
            for lead in &leads {
                // Leads that found no room were not booked.
                let _ = router.release(&lead.id);
            }
        });
    });
    group.finish();
}

/// The example lender: a book of 20 borrowers per manager, and leads from another seed. Its
/// pair rules read the lead score, language, channel and more, so most leads are pair classes
/// the router has not met: their first routing is what a lender's live book pays. Printed as
/// percentiles over each lead's first routing, then measured by criterion once met.
fn lender_latency(c: &mut Criterion) {
    let rules = Rulebook::compile(include_str!("../../examples/rules/lender.rhai"))
        .expect("the lender's rulebook");
    let (managers, leads) = sized((1_000, LEADS), (50, 256));
    let config = LenderConfig {
        customers: managers * BOOK_PER_MANAGER,
        managers,
        ..LenderConfig::default()
    };
    let generated = lender::generate(&config);
    let book = lender::load_book(&generated).expect("the lender loads");
    let organised = lender::load_organised_book(&generated).expect("the lender's groups load");
    let national = lender::load_national_book(&generated).expect("the lender's national desks");
    let mut leads = lender::load_book(&lender::generate(&LenderConfig {
        customers: leads,
        seed: config.seed + 1,
        ..config.clone()
    }))
    .expect("leads load")
    .customers
    .records;
    for lead in &mut leads {
        lead.id = format!("L-{}", lead.id).as_str().into();
        lead.manager = None;
    }
    for (name, book) in [
        ("lender_latency", book),
        ("lender_latency_groups", organised),
        ("lender_latency_national_desks", national),
    ] {
        let router = Router::new(&rules, &book, RouterOptions::new(config.as_of)).expect("router");
        // Each lead once, in order: its first routing, mostly of a pair class not met before.
        let label = format!("{name}: {managers} managers, each lead's first routing");
        percentiles(&router, &leads, leads.len(), &label);
        bench_latency(c, BenchmarkId::new(name, managers), &router, &leads);
    }
}

criterion_group!(benches, latency, throughput, lender_latency);
criterion_main!(benches);

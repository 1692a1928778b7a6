//! How far leads routed one at a time land from the batch optimum on a tight bank, with and
//! without a batch plan's guidance (see `apportion_examples::live`).
//!
//! `cargo run --release -p apportion-examples --bin route-gap -- [customers] [seed]`
//! (default 20,000 customers, seed 7).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let customers = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    match apportion_examples::live::held_out_gap(customers, seed) {
        Ok(gap) => {
            println!("batch optimum of all {customers} customers: {}", gap.batch);
            for (name, objective, placed) in [
                ("guided by the plan's quotas", gap.guided, gap.placed.1),
                ("greedy marginal cost", gap.greedy, gap.placed.2),
            ] {
                println!(
                    "{name}: {objective} ({:+.1}% against the batch), {placed} placed of the batch's {}",
                    100.0 * gap.above_batch(objective),
                    gap.placed.0
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

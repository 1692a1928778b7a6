//! `apportion rebalance --max-moves K`: the optimal plan that moves at most K customers, found
//! by searching the move penalty; the same table and report as `assign`, and the penalty found.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

use apportion::load;
use apportion::{AssignOptions, Book, Policy, rebalance};

use crate::assign::{report, table};
use crate::output;
use crate::run_args::RunArgs;
use crate::{Failure, compile_rules};

/// Arguments of `apportion rebalance`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    run: RunArgs,
    /// Managers: CSV, JSON or JSON Lines with `id` and `capacity` (optional `target`, `segment_caps`).
    #[arg(long)]
    managers: PathBuf,
    /// The churn budget: at most this many customers change manager.
    #[arg(long)]
    max_moves: usize,
    /// Weight of the balance term (λ ≥ 0): loads are spread in proportion to targets.
    #[arg(long, default_value_t = Policy::default().balance)]
    balance: i64,
    /// Cost of leaving a customer unassigned (U > 0); large enough to place everyone who fits by default.
    #[arg(long)]
    unassigned_penalty: Option<i64>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let run = &args.run;
    let format = run.format()?;
    let options = run.load_options();
    let rules = compile_rules(&run.rules, &run.privacy)?;
    let book = Book {
        customers: load::read_customers(&run.customers, &options)?,
        managers: load::read_managers(&args.managers, &options)?,
    };
    let assign_options = AssignOptions {
        policy: Policy {
            balance: args.balance,
            unassigned_penalty: args.unassigned_penalty,
            ..Policy::default()
        },
        on_error: run.on_error(),
        threads: run.threads,
        ..AssignOptions::new(run.as_of())
    };
    let started = Instant::now();
    let result = rebalance(&book, &rules, &assign_options, args.max_moves)?;
    output::emit(&table(&result.plan), format, run.out.as_deref())?;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "rebalanced {} customers as of {}{} within {} moves: {} moves at move penalty {} ({} solves, {:.3} s)",
        book.customers.records.len(),
        assign_options.as_of,
        run.as_of_note(),
        result.budget,
        result.moves,
        result.move_penalty,
        result.probes.len(),
        started.elapsed().as_secs_f64(),
    );
    let probes: Vec<String> = result
        .probes
        .iter()
        .map(|(penalty, moves)| format!("{penalty}→{moves}"))
        .collect();
    let _ = writeln!(
        text,
        "penalties tried (penalty→moves): {}",
        probes.join(", ")
    );
    text.push_str(&report(&result.plan));
    output::report(&text, run.out.is_some());
    Ok(())
}

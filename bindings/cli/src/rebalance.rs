//! `apportion rebalance --max-moves K`: the optimal plan that moves at most K customers, found
//! by searching the move penalty; the same table and report as `assign`, and the penalty found.

use std::fmt::Write;
use std::time::Instant;

use apportion::{AssignOptions, Policy, rebalance};

use crate::assign::{emit_plan, report};
use crate::output;
use crate::run_args::{BookArgs, RunArgs};
use crate::{Failure, compile_rules};

/// Arguments of `apportion rebalance`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    book: BookArgs,
    /// The churn budget: at most this many customers change manager.
    #[arg(long)]
    max_moves: usize,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let run = &args.run;
    let as_of = run.as_of()?;
    let format = run.format(&args.book.inputs())?;
    // The move penalty is searched; the default stands in for it in the check.
    let policy = args.book.policy(Policy::default().move_penalty)?;
    let rules = compile_rules(&run.rules, &run.privacy)?;
    let book = args.book.load(run)?;
    let assign_options = AssignOptions {
        policy,
        on_error: run.on_error(),
        threads: run.threads,
        ..AssignOptions::new(as_of)
    };
    let started = Instant::now();
    let result = rebalance(&book, &rules, &assign_options, args.max_moves)?;
    emit_plan(&result.plan, format, run.out.as_deref())?;
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
    output::report(&text, run.out.is_some())?;
    Ok(())
}

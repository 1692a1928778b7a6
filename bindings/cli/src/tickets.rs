//! `apportion tickets`: route service tickets to queues with the rulebook's `route_ticket(t)`.

use std::path::PathBuf;

use apportion::load::{self, LoadOptions};
use apportion::{Queue, TicketPlan, Tickets};
use serde_json::Value as Json;

use crate::output::{self, Format, Table};
use crate::run_args::{AsOf, parse_as_of, parse_type_override};
use crate::{Failure, compile_rules};

/// Arguments of `apportion tickets`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Tickets: CSV, JSON or JSON Lines with an `id` and the fields the rule reads (a
    /// `customer` column names each ticket's customer), read as customers are.
    #[arg(long)]
    tickets: PathBuf,
    /// Queues: CSV, JSON or JSON Lines with `id` (the name `route_ticket` returns) and `capacity`.
    #[arg(long)]
    queues: PathBuf,
    /// The book's customers, whom tickets name (`t.customer` in the rule).
    #[arg(long)]
    customers: PathBuf,
    /// The rulebook (.rhai), with a `route_ticket(t)`.
    #[arg(long)]
    rules: PathBuf,
    /// The date rules compare against: YYYY-MM-DD, or `today` (UTC, then printed). Required.
    #[arg(long, value_parser = parse_as_of)]
    as_of: Option<AsOf>,
    /// Where to write one row per ticket (.csv, .json or .jsonl); standard output if absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Format of the output; by default taken from --out's extension, CSV on standard output.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Column type overrides for tickets and customers, e.g. `--type channel=string`.
    #[arg(long = "type", value_parser = parse_type_override)]
    types: Vec<(String, apportion::ValueType)>,
    #[command(flatten)]
    privacy: crate::Privacy,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let asked = AsOf::required(args.as_of)?;
    let format = match &args.out {
        Some(out) => {
            let inputs = [
                ("--tickets", args.tickets.as_path()),
                ("--queues", args.queues.as_path()),
                ("--customers", args.customers.as_path()),
                ("--rules", args.rules.as_path()),
            ];
            output::check_not_an_input(out, &inputs)?;
            Format::choose(args.format, Some(out))
        }
        None => Format::choose(args.format, None),
    }
    .map_err(Failure::usage)?;
    let options = LoadOptions {
        types: args.types.iter().cloned().collect(),
        ..LoadOptions::default()
    };
    let rules = compile_rules(&args.rules, &args.privacy)?;
    let customers = load::read_customers(&args.customers, &options)?;
    let tickets = load::read_tickets(&args.tickets, &options)?;
    options.check_types(&[
        ("tickets", &tickets.schema),
        ("customers", &customers.schema),
    ])?;
    let queues: Vec<Queue> = load::read_managers(&args.queues, &LoadOptions::default())?
        .records
        .into_iter()
        .map(|queue| Queue {
            name: queue.id.to_string(),
            capacity: queue.capacity,
        })
        .collect();
    let as_of = asked.date();
    let plan = apportion::route_tickets(&rules, &customers, &tickets, &queues, as_of)?;
    output::emit(&table(&plan, &tickets), format, args.out.as_deref())?;
    output::report(&report(&plan, &asked), args.out.is_some())
}

/// One row per ticket, in input order: its queue, or why it has none.
fn table(plan: &TicketPlan, tickets: &Tickets) -> Table {
    let columns = ["ticket", "queue", "reason", "detail"]
        .map(str::to_owned)
        .to_vec();
    let rows = plan
        .outcomes(tickets)
        .into_iter()
        .map(|(ticket, outcome)| match outcome {
            Ok(queue) => vec![ticket.into(), queue.into(), Json::Null, Json::Null],
            Err(why) => vec![
                ticket.into(),
                Json::Null,
                why.code().into(),
                why.detail().into(),
            ],
        })
        .collect();
    Table { columns, rows }
}

/// Tickets routed, why the rest were not, and each queue's load.
fn report(plan: &TicketPlan, asked: &AsOf) -> String {
    let total = plan.routed.len() + plan.unroutable.len();
    let mut text = format!(
        "routed {} of {total} tickets as of {}{}\n",
        plan.routed.len(),
        asked.date(),
        asked.note()
    );
    let mut reasons = std::collections::BTreeMap::new();
    for (_, why) in &plan.unroutable {
        *reasons.entry(why.code()).or_insert(0usize) += 1;
    }
    for (reason, count) in reasons {
        text.push_str(&format!("  not routed, {reason}: {count}\n"));
    }
    let loads: Vec<String> = plan
        .loads
        .iter()
        .map(|(queue, taken, capacity)| format!("{queue} {taken}/{capacity}"))
        .collect();
    text.push_str(&format!("queues: {}\n", loads.join(", ")));
    text
}

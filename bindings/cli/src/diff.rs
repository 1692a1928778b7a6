//! `apportion diff`: what changed between two plans (`--before P --after P`), or between the
//! plans of two rulebooks or policies on one book (`--rules R --after-rules R2`,
//! `--after-move-penalty M`...): moves, flows between managers, loads, the objective part by
//! part, and from the rules tier and segment transitions and changed eligibility.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use apportion::load::LoadOptions;
use apportion::{AssignOptions, Comparison, PlanDiff, Policy, Transition, compare, diff};
use serde_json::Value as Json;

use crate::output::{self, Format, Table};
use crate::run_args::{AsOf, parse_as_of, parse_threads, parse_type_override};
use crate::{Failure, Privacy, compile_rules};

/// Flows and load changes named in the report; every move is in `--out`.
const SHOWN: usize = 5;

/// Arguments of `apportion diff`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The first plan, as `assign` or `rebalance` wrote it (with --after).
    #[arg(long, requires = "after")]
    before: Option<PathBuf>,
    /// The second plan (with --before).
    #[arg(long, requires = "before")]
    after: Option<PathBuf>,
    /// Customers, to plan them under both rulebooks or policies.
    #[arg(long, conflicts_with_all = ["before", "after"])]
    customers: Option<PathBuf>,
    /// Managers, with --customers.
    #[arg(long)]
    managers: Option<PathBuf>,
    /// Groups of managers, with --customers (as `assign` takes them).
    #[arg(long)]
    groups: Option<PathBuf>,
    /// A model's scores for pairs, with --customers (as `assign` takes them).
    #[arg(long)]
    scores: Option<PathBuf>,
    /// The (first) rulebook, with --customers.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// The second rulebook (default: --rules).
    #[arg(long)]
    after_rules: Option<PathBuf>,
    /// The date the rules compare against: YYYY-MM-DD, or `today`.
    #[arg(long, value_parser = parse_as_of)]
    as_of: Option<AsOf>,
    /// The first policy's move penalty (M ≥ 0).
    #[arg(long, default_value_t = Policy::default().move_penalty)]
    move_penalty: i64,
    /// The first policy's balance weight (λ ≥ 0).
    #[arg(long, default_value_t = Policy::default().balance)]
    balance: i64,
    /// The first policy's unassigned penalty (U > 0).
    #[arg(long)]
    unassigned_penalty: Option<i64>,
    /// The second policy's move penalty (default: the first's).
    #[arg(long)]
    after_move_penalty: Option<i64>,
    /// The second policy's balance weight (default: the first's).
    #[arg(long)]
    after_balance: Option<i64>,
    /// The second policy's unassigned penalty (default: the first's).
    #[arg(long)]
    after_unassigned_penalty: Option<i64>,
    /// Column type overrides, e.g. `--type postcode=string`.
    #[arg(long = "type", value_parser = parse_type_override)]
    types: Vec<(String, apportion::ValueType)>,
    /// Worker threads, 1 to 256. The result never depends on it.
    #[arg(long, value_parser = parse_threads)]
    threads: Option<usize>,
    #[command(flatten)]
    privacy: Privacy,
    /// Where to write every move (customer, before, after): .csv, .json or .jsonl.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let format = match &args.out {
        Some(out) => {
            let inputs: Vec<(&str, &Path)> = [
                ("--before", &args.before),
                ("--after", &args.after),
                ("--customers", &args.customers),
                ("--managers", &args.managers),
                ("--groups", &args.groups),
                ("--scores", &args.scores),
                ("--rules", &args.rules),
                ("--after-rules", &args.after_rules),
            ]
            .into_iter()
            .filter_map(|(name, path)| Some((name, path.as_deref()?)))
            .collect();
            output::check_not_an_input(out, &inputs)?;
            Format::choose(None, Some(out)).map_err(Failure::usage)?
        }
        None => Format::Csv,
    };
    let text = match (&args.before, &args.after) {
        (Some(before), Some(after)) => {
            let (before, after) = (
                apportion::load::read_plan(before)?,
                apportion::load::read_plan(after)?,
            );
            let changes = diff(&before, &after);
            write_moves(&changes, format, args.out.as_deref())?;
            plan_report(&changes)
        }
        _ => {
            let comparison = compare_book(args)?;
            write_moves(&comparison.diff, format, args.out.as_deref())?;
            let mut text = plan_report(&comparison.diff);
            text.push_str(&rules_report(&comparison));
            text
        }
    };
    output::print(&text)
}

/// Plans the book under both rulebooks and policies.
fn compare_book(args: &Args) -> Result<Comparison, Failure> {
    let missing = |what: &str| {
        Failure::usage(format!(
            "diff needs --before and --after, or --customers, --managers and --rules: {what} is missing"
        ))
    };
    let customers = args
        .customers
        .as_ref()
        .ok_or_else(|| missing("--customers"))?;
    let managers = args
        .managers
        .as_ref()
        .ok_or_else(|| missing("--managers"))?;
    let rules_path = args.rules.as_ref().ok_or_else(|| missing("--rules"))?;
    let as_of = AsOf::required(args.as_of)?.date();
    let first = Policy {
        move_penalty: args.move_penalty,
        balance: args.balance,
        unassigned_penalty: args.unassigned_penalty,
    };
    let second = Policy {
        move_penalty: args.after_move_penalty.unwrap_or(first.move_penalty),
        balance: args.after_balance.unwrap_or(first.balance),
        unassigned_penalty: args.after_unassigned_penalty.or(first.unassigned_penalty),
    };
    first.check()?;
    second.check()?;
    let rules = compile_rules(rules_path, &args.privacy)?;
    let after_rules = match &args.after_rules {
        Some(path) => compile_rules(path, &args.privacy)?,
        None => rules.clone(),
    };
    let options = LoadOptions {
        types: args.types.iter().cloned().collect(),
        ..LoadOptions::default()
    };
    let book = apportion::Book::read(customers, managers, &options)?;
    let book = crate::run_args::in_groups(book, args.groups.as_deref(), &options)?;
    let book = crate::run_args::with_scores(book, args.scores.as_deref(), &options)?;
    let side = |policy| AssignOptions {
        policy,
        threads: args.threads,
        ..AssignOptions::new(as_of)
    };
    Ok(compare(
        &book,
        (&rules, &side(first)),
        (&after_rules, &side(second)),
    )?)
}

/// Writes every move to `out`, when given.
fn write_moves(changes: &PlanDiff, format: Format, out: Option<&Path>) -> Result<(), Failure> {
    if out.is_none() {
        return Ok(());
    }
    let id =
        |m: &Option<apportion::ManagerId>| m.as_ref().map_or(Json::Null, |m| m.to_string().into());
    let rows = (changes.moves.iter())
        .map(|m| vec![m.customer.to_string().into(), id(&m.before), id(&m.after)])
        .collect();
    let table = Table {
        columns: ["customer", "before", "after"].map(str::to_owned).to_vec(),
        rows,
    };
    output::emit(&table, format, out)
}

/// The objective's change, the moves and their largest flows, the largest load changes.
fn plan_report(changes: &PlanDiff) -> String {
    let mut text = String::new();
    if let Some(o) = &changes.objective {
        let c = &o.change;
        let _ = writeln!(
            text,
            "objective {} -> {}: {:+} = affinity {:+} + moves {:+} + balance {:+} + unassigned {:+}",
            o.before.total, o.after.total, c.total, c.affinity, c.moves, c.balance, c.unassigned
        );
    }
    let name = |m: &Option<apportion::ManagerId>| {
        m.as_ref()
            .map_or("unassigned".to_owned(), |m| m.to_string())
    };
    let flows: Vec<String> = (changes.flows.iter().take(SHOWN))
        .map(|f| format!("{} -> {} {}", name(&f.from), name(&f.to), f.customers))
        .collect();
    let _ = write!(
        text,
        "moves: {} customers change manager",
        changes.moves.len()
    );
    if !flows.is_empty() {
        let _ = write!(text, " (most between {})", flows.join(", "));
    }
    text.push('\n');
    if !changes.loads.is_empty() {
        let loads: Vec<String> = (changes.loads.iter().take(SHOWN))
            .map(|l| format!("{} {} -> {}", l.manager, l.before, l.after))
            .collect();
        let _ = writeln!(
            text,
            "loads: {} managers change, most {}",
            changes.loads.len(),
            loads.join(", ")
        );
    }
    for (side, customers) in [
        ("first", &changes.only_before),
        ("second", &changes.only_after),
    ] {
        if !customers.is_empty() {
            let _ = writeln!(
                text,
                "only in the {side} plan: {} customers",
                customers.len()
            );
        }
    }
    if changes.is_empty() {
        text.push_str("no change\n");
    }
    text
}

/// Tier and segment transitions, and the customers whose eligible managers changed.
fn rules_report(comparison: &Comparison) -> String {
    let mut text = String::new();
    for (field, transitions) in [
        ("tiers", &comparison.tiers),
        ("segments", &comparison.segments),
    ] {
        let _ = writeln!(text, "{field}: {}", transition_text(transitions));
    }
    let changes = &comparison.eligibility;
    let gained: usize = changes.iter().map(|c| c.gained).sum();
    let lost: usize = changes.iter().map(|c| c.lost).sum();
    let _ = writeln!(
        text,
        "eligibility changed for {} customers ({gained} (customer, manager) pairs gained, {lost} lost)",
        changes.len()
    );
    text
}

/// `a -> b n` for each change of value, and how many kept theirs.
fn transition_text(transitions: &[Transition]) -> String {
    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
    let kept: usize = transitions
        .iter()
        .filter(|t| t.before == t.after)
        .map(|t| t.customers)
        .sum();
    let changed: Vec<String> = (transitions.iter())
        .filter(|t| t.before != t.after)
        .map(|t| {
            format!(
                "{} -> {} {}",
                value(&t.before),
                value(&t.after),
                t.customers
            )
        })
        .collect();
    match changed.is_empty() {
        true => format!("{kept} customers keep theirs"),
        false => format!("{}; {kept} customers keep theirs", changed.join(", ")),
    }
}

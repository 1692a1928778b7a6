//! `apportion explain`: why one customer goes where the plan puts them, on the same inputs as
//! `assign` — the fields the pair rules read, and every manager's verdict.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

use apportion::{Explanation, Term, Verdict, assign};

use crate::output::{self, Format};
use crate::progress::Bar;
use crate::run_args::PlanArgs;
use crate::{Failure, compile_rules};

/// Managers named per failing clause before the rest are counted.
const NAMED: usize = 6;

/// Arguments of `apportion explain`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The customer to explain, by id.
    #[arg(long)]
    customer: String,
    #[command(flatten)]
    inputs: PlanArgs,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let run = &args.inputs.run;
    let as_of = run.as_of()?;
    let format = run.format(&args.inputs.book.inputs())?;
    if run.out.is_some() && format != Format::Json {
        return Err(Failure::usage(
            "an explanation is one document: write it to a .json file".to_owned(),
        ));
    }
    let policy = args.inputs.policy()?;
    let rules = compile_rules(&run.rules, &run.privacy)?;
    let book = args.inputs.book.load(run)?;
    let bar = Bar::customers(book.customers.records.len());
    let options = args
        .inputs
        .options(as_of, policy, bar.callback("— the plan to explain…"));
    let plan = assign(&book, &rules, &options);
    bar.finish();
    let plan = plan?;
    let started = Instant::now();
    let explanation = plan.explain(&book, &rules, &args.customer)?;
    let took = started.elapsed();
    if run.out.is_some() {
        output::emit_json(&explanation, run.out.as_deref())?;
    }
    let mut text = report(&explanation);
    let _ = writeln!(text, "explained in {:.1} ms", took.as_secs_f64() * 1000.0);
    output::print(&text)
}

/// The explanation as a branch head reads it: where the customer is, the fields, then the
/// managers — the plan's, the eligible ones cheapest first, the full ones, and the rest by
/// the clause that ruled them out.
fn report(e: &Explanation) -> String {
    let mut text = String::new();
    let name =
        |m: Option<&apportion::ManagerId>| m.map_or("no manager".to_owned(), |m| m.to_string());
    let _ = write!(
        text,
        "{} is with {} (before: {})",
        e.customer,
        name(e.manager.as_ref()),
        name(e.previous_manager.as_ref())
    );
    if let Some(reason) = &e.unassigned_reason {
        let _ = write!(text, ", left out: {reason}");
    }
    if let Some(segment) = &e.segment {
        let _ = write!(text, "; segment {segment}");
    }
    text.push('\n');
    if !e.fields.is_empty() {
        text.push_str("fields the pair rules read:\n");
        for field in &e.fields {
            let value = serde_json::to_string(&field.value).unwrap_or_default();
            let _ = writeln!(text, "  {} = {value}{}", field.name, terms(&field.terms));
        }
    }
    let mut eligible = Vec::new();
    let mut blocked = Vec::new();
    let mut ruled_out: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for option in &e.managers {
        let id = option.manager.as_str();
        let model = model_score(option);
        match &option.verdict {
            Verdict::Assigned { affinity, terms: t } => {
                let _ = writeln!(text, "the plan's choice: {id}, affinity {affinity}{model}{}", terms(t));
            }
            Verdict::Eligible { affinity, terms: t, extra_cost: c } => eligible.push((
                c.total,
                format!(
                    "  {id}: +{} (affinity {}, moves {}, balance {}, unassigned {}); affinity {affinity}{model}{}",
                    c.total, c.affinity, c.moves, c.balance, c.unassigned, terms(t)
                ),
            )),
            Verdict::Full { affinity, .. } => blocked.push(format!("{id} full (affinity {affinity}{model})")),
            Verdict::AtSegmentCap { segment, affinity, .. } => {
                blocked.push(format!("{id} at its {segment} cap (affinity {affinity}{model})"));
            }
            Verdict::InFullGroup { group, affinity, .. } => {
                blocked.push(format!("{id} in group {group}, which is full (affinity {affinity}{model})"));
            }
            Verdict::InGroupAtSegmentCap { group, segment, affinity, .. } => {
                blocked.push(format!("{id} in group {group}, at its {segment} cap (affinity {affinity}{model})"));
            }
            Verdict::LeavesGroupAtSegmentMinimum { group, segment, affinity, .. } => {
                blocked.push(format!("{id} outside group {group}, at its {segment} minimum (affinity {affinity}{model})"));
            }
            Verdict::Ineligible { clause } => {
                let why = match clause {
                    Some(c) if c.guard => format!("line {}, column {}: `{}` held", c.line, c.column, one_line(&c.text)),
                    Some(c) => {
                        let under = c.under.as_ref().map_or(String::new(), |u| format!(" (with `{}`)", one_line(u)));
                        format!("line {}, column {}: `{}` was false{under}", c.line, c.column, one_line(&c.text))
                    }
                    None => "`eligible` was false".to_owned(),
                };
                ruled_out.entry(why).or_default().push(id);
            }
            _ => {}
        }
    }
    eligible.sort_by_key(|a| a.0);
    if !eligible.is_empty() {
        text.push_str(
            "eligible instead, with what moving this customer alone would add to the objective:\n",
        );
        eligible.iter().for_each(|(_, line)| {
            let _ = writeln!(text, "{line}");
        });
    }
    if !blocked.is_empty() {
        let _ = writeln!(text, "eligible but without room: {}", blocked.join(", "));
    }
    for (why, managers) in &ruled_out {
        let named = managers
            .iter()
            .take(NAMED)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let more = managers.len().saturating_sub(NAMED);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(text, "not eligible, {why}: {named}{more}");
    }
    text
}

/// `, model score S` where the model scored the pair; empty where it did not.
fn model_score(option: &apportion::ManagerOption) -> String {
    option.model_score.as_ref().map_or(String::new(), |score| {
        format!(
            ", model score {}",
            serde_json::to_string(score).unwrap_or_default()
        )
    })
}

/// A score's terms as ` = +a (line l: text) ...`, those that added something; empty without.
fn terms(terms: &[Term]) -> String {
    let shown: Vec<String> = terms
        .iter()
        .filter(|t| t.value != Some(0))
        .map(|t| {
            let value = t.value.map_or("?".to_owned(), |v| format!("{v:+}"));
            format!("{value} (line {}: `{}`)", t.line, one_line(&t.text))
        })
        .collect();
    match (terms.is_empty(), shown.is_empty()) {
        (true, _) => String::new(),
        (false, true) => " (no term added anything)".to_owned(),
        (false, false) => format!(" = {}", shown.join(" ")),
    }
}

/// Source text on one line, its runs of white space as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

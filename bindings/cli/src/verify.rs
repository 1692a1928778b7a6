//! `apportion verify`: a plan written earlier, checked against its inputs: the same flags as
//! `assign`, and the plan. Fails with `plan_differs` on any difference.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use apportion::{Verification, verify};
use serde_json::Value as Json;

use crate::output::{self, Table};
use crate::progress::Bar;
use crate::run_args::PlanArgs;
use crate::{Failure, compile_rules};

/// Differences listed in the report; every one is in `--out`.
const SHOWN: usize = 20;

/// Arguments of `apportion verify`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The plan to check: as `assign` or `rebalance` wrote it (.csv, .json or .jsonl; a CSV or
    /// JSON Lines plan's provenance is read from the `.provenance.json` file beside it).
    #[arg(long)]
    plan: PathBuf,
    #[command(flatten)]
    inputs: PlanArgs,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let run = &args.inputs.run;
    let as_of = run.as_of()?;
    if let Some(out) = &run.out {
        output::check_not_an_input(out, &[("--plan", args.plan.as_path())])?;
    }
    let format = run.format(&args.inputs.book.inputs())?;
    let policy = args.inputs.policy()?;
    let rules = compile_rules(&run.rules, &run.privacy)?;
    let plan = apportion::load::read_plan(&args.plan)?;
    let book = args.inputs.book.load(run)?;
    let bar = Bar::customers(book.customers.records.len());
    let options = args
        .inputs
        .options(as_of, policy, bar.callback("— the rules again…"));
    let result = verify(&book, &rules, &options, &plan);
    bar.finish();
    let verification = result?;
    if run.out.is_some() {
        output::emit(&table(&verification), format, run.out.as_deref())?;
    }
    let rows = plan.assignments.len() + plan.unassigned.len();
    output::print(&report(&verification, rows))?;
    if verification.holds() {
        return Ok(());
    }
    Err(Failure::new(
        "plan_differs",
        format!(
            "the plan differs from what its inputs give in {} places (listed above{})",
            verification.discrepancies.len(),
            if run.out.is_some() {
                " and in --out"
            } else {
                ""
            }
        ),
    ))
}

/// What was checked, the objective recomputed, and the differences: counted by code, the
/// first [`SHOWN`] in full.
fn report(verification: &Verification, rows: usize) -> String {
    let mut text = String::new();
    let o = &verification.objective;
    let _ = writeln!(
        text,
        "checked {rows} rows; recomputed objective {} = affinity {} + moves {} + balance {} + \
         unassigned {}",
        o.total, o.affinity, o.moves, o.balance, o.unassigned
    );
    if !verification.provenance_checked {
        text.push_str("provenance: none with the plan, so the inputs' digests were not compared\n");
    }
    if verification.holds() {
        text.push_str("the plan holds: feasible, and exactly what its inputs give\n");
        return text;
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &verification.discrepancies {
        *counts.entry(d.code).or_default() += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
    let _ = writeln!(text, "differences: {}", counts.join(", "));
    for d in verification.discrepancies.iter().take(SHOWN) {
        let record = d
            .record
            .as_deref()
            .map_or(String::new(), |r| format!(" `{r}`"));
        let _ = writeln!(text, "  {}{record}: {}", d.code, d.message);
    }
    if verification.discrepancies.len() > SHOWN {
        let _ = writeln!(
            text,
            "  … and {} more",
            verification.discrepancies.len() - SHOWN
        );
    }
    text
}

/// One row per difference: its code, the record it is about, and what differs.
fn table(verification: &Verification) -> Table {
    let rows = verification
        .discrepancies
        .iter()
        .map(|d| {
            let record = d.record.clone().map_or(Json::Null, Json::from);
            vec![d.code.into(), record, d.message.clone().into()]
        })
        .collect();
    Table {
        columns: ["code", "record", "message"].map(str::to_owned).to_vec(),
        rows,
    }
}

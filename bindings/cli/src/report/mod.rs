//! `apportion report`: a plan as a page a branch head reads — loads and utilisation per
//! manager with who they are, the utilisation histogram, balance per region, moves, the
//! unassigned by reason, fairness and shadow prices — one self-contained HTML file.

mod html;

use std::path::PathBuf;

use apportion::PlanSummary;
use apportion::load::LoadOptions;

use crate::Failure;
use crate::output::{self, Sink};
use crate::run_args::parse_type_override;

/// Arguments of `apportion report`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The plan, as `assign` or `rebalance` wrote it (.csv, .json or .jsonl; a JSON plan
    /// carries the shadow prices too).
    #[arg(long)]
    plan: PathBuf,
    /// The managers the plan was made for: capacities, and names, regions and branches when
    /// they have them.
    #[arg(long)]
    managers: PathBuf,
    /// Groups of managers (as `assign` takes them): a table of balance per group too.
    #[arg(long)]
    groups: Option<PathBuf>,
    /// Where to write the page (.html).
    #[arg(long)]
    out: PathBuf,
    /// The page's title.
    #[arg(long, default_value = "Book allocation")]
    title: String,
    /// Column type overrides for the managers, e.g. `--type branch=string`.
    #[arg(long = "type", value_parser = parse_type_override)]
    types: Vec<(String, apportion::ValueType)>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let mut inputs = vec![
        ("--plan", args.plan.as_path()),
        ("--managers", args.managers.as_path()),
    ];
    inputs.extend(args.groups.as_deref().map(|path| ("--groups", path)));
    output::check_not_an_input(&args.out, &inputs)?;
    let options = LoadOptions {
        types: args.types.iter().cloned().collect(),
        ..LoadOptions::default()
    };
    let plan = apportion::load::read_plan(&args.plan)?;
    let managers = apportion::load::read_managers(&args.managers, &options)?;
    options.check_types(&[("managers", &managers.schema)])?;
    let organisation = crate::run_args::organisation(&managers, args.groups.as_deref(), &options)?;
    let summary = PlanSummary::of(&plan, &managers).in_groups(&organisation);
    let page = html::page(&summary, &args.title);
    let mut sink = Sink::open(Some(&args.out))?;
    sink.write_with(|writer| writer.write_all(page.as_bytes()))?;
    sink.finish()?;
    output::print(&format!(
        "wrote {} ({} managers, {} customers placed, {} left out)\n",
        args.out.display(),
        summary.managers.len(),
        summary.assigned,
        summary.unassigned
    ))
}

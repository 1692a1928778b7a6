//! `apportion assign`: the optimal assignment of customers to managers, and a report a branch
//! head can read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use apportion::{DryRun, Plan, assign_timed, dry_run};
use serde_json::Value as Json;

use crate::output::{self, Format, Table};
use crate::progress::Bar;
use crate::run_args::PlanArgs;
use crate::{Failure, compile_rules};

/// Managers listed as most and least loaded in the report.
const SHOWN: usize = 5;

/// Arguments of `apportion assign`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    inputs: PlanArgs,
    /// Run the rules and pair rules only and report what the solver would be given (pair
    /// classes, supply nodes, eligible pairs, who is decided before the solve); no plan
    #[arg(long, conflicts_with = "out")]
    dry_run: bool,
    /// Also write each manager's load, utilisation and shadow prices here (.csv, .json or
    /// .jsonl), one row per manager
    #[arg(long, conflicts_with = "dry_run")]
    loads_out: Option<PathBuf>,
    /// Also write each group of managers' load, room, moves and spread here (.csv, .json or
    /// .jsonl), one row per group (with --groups)
    #[arg(long, conflicts_with = "dry_run", requires = "groups")]
    group_loads_out: Option<PathBuf>,
    /// Also write the min-cost flow network the plan is the optimum of, every arc, with its
    /// optimal cost (the plan's objective less the unassigned penalty of customers decided
    /// before the solve), in the `APNET001` format of the README, for another solver such as
    /// OR-Tools to check; the rules run a second time to build it
    #[arg(long, conflicts_with = "dry_run")]
    network_out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let run = &args.inputs.run;
    let as_of = run.as_of()?;
    let format = run.format(&args.inputs.book.inputs())?;
    let loads_format = side_format(args, args.loads_out.as_deref())?;
    let group_loads_format = side_format(args, args.group_loads_out.as_deref())?;
    if let Some(network) = &args.network_out {
        check_side_output(args, network)?;
        check_side_output(args, &network.with_extension("limits"))?;
    }
    let policy = args.inputs.policy()?;
    let rules = compile_rules(&run.rules, &run.privacy)?;
    let started = Instant::now();
    let book = args.inputs.book.load(run)?;
    let loaded = started.elapsed();
    let mut assign_options = args.inputs.options(as_of, policy, None);
    let bar = Bar::customers(book.customers.records.len());
    if args.dry_run {
        assign_options.progress = bar.callback("— pair rules…");
        let result = dry_run(&book, &rules, &assign_options);
        bar.finish();
        let text = dry_run_report(&result?, book.customers.records.len(), loaded);
        output::report(&text, true)?;
        return Ok(());
    }
    assign_options.progress = bar.callback("— pair rules and the exact solve…");
    let result = assign_timed(&book, &rules, &assign_options);
    bar.finish();
    let (plan, timings) = result?;
    emit_plan(&plan, format, run.out.as_deref())?;
    if let (Some(path), Some(format)) = (&args.loads_out, loads_format) {
        output::emit(&loads_table(&plan.loads), format, Some(path))?;
    }
    if let (Some(path), Some(format)) = (&args.group_loads_out, group_loads_format) {
        output::emit(&group_loads_table(&plan.groups), format, Some(path))?;
    }
    if let Some(path) = &args.network_out {
        let (network, limits) = apportion::assignment_limits(&book, &rules, &assign_options)?;
        let mut sink = output::Sink::open(Some(path))?;
        sink.write_with(|writer| network.write_file(network_optimum(&plan), writer))?;
        sink.finish()?;
        // The groups' caps and minimums per segment are no arcs: they go beside it.
        if !limits.is_empty() {
            let mut sink = output::Sink::open(Some(&path.with_extension("limits")))?;
            sink.write_with(|writer| apportion::network::write_limits_file(&limits, writer))?;
            sink.finish()?;
        }
    }
    let mut text = format!(
        "assigned {} of {} customers as of {}{} in {:.3} s (rules {:.3} s, solve {:.3} s; loading took {:.3} s)\n",
        plan.stats.assigned,
        book.customers.records.len(),
        assign_options.as_of,
        run.as_of_note(),
        (timings.rules + timings.solve).as_secs_f64(),
        timings.rules.as_secs_f64(),
        timings.solve.as_secs_f64(),
        loaded.as_secs_f64(),
    );
    text.push_str(&report(&plan));
    if plan.objective.model_scores.is_some() && !rules.pair_rules().reads_scores() {
        text.push_str(
            "note: model scores were given, but no pair rule calls `pair_score(c, m)`: they change nothing\n",
        );
    }
    output::report(&text, run.out.is_some())?;
    crate::free_in_background((book, plan));
    Ok(())
}

/// The optimum of the plan's network: its objective less the unassigned penalty of the
/// customers decided before the solve (no eligible manager, a failed rule), who are not in it.
fn network_optimum(plan: &Plan) -> i64 {
    let o = &plan.objective;
    let Some(penalty) = o.unassigned.checked_div(plan.unassigned.len() as i64) else {
        return o.total;
    };
    let decided = plan.unassigned.iter().filter(|u| {
        matches!(
            u.reason,
            apportion::UnassignedReason::NoEligibleManager
                | apportion::UnassignedReason::RuleError { .. }
        )
    });
    o.total - penalty * decided.count() as i64
}

/// The format of a side output (`--loads-out`, `--group-loads-out`), from its extension,
/// after checking it is neither an input nor the plan's own output.
fn side_format(args: &Args, path: Option<&Path>) -> Result<Option<Format>, Failure> {
    let Some(path) = path else {
        return Ok(None);
    };
    check_side_output(args, path)?;
    Format::choose(None, Some(path))
        .map(Some)
        .map_err(Failure::usage)
}

/// Fails if a side output would overwrite an input or the plan's own output.
fn check_side_output(args: &Args, path: &Path) -> Result<(), Failure> {
    let run = &args.inputs.run;
    let mut inputs = vec![("--customers", run.customers.as_path())];
    inputs.push(("--rules", run.rules.as_path()));
    inputs.extend(args.inputs.book.inputs());
    inputs.extend(run.out.as_deref().map(|out| ("--out", out)));
    output::check_not_an_input(path, &inputs)
}

/// One row per manager: load, capacity, target, utilisation and shadow price; then per
/// segment its load, and per segment capped somewhere its cap's shadow price (0 where the cap
/// does not bind), segments in name order.
fn loads_table(loads: &[apportion::ManagerLoad]) -> Table {
    let segments: BTreeSet<&str> = (loads.iter())
        .flat_map(|l| l.segments.keys().map(String::as_str))
        .collect();
    let capped: BTreeSet<&str> = (loads.iter())
        .flat_map(|l| l.segment_shadow_prices.keys().map(String::as_str))
        .collect();
    let mut columns: Vec<String> = ["manager", "load", "capacity", "target", "utilisation"]
        .map(str::to_owned)
        .to_vec();
    columns.push("shadow_price".to_owned());
    columns.extend(segments.iter().map(|s| format!("load_{s}")));
    columns.extend(capped.iter().map(|s| format!("shadow_price_{s}")));
    let rows = loads
        .iter()
        .map(|l| {
            let mut row: Vec<Json> = vec![
                l.manager.to_string().into(),
                l.load.into(),
                l.capacity.into(),
                l.target.into(),
                l.utilisation.into(),
                l.shadow_price.into(),
            ];
            row.extend(
                segments
                    .iter()
                    .map(|s| Json::from(l.segments.get(*s).copied().unwrap_or(0))),
            );
            let price =
                |s: &&str| Json::from(l.segment_shadow_prices.get(*s).copied().unwrap_or(0));
            row.extend(capped.iter().map(price));
            row
        })
        .collect();
    Table { columns, rows }
}

/// One row per group of managers: parent, managers, load, capacity, target, utilisation,
/// moves in and out, and its managers' utilisation spread; then per segment its load, and
/// per segment limited somewhere the group's cap and minimum for it (empty where it has
/// none), segments in name order.
fn group_loads_table(groups: &[apportion::GroupLoad]) -> Table {
    let names = |of: fn(&apportion::GroupLoad) -> &BTreeMap<String, u32>| -> BTreeSet<&str> {
        (groups.iter())
            .flat_map(|g| of(g).keys().map(String::as_str))
            .collect()
    };
    let segments = names(|g| &g.segments);
    let limited: BTreeSet<&str> = names(|g| &g.segment_caps)
        .union(&names(|g| &g.segment_minimums))
        .copied()
        .collect();
    let mut columns: Vec<String> = [
        "group",
        "parent",
        "managers",
        "load",
        "capacity",
        "target",
        "utilisation",
        "moved_in",
        "moved_out",
        "min_utilisation",
        "max_utilisation",
        "utilisation_std_dev",
    ]
    .map(str::to_owned)
    .to_vec();
    columns.extend(segments.iter().map(|s| format!("load_{s}")));
    for s in &limited {
        columns.extend([format!("cap_{s}"), format!("minimum_{s}")]);
    }
    let rows = groups
        .iter()
        .map(|g| {
            let mut row: Vec<Json> = vec![
                g.group.to_string().into(),
                g.parent.as_ref().map(ToString::to_string).into(),
                g.managers.into(),
                g.load.into(),
                g.capacity.into(),
                g.target.into(),
                g.utilisation.into(),
                g.moved_in.into(),
                g.moved_out.into(),
                g.min_utilisation.into(),
                g.max_utilisation.into(),
                g.utilisation_std_dev.into(),
            ];
            row.extend(
                segments
                    .iter()
                    .map(|s| Json::from(g.segments.get(*s).copied().unwrap_or(0))),
            );
            for s in &limited {
                row.push(g.segment_caps.get(*s).copied().into());
                row.push(g.segment_minimums.get(*s).copied().into());
            }
            row
        })
        .collect();
    Table { columns, rows }
}

/// What a dry run found: the problem's size and who is decided before the solve.
fn dry_run_report(dry: &DryRun, customers: usize, loaded: std::time::Duration) -> String {
    let mut text = format!(
        "dry run: the rules took {:.3} s (loading {:.3} s); {} of {} customers to place\n\
         network: {} pair classes, {} supply nodes, {} eligible (customer, manager) pairs\n",
        dry.rules.as_secs_f64(),
        loaded.as_secs_f64(),
        dry.placeable,
        customers,
        dry.pair_classes,
        dry.supply_nodes,
        dry.eligible_pairs,
    );
    if !dry.regions.is_empty() {
        let fields: Vec<String> = dry
            .regions
            .iter()
            .map(|(field, cuts)| {
                let cuts: Vec<String> = cuts.iter().map(i64::to_string).collect();
                format!("{field} at {}", cuts.join(", "))
            })
            .collect();
        let _ = writeln!(
            text,
            "fields the pair rules only compare with constants, classed by region: {}",
            fields.join("; ")
        );
    }
    if !dry.decided.is_empty() {
        let reasons: Vec<String> = dry
            .decided
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        let _ = writeln!(text, "decided before the solve: {}", reasons.join(", "));
    }
    text
}

/// The plan's summary: objective, moves, balance, extremes, unassigned by reason.
pub(crate) fn report(plan: &Plan) -> String {
    let mut text = String::new();
    let o = &plan.objective;
    let _ = writeln!(
        text,
        "objective {} = affinity {} + moves {} + balance {} + unassigned {}",
        o.total, o.affinity, o.moves, o.balance, o.unassigned
    );
    if let Some(model) = o.model_scores {
        let scored = plan
            .assignments
            .iter()
            .filter(|a| a.model_score.is_some_and(|part| part != 0))
            .count();
        let _ = writeln!(
            text,
            "model scores: {model} of the affinity part, from {scored} placements where the model's score counted"
        );
    }
    let s = &plan.stats;
    let _ = writeln!(
        text,
        "moves: {} customers change manager ({} taken from a manager still here, each paying the \
         move penalty; {} re-homed from managers who left); utilisation min {:.1}%, max {:.1}%, \
         std dev {:.1} points",
        s.moved,
        s.paid_moves,
        s.rehomed,
        100.0 * s.min_utilisation,
        100.0 * s.max_utilisation,
        100.0 * s.utilisation_std_dev
    );
    let n = &plan.network;
    let _ = writeln!(
        text,
        "network: {} pair classes, {} supply nodes, {} nodes, {} arcs ({} held from the start, \
         {} priced in over {} rounds), {} pivots, {}",
        n.pair_classes,
        n.supply_nodes,
        n.nodes,
        n.arcs,
        n.arcs_held,
        n.arcs_priced_in,
        n.pricing_rounds,
        n.pivots,
        how_solved(n)
    );
    let p = &plan.provenance;
    let _ = writeln!(
        text,
        "provenance: apportion {}, rulebook sha256 {}, customers blake3 {}, managers blake3 {}, \
         {} threads",
        p.engine_version, p.rulebook_sha256, p.customers_blake3, p.managers_blake3, p.threads
    );
    let mut ranked: Vec<_> = plan.loads.iter().filter(|l| l.capacity > 0).collect();
    ranked.sort_by(|a, b| {
        b.utilisation
            .total_cmp(&a.utilisation)
            .then_with(|| a.manager.cmp(&b.manager))
    });
    let show = |loads: &mut dyn Iterator<Item = &&apportion::ManagerLoad>| -> String {
        loads
            .map(|l| {
                format!(
                    "{} {}/{} ({:.0}%)",
                    l.manager,
                    l.load,
                    l.capacity,
                    100.0 * l.utilisation
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        text,
        "most loaded:  {}",
        show(&mut ranked.iter().take(SHOWN))
    );
    let _ = writeln!(
        text,
        "least loaded: {}",
        show(&mut ranked.iter().rev().take(SHOWN))
    );
    text.push_str(&shadow_prices(&plan.loads));
    text.push_str(&top_groups(&plan.groups));
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for unassigned in &plan.unassigned {
        *reasons.entry(unassigned.reason.code()).or_default() += 1;
    }
    if reasons.is_empty() {
        text.push_str("unassigned: none\n");
    } else {
        let counts: Vec<String> = reasons
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        let _ = writeln!(text, "unassigned by reason: {}", counts.join(", "));
    }
    if !plan.orphans.is_empty() {
        let _ = writeln!(
            text,
            "orphaned customers (their manager is not among the managers): {}",
            plan.orphans.len()
        );
    }
    text
}

/// How the network was solved: whole, in independent parts, or in parts joined by groups
/// (the first is the slow one, worth seeing when a book is slower than expected).
fn how_solved(n: &apportion::NetworkStats) -> String {
    let how = match (n.parts, n.joined_by_links) {
        (1, _) => "solved whole".to_owned(),
        (parts, false) => format!("solved in {parts} independent parts"),
        (parts, true) => format!("solved in {parts} parts joined by groups, then whole"),
    };
    let limits = match (n.limit_solves, n.optimality_gap) {
        (0, 0) => String::new(),
        (solves, 0) => format!(", and {solves} times more to price the groups' segment limits"),
        (solves, gap) => format!(
            ", and {solves} times more to price the groups' segment limits: not proven optimal, at most {gap} above the optimum"
        ),
    };
    how + limits.as_str()
}

/// The groups at the top of the organisation (business lines, say): load against target and
/// room, and who moved in and out. Nothing for a book without groups.
fn top_groups(groups: &[apportion::GroupLoad]) -> String {
    if groups.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = groups
        .iter()
        .filter(|g| g.parent.is_none())
        .map(|g| {
            let target = g.target.map_or(String::new(), |t| format!(", target {t}"));
            format!(
                "{} {}{target} ({:.0}% of room; {} in, {} out)",
                g.group,
                g.load,
                100.0 * g.utilisation,
                g.moved_in,
                g.moved_out
            )
        })
        .collect();
    format!(
        "groups ({} in all), at the top: {}\n",
        groups.len(),
        shown.join("; ")
    )
}

/// The highest shadow prices: what one more place would save, at a manager or under a
/// segment cap that binds.
fn shadow_prices(loads: &[apportion::ManagerLoad]) -> String {
    let mut priced: Vec<(String, i64)> = Vec::new();
    for load in loads {
        if load.shadow_price > 0 {
            priced.push((load.manager.to_string(), load.shadow_price));
        }
        for (segment, &price) in &load.segment_shadow_prices {
            if price > 0 {
                priced.push((format!("{} {segment} cap", load.manager), price));
            }
        }
    }
    if priced.is_empty() {
        return "shadow prices: none (no capacity or segment cap holds the objective back)\n"
            .to_owned();
    }
    priced.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let shown: Vec<String> = (priced.iter().take(SHOWN))
        .map(|(place, price)| format!("{place} {price}"))
        .collect();
    format!(
        "shadow prices (what one more place would save; {} places have one): {}\n",
        priced.len(),
        shown.join(", ")
    )
}

/// One row per customer: placed ones first in input order, then the unassigned with a reason.
/// Writes `plan` to `out` (standard output without one). As CSV or JSON Lines it is one row
/// per customer, with the provenance beside a file (`plan.csv.provenance.json`); as JSON it
/// is one document: provenance, objective, statistics, loads (the groups' too, when the book
/// has groups) and the rows.
pub(crate) fn emit_plan(plan: &Plan, format: Format, out: Option<&Path>) -> Result<(), Failure> {
    let rows = table(plan);
    if format != Format::Json {
        output::emit(&rows, format, out)?;
        return output::emit_provenance(&plan.provenance, out);
    }
    let document = PlanDocument {
        provenance: &plan.provenance,
        objective: &plan.objective,
        statistics: Statistics {
            balance: &plan.stats,
            network: &plan.network,
        },
        loads: &plan.loads,
        groups: &plan.groups,
        assignments: output::Objects(&rows),
    };
    output::emit_json(&document, out)
}

/// A JSON plan: one document, the rows last.
#[derive(serde::Serialize)]
struct PlanDocument<'a> {
    provenance: &'a apportion::Provenance,
    objective: &'a apportion::Objective,
    statistics: Statistics<'a>,
    loads: &'a [apportion::ManagerLoad],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    groups: &'a [apportion::GroupLoad],
    assignments: output::Objects<'a>,
}

/// A plan's statistics: its balance and the network solved.
#[derive(serde::Serialize)]
struct Statistics<'a> {
    balance: &'a apportion::BalanceStats,
    network: &'a apportion::NetworkStats,
}

pub(crate) fn table(plan: &Plan) -> Table {
    // A book with model scores adds what they contributed to each affinity.
    let scored = plan.objective.model_scores.is_some();
    let mut columns = vec![
        "customer",
        "manager",
        "previous_manager",
        "moved",
        "affinity",
        "move_penalty",
    ];
    if scored {
        columns.push("model_score");
    }
    columns.push("unassigned_reason");
    let id =
        |m: &Option<apportion::ManagerId>| m.as_ref().map_or(Json::Null, |m| m.to_string().into());
    let mut rows: Vec<Vec<Json>> = plan
        .assignments
        .iter()
        .map(|a| {
            let mut row = vec![
                a.customer.to_string().into(),
                a.manager.to_string().into(),
                id(&a.previous_manager),
                a.moved.into(),
                a.affinity.into(),
                a.move_penalty.into(),
            ];
            if scored {
                row.push(a.model_score.map_or(Json::Null, Json::from));
            }
            row.push(Json::Null);
            row
        })
        .collect();
    rows.extend(plan.unassigned.iter().map(|u| {
        let mut row = vec![
            u.customer.to_string().into(),
            Json::Null,
            id(&u.previous_manager),
            false.into(),
            Json::Null,
            Json::Null,
        ];
        if scored {
            row.push(Json::Null);
        }
        row.push(u.reason.code().into());
        row
    }));
    Table {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    }
}

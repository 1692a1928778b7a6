//! Builds the example bank's (with `--book lender`, the example lender's; with `--book
//! bank-groups` or `lender-groups`, the book's with its teams, desks and business lines; with
//! `--book lender-national`, the lender's teams under one capped desk per line over every
//! province; with `--book bank-limits`, the bank's with its private-banking teams'
//! minimums of HNW customers, written with them as side constraints) assignment network
//! at a given size, with every arc, and writes it in the format of `benches/compare/README.md`
//! for other solvers, with the optimal cost apportion finds for it. The time is apportion's
//! solve as `assign` runs it once the rules are done: the first placement, the network (on a
//! large one, a few arcs per group, the others priced in), the solve and the plan. Prints
//! `network <kind> <file> <seconds>` per network. `--only aggregated` (or `per_customer`) skips the other kind;
//! `--runs N` times N solves of each network and reports the median (a single solve of a small
//! network is at the mercy of a noisy machine).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use apportion::network::{Network, write_limits_file};
use apportion::{AssignOptions, Rulebook, assign_timed};
use apportion_examples::lender::{self, LenderConfig};
use apportion_examples::{BankConfig, generate, load_book, load_organised_book};

/// The allocator the CLI uses, so the solve is timed as users run it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut customers, mut managers, mut out) = (100_000, 500, PathBuf::from("target"));
    let mut runs = 1usize;
    let mut book_kind = "bank";
    let mut kinds = vec![("aggregated", true), ("per_customer", false)];
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--customers" => customers = value.parse().map_err(|_| "bad --customers")?,
            "--managers" => managers = value.parse().map_err(|_| "bad --managers")?,
            "--out" => out = PathBuf::from(value),
            "--only" => kinds.retain(|(kind, _)| *kind == value),
            "--runs" => runs = value.parse().ok().filter(|&n| n > 0).ok_or("bad --runs")?,
            "--book" => match value.as_str() {
                "bank" => book_kind = "bank",
                "bank-groups" => book_kind = "bank-groups",
                "bank-limits" => book_kind = "bank-limits",
                "lender" => book_kind = "lender",
                "lender-groups" => book_kind = "lender-groups",
                "lender-national" => book_kind = "lender-national",
                _ => {
                    return Err(format!(
                        "--book is `bank`, `bank-groups`, `bank-limits`, `lender`, \
                         `lender-groups` or `lender-national`, not `{value}`"
                    ));
                }
            },
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    let (book, rules, as_of, name) = if book_kind.starts_with("lender") {
        let config = LenderConfig {
            customers,
            managers,
            ..LenderConfig::default()
        };
        let generated = lender::generate(&config);
        let (book, name) = match book_kind {
            "lender-groups" => (lender::load_organised_book(&generated), "lender-groups-"),
            "lender-national" => (lender::load_national_book(&generated), "lender-national-"),
            _ => (lender::load_book(&generated), "lender-"),
        };
        (
            book,
            include_str!("../../../examples/rules/lender.rhai"),
            config.as_of,
            name,
        )
    } else {
        let config = BankConfig {
            customers,
            managers,
            ..BankConfig::default()
        };
        let bank = generate(&config);
        let (book, name) = match book_kind {
            "bank-groups" => (load_organised_book(&bank), "groups-"),
            "bank-limits" => (load_organised_book(&bank), "limits-"),
            _ => (load_book(&bank), ""),
        };
        (
            book,
            include_str!("../../../examples/rules/bank.rhai"),
            config.as_of,
            name,
        )
    };
    let book = book.map_err(|e| e.to_string())?;
    let rules = Rulebook::compile(rules).map_err(|e| e.to_string())?;
    for (kind, aggregate) in kinds {
        let options = AssignOptions {
            aggregate,
            ..AssignOptions::new(as_of)
        };
        let (network, limits) =
            apportion::assignment_limits(&book, &rules, &options).map_err(|e| e.to_string())?;
        let mut times = Vec::with_capacity(runs);
        let mut cost = 0;
        for _ in 0..runs {
            let (plan, timings) =
                assign_timed(&book, &rules, &options).map_err(|e| e.to_string())?;
            times.push(timings.solve.as_secs_f64());
            cost = plan.objective.total;
        }
        times.sort_by(f64::total_cmp);
        let seconds = times[runs / 2];
        let file = out.join(format!("{kind}-{name}{customers}x{managers}.apnet"));
        write(&network, cost, &file).map_err(|e| format!("{}: {e}", file.display()))?;
        if book_kind == "bank-limits" {
            let side = file.with_extension("limits");
            let file = std::fs::File::create(&side).map(BufWriter::new);
            let written =
                file.and_then(|mut f| write_limits_file(&limits, &mut f).and_then(|()| f.flush()));
            written.map_err(|e| format!("{}: {e}", side.display()))?;
        }
        println!("network {kind} {} {seconds:.6}", file.display());
    }
    Ok(())
}

fn write(network: &Network, cost: i64, path: &Path) -> std::io::Result<()> {
    network.write_file(cost, &mut BufWriter::new(std::fs::File::create(path)?))
}

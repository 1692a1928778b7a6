//! `apportion profile`: derive every field for every customer.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use apportion::load::{self, LoadOptions};
use apportion::{Book, Date, OnRuleError, ProfileOptions, Rulebook, ValueType};
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::{self, Format};
use crate::summary;
use crate::{Failure, read_rules};

/// Arguments of `apportion profile`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Customers: CSV, JSON (array of objects) or JSON Lines.
    #[arg(long)]
    customers: PathBuf,
    /// The rulebook (.rhai).
    #[arg(long)]
    rules: PathBuf,
    /// The date rules compare against (YYYY-MM-DD); defaults to today (UTC).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// Where to write the profile (.csv, .json or .jsonl); standard output if absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Format of the output; by default taken from --out's extension, CSV on standard output.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Managers (optional): customers whose current manager is not among them are reported.
    #[arg(long)]
    managers: Option<PathBuf>,
    /// Skip customers for whom a rule fails (they are reported) instead of stopping.
    #[arg(long)]
    skip_errors: bool,
    /// Column type overrides, e.g. `--type postcode=string` (int, float, bool, string, list, date).
    #[arg(long = "type", value_parser = parse_type_override)]
    types: Vec<(String, ValueType)>,
    /// Worker threads (default: one per core). The result never depends on it.
    #[arg(long)]
    threads: Option<usize>,
}

fn parse_date(text: &str) -> Result<Date, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a date as YYYY-MM-DD"))
}

fn parse_type_override(text: &str) -> Result<(String, ValueType), String> {
    let (column, type_name) = text.split_once('=').ok_or("expected COLUMN=TYPE")?;
    let value_type = ValueType::from_name(type_name).ok_or_else(|| {
        format!("unknown type `{type_name}`: use int, float, bool, string, list or date")
    })?;
    Ok((column.to_owned(), value_type))
}

/// Today in UTC: the default `as_of` when none is given (and then printed).
fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days_since_epoch(i64::try_from(days).unwrap_or(0)).unwrap_or(Date::EPOCH)
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let format = match (args.format, &args.out) {
        (Some(format), _) => format,
        (None, None) => Format::Csv,
        (None, Some(out)) => Format::from_path(out).ok_or_else(|| {
            Failure::usage(format!(
                "cannot tell the format of `{}`: use .csv, .json or .jsonl, or --format",
                out.display()
            ))
        })?,
    };
    if args.threads == Some(0) {
        return Err(Failure::usage("--threads must be at least 1".to_owned()));
    }
    let options = LoadOptions {
        types: args.types.iter().cloned().collect::<BTreeMap<_, _>>(),
        ..LoadOptions::default()
    };
    let rules = Rulebook::compile(&read_rules(&args.rules)?)?;
    let started = Instant::now();
    let customers = load::read_customers(&args.customers, &options)?;
    let loaded = started.elapsed();
    let orphans = match &args.managers {
        Some(path) => {
            let book = Book {
                managers: load::read_managers(path, &options)?,
                customers: customers.clone(),
            };
            Some(book.orphans().len())
        }
        None => None,
    };
    let as_of = args.as_of.unwrap_or_else(today);
    let bar = progress_bar(customers.records.len());
    let mut profile_options = ProfileOptions::new(as_of);
    profile_options.threads = args.threads;
    if args.skip_errors {
        profile_options.on_error = OnRuleError::Skip;
    }
    if let Some(bar) = &bar {
        let bar = bar.clone();
        profile_options.progress = Some(Arc::new(move |done, _| bar.set_position(done as u64)));
    }
    let profiling = Instant::now();
    let result = rules.profile(&customers, &profile_options);
    let elapsed = profiling.elapsed();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let profile = result?;
    match &args.out {
        Some(out) => {
            output::write_file(&profile, format, out).map_err(|e| Failure::output(out, &e))?
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            output::write(&profile, format, &mut lock)
                .and_then(|()| lock.flush())
                .map_err(|e| Failure::output(std::path::Path::new("<stdout>"), &e))?;
        }
    }
    let mut report = String::new();
    let rate = profile.customers.len() as f64 / elapsed.as_secs_f64().max(1e-9);
    report.push_str(&format!(
        "profiled {} customers as of {as_of}{} in {:.3} s ({:.0} customers/s; loading took {:.3} s)\n",
        profile.customers.len(),
        if args.as_of.is_none() { " (today)" } else { "" },
        elapsed.as_secs_f64(),
        rate,
        loaded.as_secs_f64(),
    ));
    report.push_str(&summary::counts(&profile));
    if let Some(orphans) = orphans {
        report.push_str(&format!(
            "  orphaned customers (current manager not among the managers): {orphans}\n"
        ));
    }
    if !profile.skipped.is_empty() {
        report.push_str(&format!(
            "skipped {} customers whose rules failed:\n",
            profile.skipped.len()
        ));
        for error in profile.skipped.iter().take(10) {
            report.push_str(&format!("  error[{}]: {error}\n", error.code()));
        }
        if profile.skipped.len() > 10 {
            report.push_str(&format!("  ... and {} more\n", profile.skipped.len() - 10));
        }
    }
    if args.out.is_some() {
        print!("{report}");
    } else {
        eprint!("{report}");
    }
    Ok(())
}

/// A progress bar on a terminal for runs long enough to want one; none otherwise.
fn progress_bar(total: usize) -> Option<ProgressBar> {
    if total < 50_000 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} customers ({per_sec}, {eta} left)")
    {
        bar.set_style(style);
    }
    Some(bar)
}

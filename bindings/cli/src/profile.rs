//! `apportion profile`: derive every field for every customer.

use std::path::PathBuf;
use std::time::Instant;

use apportion::load;
use apportion::{Book, Profile, ProfileOptions};

use crate::output::{self, Table};
use crate::progress::Bar;
use crate::run_args::RunArgs;
use crate::summary;
use crate::{Failure, compile_rules};

/// Arguments of `apportion profile`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    run: RunArgs,
    /// Managers (optional): customers whose current manager is not among them are reported.
    #[arg(long)]
    managers: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let run = &args.run;
    let as_of = run.as_of()?;
    let format = run.format(&Vec::from_iter(
        args.managers.as_deref().map(|p| ("--managers", p)),
    ))?;
    let options = run.load_options();
    let rules = compile_rules(&run.rules, &run.privacy)?;
    let started = Instant::now();
    let customers = load::read_customers(&run.customers, &options)?;
    let loaded = started.elapsed();
    let orphans = match &args.managers {
        Some(path) => {
            let book = Book::new(customers.clone(), load::read_managers(path, &options)?);
            book.check_types(&options)?;
            Some(book.orphans().len())
        }
        None => {
            options.check_types(&[("customers", &customers.schema)])?;
            None
        }
    };
    let bar = Bar::customers(customers.records.len());
    let mut profile_options = ProfileOptions::new(as_of);
    profile_options.threads = run.threads;
    profile_options.on_error = run.on_error();
    profile_options.progress = bar.callback("");
    let profiling = Instant::now();
    let result = rules.profile(&customers, &profile_options);
    let elapsed = profiling.elapsed();
    bar.finish();
    let profile = result?;
    output::emit(&table(&profile), format, run.out.as_deref())?;
    let mut report = String::new();
    let rate = profile.customers.len() as f64 / elapsed.as_secs_f64().max(1e-9);
    report.push_str(&format!(
        "profiled {} customers as of {as_of}{} in {:.3} s ({:.0} customers/s; loading took {:.3} s)\n",
        profile.customers.len(),
        run.as_of_note(),
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
    output::report(&report, run.out.is_some())?;
    Ok(())
}

/// The profile as a table: the customer's id, then one column per derived field.
fn table(profile: &Profile) -> Table {
    let mut columns = vec!["id".to_owned()];
    columns.extend(profile.fields.iter().cloned());
    let rows = profile
        .customers
        .iter()
        .map(|customer| {
            std::iter::once(customer.id.to_string().into())
                .chain(
                    customer
                        .values
                        .iter()
                        .map(|v| serde_json::to_value(v).unwrap_or_default()),
                )
                .collect()
        })
        .collect();
    Table { columns, rows }
}

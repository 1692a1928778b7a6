//! `apportion`: check rulebooks, profile customers, assign them to managers, rebalance the
//! book under a churn budget and route leads one at a time.
//!
//! Exit codes: 0 success, 2 bad usage, 3 invalid input data, 4 invalid rulebook or a rule
//! that failed, 5 output could not be written. Errors go to stderr as `error[code]: message`.

mod assign;
mod check;
mod output;
mod profile;
mod progress;
mod rebalance;
mod route;
mod run_args;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Rule evaluation allocates small values on worker threads that are freed elsewhere; glibc's
/// allocator handles that pattern poorly (measured in the commit that added this).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Decides who serves whom: tiers and tags customers with sandboxed Rhai rules.
#[derive(Parser)]
#[command(name = "apportion", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a rulebook: list its fields, what each reads, and the evaluation order.
    Check(check::Args),
    /// Derive every rulebook field for every customer and write them as CSV or JSON.
    Profile(profile::Args),
    /// Assign customers to managers optimally, and report loads, moves and the unassigned.
    Assign(assign::Args),
    /// Rebalance the book optimally, moving at most --max-moves customers.
    Rebalance(rebalance::Args),
    /// Route leads one at a time into the current book (JSON Lines in, decisions out).
    Route(route::Args),
}

/// A failure with its exit code and stable error code.
pub(crate) struct Failure {
    exit: u8,
    code: &'static str,
    message: String,
}

impl Failure {
    /// Output that could not be written.
    pub(crate) fn output(path: &std::path::Path, error: &std::io::Error) -> Failure {
        Failure {
            exit: 5,
            code: "output_error",
            message: format!("cannot write `{}`: {error}", path.display()),
        }
    }

    /// A command-line value that makes no sense.
    pub(crate) fn usage(message: String) -> Failure {
        Failure {
            exit: 2,
            code: "usage",
            message,
        }
    }
}

impl From<apportion::Error> for Failure {
    fn from(error: apportion::Error) -> Failure {
        let exit = match error {
            apportion::Error::Input(_) => 3,
            _ => 4,
        };
        Failure {
            exit,
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl From<apportion::InputError> for Failure {
    fn from(error: apportion::InputError) -> Failure {
        apportion::Error::from(error).into()
    }
}

/// Who may see what: fields no rule may read, and whether rule errors may quote values.
#[derive(clap::Args)]
pub(crate) struct Privacy {
    /// Input fields no rule may read (a national id, a phone number); repeat or separate by commas.
    #[arg(long = "private", value_delimiter = ',')]
    private: Vec<String>,
    /// Let rule errors quote the customer values involved (withheld by default).
    #[arg(long)]
    reveal_values: bool,
}

/// Reads and compiles a rulebook file; a missing file is an input error like any other.
pub(crate) fn compile_rules(
    path: &PathBuf,
    privacy: &Privacy,
) -> Result<apportion::Rulebook, Failure> {
    let source = std::fs::read(path).map_err(|e| apportion::InputError::Io {
        source_name: path.display().to_string(),
        message: e.to_string(),
    })?;
    let rules = apportion::Rulebook::compile_bytes(&source)?
        .with_private_fields(privacy.private.iter().cloned())?
        .reveal_values_in_errors(privacy.reveal_values);
    Ok(rules)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Profile(args) => profile::run(&args),
        Command::Assign(args) => assign::run(&args),
        Command::Rebalance(args) => rebalance::run(&args),
        Command::Route(args) => route::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error[{}]: {}", failure.code, failure.message);
            ExitCode::from(failure.exit)
        }
    }
}

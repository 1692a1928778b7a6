//! `apportion`: check rulebooks, profile customers, assign them to managers, rebalance the
//! book under a churn budget, route leads one at a time and tickets to queues, and verify a
//! plan against its inputs.
//!
//! Errors go to stderr as `error[code]: message`, argument errors included, and the exit code
//! follows from the error code by one table, [`EXIT_CODES`], the same in every command.

mod assign;
mod check;
mod diff;
mod explain;
mod output;
mod profile;
mod progress;
mod rebalance;
mod report;
mod route;
mod run_args;
mod summary;
mod tickets;
mod verify;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Decides who serves whom: tiers and tags customers with sandboxed Rhai rules.
#[derive(Parser)]
#[command(
    name = "apportion",
    version,
    about = "Decides who serves whom: `check` a rulebook, `profile` customers with it, `assign` \
             them to managers optimally, `rebalance` the book under a churn budget, `route` \
             leads one at a time, route service `tickets` to queues, `verify` a plan \
             against its inputs, `explain` one customer's place in it, `diff` two plans or rulebooks, \
             `report` a plan as a web page."
)]
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
    /// Route service tickets to queues with the rulebook's `route_ticket(t)`.
    Tickets(tickets::Args),
    /// What changed between two plans, or between the plans of two rulebooks or policies on
    /// one book: moves, loads, the objective, tier and segment transitions, eligibility.
    Diff(diff::Args),
    /// Write a plan as a self-contained HTML page: loads, utilisation, balance per region,
    /// moves, the unassigned, fairness and shadow prices.
    Report(report::Args),
    /// Explain one customer's place in the plan: the fields the pair rules read, and every
    /// manager's verdict (the failing clause, or what moving the customer there would cost).
    Explain(explain::Args),
    /// Check a plan written earlier against its inputs: provenance, eligibility, capacities,
    /// every customer once, and the objective recomputed.
    Verify(verify::Args),
}

/// Exit codes by error code: the one table every command goes by (the README's command-line
/// section lists it too). A code not listed, which a newer engine may add, exits with 1.
pub(crate) const EXIT_CODES: &[(u8, &[&str])] = &[
    // Bad usage: an argument, or an option's value, that makes no sense, whatever the data.
    (
        2,
        &[
            "usage",
            "missing_as_of",
            "invalid_date",
            "unknown_type",
            "unknown_type_column",
            "invalid_threads",
            "invalid_policy",
            "output_is_input",
        ],
    ),
    // Invalid input data: customers, managers, leads or a forecast.
    (
        3,
        &[
            "io_error",
            "malformed_input",
            "unknown_format",
            "missing_column",
            "duplicate_column",
            "empty_id",
            "duplicate_customer_id",
            "duplicate_manager_id",
            "invalid_value",
            "non_finite_number",
            "invalid_capacity",
            "cell_too_large",
            "unknown_column",
            "duplicate_queue",
            "duplicate_ticket_id",
            "schema_mismatch",
            "already_in_book",
            "unknown_customer",
            "unknown_manager",
            "manager_on_leave",
            "manager_not_on_leave",
            "leads_failed",
            "plan_inputs_differ",
            "duplicate_group_id",
            "duplicate_score",
            "unknown_group",
            "group_cycle",
            "groups_too_deep",
        ],
    ),
    // An invalid rulebook, or a rule that failed.
    (
        4,
        &[
            "rulebook_too_large",
            "rule_syntax",
            "forbidden_construct",
            "private_field",
            "unknown_field",
            "unknown_function",
            "not_a_date",
            "dependency_cycle",
            "field_conflict",
            "invalid_rule_signature",
            "rule_limit_exceeded",
            "rule_failed",
            "invalid_rule_result",
        ],
    ),
    // The output could not be written.
    (5, &["output_error"]),
    // The request cannot be met with these inputs.
    (
        6,
        &[
            "cost_overflow",
            "unbalanced_network",
            "infeasible_network",
            "invalid_arc",
            "thread_pool_failed",
            "group_minimum_unmet",
            "group_limits_unmet",
        ],
    ),
    // A rebalance's churn budget is below the moves the book needs: a script may retry with
    // the budget the message names.
    (7, &["churn_budget_too_small"]),
    // A plan checked against its inputs differs from what they give.
    (8, &["plan_differs"]),
    // Stopped by Ctrl-C (or a termination signal); no partial output is left.
    (130, &["interrupted"]),
];

/// The exit code of an error code, by [`EXIT_CODES`].
pub(crate) fn exit_code(code: &str) -> u8 {
    EXIT_CODES
        .iter()
        .find(|(_, codes)| codes.contains(&code))
        .map_or(1, |&(exit, _)| exit)
}

/// A failure with its stable error code; the exit code follows from the code.
#[derive(Debug)]
pub(crate) struct Failure {
    code: &'static str,
    message: String,
    /// The reader of a pipe stopped reading (`apportion assign ... | head`): it has what it
    /// wanted, so the run ends quietly and with success.
    closed_pipe: bool,
}

impl Failure {
    /// A failure with `code`.
    pub(crate) fn new(code: &'static str, message: String) -> Failure {
        Failure {
            code,
            message,
            closed_pipe: false,
        }
    }

    /// Output that could not be written.
    pub(crate) fn output(path: &std::path::Path, error: &std::io::Error) -> Failure {
        Failure {
            closed_pipe: is_broken_pipe(error),
            ..Failure::new(
                "output_error",
                format!("cannot write `{}`: {error}", path.display()),
            )
        }
    }

    /// A command-line value that makes no sense.
    pub(crate) fn usage(message: String) -> Failure {
        Failure::new("usage", message)
    }

    /// The line printed for this failure.
    pub(crate) fn line(&self) -> String {
        format!("error[{}]: {}", self.code, self.message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A value parser's failure keeps its code through clap ([`usage_failure`] finds it).
impl std::error::Error for Failure {}

impl From<apportion::Error> for Failure {
    fn from(error: apportion::Error) -> Failure {
        Failure::new(error.code(), error.to_string())
    }
}

impl From<apportion::InputError> for Failure {
    fn from(error: apportion::InputError) -> Failure {
        apportion::Error::from(error).into()
    }
}

/// An argument error from clap as a failure: the code a value parser gave (`invalid_date`,
/// `invalid_threads`, ...), else `usage`; clap's explanation and usage lines follow.
fn usage_failure(error: &clap::Error) -> Failure {
    let code = std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<Failure>())
        .map_or("usage", |failure| failure.code);
    let rendered = error.render().to_string();
    let message = match rendered.strip_prefix("error: ") {
        Some(message) => message.trim_end().to_owned(),
        // Help shown for a missing command.
        None => format!("a command is required\n{}", rendered.trim_end()),
    };
    Failure::new(code, message)
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

/// Drops `value` on a thread of its own: freeing a book of a million customers and its plan
/// takes about a tenth of a second that the user need not wait for. The program ends without
/// waiting for it; run in-process (from Python), the thread finishes the job. Should no
/// thread start, `value` is dropped here.
pub(crate) fn free_in_background<T: Send + 'static>(value: T) {
    let _spawned = std::thread::Builder::new()
        .name("apportion-free".to_owned())
        .spawn(move || drop(value));
}

/// Reads and compiles a rulebook file; a missing file is an input error like any other.
pub(crate) fn compile_rules(
    path: &PathBuf,
    privacy: &Privacy,
) -> Result<apportion::Rulebook, Failure> {
    let rules = apportion::Rulebook::from_file(path)?
        .with_private_fields(privacy.private.iter().cloned())?
        .reveal_values_in_errors(privacy.reveal_values);
    Ok(rules)
}

/// Runs the command line on `args` (the program's name first, as `std::env::args_os` gives
/// them) and returns the exit code. The `apportion` binary calls it, and so does the command
/// the Python package installs, so both are the same program.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Help and version go to standard output with success.
        Err(error) if !error.use_stderr() => {
            // A reader that stopped early (`apportion --help | head -1`) is no failure.
            let _ = error.print();
            return 0;
        }
        Err(error) => return fail(&usage_failure(&error)),
    };
    output::remove_temporaries_on_interrupt();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Profile(args) => profile::run(&args),
        Command::Assign(args) => assign::run(&args),
        Command::Rebalance(args) => rebalance::run(&args),
        Command::Route(args) => route::run(&args),
        Command::Tickets(args) => tickets::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Report(args) => report::run(&args),
    };
    match result {
        Ok(()) => 0,
        Err(failure) => fail(&failure),
    }
}

/// Whether `error` is a closed pipe, or wraps one: a CSV writer's error does, and neither it
/// nor the `io::Error` made from it gives the cause through `source`.
fn is_broken_pipe(error: &std::io::Error) -> bool {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        return true;
    }
    let inner = error.get_ref();
    match inner
        .and_then(|e| e.downcast_ref::<csv::Error>())
        .map(csv::Error::kind)
    {
        Some(csv::ErrorKind::Io(io)) => is_broken_pipe(io),
        _ => inner
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .is_some_and(is_broken_pipe),
    }
}

fn fail(failure: &Failure) -> u8 {
    if failure.closed_pipe {
        return 0;
    }
    eprintln!("{}", failure.line());
    exit_code(failure.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_exit_code() {
        let mut seen = std::collections::HashSet::new();
        for (_, codes) in EXIT_CODES {
            for code in *codes {
                assert!(seen.insert(*code), "`{code}` is listed twice");
            }
        }
        assert_eq!(exit_code("invalid_policy"), 2);
        assert_eq!(exit_code("rule_failed"), 4);
        assert_eq!(exit_code("something_new"), 1);
    }

    /// Every error code the engine can give has its exit code here: the codes are read from
    /// the engine's sources (`=> "code"` in its `code()` functions).
    #[test]
    fn every_engine_error_code_is_in_the_table() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../engine/src/");
        let mut missing = Vec::new();
        for file in ["error.rs", "solve/network/mod.rs"] {
            let text = std::fs::read_to_string(format!("{root}{file}")).unwrap_or_default();
            assert!(!text.is_empty(), "{file}");
            let bodies = text
                .split("pub fn code(&self) -> &'static str {")
                .skip(1)
                .filter_map(|rest| rest.split("\n    }\n").next());
            for code in bodies.flat_map(|body| {
                body.split("=> \"")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
            }) {
                // `cancelled` is never raised by the CLI, which cancels no run.
                if exit_code(code) == 1 && code != "cancelled" {
                    missing.push(code.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "{missing:?}");
    }

    /// The README's table of exit codes is this one.
    #[test]
    fn the_readme_lists_the_same_exit_codes() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .unwrap_or_default();
        for (exit, codes) in EXIT_CODES {
            let row = readme
                .lines()
                .find(|line| line.starts_with(&format!("| {exit} |")))
                .unwrap_or_default();
            let listed: Vec<&str> = row.split('`').skip(1).step_by(2).collect();
            assert_eq!(listed, *codes, "exit {exit}: {row}");
        }
    }

    /// A reader that has gone: every write fails as on a closed pipe.
    struct Gone;

    impl std::io::Write for Gone {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_pipe_is_known_through_the_csv_writer() {
        let mut csv = csv::Writer::from_writer(Gone);
        let written = csv.write_record(["id"]).and_then(|()| Ok(csv.flush()?));
        let error = std::io::Error::from(written.unwrap_err());
        assert!(is_broken_pipe(&error));
        assert!(!is_broken_pipe(
            &std::io::ErrorKind::PermissionDenied.into()
        ));
    }
}

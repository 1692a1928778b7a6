//! Arguments shared by the commands that run a rulebook over customers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use apportion::load::LoadOptions;
use apportion::{Date, OnRuleError, Policy, ValueType};

use crate::Failure;
use crate::output::{self, Format};

/// Inputs, output and run options common to `profile` and `assign`.
#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// Customers: CSV, JSON (array of objects) or JSON Lines.
    #[arg(long)]
    pub(crate) customers: PathBuf,
    /// The rulebook (.rhai).
    #[arg(long)]
    pub(crate) rules: PathBuf,
    /// The date rules compare against: YYYY-MM-DD, or `today` (UTC, then printed). Required:
    /// the same inputs must give the same plan on any day.
    #[arg(long, value_parser = parse_as_of)]
    pub(crate) as_of: Option<AsOf>,
    /// Where to write the result (.csv, .json or .jsonl); standard output if absent.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Format of the output; by default taken from --out's extension, CSV on standard output.
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
    /// Skip customers for whom a rule fails (they are reported) instead of stopping.
    #[arg(long)]
    pub(crate) skip_errors: bool,
    /// Column type overrides, e.g. `--type postcode=string` (int, float, bool, string, list, date).
    #[arg(long = "type", value_parser = parse_type_override)]
    pub(crate) types: Vec<(String, ValueType)>,
    /// Worker threads, 1 to 256 (default: one per core). The result never depends on it.
    #[arg(long, value_parser = parse_threads)]
    pub(crate) threads: Option<usize>,
    #[command(flatten)]
    pub(crate) privacy: crate::Privacy,
}

/// The inputs and policy of one plan: what `assign` takes, and what `verify` and `explain`
/// take to make the plan again.
#[derive(clap::Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    #[command(flatten)]
    pub(crate) book: BookArgs,
    /// Cost of moving a customer away from a current manager who stays (M ≥ 0).
    #[arg(long, default_value_t = Policy::default().move_penalty)]
    pub(crate) move_penalty: i64,
}

impl PlanArgs {
    /// The policy of these weights, checked before anything is read.
    pub(crate) fn policy(&self) -> Result<Policy, Failure> {
        self.book.policy(self.move_penalty)
    }

    /// The options of a plan under `policy` as of `as_of`, telling `progress` how it goes.
    pub(crate) fn options(
        &self,
        as_of: Date,
        policy: Policy,
        progress: Option<apportion::Progress>,
    ) -> apportion::AssignOptions {
        apportion::AssignOptions {
            policy,
            on_error: self.run.on_error(),
            threads: self.run.threads,
            progress,
            ..apportion::AssignOptions::new(as_of)
        }
    }
}

/// The managers and the weights shared by `assign` and `rebalance`.
#[derive(clap::Args)]
pub(crate) struct BookArgs {
    /// Managers: CSV, JSON or JSON Lines with `id` and `capacity` (optional `target`, `segment_caps`).
    #[arg(long)]
    pub(crate) managers: PathBuf,
    /// Weight of the balance term (λ ≥ 0): loads are spread in proportion to targets.
    #[arg(long, default_value_t = apportion::Policy::default().balance)]
    pub(crate) balance: i64,
    /// Cost of leaving a customer unassigned (U > 0); large enough to place everyone who fits by default.
    #[arg(long)]
    pub(crate) unassigned_penalty: Option<i64>,
    /// Groups of managers (teams, branches, business lines): CSV, JSON or JSON Lines with `id`,
    /// `parent` (empty for a root) and optional `capacity`, `target`, `segment_caps` and
    /// `segment_minimums` (`HNW=40;MASS=900`); managers name theirs in a `group` column.
    #[arg(long)]
    pub(crate) groups: Option<PathBuf>,
    /// A model's scores for (customer, manager) pairs: CSV, JSON or JSON Lines with
    /// `customer`, `manager` and `score`; pair rules read them as `pair_score(c, m)`.
    #[arg(long)]
    pub(crate) scores: Option<PathBuf>,
}

impl BookArgs {
    /// The policy of these weights and `move_penalty`, checked before anything is read.
    pub(crate) fn policy(&self, move_penalty: i64) -> Result<Policy, Failure> {
        let policy = Policy {
            move_penalty,
            balance: self.balance,
            unassigned_penalty: self.unassigned_penalty,
        };
        policy.check()?;
        Ok(policy)
    }

    /// The files these arguments name, by option, for `--out` to be none of.
    pub(crate) fn inputs(&self) -> Vec<(&'static str, &std::path::Path)> {
        let mut inputs = vec![("--managers", self.managers.as_path())];
        inputs.extend(self.groups.as_deref().map(|path| ("--groups", path)));
        inputs.extend(self.scores.as_deref().map(|path| ("--scores", path)));
        inputs
    }

    /// The customers of `run`, these managers, their groups and the model's scores, loaded
    /// with `run`'s options.
    pub(crate) fn load(&self, run: &RunArgs) -> Result<apportion::Book, Failure> {
        let options = run.load_options();
        let book = apportion::Book::read(&run.customers, &self.managers, &options)?;
        let book = in_groups(book, self.groups.as_deref(), &options)?;
        with_scores(book, self.scores.as_deref(), &options)
    }
}

/// `book` with the model scores read from `path`, when one is given.
pub(crate) fn with_scores(
    book: apportion::Book,
    path: Option<&std::path::Path>,
    options: &LoadOptions,
) -> Result<apportion::Book, Failure> {
    let Some(path) = path else {
        return Ok(book);
    };
    let scores = apportion::load::read_scores(path, options)?;
    Ok(book.with_scores(scores, &path.display().to_string())?)
}

/// `book` with its managers in the groups read from `path`, when one is given.
pub(crate) fn in_groups(
    mut book: apportion::Book,
    path: Option<&std::path::Path>,
    options: &LoadOptions,
) -> Result<apportion::Book, Failure> {
    book.organisation = organisation(&book.managers, path, options)?;
    Ok(book)
}

/// `managers` in the groups read from `path`; no groups without one.
pub(crate) fn organisation(
    managers: &apportion::Managers,
    path: Option<&std::path::Path>,
    options: &LoadOptions,
) -> Result<apportion::Organisation, Failure> {
    let Some(path) = path else {
        return Ok(apportion::Organisation::default());
    };
    let groups = apportion::load::read_groups(path, options)?;
    let source = path.display().to_string();
    Ok(apportion::Organisation::new(groups, managers, &source)?)
}

impl RunArgs {
    /// The output format, after checking the options make sense together: `--out` is none
    /// of the inputs (`others` too: the managers and groups, when given).
    pub(crate) fn format(
        &self,
        others: &[(&'static str, &std::path::Path)],
    ) -> Result<Format, Failure> {
        if let Some(out) = &self.out {
            let mut inputs = vec![("--customers", self.customers.as_path())];
            inputs.push(("--rules", self.rules.as_path()));
            inputs.extend_from_slice(others);
            output::check_not_an_input(out, &inputs)?;
        }
        Format::choose(self.format, self.out.as_deref()).map_err(Failure::usage)
    }

    /// Loader options with the type overrides.
    pub(crate) fn load_options(&self) -> LoadOptions {
        LoadOptions {
            types: self.types.iter().cloned().collect::<BTreeMap<_, _>>(),
            ..LoadOptions::default()
        }
    }

    /// The as-of date: given, or today (UTC) when asked for; `missing_as_of` without one.
    pub(crate) fn as_of(&self) -> Result<Date, Failure> {
        AsOf::required(self.as_of).map(AsOf::date)
    }

    /// What to do on a rule error.
    pub(crate) fn on_error(&self) -> OnRuleError {
        if self.skip_errors {
            OnRuleError::Skip
        } else {
            OnRuleError::Fail
        }
    }

    /// ` (today)` when the date was asked for as today, for reports.
    pub(crate) fn as_of_note(&self) -> &'static str {
        self.as_of.map_or("", AsOf::note)
    }
}

/// `--as-of`: a date, or today (UTC) when asked for by name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AsOf {
    Date(Date),
    Today,
}

impl AsOf {
    /// `--as-of` as given, else `missing_as_of` (the code Python gives a call without
    /// `as_of`): the same inputs must give the same result on any day, so the day is asked.
    pub(crate) fn required(as_of: Option<AsOf>) -> Result<AsOf, Failure> {
        as_of.ok_or_else(|| {
            Failure::new(
                "missing_as_of",
                "--as-of is required: the date rules compare against, as YYYY-MM-DD, or \
                 `today` to use the clock's (UTC)"
                    .to_owned(),
            )
        })
    }

    /// The date it stands for.
    pub(crate) fn date(self) -> Date {
        match self {
            AsOf::Date(date) => date,
            AsOf::Today => today(),
        }
    }

    /// ` (today)` for `today`, for reports: a run on the clock's date says so.
    pub(crate) fn note(self) -> &'static str {
        match self {
            AsOf::Date(_) => "",
            AsOf::Today => " (today)",
        }
    }
}

/// `--as-of DATE` or `--as-of today`.
pub(crate) fn parse_as_of(text: &str) -> Result<AsOf, Failure> {
    match text {
        "today" => Ok(AsOf::Today),
        _ => parse_date(text).map(AsOf::Date),
    }
}

/// A date, else `invalid_date` (the code Python gives a bad `as_of`).
pub(crate) fn parse_date(text: &str) -> Result<Date, Failure> {
    text.parse().map_err(|_| {
        Failure::new(
            "invalid_date",
            format!("`{text}` is not a date as YYYY-MM-DD"),
        )
    })
}

/// `--type COLUMN=TYPE`: an unknown type is the engine's `unknown_type`.
pub(crate) fn parse_type_override(text: &str) -> Result<(String, ValueType), Failure> {
    let (column, type_name) = text
        .split_once('=')
        .ok_or_else(|| Failure::usage("expected COLUMN=TYPE".to_owned()))?;
    let value_type = ValueType::from_name(type_name).ok_or_else(|| {
        Failure::from(apportion::InputError::UnknownType {
            column: column.to_owned(),
            type_name: type_name.to_owned(),
        })
    })?;
    Ok((column.to_owned(), value_type))
}

/// `--threads`: 1 to [`apportion::MAX_THREADS`], else the engine's `invalid_threads`.
pub(crate) fn parse_threads(text: &str) -> Result<usize, Failure> {
    let threads: usize = text
        .parse()
        .map_err(|_| Failure::usage(format!("`{text}` is not a number of threads")))?;
    if threads == 0 || threads > apportion::MAX_THREADS {
        return Err(apportion::InputError::InvalidThreads { threads }.into());
    }
    Ok(threads)
}

/// Today in UTC, for `--as-of today`.
fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days_since_epoch(i64::try_from(days).unwrap_or(0)).unwrap_or(Date::EPOCH)
}

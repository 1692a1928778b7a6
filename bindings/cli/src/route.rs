//! `apportion route`: route leads one at a time into the current book, as JSON Lines in and
//! decisions out, each with the chosen manager, the runner-up and who was passed over and why.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use apportion::load::{self, Format, LoadOptions};
use apportion::{Basis, Book, Policy, Router, RouterOptions, ValueType};

use crate::output::{self, Sink};
use crate::run_args::{AsOf, parse_as_of, parse_type_override};
use crate::{Failure, compile_rules};

/// Arguments of `apportion route`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The current book: customers with their current managers (CSV, JSON or JSON Lines).
    #[arg(long)]
    customers: PathBuf,
    /// Managers: CSV, JSON or JSON Lines with `id` and `capacity`.
    #[arg(long)]
    managers: PathBuf,
    /// Groups of managers, as `assign` takes them: each lead's cost counts its manager's
    /// groups too, and a full group takes no one.
    #[arg(long)]
    groups: Option<PathBuf>,
    /// A model's scores for the book's (customer, manager) pairs, as `assign` takes them: a
    /// customer of the book placed again keeps theirs.
    #[arg(long)]
    scores: Option<PathBuf>,
    /// A model's scores for the leads, in the same columns (`customer` is the lead's id): a
    /// lead routes with its rows, which its pair rules read as `pair_score(c, m)`.
    #[arg(long)]
    lead_scores: Option<PathBuf>,
    /// The rulebook (.rhai).
    #[arg(long)]
    rules: PathBuf,
    /// Leads as JSON Lines, one object per line with the book's columns; `-` reads standard input.
    #[arg(long, conflicts_with = "lead", required_unless_present = "lead")]
    leads: Option<PathBuf>,
    /// One lead, as a JSON object.
    #[arg(long)]
    lead: Option<String>,
    /// Customers expected to arrive (a forecast): they are planned into the room the book
    /// leaves, and each lead takes a place planned for a lead like it first.
    #[arg(long)]
    forecast: Option<PathBuf>,
    /// The date rules compare against: YYYY-MM-DD, or `today` (UTC, then printed). Required:
    /// the same leads must route the same way on any day.
    #[arg(long, value_parser = parse_as_of)]
    as_of: Option<AsOf>,
    /// Weight of the balance term (λ ≥ 0) in each lead's marginal cost.
    #[arg(long, default_value_t = Policy::default().balance)]
    balance: i64,
    /// Where to write the decisions (JSON Lines); standard output, line by line, if absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Report a lead that cannot be read or profiled and go on, instead of stopping.
    #[arg(long)]
    skip_errors: bool,
    /// Column type overrides for the book, e.g. `--type postcode=string`.
    #[arg(long = "type", value_parser = parse_type_override)]
    types: Vec<(String, ValueType)>,
    #[command(flatten)]
    privacy: crate::Privacy,
}

/// What the routed leads came to, for the report.
#[derive(Default)]
struct Tally {
    by_basis: BTreeMap<&'static str, usize>,
    failed: usize,
    times: Vec<Duration>,
    /// Leads routed with scores of their own.
    scored: usize,
}

/// The leads' own scores, by lead: each lead's (manager, score) in the file's order.
type LeadScores = HashMap<apportion::CustomerId, Vec<(apportion::ManagerId, apportion::Value)>>;

/// The scores of `--lead-scores`, by lead; none without the option.
fn lead_scores(path: Option<&Path>, options: &LoadOptions) -> Result<LeadScores, Failure> {
    let mut by_lead = LeadScores::new();
    if let Some(path) = path {
        for row in load::read_scores(path, options)? {
            by_lead
                .entry(row.customer)
                .or_default()
                .push((row.manager, row.score));
        }
    }
    Ok(by_lead)
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let policy = Policy {
        balance: args.balance,
        ..Policy::default()
    };
    policy.check()?;
    if let Some(out) = &args.out {
        let mut inputs = vec![
            ("--customers", args.customers.as_path()),
            ("--managers", args.managers.as_path()),
            ("--rules", args.rules.as_path()),
        ];
        inputs.extend(args.forecast.as_deref().map(|path| ("--forecast", path)));
        inputs.extend(args.groups.as_deref().map(|path| ("--groups", path)));
        inputs.extend(args.scores.as_deref().map(|path| ("--scores", path)));
        inputs.extend(
            args.lead_scores
                .as_deref()
                .map(|path| ("--lead-scores", path)),
        );
        inputs.extend(
            args.leads
                .as_deref()
                .filter(|path| path.as_os_str() != "-")
                .map(|path| ("--leads", path)),
        );
        output::check_not_an_input(out, &inputs)?;
    }
    let options = LoadOptions {
        types: args.types.iter().cloned().collect(),
        ..LoadOptions::default()
    };
    let rules = compile_rules(&args.rules, &args.privacy)?;
    let book = Book::read(&args.customers, &args.managers, &options)?;
    let book = crate::run_args::in_groups(book, args.groups.as_deref(), &options)?;
    let book = crate::run_args::with_scores(book, args.scores.as_deref(), &options)?;
    let lead_scores = lead_scores(args.lead_scores.as_deref(), &options)?;
    let asked = AsOf::required(args.as_of)?;
    let as_of = asked.date();
    if let AsOf::Today = asked {
        eprintln!("as of {as_of} (today)");
    }
    let router_options = RouterOptions {
        policy,
        ..RouterOptions::new(as_of)
    };
    let router = Router::new(&rules, &book, router_options)?;
    if let Some(forecast) = &args.forecast {
        let source = forecast.display().to_string();
        let bytes = fs::read(forecast).map_err(|e| input_error(&source, &e))?;
        let forecast = load::parse_customers_like(
            &bytes,
            Format::from_path(forecast)?,
            &source,
            &book.customers.schema,
            &options,
        )?;
        let places = router.follow_forecast(&forecast)?;
        eprintln!("following a forecast plan: {places} places held for leads like the forecast");
    }
    let mut sink = Sink::open(args.out.as_deref())?;
    let streamed = !matches!(sink, Sink::Replace { .. });
    let mut tally = Tally::default();
    let mut route_line = |number: usize, line: Result<&[u8], Failure>| -> Result<(), Failure> {
        let result = line.and_then(|line| {
            let inputs = (&router, &book, &options, &lead_scores);
            route_one(inputs, number, line, &mut tally)
        });
        match result {
            Ok(Some(json)) => sink.write_with(|writer| {
                writeln!(writer, "{json}")?;
                // Decisions reach standard output, a pipe or a device as they are made.
                if streamed { writer.flush() } else { Ok(()) }
            }),
            Ok(None) => Ok(()),
            Err(failure) if args.skip_errors => {
                eprintln!("{}", failure.line());
                tally.failed += 1;
                Ok(())
            }
            Err(failure) => Err(failure),
        }
    };
    match (&args.lead, &args.leads) {
        (Some(lead), _) => route_line(1, Ok(lead.as_bytes()))?,
        (None, Some(path)) if path.as_os_str() == "-" => {
            route_lines(io::stdin().lock(), "<stdin>", &mut route_line)?;
        }
        (None, Some(path)) => {
            let source = path.display().to_string();
            let file = fs::File::open(path).map_err(|e| input_error(&source, &e))?;
            route_lines(io::BufReader::new(file), &source, &mut route_line)?;
        }
        (None, None) => return Err(Failure::usage("give --leads or --lead".to_owned())),
    }
    sink.finish()?;
    drop(sink);
    eprint!("{}", report(&tally, &router));
    if !lead_scores.is_empty() {
        let unused = lead_scores.len().saturating_sub(tally.scored);
        eprintln!(
            "{} leads routed with scores of their own; scores for {unused} more leads named in --lead-scores were not used",
            tally.scored
        );
    }
    if tally.failed > 0 {
        return Err(Failure::new(
            "leads_failed",
            format!("{} leads could not be routed (see above)", tally.failed),
        ));
    }
    Ok(())
}

/// Calls `route_line` with each line of `reader` and its number: its bytes, or the error of
/// a line longer than a cell may be, which is skipped without being held. Bytes that are not
/// UTF-8 are the JSON reader's to report, as for any bad lead. Only a failure to read at all
/// (or one `route_line` returns) stops.
fn route_lines(
    mut reader: impl BufRead,
    source: &str,
    route_line: &mut impl FnMut(usize, Result<&[u8], Failure>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut line = Vec::new();
    for number in 1.. {
        match read_line(&mut reader, &mut line, load::MAX_CELL_BYTES) {
            Ok(None) => break,
            Ok(Some(true)) => route_line(number, Ok(&line))?,
            Ok(Some(false)) => {
                let too_long = apportion::InputError::CellTooLarge {
                    at: apportion::Location::in_source(format!("lead line {number}")),
                    limit: load::MAX_CELL_BYTES,
                };
                route_line(number, Err(too_long.into()))?;
            }
            Err(error) => return Err(input_error(source, &error)),
        }
    }
    Ok(())
}

/// Reads the next line of `reader` into `line`, without its `\n`: `None` at the end,
/// `Some(true)` for a line, `Some(false)` for a line longer than `limit` bytes, read to its end
/// but not kept (`line` is then empty), so memory stays bounded whatever the input.
fn read_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<bool>> {
    line.clear();
    let mut read_any = false;
    let mut fits = true;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(read_any.then_some(fits));
        }
        read_any = true;
        let (part, end) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..at], Some(at + 1)),
            None => (available, None),
        };
        if fits && line.len() + part.len() <= limit {
            line.extend_from_slice(part);
        } else {
            fits = false;
            line.clear();
        }
        let used = end.unwrap_or(available.len());
        reader.consume(used);
        if end.is_some() {
            return Ok(Some(fits));
        }
    }
}

/// Routes the lead on one line; `None` for a blank line.
fn route_one(
    (router, book, options, scores): (&Router, &Book, &LoadOptions, &LeadScores),
    number: usize,
    line: &[u8],
    tally: &mut Tally,
) -> Result<Option<String>, Failure> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let source = format!("lead line {number}");
    let leads = load::parse_customers_like(
        line,
        Format::JsonLines,
        &source,
        &book.customers.schema,
        options,
    )?;
    let Some(lead) = leads.records.first() else {
        return Ok(None);
    };
    let started = Instant::now();
    let own = scores.get(&lead.id).map_or(&[][..], Vec::as_slice);
    let decision = router.route_scored(lead, own)?;
    tally.scored += usize::from(!own.is_empty());
    tally.times.push(started.elapsed());
    let basis = match decision.basis {
        Basis::Quota => "quota",
        Basis::Marginal => "marginal",
        Basis::Unplaced => "unplaced",
    };
    *tally.by_basis.entry(basis).or_default() += 1;
    serde_json::to_string(&decision)
        .map(Some)
        .map_err(|e| Failure::output(Path::new("<decision>"), &io::Error::other(e)))
}

fn input_error(source: &str, error: &io::Error) -> Failure {
    apportion::InputError::Io {
        source_name: source.to_owned(),
        message: error.to_string(),
    }
    .into()
}

fn report(tally: &Tally, router: &Router) -> String {
    let mut times = tally.times.clone();
    times.sort_unstable();
    let at = |q: f64| {
        times
            .get(((times.len().saturating_sub(1)) as f64 * q) as usize)
            .map_or(0.0, |t| t.as_secs_f64() * 1e6)
    };
    let counts: Vec<String> = tally
        .by_basis
        .iter()
        .map(|(basis, n)| format!("{basis} {n}"))
        .collect();
    let snapshot = router.snapshot();
    let (low, high) = snapshot.utilisation_range();
    format!(
        "routed {} leads ({}); {} failed; per lead p50 {:.1} µs, p99 {:.1} µs\nbook: {} customers, utilisation {:.1}%–{:.1}%, std dev {:.1} points; {} forecast places left\n",
        times.len(),
        if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        },
        tally.failed,
        at(0.5),
        at(0.99),
        snapshot.placed,
        100.0 * low,
        100.0 * high,
        100.0 * snapshot.utilisation_std_dev(),
        snapshot.quotas_left,
    )
}

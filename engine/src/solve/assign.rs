//! Batch assignment, as the design's pipeline: `prepare` (profile → pair classes → pair
//! rules → supply groups), `build` (the min-cost flow network, priced by `objective`),
//! `network` (the exact solver), `assembly` (the plan back from the flow).

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use super::assembly;
use super::build::{Built, DEFAULT_ARCS_PER_GROUP, SPARSE_ABOVE, Start, build_network, kept};
use super::limits;
use super::network::{ArcId, Network, NetworkError, Pricing, Solution};
use super::objective::Policy;
use super::prepare::{Prepared, prepare};
use super::start::greedy;
use crate::cancel::Cancel;
use crate::date::Date;
use crate::error::{Error, Result, SolveError};
use crate::model::Book;
use crate::plan::Plan;
use crate::profile::{OnRuleError, Progress};
use crate::provenance::Provenance;
use crate::rules::Rulebook;

/// Options of an assignment run.
#[derive(Clone)]
pub struct AssignOptions {
    /// The date rules compare against.
    pub as_of: Date,
    /// The objective's weights.
    pub policy: Policy,
    /// Fail on a rule error, or leave that customer unassigned with the error as its reason.
    pub on_error: OnRuleError,
    /// Worker threads, 1 to [`MAX_THREADS`](crate::MAX_THREADS) (else
    /// [`InputError::InvalidThreads`](crate::InputError::InvalidThreads)); `None` uses rayon's
    /// global pool. The plan never depends on it.
    pub threads: Option<usize>,
    /// Merge interchangeable customers into one supply node (exact; off only to check that).
    pub aggregate: bool,
    /// Called with (customers profiled, customers in all) while the rules run, from worker
    /// threads; the pair rules and the solve come after the last call.
    pub progress: Option<Progress>,
    /// Stops the run soon after it is raised, from any thread ([`Error::Cancelled`]).
    pub cancel: Option<Cancel>,
    /// How many manager arcs each supply group starts the solve with: the cheapest at the
    /// prices of a greedy first placement; the others are priced in as the optimum calls for
    /// them. Exact whatever it is: only speed and memory change. `None` holds every arc of
    /// a small network and [`DEFAULT_ARCS_PER_GROUP`] of a large one; 0 counts as 1.
    pub arcs_per_group: Option<usize>,
}

impl fmt::Debug for AssignOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssignOptions")
            .field("as_of", &self.as_of)
            .field("policy", &self.policy)
            .field("on_error", &self.on_error)
            .field("threads", &self.threads)
            .field("aggregate", &self.aggregate)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("arcs_per_group", &self.arcs_per_group)
            .finish()
    }
}

impl AssignOptions {
    /// Default policy, fail on rule errors, default threads, aggregation on, the default
    /// arcs per group.
    pub fn new(as_of: Date) -> AssignOptions {
        AssignOptions {
            as_of,
            policy: Policy::default(),
            on_error: OnRuleError::Fail,
            threads: None,
            aggregate: true,
            progress: None,
            cancel: None,
            arcs_per_group: None,
        }
    }
}

/// Where an assignment run spent its time (not part of the plan, which never varies).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Profiling customers and evaluating the pair rules.
    pub rules: Duration,
    /// Building the network, solving it and writing the plan.
    pub solve: Duration,
}

/// Assigns the book's customers to its managers, optimally for the objective.
///
/// ```
/// # use apportion::load::{self, Format, LoadOptions};
/// # fn main() -> apportion::Result<()> {
/// let options = LoadOptions::default();
/// let customers = load::parse_customers(
///     b"id,manager,region,assets\nC-1,M-1,north,2500000\nC-2,M-1,north,4000\nC-3,,south,9000\n",
///     Format::Csv, "customers", &options)?;
/// let managers = load::parse_managers(
///     b"id,region,capacity\nM-1,north,1\nM-2,north,1\nM-3,south,5\n",
///     Format::Csv, "managers", &options)?;
/// let book = apportion::Book::new(customers, managers);
/// let rules = apportion::Rulebook::compile(r#"
///     fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
///     fn eligible(c, m) { c.region == m.region }
///     fn affinity(c, m) { if c.tier == "HNW" && m.id == "M-1" { 10 } else { 0 } }
/// "#)?;
/// let as_of: apportion::Date = "2026-06-30".parse()?;
/// let plan = apportion::assign(&book, &rules, &apportion::AssignOptions::new(as_of))?;
/// // M-1 and M-2 have room for one each: the HNW customer stays with M-1, whom it suits,
/// // and the other moves to M-2 in its region.
/// let placed: Vec<(&str, &str)> = plan.assignments.iter()
///     .map(|a| (a.customer.as_str(), a.manager.as_str())).collect();
/// assert_eq!(placed, [("C-1", "M-1"), ("C-2", "M-2"), ("C-3", "M-3")]);
/// assert!(plan.unassigned.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn assign(book: &Book, rulebook: &Rulebook, options: &AssignOptions) -> Result<Plan> {
    assign_timed(book, rulebook, options).map(|(plan, _)| plan)
}

/// [`assign`], also saying how long the rules and the solver took.
pub fn assign_timed(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
) -> Result<(Plan, Timings)> {
    options.policy.check()?;
    crate::threads::run(options.threads, || run(book, rulebook, options))
}

/// The min-cost flow network an assignment solves, with every arc (none left to pricing),
/// for inspection and comparison with other solvers.
pub fn assignment_network(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
) -> Result<Network> {
    let prepared = prepare(book, rulebook, options)?;
    Ok(build_network(book, &prepared, &options.policy, None)?.network)
}

/// [`assignment_network`] with the side constraints the groups' caps and minimums per segment
/// put on it: its optimum within them is the plan's objective.
pub fn assignment_limits(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
) -> Result<(Network, Vec<limits::NetworkLimit>)> {
    let prepared = prepare(book, rulebook, options)?;
    let built = build_network(book, &prepared, &options.policy, None)?;
    let side = limits::network_limits(book, &built);
    Ok((built.network, side))
}

fn run(book: &Book, rulebook: &Rulebook, options: &AssignOptions) -> Result<(Plan, Timings)> {
    let started = Instant::now();
    let prepared = prepare(book, rulebook, options)?;
    let rules_done = Instant::now();
    let provenance = || Provenance::of(book, rulebook, options.policy, options.as_of);
    let plan = solve_prepared(book, &prepared, &options.policy, options, provenance)?;
    let timings = Timings {
        rules: rules_done - started,
        solve: rules_done.elapsed(),
    };
    Ok((plan, timings))
}

/// What the groups' caps and minimums per segment cost the solve (see `limits`).
#[derive(Default)]
struct Limited {
    solves: u32,
    gap: i64,
}

/// How many manager arcs each group holds at the start: what the caller asked for (at least
/// one), or by default [`DEFAULT_ARCS_PER_GROUP`] once the network would have more than
/// [`SPARSE_ABOVE`] of them, and every one (`usize::MAX`) below that, where pricing rounds
/// would cost more than holding the arcs does.
fn arcs_to_hold(prepared: &Prepared, asked: Option<usize>) -> usize {
    if let Some(k) = asked {
        return k.max(1);
    }
    let pairs: usize = prepared
        .groups
        .iter()
        .map(|group| prepared.eligibility.eligible_count(group.class as usize))
        .sum();
    if pairs > SPARSE_ABOVE {
        DEFAULT_ARCS_PER_GROUP
    } else {
        usize::MAX
    }
}

/// The optimal plan of `prepared` customers under `policy`, with the provenance `provenance`
/// makes: computed while the network is built and solved (the solve leaves a core idle
/// more often than the rules do), so that it costs the run little. The rules do not run
/// again: a search over policies prepares once.
pub(super) fn solve_prepared(
    book: &Book,
    prepared: &Prepared,
    policy: &Policy,
    options: &AssignOptions,
    provenance: impl FnOnce() -> Provenance + Send,
) -> Result<Plan> {
    let (solved, provenance) = rayon::join(
        || solve_network(book, prepared, policy, options),
        provenance,
    );
    let (built, solution, limited) = solved?;
    let mut plan = assembly::plan(book, prepared, (&built, &solution), policy, provenance);
    plan.network.limit_solves = limited.solves;
    plan.network.optimality_gap = limited.gap;
    Ok(plan)
}

/// The network of `prepared` customers under `policy`, and its optimum.
fn solve_network(
    book: &Book,
    prepared: &Prepared,
    policy: &Policy,
    options: &AssignOptions,
) -> Result<(Built, Solution, Limited)> {
    // A network held whole solves from nothing: the greedy start pays for itself only where
    // arcs are left out (bank 100k × 500: the same solve time with it, half the pivots) or
    // where groups of managers deepen the tree a solve from nothing grows (bank 1M × 2,000
    // with 248 groups: solve 1.85 s from nothing, 0.84 s from the start; 100k × 500 with
    // 106 groups: 0.11 s, 0.06 s). Books without groups keep their plans byte for byte.
    let arcs = arcs_to_hold(prepared, options.arcs_per_group);
    if arcs == usize::MAX && book.organisation.is_empty() {
        let built = build_network(book, prepared, policy, None)?;
        let solution = solve_built(&built, prepared, options)?;
        return Ok((built, solution, Limited::default()));
    }
    let placement = greedy(
        (&book.managers.records, &book.organisation),
        prepared,
        policy,
    );
    // Customers kept at their manager must be proven placed by the optimum; those it cannot
    // prove get nodes of their own, and the network is solved again. It only happens when
    // someone is left unassigned.
    let mut apart = HashSet::new();
    loop {
        let start = Start {
            placement: &placement,
            arcs,
            apart: &apart,
        };
        let built = build_network(book, prepared, policy, Some(&start))?;
        let solution = solve_built(&built, prepared, options)?;
        let (solution, limited) = match book.organisation.limits_segments() {
            true => {
                let again = |shift: &[(ArcId, i64)], last: &Solution| {
                    solve_shifted(&built, prepared, options, shift, last)
                };
                let outcome = limits::within(book, &built, solution, &again)?;
                let limited = Limited {
                    solves: outcome.solves,
                    gap: outcome.gap,
                };
                (outcome.solution, limited)
            }
            false => (solution, Limited::default()),
        };
        let unproven = kept::unproven(&built, &solution);
        if unproven.is_empty() {
            return Ok((built, solution, limited));
        }
        apart.extend(unproven);
    }
}

/// The optimum of `built` with its arcs' costs shifted as `shift` says, from `last`, its
/// optimum under other shifts.
fn solve_shifted(
    built: &Built,
    prepared: &Prepared,
    options: &AssignOptions,
    shift: &[(ArcId, i64)],
    last: &Solution,
) -> Result<Solution> {
    let pricing = (built.left_out.count() > 0).then(|| built.left_out.pricing(prepared));
    let pricing = pricing.as_ref().map(|p| p as &dyn Pricing);
    let solved = built
        .network
        .solve_shifted(shift, last, pricing, options.cancel.as_ref());
    solved.map_err(network_error)
}

fn network_error(e: NetworkError) -> Error {
    match e {
        NetworkError::Cancelled => Error::Cancelled,
        e => Error::Solve(SolveError::Network(e)),
    }
}

/// The optimum of `built`, pricing in the arcs it left out.
fn solve_built(built: &Built, prepared: &Prepared, options: &AssignOptions) -> Result<Solution> {
    let cancel = options.cancel.as_ref();
    let solved = if built.left_out.count() > 0 {
        let pricing = built.left_out.pricing(prepared);
        built.network.solve_priced(&pricing, cancel)
    } else {
        match cancel {
            Some(cancel) => built.network.solve_cancellable(cancel),
            None => built.network.solve(),
        }
    };
    solved.map_err(network_error)
}

//! Batch assignment: profile, evaluate pair rules per class, build the min-cost flow network
//! of the design's objective (`build`), solve it exactly, and turn the flow back into a plan.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::build::{Built, balance_term, build_network};
use super::classes::{self, Group, Groups};
use super::network::{ArcId, Network, NetworkError, Solution};
use crate::cancel::Cancel;
use crate::date::Date;
use crate::error::{Error, InputError, Location, RecordKind, Result, RuleError, SolveError};
use crate::eval::pair::{self, Representative};
use crate::model::{Book, ManagerId, Value};
use crate::plan::{
    Assignment, BalanceStats, ManagerLoad, NetworkStats, Objective, Plan, Unassigned,
    UnassignedReason,
};
use crate::profile::{OnRuleError, ProfileOptions, Progress};
use crate::rules::Rulebook;
use crate::rules::keys::Regions;

/// The policy weights of the objective (all integers, so the optimum is exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// M: charged when a customer leaves a current manager who is still in the book.
    pub move_penalty: i64,
    /// λ: weight of the balance term.
    pub balance: i64,
    /// U: charged per customer left unassigned; by default large enough that placing a
    /// customer always beats leaving one out.
    pub unassigned_penalty: Option<i64>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            move_penalty: 500,
            balance: 1,
            unassigned_penalty: None,
        }
    }
}

impl Policy {
    /// Checks the weights' signs: the move penalty and the balance weight 0 or more, the
    /// unassigned penalty (when given) positive. Every run that takes a policy (assign,
    /// rebalance, a router) checks it before any rule runs; weights so large that costs would
    /// overflow are found once the book's sizes are known.
    pub fn check(&self) -> Result<()> {
        let message = if self.move_penalty < 0 || self.balance < 0 {
            "the move penalty and the balance weight must be 0 or more"
        } else if self.unassigned_penalty.is_some_and(|u| u <= 0) {
            "the unassigned penalty must be positive"
        } else {
            return Ok(());
        };
        Err(SolveError::InvalidPolicy {
            message: message.to_owned(),
        }
        .into())
    }
}

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
            .finish()
    }
}

impl AssignOptions {
    /// Default policy, fail on rule errors, default threads, aggregation on.
    pub fn new(as_of: Date) -> AssignOptions {
        AssignOptions {
            as_of,
            policy: Policy::default(),
            on_error: OnRuleError::Fail,
            threads: None,
            aggregate: true,
            progress: None,
            cancel: None,
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

/// Everything decided before the solver: who is placeable, in which groups, with which
/// eligible managers; who is already known to stay unassigned, and why.
pub(super) struct Prepared {
    /// How many classes the pair rules ran for.
    pub(super) pair_classes: usize,
    /// Customers left out before the solve, by row (in row order), with the reason.
    pub(super) decided: Vec<(usize, UnassignedReason)>,
    pub(super) groups: Groups,
    pub(super) eligibility: pair::Verdicts,
    pub(super) segments: Vec<Option<Arc<str>>>,
}

impl Prepared {
    /// The eligible managers of `group`'s class with their affinity (none for a failure).
    pub(super) fn eligible(&self, group: &Group<'_>) -> Cow<'_, [(u32, i64)]> {
        self.eligibility
            .get(group.class as usize)
            .unwrap_or(Cow::Borrowed(&[]))
    }
}

/// The min-cost flow network an assignment solves, for inspection and comparison with
/// other solvers.
pub fn assignment_network(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
) -> Result<Network> {
    let prepared = prepare(book, rulebook, options)?;
    Ok(build_network(book, &prepared, &options.policy)?.network)
}

fn run(book: &Book, rulebook: &Rulebook, options: &AssignOptions) -> Result<(Plan, Timings)> {
    let started = Instant::now();
    let prepared = prepare(book, rulebook, options)?;
    let rules_done = Instant::now();
    let plan = solve_prepared(book, &prepared, &options.policy, options.cancel.as_ref())?;
    let timings = Timings {
        rules: rules_done - started,
        solve: rules_done.elapsed(),
    };
    Ok((plan, timings))
}

/// Builds and solves the network of prepared customers under `policy`, and writes the plan.
/// The rules do not run again: a search over policies prepares once.
pub(super) fn solve_prepared(
    book: &Book,
    prepared: &Prepared,
    policy: &Policy,
    cancel: Option<&Cancel>,
) -> Result<Plan> {
    let built = build_network(book, prepared, policy)?;
    let solved = match cancel {
        Some(cancel) => built.network.solve_cancellable(cancel),
        None => built.network.solve(),
    };
    let solution = solved.map_err(|e| match e {
        NetworkError::Cancelled => Error::Cancelled,
        e => Error::Solve(SolveError::Network(e)),
    })?;
    let flow = |arc: ArcId| usize::try_from(solution.flow(arc)).unwrap_or(0);

    // Back from flow to customers, deterministically: within a node, customers in input order.
    let mut placed: Vec<Option<(u32, i64)>> = vec![None; book.customers.records.len()];
    for (group, arcs) in prepared.groups.iter().zip(&built.groups) {
        let mut pool = group.free().to_vec();
        for ((manager, members), stay) in group.staying().zip(&arcs.staying) {
            let stays = stay.to_manager.map_or(0, flow).min(members.len());
            let moves = flow(stay.to_free).min(members.len() - stays);
            for &row in &members[..stays] {
                placed[row] = Some((manager, stay.affinity));
            }
            pool.extend_from_slice(&members[stays..stays + moves]);
        }
        pool.sort_unstable();
        let mut next = pool.into_iter();
        for &(manager, affinity, arc) in &arcs.to_managers {
            for row in next.by_ref().take(flow(arc)) {
                placed[row] = Some((manager, affinity));
            }
        }
    }
    let placeable = placeable_groups(prepared, &placed, &built, &solution);
    Ok(plan(book, prepared, &placed, &built, policy, &placeable))
}

/// Per group, whether one more of its customers could be placed by some chain of moves: its
/// free node still reaches the sink in the residual network without leaving anyone out. A
/// customer of such a group was left out on cost (the unassigned penalty was the cheaper),
/// not for want of room. Only searched when someone was left out.
fn placeable_groups(
    prepared: &Prepared,
    placed: &[Option<(u32, i64)>],
    built: &Built,
    solution: &Solution,
) -> Vec<bool> {
    let left_out = prepared
        .groups
        .iter()
        .any(|g| g.rows().iter().any(|&row| placed[row].is_none()));
    if !left_out {
        return vec![false; prepared.groups.len()];
    }
    let is_overflow = |arc: ArcId| built.overflow.binary_search_by_key(&arc.0, |a| a.0).is_ok();
    let reaching = built.network.reaching(solution, built.sink, is_overflow);
    built
        .groups
        .iter()
        .map(|g| reaching.get(g.free.0 as usize).copied().unwrap_or(false))
        .collect()
}

pub(super) fn prepare(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
) -> Result<Prepared> {
    let customers = &book.customers.records;
    let managers = &book.managers.records;
    check_unique_ids(book)?;
    rulebook.check(&book.customers.schema)?;
    rulebook.check_managers(&book.managers.schema)?;

    let profile = rulebook.derive(
        &book.customers,
        &ProfileOptions {
            on_error: options.on_error,
            progress: options.progress.clone(),
            cancel: options.cancel.clone(),
            ..ProfileOptions::new(options.as_of)
        },
    )?;
    let mut failed: HashMap<&str, &RuleError> = profile
        .skipped
        .iter()
        .filter_map(|e| e.customer().map(|c| (c, e)))
        .collect();
    let derived: Vec<Option<&[Value]>> = (0..customers.len()).map(|row| profile.get(row)).collect();

    let manager_index: foldhash::HashMap<&ManagerId, u32> = managers
        .iter()
        .enumerate()
        .map(|(j, m)| (&m.id, j as u32))
        .collect();
    let segment_of = classes::SegmentOf::new(rulebook, &book.customers.schema);
    let segments: Vec<Option<Arc<str>>> = customers
        .iter()
        .zip(&derived)
        .map(|(customer, derived)| segment_of.get(customer, *derived))
        .collect();

    // Aggregation on, classes key integer fields the pair rules only compare with constants
    // by their regions; off, every value stands for itself.
    let regions = options.aggregate.then(|| {
        pair::regions(
            rulebook,
            &book.customers.schema,
            &book.managers.schema,
            options.as_of,
        )
    });
    let pair_classes = classes::pair_classes(
        rulebook,
        (
            &book.customers.schema,
            regions.as_ref().unwrap_or(&Regions::none()),
        ),
        customers,
        &derived,
    );
    let representatives: Vec<Representative<'_>> = pair_classes
        .representatives
        .iter()
        .filter_map(|&row| {
            Some(Representative {
                customer: &customers[row],
                derived: derived[row]?,
            })
        })
        .collect();
    let eligibility = pair::evaluate(
        rulebook,
        &book.customers.schema,
        &book.managers,
        &representatives,
        (options.as_of, regions.as_ref()),
        options.cancel.as_ref(),
    );
    if options.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
        return Err(Error::Cancelled);
    }
    if options.on_error == OnRuleError::Fail
        && let Some(error) = eligibility.first_error()
    {
        return Err(error.clone().into());
    }

    // Who goes into the network, and who is decided before it.
    let mut decided = Vec::new();
    let placeable = customers.iter().enumerate().filter_map(|(row, customer)| {
        let class = pair_classes.class_of[row];
        let reason = match (class, class.map(|c| eligibility.any_eligible(c as usize))) {
            (Some(class), Some(Ok(true))) => {
                let current = customer
                    .manager
                    .as_ref()
                    .and_then(|m| manager_index.get(m).copied());
                return Some((row, class, segments[row].clone(), current));
            }
            (_, Some(Err(error))) => UnassignedReason::from_rule_error(error),
            (None, _) => failed.remove(customer.id.as_str()).map_or(
                UnassignedReason::NoEligibleManager,
                UnassignedReason::from_rule_error,
            ),
            _ => UnassignedReason::NoEligibleManager,
        };
        decided.push((row, reason));
        None
    });
    let groups = classes::groups(placeable, options.aggregate);
    Ok(Prepared {
        pair_classes: pair_classes.representatives.len(),
        decided,
        groups,
        eligibility,
        segments,
    })
}

fn plan(
    book: &Book,
    prepared: &Prepared,
    placed: &[Option<(u32, i64)>],
    built: &Built,
    policy: &Policy,
    placeable: &[bool],
) -> Plan {
    let customers = &book.customers.records;
    let managers = &book.managers.records;
    let mut loads: Vec<ManagerLoad> = managers
        .iter()
        .map(|m| ManagerLoad {
            manager: m.id.clone(),
            load: 0,
            capacity: m.capacity,
            target: m.target_load(),
            utilisation: 0.0,
            segments: Default::default(),
        })
        .collect();
    let known: HashMap<&ManagerId, u32> = managers
        .iter()
        .enumerate()
        .map(|(j, m)| (&m.id, j as u32))
        .collect();
    let mut assignments = Vec::new();
    let mut objective = Objective::default();
    let (mut paid_moves, mut rehomed) = (0, 0);
    for (row, customer) in customers.iter().enumerate() {
        let Some((manager, affinity)) = placed[row] else {
            continue;
        };
        let load = &mut loads[manager as usize];
        load.load += 1;
        if let Some(segment) = &prepared.segments[row] {
            *load.segments.entry(segment.to_string()).or_default() += 1;
        }
        let current = customer
            .manager
            .as_ref()
            .and_then(|m| known.get(m))
            .copied();
        let moved = customer
            .manager
            .as_ref()
            .is_some_and(|m| *m != managers[manager as usize].id);
        let paid = current.is_some_and(|c| c != manager);
        paid_moves += usize::from(paid);
        rehomed += usize::from(moved && !paid);
        let move_penalty = if paid { policy.move_penalty } else { 0 };
        objective.affinity -= affinity;
        objective.moves += move_penalty;
        assignments.push(Assignment {
            customer: customer.id.clone(),
            manager: managers[manager as usize].id.clone(),
            previous_manager: customer.manager.clone(),
            moved,
            affinity,
            move_penalty,
        });
    }
    for (load, manager) in loads.iter_mut().zip(managers) {
        objective.balance += balance_term(policy.balance, load.load, manager.target_load());
        load.utilisation = if load.capacity == 0 {
            0.0
        } else {
            f64::from(load.load) / f64::from(load.capacity)
        };
    }
    // Groups whose customers did not all fit: name the full managers and segments.
    let mut reason_of_group: HashMap<usize, UnassignedReason> = HashMap::new();
    let mut group_of = vec![usize::MAX; customers.len()];
    for (g, group) in prepared.groups.iter().enumerate() {
        for &row in group.rows() {
            group_of[row] = g;
        }
    }
    let mut unassigned = Vec::new();
    for (row, customer) in customers.iter().enumerate() {
        if placed[row].is_some() {
            continue;
        }
        let decided = prepared.decided.binary_search_by_key(&row, |(row, _)| *row);
        let reason = match decided {
            Ok(at) => prepared.decided[at].1.clone(),
            Err(_) => reason_of_group
                .entry(group_of[row])
                .or_insert_with(|| {
                    let group = prepared.groups.get(group_of[row]);
                    if placeable[group_of[row]] {
                        UnassignedReason::CostAboveUnassignedPenalty
                    } else {
                        capacity_reason(book, &group, &prepared.eligible(&group), &loads)
                    }
                })
                .clone(),
        };
        unassigned.push(Unassigned {
            customer: customer.id.clone(),
            previous_manager: customer.manager.clone(),
            reason,
        });
    }
    objective.unassigned = built.unassigned_penalty * unassigned.len() as i64;
    objective.total =
        objective.affinity + objective.moves + objective.balance + objective.unassigned;
    let stats = BalanceStats::of(
        &loads,
        assignments.len(),
        unassigned.len(),
        (paid_moves, rehomed),
    );
    let network = NetworkStats {
        pair_classes: prepared.pair_classes,
        supply_nodes: built
            .groups
            .iter()
            .map(|group| 1 + group.staying.len())
            .sum(),
        nodes: built.network.node_count(),
        arcs: built.network.arc_count(),
    };
    Plan {
        assignments,
        unassigned,
        loads,
        orphans: book.orphans(),
        objective,
        stats,
        network,
    }
}

/// Why a group that no chain of moves can make room for was left out: its eligible managers
/// at capacity, and those at their cap for its segment.
fn capacity_reason(
    book: &Book,
    group: &Group<'_>,
    eligible: &[(u32, i64)],
    loads: &[ManagerLoad],
) -> UnassignedReason {
    let managers = &book.managers.records;
    let mut full = Vec::new();
    let mut segments = Vec::new();
    for &(manager, _) in eligible {
        let load = &loads[manager as usize];
        if load.load >= load.capacity {
            full.push(load.manager.clone());
        } else if let Some(segment) = group.segment
            && let Some(&cap) = managers[manager as usize].segment_caps.get(&**segment)
            && load.segments.get(&**segment).copied().unwrap_or(0) >= cap
        {
            segments.push((load.manager.clone(), segment.to_string()));
        }
    }
    UnassignedReason::CapacityExhausted {
        managers: full,
        segments,
    }
}

pub(super) fn check_unique_ids(book: &Book) -> Result<()> {
    let customers = book.customers.records.iter().map(|c| c.id.as_str());
    let managers = book.managers.records.iter().map(|m| m.id.as_str());
    first_repeat(customers, RecordKind::Customer, "<customers>")?;
    first_repeat(managers, RecordKind::Manager, "<managers>")
}

/// A duplicate id error for the first id of `ids` seen before.
fn first_repeat<'a>(
    ids: impl Iterator<Item = &'a str>,
    kind: RecordKind,
    source: &str,
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(InputError::DuplicateId {
                kind,
                id: id.to_owned(),
                at: Location::in_source(source).in_record(id),
            }
            .into());
        }
    }
    Ok(())
}

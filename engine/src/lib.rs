#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Every public type can be named from the crate root: the modules are private, and what
// they make public is re-exported below, on purpose.
#![warn(unnameable_types)]

mod cancel;
mod date;
mod diff;
mod error;
mod eval;
mod explain;
pub mod load;
mod model;
mod org;
mod plan;
mod profile;
mod provenance;
mod rules;
mod scores;
mod solve;
mod suggest;
mod summary;
mod threads;
mod tickets;

pub use cancel::Cancel;
pub use date::{Date, ParseDateError};
pub use diff::{Flow, LoadChange, Move, ObjectiveChange, PlanDiff, diff};
pub use error::{
    BookError, Error, InputError, Limit, Location, Position, RecordKind, Result, RuleError,
    SolveError,
};
pub use explain::{Explanation, ExtraCost, FailedClause, FieldValue, ManagerOption, Term, Verdict};
pub use model::{
    Book, Customer, CustomerId, Customers, Field, GroupId, Manager, ManagerId, Managers, Orphan,
    Schema, Value, ValueType,
};
pub use org::{MAX_GROUP_DEPTH, ManagerGroup, Organisation};
pub use plan::{
    Assignment, BalanceStats, GroupLoad, ManagerLoad, NetworkStats, Objective, Plan, Unassigned,
    UnassignedReason, WrittenPlan, WrittenUnassigned,
};
pub use profile::{OnRuleError, Profile, ProfileOptions, ProfiledCustomer, Progress};
pub use provenance::Provenance;
pub use rules::{FieldRule, Limits, PairRules, Rulebook, TicketRule};
pub use scores::{PairScore, PairScores};
/// The min-cost flow solver under [`assign`], on its own: build a [`network::Network`] of
/// nodes, supplies and arcs and solve it exactly (benchmarks compare it with other solvers).
pub use solve::network;
pub use solve::{
    AssignOptions, Basis, BookSnapshot, Comparison, DEFAULT_ARCS_PER_GROUP, Decision, Discrepancy,
    DryRun, EligibilityChange, NetworkLimit, Policy, Rebalance, Router, RouterOptions, Skip,
    Skipped, Timings, Transition, Verification, assign, assign_timed, assignment_limits,
    assignment_network, balance_term, compare, dry_run, rebalance, verify,
};
pub use summary::{
    Fairness, GroupSummary, ManagerSummary, PlanSummary, RegionSummary, UTILISATION_BINS,
};
pub use threads::MAX_THREADS;
pub use tickets::{Queue, Ticket, TicketOutcome, TicketPlan, Tickets, Unroutable, route_tickets};

/// For the bindings only: a rulebook's bytes as text, as [`Rulebook::compile_bytes`] reads
/// them (the Python module keeps the source to pickle a rulebook).
#[doc(hidden)]
pub use rules::source_text;

/// The repository's README, whose Rust example runs as a doc test too. Only under `doctest`:
/// the crate itself never reads outside its folder, so it packages on its own.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

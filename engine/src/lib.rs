#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cancel;
pub mod date;
pub mod error;
mod eval;
pub mod load;
pub mod model;
pub mod plan;
pub mod profile;
pub mod rules;
pub mod solve;
mod suggest;
mod threads;
pub mod tickets;

pub use cancel::Cancel;
pub use date::Date;
pub use error::{BookError, Error, InputError, Location, Position, Result, RuleError, SolveError};
pub use model::{
    Book, Customer, CustomerId, Customers, Field, Manager, ManagerId, Managers, Schema, Value,
    ValueType,
};
pub use plan::{
    Assignment, ManagerLoad, NetworkStats, Objective, Plan, Unassigned, UnassignedReason,
};
pub use profile::{OnRuleError, Profile, ProfileOptions, ProfiledCustomer, Progress};
pub use rules::{FieldRule, Limits, Rulebook, TicketRule};
pub use solve::{
    AssignOptions, Basis, BookSnapshot, DEFAULT_ARCS_PER_GROUP, Decision, DryRun, Policy,
    Rebalance, Router, RouterOptions, Skip, Skipped, Timings, assign, assign_timed, dry_run,
    rebalance,
};
pub use threads::MAX_THREADS;
pub use tickets::{Queue, Ticket, TicketOutcome, TicketPlan, Tickets, Unroutable, route_tickets};

/// The repository's README, whose Rust example runs as a doc test too. Only under `doctest`:
/// the crate itself never reads outside its folder, so it packages on its own.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

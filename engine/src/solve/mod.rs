//! Solving: the min-cost flow network and the batch assignment built on it.

mod assembly;
mod assign;
mod build;
mod compare;
mod dry_run;
mod group_loads;
mod limits;
pub mod network;
mod objective;
mod prepare;
mod pricing;
mod rebalance;
mod route;
mod shadow;
mod start;
mod verify;

pub use assign::{
    AssignOptions, Timings, assign, assign_timed, assignment_limits, assignment_network,
};
pub use build::DEFAULT_ARCS_PER_GROUP;
pub use compare::{Comparison, EligibilityChange, Transition, compare};
pub use dry_run::{DryRun, dry_run};
pub use limits::NetworkLimit;
pub use objective::{Policy, balance_term};
pub(crate) use objective::{balance_cost, group_step, segment_step};
pub(crate) use prepare::TextField;
pub use rebalance::{Rebalance, rebalance};
pub use route::{Basis, BookSnapshot, Decision, Router, RouterOptions, Skip, Skipped};
pub use verify::{Discrepancy, Verification, verify};

//! Solving: the min-cost flow network and the batch assignment built on it.

mod assign;
mod build;
mod classes;
mod dry_run;
pub mod network;
mod rebalance;
mod route;

pub use assign::{AssignOptions, Policy, Timings, assign, assign_timed, assignment_network};
pub use build::balance_term;
pub use dry_run::{DryRun, dry_run};
pub use rebalance::{Rebalance, rebalance};
pub use route::{Basis, BookSnapshot, Decision, Router, RouterOptions, Skip, Skipped};

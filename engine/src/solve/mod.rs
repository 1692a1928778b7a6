//! Solving: the min-cost flow network and the batch assignment built on it.

mod assign;
mod build;
mod classes;
pub mod network;
mod rebalance;
mod route;

pub use assign::{AssignOptions, Policy, Timings, assign, assign_timed, assignment_network};
pub use build::balance_term;
pub use rebalance::{Rebalance, rebalance};
pub use route::{Basis, BookSnapshot, Decision, Router, RouterOptions, Skip, Skipped};

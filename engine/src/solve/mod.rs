//! Solving: the min-cost flow network and the batch assignment built on it.

mod assign;
mod build;
mod classes;
pub mod network;

pub use assign::{AssignOptions, Policy, Timings, assign, assign_timed, assignment_network};

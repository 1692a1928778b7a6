//! The integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod assign;
mod assign_properties;
mod bad_inputs;
mod diff;
mod example_bank;
mod explain;
mod fuzz_replay;
mod groups;
mod hostile;
mod load;
mod network;
mod profile;
mod properties;
mod provenance;
mod route;
mod rules;
mod scores;
mod shadow_prices;
mod support;
mod tickets;
mod verify;

//! The integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod example_bank;
mod hostile;
mod load;
mod profile;
mod properties;
mod rules;
mod support;

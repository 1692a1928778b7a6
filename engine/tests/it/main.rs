//! The integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod hostile;
mod profile;
mod properties;
mod rules;
mod support;

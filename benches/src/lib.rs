//! Support for the benches: the example bank's rulebook hand-written in Rust, the speed limit
//! the Rhai rulebook is measured against.

pub mod native_bank;

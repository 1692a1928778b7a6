//! Support for the benches: the example bank's rulebook hand-written in Rust, the speed limit
//! the Rhai rulebook is measured against.

pub mod native_bank;

/// Whether criterion measures (`cargo bench`, which passes `--bench`) rather than runs each
/// bench once to test it (`cargo test --benches`). The test run takes small books: debug
/// builds of the full-size ones took most of a minute and a half of the test suite.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `full` when criterion measures, else `test`.
pub fn sized<T>(full: T, test: T) -> T {
    if measuring() { full } else { test }
}

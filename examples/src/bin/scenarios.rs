//! Runs the assignment scenarios on the example bank and checks each outcome.
//!
//! ```text
//! cargo run --release -p apportion-examples --bin scenarios
//! ```

use std::process::ExitCode;

use apportion_examples::scenarios::SCENARIOS;
use apportion_examples::{BankConfig, generate};

fn main() -> ExitCode {
    let bank = generate(&BankConfig::default());
    let mut failed = 0;
    for (name, scenario) in SCENARIOS {
        match scenario(&bank) {
            Ok(summary) => println!("ok    {name}: {summary}"),
            Err(problem) => {
                failed += 1;
                println!("FAIL  {name}: {problem}");
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

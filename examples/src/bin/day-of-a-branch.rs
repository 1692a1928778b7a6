//! A day of a branch network on the example bank: the morning plan, 500 leads routed live, a
//! manager leaving at noon and an evening rebalance under a churn budget, with the book's
//! balance after each step.

use std::process::ExitCode;

use apportion_examples::{BankConfig, day, generate};

fn main() -> ExitCode {
    match day::day_of_a_branch(&generate(&BankConfig::default())) {
        Ok(day) => {
            for line in &day.log {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

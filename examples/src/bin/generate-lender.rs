//! Writes the example lender's `borrowers.csv` and `managers.csv`, for the rulebook
//! `examples/rules/lender.rhai`.
//!
//! ```text
//! cargo run -p apportion-examples --bin generate-lender -- \
//!     [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use apportion_examples::cli::{GeneratorArgs, parse_generator_args};
use apportion_examples::lender::{LenderConfig, generate, write_csv};

const USAGE: &str = "\
usage: generate-lender [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]

Writes borrowers.csv and managers.csv for a seeded example lender (rules:
examples/rules/lender.rhai).

  --customers N        borrowers to generate (default 3000)
  --managers N         account managers to generate (default one per 100 borrowers,
                       at least 14)
  --seed S             random seed, an unsigned integer (default 7)
  --as-of YYYY-MM-DD   the day the data describes (default 2026-06-30)
  --out DIR            output directory, created if missing (default target/lender)
  -h, --help           show this help";

struct Args {
    config: LenderConfig,
    out: PathBuf,
}

/// `Ok(None)` means help was asked for.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let Some(GeneratorArgs {
        customers,
        managers,
        seed,
        as_of,
        out,
    }) = parse_generator_args(args)?
    else {
        return Ok(None);
    };
    let mut config = customers.map_or_else(LenderConfig::default, LenderConfig::sized);
    if let Some(managers) = managers {
        config.managers = managers;
    }
    if let Some(seed) = seed {
        config.seed = seed;
    }
    if let Some(as_of) = as_of {
        config.as_of = as_of;
    }
    Ok(Some(Args {
        config,
        out: out.unwrap_or_else(|| PathBuf::from("target/lender")),
    }))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("generate-lender: error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let lender = generate(&args.config);
    if let Err(error) = write_csv(&lender, &args.out) {
        eprintln!(
            "generate-lender: error: cannot write to `{}`: {error}",
            args.out.display()
        );
        return ExitCode::FAILURE;
    }
    let config = &args.config;
    println!(
        "wrote {} borrowers and {} managers (seed {}, as of {}) to {}",
        config.customers,
        config.managers,
        config.seed,
        config.as_of,
        args.out.display()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn defaults_and_sizes() {
        let args = parse(&[]).unwrap().unwrap();
        assert_eq!(args.config, LenderConfig::default());
        assert_eq!(args.out, PathBuf::from("target/lender"));
        let args = parse(&["--customers=100000", "--seed", "3", "--out", "x"])
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                args.config.customers,
                args.config.managers,
                args.config.seed
            ),
            (100_000, 1_000, 3)
        );
        assert_eq!(args.out, PathBuf::from("x"));
        let args = parse(&[
            "--customers",
            "500",
            "--managers",
            "20",
            "--as-of",
            "2025-01-31",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(args.config.managers, 20);
        assert_eq!(args.config.as_of.to_string(), "2025-01-31");
    }

    #[test]
    fn rejects_bad_arguments() {
        for bad in [
            &["--customers", "-1"][..],
            &["--managers"],
            &["--seed", "abc"],
            &["--as-of", "2026-13-01"],
            &["--borrowers", "10"],
            &["positional"],
            &["--out="],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse(&["-h"]).unwrap().is_none());
    }
}

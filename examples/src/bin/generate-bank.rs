//! Writes the example bank's `customers.csv` and `managers.csv`.
//!
//! ```text
//! cargo run -p apportion-examples --bin generate-bank -- \
//!     [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use apportion_examples::cli::{GeneratorArgs, parse_generator_args};
use apportion_examples::{BankConfig, generate, write_csv};

const USAGE: &str = "\
usage: generate-bank [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]

Writes customers.csv and managers.csv for a seeded example bank.

  --customers N        customers to generate (default 3000)
  --managers N         managers to generate (default 50 for 3000 customers; otherwise
                       one per 60 customers, at least 12)
  --seed S             random seed, an unsigned integer (default 7)
  --as-of YYYY-MM-DD   the day the data describes (default 2026-06-30)
  --out DIR            output directory, created if missing (default examples/data)
  -h, --help           show this help";

struct Args {
    config: BankConfig,
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
    let mut config = customers.map_or_else(BankConfig::default, BankConfig::sized);
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
        out: out.unwrap_or_else(|| PathBuf::from("examples/data")),
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
            eprintln!("generate-bank: error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let bank = generate(&args.config);
    if let Err(error) = write_csv(&bank, &args.out) {
        eprintln!(
            "generate-bank: error: cannot write to `{}`: {error}",
            args.out.display()
        );
        return ExitCode::FAILURE;
    }
    let config = &args.config;
    println!(
        "wrote {} customers and {} managers (seed {}, as of {}) to {}",
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
    fn defaults_match_the_shipped_data() {
        let args = parse(&[]).unwrap().unwrap();
        assert_eq!(args.config, BankConfig::default());
        assert_eq!(args.out, PathBuf::from("examples/data"));
    }

    #[test]
    fn reads_every_flag_in_both_spellings() {
        let args = parse(&[
            "--customers",
            "600",
            "--managers=13",
            "--seed",
            "9",
            "--as-of=2025-01-31",
            "--out",
            "x",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(args.config.customers, 600);
        assert_eq!(args.config.managers, 13);
        assert_eq!(args.config.seed, 9);
        assert_eq!(args.config.as_of.to_string(), "2025-01-31");
        assert_eq!(args.out, PathBuf::from("x"));
    }

    #[test]
    fn scales_managers_with_customers_unless_given() {
        assert_eq!(
            parse(&["--customers", "120000"])
                .unwrap()
                .unwrap()
                .config
                .managers,
            2_000
        );
        assert_eq!(
            parse(&["--customers", "3000"])
                .unwrap()
                .unwrap()
                .config
                .managers,
            50
        );
    }

    #[test]
    fn rejects_bad_arguments() {
        for bad in [
            &["--customers", "-1"][..],
            &["--customers"],
            &["--seed", "abc"],
            &["--as-of", "2026-02-30"],
            &["--frobnicate"],
            &["positional"],
            &["--out="],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse(&["--help"]).unwrap().is_none());
    }
}

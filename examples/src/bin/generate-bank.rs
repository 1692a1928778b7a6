//! Writes the example bank's `customers.csv`, `managers.csv` and `groups.csv`.
//!
//! ```text
//! cargo run -p apportion-examples --bin generate-bank -- \
//!     [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]
//! ```

use std::process::ExitCode;

use apportion_examples::BankConfig;
use apportion_examples::cli;

const USAGE: &str = "\
usage: generate-bank [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]

Writes customers.csv, managers.csv and groups.csv for a seeded example bank.

  --customers N        customers to generate (default 3000)
  --managers N         managers to generate (default 50 for 3000 customers; otherwise
                       one per 60 customers, at least 12)
  --seed S             random seed, an unsigned integer (default 7)
  --as-of YYYY-MM-DD   the day the data describes (default 2026-06-30)
  --out DIR            output directory, created if missing (default examples/data)
  -h, --help           show this help";

fn main() -> ExitCode {
    cli::main::<BankConfig>("generate-bank", USAGE, "customers", "examples/data")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    struct Args {
        config: BankConfig,
        out: PathBuf,
    }

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        let parsed =
            cli::parse::<BankConfig>(args.iter().map(|a| (*a).to_owned()), "examples/data")?;
        Ok(parsed.map(|(config, out)| Args { config, out }))
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

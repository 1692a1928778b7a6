//! Writes the example lender's `borrowers.csv`, `managers.csv` and `groups.csv`, for the
//! rulebook `examples/rules/lender.rhai`.
//!
//! ```text
//! cargo run -p apportion-examples --bin generate-lender -- \
//!     [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]
//! ```

use std::process::ExitCode;

use apportion_examples::cli;
use apportion_examples::lender::LenderConfig;

const USAGE: &str = "\
usage: generate-lender [--customers N] [--managers N] [--seed S] [--as-of YYYY-MM-DD] [--out DIR]

Writes borrowers.csv, managers.csv and groups.csv for a seeded example lender (rules:
examples/rules/lender.rhai).

  --customers N        borrowers to generate (default 3000)
  --managers N         account managers to generate (default one per 100 borrowers,
                       at least 14)
  --seed S             random seed, an unsigned integer (default 7)
  --as-of YYYY-MM-DD   the day the data describes (default 2026-06-30)
  --out DIR            output directory, created if missing (default target/lender)
  -h, --help           show this help";

fn main() -> ExitCode {
    cli::main::<LenderConfig>("generate-lender", USAGE, "borrowers", "target/lender")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    struct Args {
        config: LenderConfig,
        out: PathBuf,
    }

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        let parsed =
            cli::parse::<LenderConfig>(args.iter().map(|a| (*a).to_owned()), "target/lender")?;
        Ok(parsed.map(|(config, out)| Args { config, out }))
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

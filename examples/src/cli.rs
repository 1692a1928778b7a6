//! The command line the generators share: `--customers N --managers N --seed S --as-of D
//! --out DIR`, each as `--flag value` or `--flag=value`.

use std::path::PathBuf;

use apportion::Date;

/// What was given on the command line; `None` where a flag was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratorArgs {
    /// `--customers N`.
    pub customers: Option<usize>,
    /// `--managers N`.
    pub managers: Option<usize>,
    /// `--seed S`.
    pub seed: Option<u64>,
    /// `--as-of YYYY-MM-DD`.
    pub as_of: Option<Date>,
    /// `--out DIR`.
    pub out: Option<PathBuf>,
}

fn parse_count(flag: &str, value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .map_err(|_| format!("{flag} expects a non-negative integer, got `{value}`"))
}

/// Reads the arguments (without the program name). `Ok(None)` means help was asked for; an
/// error is a message for the user.
pub fn parse_generator_args(
    args: impl IntoIterator<Item = String>,
) -> Result<Option<GeneratorArgs>, String> {
    let mut parsed = GeneratorArgs::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        if !matches!(
            flag.as_str(),
            "--customers" | "--managers" | "--seed" | "--as-of" | "--out"
        ) {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "--customers" => parsed.customers = Some(parse_count(&flag, &value)?),
            "--managers" => parsed.managers = Some(parse_count(&flag, &value)?),
            "--seed" => {
                parsed.seed = Some(value.parse::<u64>().map_err(|_| {
                    format!("--seed expects an unsigned 64-bit integer, got `{value}`")
                })?);
            }
            "--as-of" => {
                parsed.as_of =
                    Some(value.parse::<Date>().map_err(|_| {
                        format!("--as-of expects a date as YYYY-MM-DD, got `{value}`")
                    })?);
            }
            _ => {
                if value.is_empty() {
                    return Err("--out needs a directory".to_owned());
                }
                parsed.out = Some(PathBuf::from(value));
            }
        }
    }
    Ok(Some(parsed))
}

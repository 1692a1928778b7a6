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

/// A generated book's settings, as the generators' shared command line fills them.
pub trait Generator: Sized + Default {
    /// Settings for `customers` customers, the other counts scaled to them.
    fn sized(customers: usize) -> Self;
    /// The counts and the seed and day, for changing what the command line gives.
    fn settings(&mut self) -> (&mut usize, &mut usize, &mut u64, &mut Date);
    /// Generates the book and writes its CSV files into `dir`.
    fn write(&self, dir: &std::path::Path) -> std::io::Result<()>;
}

/// The settings and output directory the arguments ask for (`default_out` if none); `Ok(None)`
/// means help was asked for, an error is a message for the user.
pub fn parse<G: Generator>(
    args: impl IntoIterator<Item = String>,
    default_out: &str,
) -> Result<Option<(G, PathBuf)>, String> {
    let Some(given) = parse_generator_args(args)? else {
        return Ok(None);
    };
    let mut config = given.customers.map_or_else(G::default, G::sized);
    let (_, managers, seed, as_of) = config.settings();
    if let Some(given) = given.managers {
        *managers = given;
    }
    if let Some(given) = given.seed {
        *seed = given;
    }
    if let Some(given) = given.as_of {
        *as_of = given;
    }
    Ok(Some((
        config,
        given.out.unwrap_or_else(|| PathBuf::from(default_out)),
    )))
}

/// A generator command: reads the arguments, writes the book, says what it wrote
/// (`customers` names them: customers, borrowers). Exit 2 on bad arguments, 1 if the files
/// cannot be written.
pub fn main<G: Generator>(
    name: &str,
    usage: &str,
    customers: &str,
    default_out: &str,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let (mut config, out) = match parse::<G>(std::env::args().skip(1), default_out) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            println!("{usage}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{name}: error: {message}\n\n{usage}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = config.write(&out) {
        eprintln!(
            "{name}: error: cannot write to `{}`: {error}",
            out.display()
        );
        return ExitCode::FAILURE;
    }
    let (count, managers, seed, as_of) = config.settings();
    println!(
        "wrote {count} {customers} and {managers} managers (seed {seed}, as of {as_of}) to {}",
        out.display()
    );
    ExitCode::SUCCESS
}

//! `apportion check`: validate a rulebook and show its structure.

use std::path::PathBuf;

use apportion::load::{self, LoadOptions};

use crate::{Failure, compile_rules, output};

/// Arguments of `apportion check`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The rulebook (.rhai).
    rules: PathBuf,
    /// Also check that every field the rules read exists in these customers (CSV, JSON or JSON Lines).
    #[arg(long)]
    customers: Option<PathBuf>,
    #[command(flatten)]
    privacy: crate::Privacy,
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let rules = compile_rules(&args.rules, &args.privacy)?;
    if let Some(path) = &args.customers {
        let customers = load::read_customers(path, &LoadOptions::default())?;
        rules.check(&customers.schema)?;
    }
    let mut text = format!(
        "{}: {} derived fields\n",
        args.rules.display(),
        rules.fields().len()
    );
    for field in rules.fields() {
        let reads = if field.reads.is_empty() {
            "nothing".to_owned()
        } else {
            field.reads.join(", ")
        };
        let dynamic = if field.reads_dynamically {
            " (and attributes by computed key)"
        } else {
            ""
        };
        text.push_str(&format!("  {:<16} reads {reads}{dynamic}\n", field.name));
    }
    let order: Vec<&str> = rules.evaluation_order().map(|f| f.name.as_str()).collect();
    text.push_str(&format!("evaluation order: {}\n", order.join(" -> ")));
    if args.customers.is_some() {
        text.push_str("every field read exists in the customers\n");
    }
    output::print(&text)
}

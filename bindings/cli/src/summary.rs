//! The short report printed after profiling: counts per value of each categorical field.

use std::collections::BTreeMap;
use std::fmt::Write;

use apportion::{Profile, Value};

/// Fields with more distinct values than this are not categorical; they are not tabulated.
const MAX_CATEGORIES: usize = 24;

/// Counts per value for text and boolean fields, and per item for list fields (tags).
pub(crate) fn counts(profile: &Profile) -> String {
    let mut text = String::new();
    for (position, field) in profile.fields.iter().enumerate() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut categorical = true;
        for customer in &profile.customers {
            match &customer.values[position] {
                Value::Str(v) => *counts.entry(v.to_string()).or_default() += 1,
                Value::Bool(v) => *counts.entry(v.to_string()).or_default() += 1,
                Value::List(items) => {
                    for item in items.iter() {
                        *counts.entry(item.to_string()).or_default() += 1;
                    }
                }
                Value::Null => *counts.entry("(none)".to_owned()).or_default() += 1,
                _ => categorical = false,
            }
            if counts.len() > MAX_CATEGORIES {
                categorical = false;
            }
            if !categorical {
                break;
            }
        }
        if !categorical {
            continue;
        }
        let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let cells: Vec<String> = ranked
            .iter()
            .map(|(value, n)| format!("{value} {n}"))
            .collect();
        let _ = writeln!(text, "  {field:<16} {}", cells.join(", "));
    }
    text
}

//! The rules phase of an assignment on its own: what the rules make of a book, and how large
//! the problem is, before a long solve.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::assign::AssignOptions;
use super::prepare::prepare;
use crate::error::Result;
use crate::eval::pair;
use crate::model::Book;
use crate::rules::Rulebook;

/// What [`assign`](super::assign()) would hand its solver, found by running every rule and pair
/// rule over the book without solving: the check to run on a new book or rulebook first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    /// Customers the solver would place (those with an eligible manager).
    pub placeable: usize,
    /// Customers decided before the solve, by reason code (`no_eligible_manager`, or a rule
    /// error's code when rule errors are skipped).
    pub decided: BTreeMap<&'static str, usize>,
    /// Distinct customers as the pair rules see them.
    pub pair_classes: usize,
    /// Groups of interchangeable customers, split by current manager.
    pub supply_nodes: usize,
    /// (customer, eligible manager) pairs over the placeable customers: the arcs a network
    /// without aggregation would hold.
    pub eligible_pairs: u64,
    /// The integer fields the pair rules only compare with constants, with those constants:
    /// pair classes count such a field by the region its value falls into, not the value.
    pub regions: BTreeMap<String, Vec<i64>>,
    /// How long the rules took.
    pub rules: Duration,
}

/// Runs the rules of an assignment (profiling and the pair rules) and reports what the solver
/// would be given, without solving. Fails where [`assign`](super::assign()) would fail first.
pub fn dry_run(book: &Book, rulebook: &Rulebook, options: &AssignOptions) -> Result<DryRun> {
    options.policy.check()?;
    crate::threads::run(options.threads, || {
        let started = Instant::now();
        let prepared = prepare(book, rulebook, options)?;
        let rules = started.elapsed();
        let mut decided = BTreeMap::new();
        for (_, reason) in &prepared.decided {
            *decided.entry(reason.code()).or_default() += 1;
        }
        let groups = &prepared.groups;
        Ok(DryRun {
            placeable: groups.customers(),
            decided,
            pair_classes: prepared.pair_classes,
            supply_nodes: groups.supply_nodes(),
            eligible_pairs: groups
                .iter()
                .map(|g| {
                    let eligible = prepared.eligibility.eligible_count(g.class as usize);
                    g.size() as u64 * eligible as u64
                })
                .sum(),
            regions: match options.aggregate {
                true => pair::regions(
                    rulebook,
                    &book.customers.schema,
                    &book.managers.schema,
                    options.as_of,
                )
                .fields()
                .map(|(field, cuts)| (field.to_owned(), cuts.to_vec()))
                .collect(),
                false => BTreeMap::new(),
            },
            rules,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{self, LoadOptions};

    #[test]
    fn a_dry_run_reports_what_the_solve_is_then_given() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
        let options = LoadOptions::default();
        let book = Book::new(
            load::read_customers(&data.join("customers.csv"), &options).unwrap(),
            load::read_managers(&data.join("managers.csv"), &options).unwrap(),
        );
        let rules = Rulebook::compile(include_str!("../../../examples/rules/bank.rhai")).unwrap();
        let options = AssignOptions::new("2026-06-30".parse().unwrap());
        let dry = dry_run(&book, &rules, &options).unwrap();
        let plan = super::super::assign(&book, &rules, &options).unwrap();
        assert_eq!(dry.pair_classes, plan.network.pair_classes);
        assert_eq!(dry.supply_nodes, plan.network.supply_nodes);
        let decided: usize = dry.decided.values().sum();
        assert_eq!(dry.placeable + decided, book.customers.records.len());
        let unplaced = plan
            .unassigned
            .iter()
            .filter(|u| u.reason.code() == "no_eligible_manager")
            .count();
        assert_eq!(
            dry.decided.get("no_eligible_manager").copied(),
            Some(unplaced).filter(|&n| n > 0)
        );
        assert!(dry.eligible_pairs >= dry.placeable as u64);
    }
}

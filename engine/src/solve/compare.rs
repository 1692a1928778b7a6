//! Two rulebooks, or two policies, on one book: both optimal plans, what changed between
//! them, and what only the rules know — each customer's tier and segment under both, and
//! the customers whose eligible managers changed. The rules run once per side, as `assign`
//! runs them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::assign::{AssignOptions, solve_prepared};
use super::prepare::{Prepared, prepare_keeping};
use crate::diff::{PlanDiff, diff};
use crate::error::Result;
use crate::model::{Book, CustomerId};
use crate::plan::{Plan, WrittenPlan};
use crate::provenance::Provenance;
use crate::rules::Rulebook;

/// Two plans of one book and what changed between them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The plan of the first rulebook and options.
    pub before: Plan,
    /// The plan of the second.
    pub after: Plan,
    /// What changed from the first plan to the second.
    pub diff: PlanDiff,
    /// Customers by (tier before, tier after), every pair that occurs, the diagonal too.
    pub tiers: Vec<Transition>,
    /// Customers by (segment before, segment after).
    pub segments: Vec<Transition>,
    /// Customers whose eligible managers changed, in input order.
    pub eligibility: Vec<EligibilityChange>,
}

/// How many customers had one value before and another after (`None`: none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The value under the first rulebook.
    pub before: Option<String>,
    /// The value under the second.
    pub after: Option<String>,
    /// Customers.
    pub customers: usize,
}

/// A customer whose eligible managers differ between the two rulebooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EligibilityChange {
    /// The customer.
    pub customer: CustomerId,
    /// Managers eligible after who were not before.
    pub gained: usize,
    /// Managers eligible before who are not after.
    pub lost: usize,
}

/// Plans `book` with each rulebook and options, and compares them. The threads of the first
/// options are used for both.
pub fn compare(
    book: &Book,
    before: (&Rulebook, &AssignOptions),
    after: (&Rulebook, &AssignOptions),
) -> Result<Comparison> {
    before.1.policy.check()?;
    after.1.policy.check()?;
    crate::threads::run(before.1.threads, || {
        let (first, first_plan) = plan(book, before)?;
        let (second, second_plan) = plan(book, after)?;
        let diff = diff(
            &WrittenPlan::from(&first_plan),
            &WrittenPlan::from(&second_plan),
        );
        Ok(Comparison {
            diff,
            tiers: transitions(
                first.tiers.as_deref().unwrap_or_default(),
                second.tiers.as_deref().unwrap_or_default(),
            ),
            segments: transitions(&first.segments, &second.segments),
            eligibility: eligibility_changes(book, &first, &second),
            before: first_plan,
            after: second_plan,
        })
    })
}

/// The optimal plan of `book` under `rulebook` and `options`, with what the rules decided.
fn plan(book: &Book, (rulebook, options): (&Rulebook, &AssignOptions)) -> Result<(Prepared, Plan)> {
    let prepared = prepare_keeping(book, rulebook, options, true)?;
    let provenance = || Provenance::of(book, rulebook, options.policy, options.as_of);
    let plan = solve_prepared(book, &prepared, &options.policy, options, provenance)?;
    Ok((prepared, plan))
}

/// Customers counted by (value before, value after), in order of the values.
fn transitions(before: &[Option<Arc<str>>], after: &[Option<Arc<str>>]) -> Vec<Transition> {
    let mut counts: BTreeMap<(Option<&str>, Option<&str>), usize> = BTreeMap::new();
    for (b, a) in before.iter().zip(after) {
        *counts.entry((b.as_deref(), a.as_deref())).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((before, after), customers)| Transition {
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
            customers,
        })
        .collect()
}

/// Customers whose eligible managers differ: compared once per pair of classes they fall in.
fn eligibility_changes(book: &Book, first: &Prepared, second: &Prepared) -> Vec<EligibilityChange> {
    let (first_class, second_class) = (class_by_row(book, first), class_by_row(book, second));
    let mut compared: HashMap<(Option<u32>, Option<u32>), (usize, usize)> = HashMap::new();
    let mut changes = Vec::new();
    for (row, customer) in book.customers.records.iter().enumerate() {
        let key = (first_class[row], second_class[row]);
        let (gained, lost) = *compared.entry(key).or_insert_with(|| {
            let before = eligible(first, key.0);
            let after = eligible(second, key.1);
            let gained = after
                .iter()
                .filter(|m| before.binary_search(m).is_err())
                .count();
            let lost = before
                .iter()
                .filter(|m| after.binary_search(m).is_err())
                .count();
            (gained, lost)
        });
        if gained + lost > 0 {
            changes.push(EligibilityChange {
                customer: customer.id.clone(),
                gained,
                lost,
            });
        }
    }
    changes
}

/// Each customer's pair class, for those placed in a group (the others have no eligible
/// manager, or a rule failed for them).
fn class_by_row(book: &Book, prepared: &Prepared) -> Vec<Option<u32>> {
    let mut classes = vec![None; book.customers.records.len()];
    for group in prepared.groups.iter() {
        for &row in group.rows() {
            classes[row] = Some(group.class);
        }
    }
    classes
}

/// The managers eligible for `class`, in order (none without a class or for a failure).
fn eligible(prepared: &Prepared, class: Option<u32>) -> Vec<u32> {
    let Some(class) = class else {
        return Vec::new();
    };
    match prepared.eligibility.get(class as usize) {
        Ok(list) => list.iter().map(|&(m, _)| m).collect(),
        Err(_) => Vec::new(),
    }
}

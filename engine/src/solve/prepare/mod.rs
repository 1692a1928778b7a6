//! Everything decided before the solver: the rules run over the book (profile), customers
//! fall into pair classes, the pair rules run per class, and the placeable customers form
//! supply groups; the others are decided here, with their reason.

mod classes;
mod groups;
mod model;
mod stay;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) use classes::TextField;
pub(crate) use groups::{Group, Groups};

use super::assign::AssignOptions;
use crate::cancel::Cancel;
use crate::error::{Error, InputError, Location, RecordKind, Result, RuleError};
use crate::eval::pair::{self, Representative};
use crate::model::{Book, Customer, ManagerId, Value};
use crate::plan::UnassignedReason;
use crate::profile::{OnRuleError, ProfileOptions};
use crate::rules::Rulebook;
use crate::rules::keys::Regions;

/// Everything decided before the solver: who is placeable, in which groups, with which
/// eligible managers; who is already known to stay unassigned, and why.
pub(crate) struct Prepared {
    /// How many classes the pair rules ran for.
    pub(crate) pair_classes: usize,
    /// Customers left out before the solve, by row (in row order), with the reason.
    pub(crate) decided: Vec<(usize, UnassignedReason)>,
    pub(crate) groups: Groups,
    pub(crate) eligibility: pair::Verdicts,
    pub(crate) segments: Vec<Option<Arc<str>>>,
    /// Each customer's tier, by row, when asked for (comparing rulebooks needs them; an
    /// assignment does not).
    pub(crate) tiers: Option<Vec<Option<Arc<str>>>>,
    /// Per manager, what `affinity` adds for a customer it already serves beyond the class's
    /// row; empty when classes keep the current manager in their key (see `stay`).
    stay_bonus: Vec<i64>,
    /// What the model's scores add to the affinity of the scored pairs (see `model`).
    score_parts: model::ScoreParts,
}

impl Prepared {
    /// The eligible managers of `group`'s class with their affinity (none for a failure).
    pub(crate) fn eligible(&self, group: &Group<'_>) -> Cow<'_, [(u32, i64)]> {
        self.eligibility
            .get(group.class as usize)
            .unwrap_or(Cow::Borrowed(&[]))
    }

    /// What the model's score adds to the affinity of `class` at `manager`: 0 where the model
    /// gave no score.
    pub(crate) fn score_part(&self, class: u32, manager: u32) -> i64 {
        self.score_parts
            .get(&(class, manager))
            .copied()
            .unwrap_or(0)
    }

    /// What `affinity` adds, beyond a class's row, for a customer `manager` already serves.
    pub(crate) fn stay_bonus(&self, manager: u32) -> i64 {
        self.stay_bonus.get(manager as usize).copied().unwrap_or(0)
    }

    /// The largest affinity of any eligible pair in absolute value, a bound for the costs.
    pub(crate) fn max_abs_affinity(&self) -> u64 {
        let bonus = self.stay_bonus.iter().map(|b| b.unsigned_abs()).max();
        self.eligibility
            .max_abs_affinity()
            .saturating_add(bonus.unwrap_or(0))
    }
}

pub(crate) fn prepare(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
) -> Result<Prepared> {
    prepare_keeping(book, rulebook, options, false)
}

/// [`prepare`], keeping each customer's tier too when `tiers` is set.
pub(crate) fn prepare_keeping(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
    tiers: bool,
) -> Result<Prepared> {
    let customers = &book.customers.records;
    let managers = &book.managers.records;
    check_unique_ids(book)?;
    rulebook.check(&book.customers.schema)?;
    rulebook.check_managers(&book.managers.schema)?;

    let profile = rulebook.derive(
        &book.customers,
        &ProfileOptions {
            on_error: options.on_error,
            progress: options.progress.clone(),
            cancel: options.cancel.clone(),
            ..ProfileOptions::new(options.as_of)
        },
    )?;
    let mut failed: HashMap<&str, &RuleError> = profile
        .skipped
        .iter()
        .filter_map(|e| e.customer().map(|c| (c, e)))
        .collect();
    let derived: Vec<Option<&[Value]>> = (0..customers.len()).map(|row| profile.get(row)).collect();

    let manager_index: foldhash::HashMap<&ManagerId, u32> = managers
        .iter()
        .enumerate()
        .map(|(j, m)| (&m.id, j as u32))
        .collect();
    let text_of = |name: &str| -> Vec<Option<Arc<str>>> {
        let field = TextField::new(rulebook, &book.customers.schema, name);
        (customers.iter().zip(&derived))
            .map(|(customer, derived)| field.get(customer, *derived))
            .collect()
    };
    let segments = text_of("segment");
    let tiers = tiers.then(|| text_of("tier"));

    // Aggregation on, classes key integer fields the pair rules only compare with constants
    // by their regions; off, every value stands for itself.
    let regions = options.aggregate.then(|| {
        pair::regions(
            rulebook,
            &book.customers.schema,
            &book.managers.schema,
            options.as_of,
        )
    });
    // Pair classes and the pair rules' verdicts, with a current-manager bonus kept apart
    // when the rules allow it exactly (`split`), else with the current manager in the key.
    let exact = Regions::none();
    let fields = (&book.customers.schema, &book.scores);
    let keyed = (fields, regions.as_ref().unwrap_or(&exact));
    let evaluate = |split: bool| {
        let pair_classes = classes::pair_classes(rulebook, keyed, (customers, &derived), split);
        // Split, the rules see each class as a customer without a manager.
        let masked: Vec<Customer> = match split {
            true => (pair_classes.representatives.iter())
                .map(|&row| Customer {
                    manager: None,
                    ..customers[row].clone()
                })
                .collect(),
            false => Vec::new(),
        };
        let representatives: Vec<Representative<'_>> = (pair_classes.representatives.iter())
            .enumerate()
            .filter_map(|(i, &row)| {
                Some(Representative {
                    customer: masked.get(i).unwrap_or(&customers[row]),
                    derived: derived[row]?,
                    scores: None,
                })
            })
            .collect();
        let eligibility = pair::evaluate(
            rulebook,
            fields,
            &book.managers,
            &representatives,
            (options.as_of, regions.as_ref()),
            options.cancel.as_ref(),
        );
        (pair_classes, eligibility)
    };
    let terms = regions
        .is_some()
        .then(|| {
            pair::stay_terms(
                rulebook,
                &book.customers.schema,
                &book.managers,
                options.as_of,
            )
        })
        .flatten();
    let split = terms.and_then(|terms| {
        let (classes, verdicts) = evaluate(true);
        let found = (&classes, &verdicts, &manager_index);
        let bonus = stay::bonus_apart(rulebook, (book, &derived), found, &terms, options)?;
        Some((classes, verdicts, bonus))
    });
    let (pair_classes, eligibility, stay_bonus) = split.unwrap_or_else(|| {
        let (classes, verdicts) = evaluate(false);
        (classes, verdicts, Vec::new())
    });
    if options.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
        return Err(Error::Cancelled);
    }
    if options.on_error == OnRuleError::Fail
        && let Some(error) = eligibility.first_error()
    {
        return Err(error.clone().into());
    }

    // Who goes into the network, and who is decided before it.
    let mut decided = Vec::new();
    let placeable = customers.iter().enumerate().filter_map(|(row, customer)| {
        let class = pair_classes.class_of[row];
        let reason = match (class, class.map(|c| eligibility.any_eligible(c as usize))) {
            (Some(class), Some(Ok(true))) => {
                let current = customer
                    .manager
                    .as_ref()
                    .and_then(|m| manager_index.get(m).copied());
                return Some((row, class, segments[row].clone(), current));
            }
            (_, Some(Err(error))) => UnassignedReason::from_rule_error(error),
            (None, _) => failed.remove(customer.id.as_str()).map_or(
                UnassignedReason::NoEligibleManager,
                UnassignedReason::from_rule_error,
            ),
            _ => UnassignedReason::NoEligibleManager,
        };
        decided.push((row, reason));
        None
    });
    let masked = !stay_bonus.is_empty();
    let found = (&pair_classes, &eligibility, derived.as_slice());
    let score_parts = model::score_parts(book, rulebook, found, masked, options.as_of);
    let groups = groups::groups(placeable, options.aggregate);
    Ok(Prepared {
        pair_classes: pair_classes.representatives.len(),
        decided,
        groups,
        eligibility,
        segments,
        tiers,
        stay_bonus,
        score_parts,
    })
}

pub(crate) fn check_unique_ids(book: &Book) -> Result<()> {
    let customers = book.customers.records.iter().map(|c| c.id.as_str());
    let managers = book.managers.records.iter().map(|m| m.id.as_str());
    first_repeat(customers, RecordKind::Customer, "<customers>")?;
    first_repeat(managers, RecordKind::Manager, "<managers>")
}

/// A duplicate id error for the first id of `ids` seen before.
fn first_repeat<'a>(
    ids: impl Iterator<Item = &'a str>,
    kind: RecordKind,
    source: &str,
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(InputError::DuplicateId {
                kind,
                id: id.to_owned(),
                at: Location::in_source(source).in_record(id),
            }
            .into());
        }
    }
    Ok(())
}

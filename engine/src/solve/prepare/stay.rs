//! A current-manager bonus kept out of the pair classes ([`StayBonus`]): the classes are made
//! without the current manager, and the bonus is then checked on the pairs that matter, each
//! current manager in the book against the managers its customers find eligible.

use std::collections::{BTreeMap, BTreeSet};

use super::classes::PairClasses;
use crate::eval::pair::{self, Current, Representative, StayBonus, Verdicts};
use crate::model::{Book, ManagerId, Value};
use crate::rules::Rulebook;
use crate::solve::assign::AssignOptions;

/// Per manager, the bonus `terms` give a customer it already serves, if it can be kept apart
/// from `classes` (made without the current manager) and their `verdicts`: only a customer's
/// own manager sees it, the verdicts stay exactly the rule's with it added, and it never makes
/// keeping a customer dearer than moving them (a customer's way back to their own manager
/// through the movers must never be the cheaper one).
pub(super) fn bonus_apart(
    rulebook: &Rulebook,
    (book, derived): (&Book, &[Option<&[Value]>]),
    (classes, verdicts, manager_index): (
        &PairClasses,
        &Verdicts,
        &foldhash::HashMap<&ManagerId, u32>,
    ),
    terms: &[usize],
    options: &AssignOptions,
) -> Option<Vec<i64>> {
    let customers = &book.customers.records;
    let (row, template) = derived
        .iter()
        .enumerate()
        .find_map(|(row, d)| Some((row, (*d)?)))?;
    let template = Representative {
        customer: &customers[row],
        derived: template,
        scores: None,
    };
    // Each current manager with the classes of `eligible`'s reads its customers fall in.
    let mut seen: BTreeMap<Current, BTreeSet<u32>> = BTreeMap::new();
    for (customer, class) in customers.iter().zip(&classes.class_of) {
        let (Some(id), Some(class)) = (&customer.manager, class) else {
            continue;
        };
        let current = match manager_index.get(id) {
            Some(&m) => Current::Manager(m),
            None => Current::Departed(id.clone()),
        };
        let eligible = verdicts.eligible_class(*class as usize)?;
        seen.entry(current).or_default().insert(eligible);
    }
    let currents: Vec<(Current, Vec<u32>)> = seen
        .into_iter()
        .map(|(current, eligible)| {
            let mut managers: Vec<u32> = eligible
                .into_iter()
                .flat_map(|e| verdicts.class_managers(e).iter().copied())
                .collect();
            managers.sort_unstable();
            managers.dedup();
            (current, managers)
        })
        .collect();
    let bonus: StayBonus = pair::stay_bonus(
        rulebook,
        (&book.customers.schema, &book.managers),
        terms,
        (&currents, &template),
        options.as_of,
        options.cancel.as_ref(),
    )?;
    let move_penalty = options.policy.move_penalty;
    let never_dearer = bonus
        .per_manager
        .iter()
        .all(|&b| b.saturating_add(move_penalty) >= 0);
    (never_dearer && verdicts.admit(&bonus)).then_some(bonus.per_manager)
}

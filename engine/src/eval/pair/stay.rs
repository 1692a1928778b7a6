//! A current-manager bonus, found so that it does not split the pair classes.
//!
//! An `affinity` such as `if c.manager == m.id { score += 40; }` reads the customer's current
//! manager, so customers with different managers would fall into different pair classes: a
//! lender's 100k borrowers made 89k classes where the other fields made 21k. When every term
//! of a running-score `affinity` that reads `c.manager` reads nothing else of the customer,
//! and evaluating those terms for every current manager in the book against the managers its
//! customers find eligible shows that they only tell a customer's own manager apart, the
//! affinity of every pair that matters is exactly
//! `a(c without a manager, m) + bonus(m)·[m is c's manager]`. Pair classes then ignore the
//! current manager, their rules run as for a customer without one, and the bonus goes on the
//! arc that keeps a customer with its manager. Anything else keeps the classes as they were.

use rayon::prelude::*;

use super::sandbox::Slots;
use super::terms::PerPair;
use super::{Representative, Worker, job_size, manager_records};
use crate::cancel::Cancel;
use crate::date::Date;
use crate::model::{Customer, ManagerId, Managers, Schema};
use crate::rules::{RECORD_MANAGER, Rulebook};

/// Evaluations (pairs of a current manager and an eligible manager, times terms) above which
/// the check would cost more than the classes it saves.
const MOST_CELLS: usize = 1 << 24;

/// Term values beyond which a bonus is not split off: partial sums of the whole rule then
/// stay far from overflowing whichever way they are added.
const LARGEST_VALUE: i64 = 1 << 40;

/// What `affinity` adds for a customer's own manager, split off the pair classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StayBonus {
    /// Per manager, what the affinity gains when the manager is the customer's current one.
    pub(crate) per_manager: Vec<i64>,
    /// The most native steps the bonus terms spend on one pair together: with them the
    /// tables must still fit the step budget for the split to be exact.
    pub(crate) steps: u64,
    /// The largest |value| the bonus terms take, for the tables' overflow bound.
    pub(crate) largest: u64,
}

/// The terms of `rulebook`'s running-score `affinity` that read the current manager, when
/// they read nothing else of the customer and nothing else in the pair rules reads it: the
/// shape a bonus can be split off (see the module); `None` otherwise.
pub(crate) fn stay_terms(
    rulebook: &Rulebook,
    customer_schema: &Schema,
    managers: &Managers,
    as_of: Date,
) -> Option<Vec<usize>> {
    let pair = rulebook.pair_rules();
    if pair.affinity.is_none()
        || pair.reads_customer_dynamically
        || reads_manager(&pair.eligible_reads)
        || !reads_manager(&pair.affinity_reads)
    {
        return None;
    }
    let slots = Slots::for_customers(customer_schema, rulebook);
    let records = manager_records(managers, rulebook);
    let sum = Worker::new(rulebook, &slots, (managers, &records), as_of, None).sum?;
    let mut terms = Vec::new();
    for term in &sum.terms {
        // A term handing the customer on whole may read its manager anywhere.
        let reads = term.reads.as_deref()?;
        if reads_manager(reads) {
            if reads.len() > 1 {
                return None;
            }
            terms.push(term.function);
        }
    }
    Some(terms)
}

fn reads_manager(reads: &[String]) -> bool {
    reads.iter().any(|r| r == RECORD_MANAGER)
}

/// The bonus of `terms` (from [`stay_terms`]), if they only tell a customer's own manager
/// apart among the pairs that matter: `currents` lists each current manager in the book
/// (by index among the managers, else a departed one's id) with the managers its customers
/// find eligible, in order. `template` is any profiled customer: the terms read nothing of it
/// but its manager.
pub(crate) fn stay_bonus(
    rulebook: &Rulebook,
    (customer_schema, managers): (&Schema, &Managers),
    terms: &[usize],
    (currents, template): (&[(Current, Vec<u32>)], &Representative<'_>),
    as_of: Date,
    cancel: Option<&Cancel>,
) -> Option<StayBonus> {
    let cells: usize = currents.iter().map(|(_, m)| m.len()).sum();
    if cells.saturating_mul(terms.len()) > MOST_CELLS {
        return None;
    }
    let slots = Slots::for_customers(customer_schema, rulebook);
    let records = manager_records(managers, rulebook);
    let new_worker = || Worker::new(rulebook, &slots, (managers, &records), as_of, cancel);
    let count = managers.records.len() as u32;
    // The terms' sum for a customer whose manager is `current`, at each of `wanted`, with
    // the most steps and the largest value they took.
    let cells_of = |worker: &mut Worker, current: Option<ManagerId>, wanted: &[u32]| {
        let customer = Customer {
            manager: current,
            ..template.customer.clone()
        };
        worker.lend_record(&Representative {
            customer: &customer,
            derived: template.derived,
            scores: None,
        });
        let (mut steps, mut largest) = (0u64, 0u64);
        let mut values = Vec::with_capacity(wanted.len());
        for &m in wanted {
            let (mut value, mut spent) = (0i64, 0u64);
            for &term in terms {
                let (v, s) = worker.term(term, m)?;
                if v.unsigned_abs() > LARGEST_VALUE as u64 {
                    return None;
                }
                largest = largest.max(v.unsigned_abs());
                value = value.saturating_add(v);
                spent = spent.saturating_add(s);
            }
            steps = steps.max(spent);
            values.push(value);
        }
        Some((values, steps, largest))
    };
    // Without a manager, against every manager: the affinity pair classes see.
    let every: Vec<u32> = (0..count).collect();
    let (base, mut steps, mut largest) = cells_of(&mut new_worker(), None, &every)?;
    let checked: Vec<Option<(i64, u64, u64)>> = currents
        .par_iter()
        .with_min_len(job_size(currents.len()))
        .map_init(new_worker, |worker, (current, wanted)| {
            if cancel.is_some_and(Cancel::is_cancelled) {
                return None;
            }
            let (id, own) = match current {
                Current::Manager(m) => (managers.records.get(*m as usize)?.id.clone(), Some(*m)),
                Current::Departed(id) => (id.clone(), None),
            };
            let mut wanted = wanted.clone();
            wanted.extend(own);
            wanted.sort_unstable();
            wanted.dedup();
            let (values, steps, largest) = cells_of(worker, Some(id), &wanted)?;
            let mut bonus = 0;
            for (&m, value) in wanted.iter().zip(values) {
                let differs = value - *base.get(m as usize)?;
                // Only the customer's own manager may see anything but the base.
                match Some(m) == own {
                    true => bonus = differs,
                    false if differs != 0 => return None,
                    false => {}
                }
            }
            Some((bonus, steps, largest))
        })
        .collect();
    let mut per_manager = vec![0; count as usize];
    for ((current, _), checked) in currents.iter().zip(checked) {
        let (bonus, s, l) = checked?;
        steps = steps.max(s);
        largest = largest.max(l);
        if let Current::Manager(m) = current {
            per_manager[*m as usize] = bonus;
        }
    }
    Some(StayBonus {
        per_manager,
        steps,
        largest,
    })
}

/// A customer's current manager: one of the managers (by index), or one who left.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Current {
    Manager(u32),
    Departed(ManagerId),
}

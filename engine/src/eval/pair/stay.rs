//! A current-manager bonus, found so that it does not split the pair classes.
//!
//! An `affinity` such as `if c.manager == m.id { score += 40; }` reads the customer's current
//! manager, so customers with different managers would fall into different pair classes: a
//! lender's 100k borrowers made 89k classes where the other fields made 21k. When every term
//! of a running-score `affinity` that reads `c.manager` reads nothing else of the customer,
//! and evaluating those terms for every current manager in the book against every manager
//! shows that they only tell a customer's own manager apart, the affinity is exactly
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

/// Evaluations (current managers × managers × terms) above which the check would cost more
/// than the classes it saves; 2,000 managers take 4M.
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

/// The current-manager bonus of `rulebook`'s `affinity` over `customers`, if it has that shape
/// (see the module). `template` is any profiled customer: the bonus terms read nothing of it
/// but its manager.
pub(crate) fn stay_bonus(
    rulebook: &Rulebook,
    customer_schema: &Schema,
    managers: &Managers,
    (customers, template): (&[Customer], &Representative<'_>),
    as_of: Date,
    cancel: Option<&Cancel>,
) -> Option<StayBonus> {
    let pair = rulebook.pair_rules();
    let reads_manager = |reads: &[String]| reads.iter().any(|r| r == RECORD_MANAGER);
    if pair.affinity.is_none()
        || pair.reads_customer_dynamically
        || reads_manager(&pair.eligible_reads)
        || !reads_manager(&pair.affinity_reads)
    {
        return None;
    }
    let slots = Slots::for_customers(customer_schema, rulebook);
    let records = manager_records(managers, rulebook);
    let new_worker = || Worker::new(rulebook, &slots, (managers, &records), as_of, cancel);
    let sum = new_worker().sum?;
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
    let values = current_managers(customers, managers);
    let count = managers.records.len();
    if values
        .len()
        .saturating_mul(count)
        .saturating_mul(terms.len())
        > MOST_CELLS
    {
        return None;
    }
    let row_of = |worker: &mut Worker, value: &Option<ManagerId>| {
        let customer = Customer {
            manager: value.clone(),
            ..template.customer.clone()
        };
        worker.lend_record(&Representative {
            customer: &customer,
            derived: template.derived,
        });
        let mut row = Vec::with_capacity(count);
        let (mut steps, mut largest) = (0u64, 0u64);
        for m in 0..count as u32 {
            let (mut value, mut spent) = (0i64, 0u64);
            for &term in &terms {
                let (v, s) = worker.term(term, m)?;
                if v.unsigned_abs() > LARGEST_VALUE as u64 {
                    return None;
                }
                largest = largest.max(v.unsigned_abs());
                value = value.saturating_add(v);
                spent = spent.saturating_add(s);
            }
            steps = steps.max(spent);
            row.push(value);
        }
        Some((row, steps, largest))
    };
    // Without a manager: the affinity pair classes will see.
    let (base, mut steps, mut largest) = row_of(&mut new_worker(), &None)?;
    // `values` are none, then the managers in order, then the departed: a value's own
    // manager is at its place less one.
    let own_manager = |i: usize| (1..=count).contains(&i).then(|| i - 1);
    let own: Vec<Option<(i64, u64, u64)>> = values
        .par_iter()
        .enumerate()
        .with_min_len(job_size(values.len()))
        .map_init(new_worker, |worker, (i, value)| {
            if cancel.is_some_and(Cancel::is_cancelled) {
                return None;
            }
            let (row, steps, largest) = row_of(worker, value)?;
            let mine = own_manager(i);
            // Only the customer's own manager may see anything but the base.
            let differs = row
                .iter()
                .zip(&base)
                .enumerate()
                .any(|(m, (a, b))| a != b && Some(m) != mine);
            if differs {
                return None;
            }
            Some((mine.map_or(0, |m| row[m] - base[m]), steps, largest))
        })
        .collect();
    let mut per_manager = vec![0; count];
    for (i, own) in own.into_iter().enumerate() {
        let (bonus, s, l) = own?;
        steps = steps.max(s);
        largest = largest.max(l);
        if let Some(m) = own_manager(i) {
            per_manager[m] = bonus;
        }
    }
    Some(StayBonus {
        per_manager,
        steps,
        largest,
    })
}

/// Every current manager the bonus must be checked for: none, each manager, and each id
/// of the book no manager has (a manager who left), once.
fn current_managers(customers: &[Customer], managers: &Managers) -> Vec<Option<ManagerId>> {
    let mut values: Vec<Option<ManagerId>> = std::iter::once(None)
        .chain(managers.records.iter().map(|m| Some(m.id.clone())))
        .collect();
    let known: std::collections::HashSet<&ManagerId> =
        managers.records.iter().map(|m| &m.id).collect();
    let mut left: Vec<&ManagerId> = customers
        .iter()
        .filter_map(|c| c.manager.as_ref())
        .filter(|m| !known.contains(m))
        .collect();
    left.sort_unstable();
    left.dedup();
    values.extend(left.into_iter().map(|m| Some(m.clone())));
    values
}

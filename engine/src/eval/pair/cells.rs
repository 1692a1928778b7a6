//! A rule's parts (the terms of `affinity`, the clauses of `eligible`) remembered cell by cell
//! for a router meeting classes one at a time: each part's value per (class of the customer
//! fields it reads, manager), evaluated the first time a representative of that class needs
//! it.

use std::collections::HashMap;

use rhai::Dynamic;

use super::{Representative, Worker};
use crate::rules::Rulebook;
use crate::rules::keys::{CustomerFields, KeyMaker, KeyPart, Regions};

/// One part: its native function, the keys of its reads, and its cells met so far.
pub(super) struct PartCells<T> {
    function: usize,
    keys: KeyMaker,
    rows: HashMap<Vec<KeyPart>, Vec<Cell<T>>>,
    managers: usize,
    /// The part's value from what its function returned, `None` for a value of the wrong
    /// kind (the whole rule then decides).
    read: fn(&Dynamic) -> Option<T>,
}

/// A cell: not evaluated yet, its value with the steps it spent, or left to the whole rule.
#[derive(Clone, Copy)]
enum Cell<T> {
    Pending,
    Known(T, u64),
    Whole,
}

impl<T: Copy> PartCells<T> {
    /// Cells of each of `parts` (a function and the customer fields it reads); `None` when one
    /// hands the record on whole.
    pub(super) fn all<'p>(
        parts: impl IntoIterator<Item = (usize, Option<&'p Vec<String>>)>,
        rulebook: &Rulebook,
        (schema, regions): (CustomerFields<'_>, &Regions),
        managers: usize,
        read: fn(&Dynamic) -> Option<T>,
    ) -> Option<Vec<PartCells<T>>> {
        parts
            .into_iter()
            .map(|(function, reads)| {
                Some(PartCells {
                    function,
                    keys: KeyMaker::new(rulebook, schema, reads?, regions),
                    rows: HashMap::new(),
                    managers,
                    read,
                })
            })
            .collect()
    }

    /// The cells of `representative`'s class, to read with [`Row::get`].
    pub(super) fn row(&mut self, representative: &Representative<'_>) -> Row<'_, T> {
        let key = self.keys.key(
            representative.customer,
            representative.derived,
            representative.scores,
        );
        let managers = self.managers;
        Row {
            function: self.function,
            read: self.read,
            cells: self
                .rows
                .entry(key)
                .or_insert_with(|| vec![Cell::Pending; managers]),
        }
    }
}

/// One class's cells of a part.
pub(super) struct Row<'a, T> {
    function: usize,
    read: fn(&Dynamic) -> Option<T>,
    cells: &'a mut Vec<Cell<T>>,
}

impl<T: Copy> Row<'_, T> {
    /// The part's value for manager `m`, adding the steps it spent to `spent`, evaluating it
    /// on `worker` the first time (lending `representative`'s record once, tracked by `lent`);
    /// `None` where the whole rule must decide.
    pub(super) fn get(
        &mut self,
        m: u32,
        worker: &mut Worker,
        (representative, lent): (&Representative<'_>, &mut bool),
        spent: &mut u64,
    ) -> Option<T> {
        let cell = self.cells.get_mut(m as usize)?;
        if let Cell::Pending = cell {
            if !*lent {
                worker.lend_record(representative);
                *lent = true;
            }
            *cell = worker
                .native_call(self.function, m)
                .and_then(|(value, steps)| Some(Cell::Known((self.read)(&value)?, steps)))
                .unwrap_or(Cell::Whole);
        }
        match *cell {
            Cell::Known(value, steps) => {
                *spent = spent.saturating_add(steps);
                Some(value)
            }
            Cell::Pending | Cell::Whole => None,
        }
    }
}

/// Leaves to the whole rule (`None`) each result whose parts together spent more steps than
/// the whole rule may.
pub(super) fn within_budget<T>(results: &mut [Option<T>], spent: &[u64], budget: u64) {
    for (result, &spent) in results.iter_mut().zip(spent) {
        if spent > budget {
            *result = None;
        }
    }
}

//! Fuel: a deterministic bound on the work of one rule evaluation, and the hook through which
//! a cancelled run stops inside one.
//!
//! Rhai's operation limit counts a built-in call as one operation, whatever it does inside:
//! `a.contains(x)` on a 4,000-item array, `let b = a` copying it, `a == b` comparing two. A
//! rule within every limit could spend seconds per customer that way. So every operation
//! costs one unit of fuel, and every read of a variable or of a record's field costs as much
//! again as the data it holds (each array or map item [`PER_ITEM`] units, text a unit per
//! [`BYTES_PER_UNIT`] bytes): whatever a built-in then does with that value is paid for up
//! front. A built-in that grows a value from small arguments (`pad`) is charged for what it
//! makes, before it makes it (`sandbox`). A value nested deeper than the limit
//! (`max_value_depth`) stops the evaluation when read: every copy of it walks all its levels.
//! The budget is the operation limit; fuel counts work, not time, so the same rule stops at
//! the same place on any machine.

use std::cell::Cell;

use rhai::{Dynamic, Engine, EvalAltResult, Position};

use crate::cancel::Cancel;
use crate::rules::Limits;

/// Fuel charged per item of an array or map read. Comparing two items through rhai's dispatch
/// costs about as much as a dozen operations; copying one, less.
pub(crate) const PER_ITEM: u64 = 16;

/// Bytes of text per unit of fuel: text is scanned and copied at memory speed, but built a
/// character at a time.
pub(crate) const BYTES_PER_UNIT: u64 = 16;

/// Why an evaluation was stopped by this module rather than by rhai.
pub(crate) const OUT_OF_FUEL: &str = "out of fuel";
pub(crate) const TOO_DEEP: &str = "value nested too deeply";
pub(crate) const CANCELLED: &str = "cancelled";

/// The meter of the evaluation running on this thread.
#[derive(Clone, Copy)]
struct Meter {
    /// Fuel spent beyond the evaluation's operations (which rhai counts).
    spent: u64,
    /// Operations counted so far.
    operations: u64,
    /// The evaluation's budget (0: unlimited).
    budget: u64,
    max_depth: usize,
}

thread_local! {
    static METER: Cell<Meter> = const {
        Cell::new(Meter { spent: 0, operations: 0, budget: 0, max_depth: usize::MAX })
    };
}

/// Charges `units` of fuel to the evaluation running on this thread; the next operation stops
/// it if that spends its budget.
pub(crate) fn charge(units: u64) {
    METER.with(|meter| {
        let mut m = meter.get();
        m.spent = m.spent.saturating_add(units);
        meter.set(m);
    });
}

/// Charges `units` for work about to be done, and stops the evaluation at once if that spends
/// its budget: for a built-in whose work the charge pays for.
pub(crate) fn charge_before(units: u64) -> Result<(), Box<EvalAltResult>> {
    charge(units);
    let meter = METER.with(Cell::get);
    if meter.budget > 0 && meter.spent > meter.budget {
        return Err(stop(OUT_OF_FUEL));
    }
    Ok(())
}

/// All the fuel the last evaluation on this thread spent: its operations and its charges.
pub(crate) fn spent_by_last_evaluation() -> u64 {
    let meter = METER.with(Cell::get);
    meter.operations.saturating_add(meter.spent)
}

/// What reading `value` costs in the current evaluation; an error that stops it if the value
/// nests too deeply.
pub(crate) fn read_cost(value: &Dynamic) -> Result<u64, Box<EvalAltResult>> {
    if !is_composite(value) {
        return Ok(0);
    }
    let meter = METER.with(Cell::get);
    let cap = if meter.budget == 0 {
        u64::MAX
    } else {
        meter.budget
    };
    cost_of(value, cap, meter.max_depth).ok_or_else(|| stop(TOO_DEEP))
}

fn stop(why: &str) -> Box<EvalAltResult> {
    EvalAltResult::ErrorTerminated(why.into(), Position::NONE).into()
}

/// The fuel a value costs to read: its items, at every level, and its text; `None` if it is
/// nested deeper than `max_depth` levels. Counting stops once past `cap`, so a value never
/// costs more to measure than the budget it exhausts.
fn cost_of(value: &Dynamic, cap: u64, max_depth: usize) -> Option<u64> {
    let mut cost = 0;
    add_cost(value, cap, max_depth, &mut cost).then_some(cost)
}

/// Adds the cost of `value` to `cost`; false if it nests deeper than `depth` levels. The
/// recursion is bounded by `depth`, not by the value.
fn add_cost(value: &Dynamic, cap: u64, depth: usize, cost: &mut u64) -> bool {
    if let Ok(text) = value.as_immutable_string_ref() {
        *cost = cost.saturating_add(text.len() as u64 / BYTES_PER_UNIT);
        true
    } else if let Ok(array) = value.as_array_ref() {
        add_items(array.iter(), array.len(), cap, depth, cost)
    } else if let Ok(map) = value.as_map_ref() {
        add_items(map.values(), map.len(), cap, depth, cost)
    } else {
        true
    }
}

/// Adds the cost of a container's `len` items, one level down from `depth`.
fn add_items<'a>(
    items: impl Iterator<Item = &'a Dynamic>,
    len: usize,
    cap: u64,
    depth: usize,
    cost: &mut u64,
) -> bool {
    if depth == 0 {
        return false;
    }
    *cost = cost.saturating_add((len as u64).saturating_mul(PER_ITEM));
    for item in items {
        if *cost > cap {
            break;
        }
        if is_composite(item) && !add_cost(item, cap, depth - 1, cost) {
            return false;
        }
    }
    true
}

/// Whether a value can hold more than a fixed amount of data.
fn is_composite(value: &Dynamic) -> bool {
    value.is_array() || value.is_map() || value.is_string()
}

/// Meters every evaluation of `engine`: one unit per operation plus the cost of each variable
/// read, stopping the evaluation once the operation limit is spent, or as soon as `cancel` is
/// raised.
pub(crate) fn install(engine: &mut Engine, limits: &Limits, cancel: Option<Cancel>) {
    let fresh = Meter {
        spent: 0,
        operations: 0,
        budget: limits.max_operations,
        max_depth: limits.max_value_depth,
    };
    #[allow(deprecated)] // `on_var` is stable in use; rhai marks it as subject to change.
    engine.on_var(|name, _, context| {
        if let Some(value) = context.scope().get(name) {
            charge(read_cost(value)?);
        }
        Ok(None)
    });
    engine.on_progress(move |operations| {
        let meter = METER.with(|meter| {
            // Rhai counts operations from 1 in every call: a new evaluation starts afresh.
            let mut now = if operations == 1 { fresh } else { meter.get() };
            now.operations = operations;
            meter.set(now);
            now
        });
        if cancel.as_ref().is_some_and(Cancel::is_cancelled) {
            Some(CANCELLED.into())
        } else if meter.budget > 0 && operations.saturating_add(meter.spent) > meter.budget {
            Some(OUT_OF_FUEL.into())
        } else {
            None
        }
    });
}

//! Rebalancing under a churn budget: the best plan that moves at most K customers.
//!
//! Moves are priced by the move penalty M, and the number of moves of the optimum never rises
//! as M rises. So the rules run once, and the solver searches M — doubling until the plan fits
//! the budget, then bisecting — for the smallest penalty whose optimum moves at most K. A
//! penalty one lower moves more than K, so no cheaper way of spending the budget exists among
//! the optima of the objective.

use serde::Serialize;

use super::assign::{AssignOptions, prepare, solve_prepared};
use crate::error::{BookError, Result};
use crate::model::Book;
use crate::plan::Plan;
use crate::rules::Rulebook;

/// Doublings of the move penalty tried before the budget is declared out of reach.
const MAX_DOUBLINGS: u32 = 40;

/// A rebalance that kept within its churn budget.
#[derive(Debug, Clone, Serialize)]
pub struct Rebalance {
    /// The plan.
    pub plan: Plan,
    /// The budget: at most this many moves.
    pub budget: usize,
    /// The move penalty that met it: the smallest whose optimum moves at most `budget`.
    pub move_penalty: i64,
    /// Moves the plan makes.
    pub moves: usize,
    /// Every (move penalty, moves) tried, in order.
    pub probes: Vec<(i64, usize)>,
}

/// The optimal plan of `book` moving at most `max_moves` customers, found by searching the
/// move penalty (the options' own penalty is ignored). Fails with
/// [`BookError::ChurnBudget`] if more moves than that cannot be avoided.
pub fn rebalance(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
    max_moves: usize,
) -> Result<Rebalance> {
    let prepared = prepare(book, rulebook, options)?;
    let mut probes = Vec::new();
    let mut solve = |move_penalty: i64| -> Result<(Plan, usize)> {
        let policy = super::Policy {
            move_penalty,
            ..options.policy
        };
        let plan = solve_prepared(book, &prepared, &policy, options.cancel.as_ref())?;
        let moves = plan.stats.moved;
        probes.push((move_penalty, moves));
        Ok((plan, moves))
    };
    let (plan, moves) = solve(0)?;
    if moves <= max_moves {
        return Ok(Rebalance {
            plan,
            budget: max_moves,
            move_penalty: 0,
            moves,
            probes,
        });
    }
    // Double until the budget is met: `low` moves too many, `high` fits.
    let mut low = 0i64;
    let mut high = 1i64;
    let mut fit = None;
    for _ in 0..MAX_DOUBLINGS {
        let (plan, moves) = solve(high)?;
        if moves <= max_moves {
            fit = Some((plan, moves));
            break;
        }
        low = high;
        high *= 2;
    }
    let Some(mut fit) = fit else {
        let least = probes.last().map_or(0, |p| p.1);
        return Err(BookError::ChurnBudget {
            budget: max_moves,
            least,
        }
        .into());
    };
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        let (plan, moves) = solve(middle)?;
        if moves <= max_moves {
            high = middle;
            fit = (plan, moves);
        } else {
            low = middle;
        }
    }
    let (plan, moves) = fit;
    Ok(Rebalance {
        plan,
        budget: max_moves,
        move_penalty: high,
        moves,
        probes,
    })
}

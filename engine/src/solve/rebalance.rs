//! Rebalancing under a churn budget: the best plan that moves at most K customers.
//!
//! Moves are priced by the move penalty M, and the number of moves of the optimum never rises
//! as M rises. So the rules run once, and the solver bisects M between 0 and a ceiling above
//! which no move pays for itself (twice the largest affinity plus the largest balance cost)
//! for the smallest penalty whose optimum moves at most K. A penalty one lower moves more
//! than K. The budget counts customers taken from a manager still in the book; customers of a
//! manager who has left move anyway. Placing everyone who can be placed comes first (the
//! unassigned penalty stays above every move), so moves that make room for a customer who
//! would otherwise have no manager are part of the least a plan needs.

use serde::Serialize;

use super::assign::{AssignOptions, solve_prepared};
use super::objective::max_balance_cost;
use super::prepare::prepare;
use crate::error::{BookError, Result};
use crate::model::Book;
use crate::plan::Plan;
use crate::provenance::Provenance;
use crate::rules::Rulebook;

/// A rebalance that kept within its churn budget.
#[derive(Debug, Clone, Serialize)]
pub struct Rebalance {
    /// The plan.
    pub plan: Plan,
    /// The budget: at most this many moves.
    pub budget: usize,
    /// The move penalty that met it: the smallest whose optimum moves at most `budget`.
    pub move_penalty: i64,
    /// Customers the plan takes from a manager still in the book.
    pub moves: usize,
    /// Every (move penalty, moves) tried, in order.
    pub probes: Vec<(i64, usize)>,
}

/// The optimal plan of `book` moving at most `max_moves` customers, found by searching the
/// move penalty (the options' own penalty is ignored). Fails with
/// [`BookError::ChurnBudget`] if more moves than that cannot be avoided.
///
/// ```
/// # use apportion::load::{self, Format, LoadOptions};
/// # fn main() -> apportion::Result<()> {
/// let options = LoadOptions::default();
/// let customers = load::parse_customers(
///     b"id,manager,region,assets\nC-1,M-1,north,2500000\nC-2,M-1,north,4000\nC-3,,south,9000\n",
///     Format::Csv, "customers", &options)?;
/// let managers = load::parse_managers(
///     b"id,region,capacity\nM-1,north,1\nM-2,north,1\nM-3,south,5\n",
///     Format::Csv, "managers", &options)?;
/// let book = apportion::Book::new(customers, managers);
/// let rules = apportion::Rulebook::compile(r#"
///     fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
///     fn eligible(c, m) { c.region == m.region }
///     fn affinity(c, m) { if c.tier == "HNW" && m.id == "M-1" { 10 } else { 0 } }
/// "#)?;
/// let as_of: apportion::Date = "2026-06-30".parse()?;
/// let options = apportion::AssignOptions::new(as_of);
/// // M-1 holds two customers but has room for one: one move is needed, and is allowed.
/// let rebalanced = apportion::rebalance(&book, &rules, &options, 1)?;
/// assert_eq!(rebalanced.moves, 1);
/// let error = apportion::rebalance(&book, &rules, &options, 0).unwrap_err();
/// assert_eq!(error.code(), "churn_budget_too_small");
/// # Ok(())
/// # }
/// ```
pub fn rebalance(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
    max_moves: usize,
) -> Result<Rebalance> {
    options.policy.check()?;
    crate::threads::run(options.threads, || {
        rebalance_here(book, rulebook, options, max_moves)
    })
}

/// [`rebalance`] on the current thread pool.
fn rebalance_here(
    book: &Book,
    rulebook: &Rulebook,
    options: &AssignOptions,
    max_moves: usize,
) -> Result<Rebalance> {
    let (prepared, provenance) = rayon::join(
        || prepare(book, rulebook, options),
        || Provenance::of(book, rulebook, options.policy, options.as_of),
    );
    let prepared = prepared?;
    let mut probes = Vec::new();
    let mut solve = |move_penalty: i64| -> Result<(Plan, usize)> {
        let policy = super::Policy {
            move_penalty,
            ..options.policy
        };
        let provenance = || Provenance {
            policy,
            ..provenance.clone()
        };
        let plan = solve_prepared(book, &prepared, &policy, options, provenance)?;
        let moves = plan.stats.paid_moves;
        probes.push((move_penalty, moves));
        Ok((plan, moves))
    };
    // Above this penalty no move pays for itself: only the unavoidable ones remain.
    let max_affinity = i64::try_from(prepared.max_abs_affinity()).unwrap_or(i64::MAX);
    // A balance weight whose costs overflow is rejected by the first solve.
    let customers = book.customers.records.len();
    let max_balance = max_balance_cost(
        options.policy.balance,
        (&book.managers.records, &book.organisation),
        customers,
    )
    .unwrap_or(i64::MAX);
    let ceiling = max_affinity
        .saturating_mul(2)
        .saturating_add(max_balance)
        .saturating_add(1);
    let (plan, moves) = solve(ceiling)?;
    if moves > max_moves {
        return Err(BookError::ChurnBudget {
            budget: max_moves,
            least: moves,
        }
        .into());
    }
    // `low` moves too many (or is below the range), `high` keeps within the budget.
    let mut fit = (plan, moves);
    let (mut low, mut high) = (-1i64, ceiling);
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

//! The objective of the design, in one module: the policy's weights, each manager's balance
//! term and the cost of its next customer, and the default unassigned penalty. The batch
//! network (`build`), the rebalance search and live routing all price by these.

use crate::error::{Error, Result, SolveError};
use crate::model::Manager;
use crate::org::{ManagerGroup, Organisation};

/// The policy weights of the objective (all integers, so the optimum is exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// M: charged when a customer leaves a current manager who is still in the book.
    pub move_penalty: i64,
    /// λ: weight of the balance term.
    pub balance: i64,
    /// U: charged per customer left unassigned; by default large enough that placing a
    /// customer always beats leaving one out.
    pub unassigned_penalty: Option<i64>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            move_penalty: 500,
            balance: 1,
            unassigned_penalty: None,
        }
    }
}

impl Policy {
    /// Checks the weights' signs: the move penalty and the balance weight 0 or more, the
    /// unassigned penalty (when given) positive. Every run that takes a policy (assign,
    /// rebalance, a router) checks it before any rule runs; weights so large that costs would
    /// overflow are found once the book's sizes are known.
    pub fn check(&self) -> Result<()> {
        let message = if self.move_penalty < 0 || self.balance < 0 {
            "the move penalty and the balance weight must be 0 or more"
        } else if self.unassigned_penalty.is_some_and(|u| u <= 0) {
            "the unassigned penalty must be positive"
        } else {
            return Ok(());
        };
        Err(policy_error(message.to_owned()))
    }
}

fn policy_error(message: String) -> Error {
    Error::Solve(SolveError::InvalidPolicy { message })
}

/// The objective's balance term for one manager: λ·Σ_{k=1..load} ⌈1000·k / target⌉ (a target
/// of 0 counts as 1), saturating instead of overflowing. What a plan reports, and what a caller
/// scoring a book of their own (live routing, say) adds up.
pub fn balance_term(balance: i64, load: u32, target: u32) -> i64 {
    let target = i64::from(target.max(1));
    (1..=i64::from(load))
        .map(|k| balance_cost(balance, k, target).unwrap_or(i64::MAX))
        .fold(0i64, i64::saturating_add)
}

/// λ·⌈1000·k / target⌉, the cost of a manager's k-th customer.
pub(crate) fn balance_cost(balance: i64, k: i64, target: i64) -> Option<i64> {
    balance.checked_mul((1000 * k + target - 1) / target)
}

/// The capacity that matters for a book of `customers`: no manager can take more customers
/// than there are, so a larger capacity is the same as that number. Building the network by
/// this keeps its size and the time to build it bounded by the book, not by the numbers in it.
pub(super) fn usable_capacity(capacity: u32, customers: usize) -> u32 {
    capacity.min(u32::try_from(customers).unwrap_or(u32::MAX))
}

/// The balance term of one manager as convex pieces `(capacity, cost)`: the k-th customer costs
/// `balance_cost(k)`, and consecutive customers of equal cost share one piece. Each piece is
/// found in one step (the last k of cost v = ⌈1000·k/t⌉ is ⌊v·t/1000⌋), so the work is the
/// number of pieces, at most `capacity`.
pub(super) fn balance_pieces(balance: i64, capacity: u32, target: i64) -> Vec<(i64, i64)> {
    let capacity = i64::from(capacity);
    let mut pieces: Vec<(i64, i64)> = Vec::new();
    let mut k = 1;
    while k <= capacity {
        let level = (1000 * k + target - 1) / target;
        let last = (level * target / 1000).clamp(k, capacity);
        // The caller has checked that the largest cost fits.
        let cost = balance.checked_mul(level).unwrap_or(i64::MAX);
        match pieces.last_mut() {
            // λ = 0 makes every level cost the same: one piece.
            Some((width, previous)) if *previous == cost => *width += last - k + 1,
            _ => pieces.push((last - k + 1, cost)),
        }
        k = last + 1;
    }
    pieces
}

/// What a group's next customer costs on its balance term, with `load` under it already:
/// nothing for a group without a target.
pub(crate) fn group_step(balance: i64, group: &ManagerGroup, load: i64) -> i64 {
    group.target_load().map_or(0, |target| {
        balance_cost(balance, load + 1, i64::from(target.max(1))).unwrap_or(i64::MAX)
    })
}

/// Each group's capacity as a run uses it: its own, but never more than one above what
/// everyone under it can take together (its managers' usable capacities and its
/// subgroups'), nor than the book's `customers`. The bound changes no plan, but keeps a
/// group's balance arcs as few as a manager's: an uncapped team would otherwise get a piece
/// per customer in the book. The one above keeps it from ever binding, so it never shows in
/// the optimum's prices either (a shadow price would otherwise count it).
pub(super) fn group_capacities(
    (managers, organisation): (&[Manager], &Organisation),
    customers: usize,
) -> Vec<u32> {
    let groups = organisation.groups();
    let mut under = vec![0u32; groups.len()];
    for (j, manager) in managers.iter().enumerate() {
        if let Some(g) = organisation.group_of(j) {
            under[g] = under[g].saturating_add(usable_capacity(manager.capacity, customers));
        }
    }
    // Deepest first, so that a group's subgroups are summed before it is added to its parent.
    let depth = |g: usize| std::iter::successors(Some(g), |&g| organisation.parent(g)).count();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| std::cmp::Reverse(depth(g)));
    let mut capacities = vec![0u32; groups.len()];
    for g in order {
        let own = groups[g].capacity.unwrap_or(u32::MAX);
        capacities[g] = usable_capacity(own.min(under[g].saturating_add(1)), customers);
        if let Some(parent) = organisation.parent(g) {
            under[parent] = under[parent].saturating_add(capacities[g]);
        }
    }
    capacities
}

/// The balance term of a group with `load` customers under it: as a manager's, against its
/// target; nothing for a group with neither target nor capacity.
pub(crate) fn group_balance_term(balance: i64, load: u32, group: &ManagerGroup) -> i64 {
    group
        .target_load()
        .map_or(0, |target| balance_term(balance, load, target))
}

/// How many (manager, segment) nodes `manager` can have: a segment capped or with a target.
fn segment_nodes(manager: &Manager) -> usize {
    let targeted = manager.segment_targets.keys();
    let only_targeted = targeted.filter(|s| !manager.segment_caps.contains_key(*s));
    manager.segment_caps.len() + only_targeted.count()
}

/// The balance terms of one manager's segments with a target, for its customers per segment.
pub(crate) fn segment_balance_term(
    balance: i64,
    manager: &Manager,
    loads: &std::collections::BTreeMap<String, u32>,
) -> i64 {
    manager
        .segment_targets
        .iter()
        .map(|(segment, &target)| {
            let load = loads.get(segment).copied().unwrap_or(0);
            balance_term(balance, load, target)
        })
        .fold(0, i64::saturating_add)
}

/// What a manager's next customer of `segment` costs on that segment's balance term, with
/// `load` of them already: nothing without a target for it.
pub(crate) fn segment_step(balance: i64, manager: &Manager, segment: &str, load: i64) -> i64 {
    manager.segment_targets.get(segment).map_or(0, |&target| {
        balance_cost(balance, load + 1, i64::from(target.max(1))).unwrap_or(i64::MAX)
    })
}

/// The largest cost of any manager's or group's last customer at capacity (the balance
/// term's steepest piece), `None` if one overflows.
pub(super) fn max_balance_cost(
    balance: i64,
    (managers, organisation): (&[Manager], &Organisation),
    customers: usize,
) -> Option<i64> {
    let of_managers = managers.iter().map(|m| {
        let target = i64::from(m.target_load().max(1));
        let capacity = i64::from(usable_capacity(m.capacity, customers));
        let segments = m.segment_targets.iter().map(|(segment, &target)| {
            // As the network bounds the segment's run (see `build::entries`).
            let cap = (m.segment_caps.get(segment).copied())
                .unwrap_or_else(|| m.capacity.saturating_add(1));
            let cap = i64::from(usable_capacity(cap, customers));
            balance_cost(balance, cap, i64::from(target.max(1)))
        });
        segments.fold(balance_cost(balance, capacity, target), |max, cost| {
            Some(max?.max(cost?))
        })
    });
    let capacities = group_capacities((managers, organisation), customers);
    let of_groups = organisation
        .groups()
        .iter()
        .zip(capacities)
        .map(|(g, capacity)| {
            let target = i64::from(g.target_load().unwrap_or(1).max(1));
            balance_cost(balance, i64::from(capacity), target)
        });
    of_managers
        .chain(of_groups)
        .try_fold(0i64, |max, cost| cost.map(|c| max.max(c)))
}

/// The unassigned penalty U of a run over `managers` and `customers`: the policy's, or by
/// default one above the cost of any augmenting path, so that the optimum places as many as
/// possible. A simple path enters each manager-side node (a manager, a capped (manager,
/// segment) pair, or a group) at most once, and pays at most two arcs of (largest |affinity|,
/// plus M, plus the largest balance cost, plus 1) per entry; capped pairs and groups count
/// too, since a chain of displacements can run through every one of them. The largest
/// |affinity| is only asked for when it is needed.
pub(super) fn unassigned_penalty(
    policy: &Policy,
    (managers, organisation): (&[Manager], &Organisation),
    customers: usize,
    max_affinity: impl FnOnce() -> u64,
) -> Result<i64> {
    let max_balance = max_balance_cost(policy.balance, (managers, organisation), customers)
        .ok_or_else(|| {
            policy_error("the balance weight is too large: costs overflow".to_owned())
        })?;
    if let Some(u) = policy.unassigned_penalty {
        return Ok(u);
    }
    let capped: usize = managers.iter().map(segment_nodes).sum();
    // A group's cap or minimum for a segment gives each manager under it a node for the
    // segment (counted again where the manager has one already: U only needs to be large).
    let limited: usize = (organisation.members(managers.len()).iter())
        .zip(organisation.groups())
        .map(|(members, group)| {
            let segments = group.segment_caps.len() + group.segment_minimums.len();
            members.len().saturating_mul(segments)
        })
        .fold(0, usize::saturating_add);
    let nodes = managers.len() + capped + limited + organisation.groups().len();
    let entries = i64::try_from(nodes).unwrap_or(i64::MAX);
    i64::try_from(max_affinity())
        .ok()
        .and_then(|a| {
            a.checked_add(policy.move_penalty)?
                .checked_add(max_balance)?
                .checked_add(1)
        })
        .and_then(|path| path.checked_mul(entries.checked_mul(2)?.checked_add(4)?))
        .map(|u| u.max(1_000_000))
        .ok_or_else(|| policy_error("the policy's costs are too large: they overflow".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces one customer at a time, as the objective defines them.
    fn pieces_one_by_one(balance: i64, capacity: u32, target: i64) -> Vec<(i64, i64)> {
        let mut pieces: Vec<(i64, i64)> = Vec::new();
        for k in 1..=i64::from(capacity) {
            let cost = balance_cost(balance, k, target).unwrap_or(i64::MAX);
            match pieces.last_mut() {
                Some((width, last)) if *last == cost => *width += 1,
                _ => pieces.push((1, cost)),
            }
        }
        pieces
    }

    #[test]
    fn balance_pieces_found_a_piece_at_a_time_equal_those_found_a_customer_at_a_time() {
        for balance in [0, 1, 7] {
            for capacity in [0, 1, 2, 3, 10, 999, 1000, 1001, 2500] {
                for target in [1, 2, 3, 7, 999, 1000, 1001, 1999, 2000, 3000, 5000] {
                    assert_eq!(
                        balance_pieces(balance, capacity, target),
                        pieces_one_by_one(balance, capacity, target),
                        "λ {balance}, capacity {capacity}, target {target}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_capacity_above_the_book_counts_as_the_book() {
        assert_eq!(usable_capacity(u32::MAX, 3), 3);
        assert_eq!(usable_capacity(2, 3), 2);
        assert_eq!(usable_capacity(7, 0), 0);
        // Pieces for a huge target stay few, whatever the capacity.
        assert_eq!(balance_pieces(1, u32::MAX, i64::from(u32::MAX)).len(), 1000);
    }
}

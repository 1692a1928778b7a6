//! The network: a supply node per group of interchangeable customers without a current
//! manager ("free"), and one per group and current manager ("staying"); staying nodes reach
//! their manager at −affinity, or the group's free node at the move penalty; free nodes reach
//! every eligible manager at −affinity (through a (manager, segment) node where that segment
//! is capped); managers reach the sink through a convex arc costing λ·⌈1000·k/target⌉ for the
//! k-th customer; every supply node reaches the sink directly at the unassigned penalty.

use std::collections::HashMap;
use std::sync::Arc;

use super::assign::{Policy, Prepared};
use super::classes::Group;
use super::network::{ArcId, Network, NodeId};
use crate::error::{Error, Result, SolveError};
use crate::model::Book;

/// The arcs of one group that carry customers somewhere.
pub(super) struct GroupArcs {
    /// The group's free node, where its movers and new customers start.
    pub(super) free: NodeId,
    /// (manager, affinity, arc from the free node).
    pub(super) to_managers: Vec<(u32, i64, ArcId)>,
    /// Per current manager, in the group's order.
    pub(super) staying: Vec<StayArcs>,
}

/// A staying node's ways out: to its current manager (if eligible), or to the free node.
pub(super) struct StayArcs {
    pub(super) to_manager: Option<ArcId>,
    pub(super) to_free: ArcId,
    pub(super) affinity: i64,
}

/// The network and the arcs needed to read a plan back from its flow.
pub(super) struct Built {
    pub(super) network: Network,
    pub(super) groups: Vec<GroupArcs>,
    pub(super) unassigned_penalty: i64,
    /// Where every customer's flow ends.
    pub(super) sink: NodeId,
    /// The arcs that leave customers unassigned (supply node to sink at the penalty).
    pub(super) overflow: Vec<ArcId>,
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
pub(super) fn balance_cost(balance: i64, k: i64, target: i64) -> Option<i64> {
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
fn balance_pieces(balance: i64, capacity: u32, target: i64) -> Vec<(i64, i64)> {
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

/// Builds the network of the objective, rejecting a policy whose costs could overflow.
pub(super) fn build_network(book: &Book, prepared: &Prepared, policy: &Policy) -> Result<Built> {
    let managers = &book.managers.records;
    let groups = &prepared.groups;
    let eligible_of = |group: &Group<'_>| prepared.eligible(group);
    if policy.move_penalty < 0 || policy.balance < 0 {
        return Err(policy_error(
            "the move penalty and the balance weight must be 0 or more".to_owned(),
        ));
    }
    let total = groups.customers();
    let capacity_of = |m: &crate::model::Manager| usable_capacity(m.capacity, total);
    let max_affinity = prepared.eligibility.max_abs_affinity();
    let max_balance = managers
        .iter()
        .map(|m| {
            balance_cost(
                policy.balance,
                i64::from(capacity_of(m)),
                i64::from(m.target_load().max(1)),
            )
        })
        .try_fold(0i64, |max, cost| cost.map(|c| max.max(c)))
        .ok_or_else(|| {
            policy_error("the balance weight is too large: costs overflow".to_owned())
        })?;
    let unassigned_penalty = match policy.unassigned_penalty {
        Some(u) if u <= 0 => {
            return Err(policy_error(
                "the unassigned penalty must be positive".to_owned(),
            ));
        }
        Some(u) => u,
        // Above the cost of any augmenting path, so the optimum places as many as possible.
        // A simple path enters each manager-side node (a manager, or a capped (manager,
        // segment) pair) at most once, and pays at most two arcs of `path` per entry; capped
        // pairs count too, since a chain of displacements can run through every one of them.
        None => {
            let capped: usize = managers.iter().map(|m| m.segment_caps.len()).sum();
            let entries = i64::try_from(managers.len().saturating_add(capped)).unwrap_or(i64::MAX);
            i64::try_from(max_affinity)
                .ok()
                .and_then(|a| {
                    a.checked_add(policy.move_penalty)?
                        .checked_add(max_balance)?
                        .checked_add(1)
                })
                .and_then(|path| path.checked_mul(entries.checked_mul(2)?.checked_add(4)?))
                .map(|u| u.max(1_000_000))
                .ok_or_else(|| {
                    policy_error("the policy's costs are too large: they overflow".to_owned())
                })?
        }
    };

    let mut network = Network::new();
    let sink = network.add_node(-(total as i64));
    let manager_nodes: Vec<NodeId> = managers.iter().map(|_| network.add_node(0)).collect();
    for (manager, &node) in managers.iter().zip(&manager_nodes) {
        let target = i64::from(manager.target_load().max(1));
        network.add_convex_arcs(
            node,
            sink,
            balance_pieces(policy.balance, capacity_of(manager), target),
        );
    }
    let mut segment_nodes: HashMap<(u32, Arc<str>), NodeId> = HashMap::new();
    let mut entry = |network: &mut Network, manager: u32, segment: &Option<Arc<str>>| -> NodeId {
        let node = manager_nodes[manager as usize];
        let Some(segment) = segment else { return node };
        let Some(&cap) = managers[manager as usize].segment_caps.get(&**segment) else {
            return node;
        };
        *segment_nodes
            .entry((manager, segment.clone()))
            .or_insert_with(|| {
                let capped = network.add_node(0);
                network.add_arc(capped, node, i64::from(cap), 0);
                capped
            })
    };

    let mut arcs = Vec::with_capacity(groups.len());
    let mut overflow = Vec::new();
    for group in groups.iter() {
        let eligible = eligible_of(&group);
        let size = group.size() as i64;
        let free = network.add_node(group.free().len() as i64);
        let to_managers = eligible
            .iter()
            .map(|&(manager, affinity)| {
                let to = entry(&mut network, manager, group.segment);
                (
                    manager,
                    affinity,
                    network.add_arc(free, to, size, -affinity),
                )
            })
            .collect();
        overflow.push(network.add_arc(free, sink, size, unassigned_penalty));
        let staying = group
            .staying()
            .map(|(manager, members)| {
                let n = members.len() as i64;
                let node = network.add_node(n);
                let current = eligible.iter().find(|(m, _)| *m == manager);
                let to_manager = current.map(|&(_, affinity)| {
                    let to = entry(&mut network, manager, group.segment);
                    network.add_arc(node, to, n, -affinity)
                });
                let to_free = network.add_arc(node, free, n, policy.move_penalty);
                overflow.push(network.add_arc(node, sink, n, unassigned_penalty));
                StayArcs {
                    to_manager,
                    to_free,
                    affinity: current.map_or(0, |&(_, a)| a),
                }
            })
            .collect();
        arcs.push(GroupArcs {
            free,
            to_managers,
            staying,
        });
    }
    Ok(Built {
        network,
        groups: arcs,
        unassigned_penalty,
        sink,
        overflow,
    })
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

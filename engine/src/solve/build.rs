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

/// The balance term of one manager as convex pieces `(capacity, cost)`: the k-th customer costs
/// `balance_cost(k)`, and consecutive customers of equal cost share one piece.
fn balance_pieces(balance: i64, capacity: u32, target: i64) -> Vec<(i64, i64)> {
    let mut pieces: Vec<(i64, i64)> = Vec::new();
    for k in 1..=i64::from(capacity) {
        // The caller has checked that the largest cost fits.
        let cost = balance_cost(balance, k, target).unwrap_or(i64::MAX);
        match pieces.last_mut() {
            Some((width, last)) if *last == cost => *width += 1,
            _ => pieces.push((1, cost)),
        }
    }
    pieces
}

/// Builds the network of the objective, rejecting a policy whose costs could overflow.
pub(super) fn build_network(book: &Book, prepared: &Prepared, policy: &Policy) -> Result<Built> {
    let managers = &book.managers.records;
    let groups = &prepared.groups;
    let eligible_of = |group: &Group| prepared.eligible(group);
    if policy.move_penalty < 0 || policy.balance < 0 {
        return Err(policy_error(
            "the move penalty and the balance weight must be 0 or more".to_owned(),
        ));
    }
    let total: usize = groups.iter().map(Group::size).sum();
    let max_affinity = groups
        .iter()
        .flat_map(|g| eligible_of(g).iter().map(|(_, a)| a.unsigned_abs()))
        .max()
        .unwrap_or(0);
    let max_balance = managers
        .iter()
        .map(|m| {
            balance_cost(
                policy.balance,
                i64::from(m.capacity),
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
        None => i64::try_from(max_affinity)
            .ok()
            .and_then(|a| {
                a.checked_add(policy.move_penalty)?
                    .checked_add(max_balance)?
                    .checked_add(1)
            })
            .and_then(|path| path.checked_mul(2 * managers.len() as i64 + 4))
            .map(|u| u.max(1_000_000))
            .ok_or_else(|| {
                policy_error("the policy's costs are too large: they overflow".to_owned())
            })?,
    };

    let mut network = Network::new();
    let sink = network.add_node(-(total as i64));
    let manager_nodes: Vec<NodeId> = managers.iter().map(|_| network.add_node(0)).collect();
    for (manager, &node) in managers.iter().zip(&manager_nodes) {
        let target = i64::from(manager.target_load().max(1));
        network.add_convex_arcs(
            node,
            sink,
            balance_pieces(policy.balance, manager.capacity, target),
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
    for group in groups {
        let eligible = eligible_of(group);
        let size = group.size() as i64;
        let free = network.add_node(group.free.len() as i64);
        let to_managers = eligible
            .iter()
            .map(|&(manager, affinity)| {
                let to = entry(&mut network, manager, &group.segment);
                (
                    manager,
                    affinity,
                    network.add_arc(free, to, size, -affinity),
                )
            })
            .collect();
        network.add_arc(free, sink, size, unassigned_penalty);
        let staying = group
            .staying
            .iter()
            .map(|(&manager, members)| {
                let n = members.len() as i64;
                let node = network.add_node(n);
                let current = eligible.iter().find(|(m, _)| *m == manager);
                let to_manager = current.map(|&(_, affinity)| {
                    let to = entry(&mut network, manager, &group.segment);
                    network.add_arc(node, to, n, -affinity)
                });
                let to_free = network.add_arc(node, free, n, policy.move_penalty);
                network.add_arc(node, sink, n, unassigned_penalty);
                StayArcs {
                    to_manager,
                    to_free,
                    affinity: current.map_or(0, |&(_, a)| a),
                }
            })
            .collect();
        arcs.push(GroupArcs {
            to_managers,
            staying,
        });
    }
    Ok(Built {
        network,
        groups: arcs,
        unassigned_penalty,
    })
}

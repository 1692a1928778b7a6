//! The network: a supply node per group of interchangeable customers without a current
//! manager ("free"), and one per group and current manager ("staying"); staying nodes reach
//! their manager at −affinity, or the group's free node at the move penalty; free nodes reach
//! every eligible manager at −affinity (through a (manager, segment) node where that segment
//! is capped); managers reach the sink through a convex arc costing λ·⌈1000·k/target⌉ for the
//! k-th customer; every supply node reaches the sink directly at the unassigned penalty.

use std::collections::HashMap;
use std::sync::Arc;

use super::network::{ArcId, Network, NodeId};
use super::objective::{self, Policy, balance_pieces, usable_capacity};
use super::prepare::{Group, Prepared};
use crate::error::Result;
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

/// Builds the network of the objective, rejecting a policy whose costs could overflow.
pub(super) fn build_network(book: &Book, prepared: &Prepared, policy: &Policy) -> Result<Built> {
    let managers = &book.managers.records;
    let groups = &prepared.groups;
    let eligible_of = |group: &Group<'_>| prepared.eligible(group);
    policy.check()?;
    let total = groups.customers();
    let capacity_of = |m: &crate::model::Manager| usable_capacity(m.capacity, total);
    let unassigned_penalty = objective::unassigned_penalty(policy, managers, total, || {
        prepared.eligibility.max_abs_affinity()
    })?;

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

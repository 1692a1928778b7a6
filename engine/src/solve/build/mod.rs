//! The network: a supply node per group of interchangeable customers without a current
//! manager ("free"), and one per group and current manager ("staying"); staying nodes reach
//! their manager at −affinity, or the group's free node at the move penalty; free nodes reach
//! every eligible manager at −affinity (through a (manager, segment) node where that segment
//! is capped or has a target, whose run to the manager carries the cap and the segment's
//! balance term); managers reach their group's node (or the sink) through a convex arc
//! costing λ·⌈1000·k/target⌉ for the k-th customer, and groups their parent's (a root the
//! sink) likewise, a group with neither a capacity nor a target having no node (its members
//! reach the group above), and a root without a capacity declared a link (see
//! `network::linked`); every supply node reaches the sink directly at the unassigned
//! penalty. On a large network (or one with groups of managers) the network starts from a
//! greedy placement (`start`); on a large one a free node holds only a few of its manager
//! arcs, the others priced in by the solve (`pricing`), and a staying node whose manager is
//! eligible is no node at all: its manager's entry supplies its customers, one arc taking
//! those who move to the free node ([`Stay::Kept`], proven in [`kept`]).

mod entries;
pub(super) mod kept;

use std::collections::HashSet;
use std::sync::Arc;

pub(super) use entries::Entries;
use entries::SegmentRun;

use super::network::union_find::UnionFind;
use super::network::{ArcId, Network, NodeId};
use super::objective::{self, Policy, balance_pieces, usable_capacity};
use super::prepare::{Group, Prepared};
use super::pricing::LeftOut;
use super::start::{Placement, pool_of};
use crate::error::Result;
use crate::model::Book;

/// How many manager arcs a supply group's free node holds when the solve of a large network
/// starts, unless the caller says otherwise: the cheapest at the first placement's prices.
/// The others are priced in (see `pricing`). Lender 1M × 2,000 (single runs on a noisy
/// machine): 16 took 11.6 s to solve over 11 pricing rounds, 32 10.9 s over 7, 64 10.7 s
/// over 6 with 40% more arcs held.
pub const DEFAULT_ARCS_PER_GROUP: usize = 32;

/// Manager arcs (eligible pairs of groups) above which a network holds only some per group
/// by default: the example bank's aggregated 100k × 500 has 0.18M and solves fastest whole,
/// the lender's per-customer 100k × 1,000 has 16M.
pub(super) const SPARSE_ABOVE: usize = 1_000_000;

/// How a large network starts: from a placement, each group's free node holding `arcs` of its
/// manager arcs, and customers with a current manager kept at its entry but for the staying
/// nodes (group, position) in `apart`, which get a node of their own.
pub(super) struct Start<'a> {
    pub(super) placement: &'a Placement,
    pub(super) arcs: usize,
    pub(super) apart: &'a HashSet<(usize, usize)>,
}

/// The arcs of one group that carry customers somewhere.
pub(super) struct GroupArcs {
    /// The group's free node, where its movers and new customers start.
    pub(super) free: NodeId,
    /// (manager, affinity, arc from the free node), in manager order: the arcs it holds
    /// from the start.
    pub(super) to_managers: Vec<(u32, i64, ArcId)>,
    /// Per current manager, in the group's order.
    pub(super) staying: Vec<StayArcs>,
}

/// The ways out of a group's customers with one current manager.
pub(super) struct StayArcs {
    pub(super) way: Stay,
    /// The class's affinity with the current manager, without the stay bonus.
    pub(super) affinity: i64,
}

/// Where a group's customers with one current manager start.
pub(super) enum Stay {
    /// A node of their own: to the manager (if eligible), or to the group's free node.
    Node {
        to_manager: Option<ArcId>,
        to_free: ArcId,
    },
    /// Kept where the manager's customers enter (`entry` supplies them), `moving` taking those
    /// who leave on to the group's free node: at the move penalty plus the affinity `kept`
    /// they give up. Most stay, and a node each would be most of a large network; the
    /// optimum must then prove them placed (see [`kept`]).
    Kept {
        entry: NodeId,
        moving: ArcId,
        kept: i64,
    },
}

/// The network and the arcs needed to read a plan back from its flow.
pub(super) struct Built {
    pub(super) network: Network,
    pub(super) groups: Vec<GroupArcs>,
    pub(super) unassigned_penalty: i64,
    /// Where every customer's flow ends.
    pub(super) sink: NodeId,
    /// Per manager, the node its customers flow on to: its group's, or the sink.
    pub(super) manager_above: Vec<NodeId>,
    /// The arcs that leave customers unassigned (supply node to sink at the penalty).
    pub(super) overflow: Vec<ArcId>,
    /// The manager arcs left out of the network, to be priced in.
    pub(super) left_out: LeftOut,
}

/// Builds the network of the objective, rejecting a policy whose costs could overflow. With
/// a `start` (a placement, and arcs per group), each group's free node holds the manager
/// arcs cheapest at the placement's prices and the one it was placed on; the rest are left
/// out, for the solve to price in; and the network starts from the placement's flow, near
/// the optimum when arcs were left out. Without one, it holds every arc and starts from
/// nothing.
pub(super) fn build_network(
    book: &Book,
    prepared: &Prepared,
    policy: &Policy,
    start: Option<&Start<'_>>,
) -> Result<Built> {
    let managers = &book.managers.records;
    let groups = &prepared.groups;
    let eligible_of = |group: &Group<'_>| prepared.eligible(group);
    policy.check()?;
    let total = groups.customers();
    let capacity_of = |m: &crate::model::Manager| usable_capacity(m.capacity, total);
    let unassigned_penalty =
        objective::unassigned_penalty(policy, (managers, &book.organisation), total, || {
            prepared.max_abs_affinity()
        })?;

    let mut network = Network::new();
    let sink = network.add_node(-(total as i64));
    let manager_nodes: Vec<NodeId> = managers.iter().map(|_| network.add_node(0)).collect();
    let (group_nodes, group_runs) = add_groups(&mut network, book, policy, (sink, total));
    let above = |j: usize| node_above(book, &group_nodes, book.organisation.group_of(j), sink);
    let loads: Vec<Vec<ArcId>> = managers
        .iter()
        .zip(&manager_nodes)
        .enumerate()
        .map(|(j, (manager, &node))| {
            let target = i64::from(manager.target_load().max(1));
            let pieces = balance_pieces(policy.balance, capacity_of(manager), target);
            network.add_convex_arcs(node, above(j), pieces)
        })
        .collect();
    let manager_above = (0..managers.len()).map(above).collect();
    let mut entries = Entries::new(
        manager_nodes,
        (policy.balance, total),
        limited_entries(book),
    );
    // With a start, the arcs out of a supply node get one unit more than the node can ever
    // send (its group): never binding, but an arc carrying a whole group is then strictly
    // between its bounds, so the start's tree hangs the group below its manager, at the
    // potential its placement gives it, rather than from the root.
    let slack = i64::from(start.is_some());
    let mut left_out = LeftOut::new(groups.len(), slack);
    // Which nodes left-out arcs join already: each join is declared to the network once per
    // merge (at most once per node), not once per arc.
    let mut joined = UnionFind::default();
    // The placement's flow, arc by arc as they are added.
    let mut starting: Vec<(ArcId, i64)> = Vec::new();

    let mut arcs = Vec::with_capacity(groups.len());
    let mut overflow = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let eligible = eligible_of(&group);
        let size = group.size() as i64;
        let free = network.add_node(group.free().len() as i64);
        let placed = start.and_then(|start| start.placement.pool[g]);
        let segment = entries.segment(group.segment, managers.len());
        let held = match start {
            Some(start) => cheapest(&eligible, &start.placement.price, start.arcs, placed),
            None => (0..eligible.len()).collect(),
        };
        let mut to_managers = Vec::with_capacity(held.len());
        let mut held_next = held.iter().copied().peekable();
        for (i, &(manager, affinity)) in eligible.iter().enumerate() {
            let to = entries.get_or_add(&mut network, managers, (manager, group.segment, segment));
            if held_next.next_if_eq(&i).is_some() {
                let arc = network.add_arc(free, to, size + slack, -affinity);
                if let Some(start) = start
                    && placed == Some(manager)
                {
                    starting.push((arc, pool_of(&group, &start.placement.stays[g])));
                }
                to_managers.push((manager, affinity, arc));
            } else {
                left_out.note(affinity);
                if joined.join(free.0, to.0) {
                    network.join(free, to);
                }
            }
        }
        if held.len() < eligible.len() {
            left_out.hold(g, free, to_managers.iter().map(|&(m, _, _)| m).collect());
        }
        overflow.push(network.add_arc(free, sink, size, unassigned_penalty));
        let staying = group
            .staying()
            .enumerate()
            .map(|(s, (manager, members))| {
                let n = members.len() as i64;
                let affinity = eligible
                    .iter()
                    .find(|(m, _)| *m == manager)
                    .map(|&(_, a)| a);
                let kept = affinity.map(|a| a.saturating_add(prepared.stay_bonus(manager)));
                let entry = affinity.map(|_| {
                    entries.get_or_add(&mut network, managers, (manager, group.segment, segment))
                });
                let stays = start.map(|start| start.placement.stays[g][s]);
                let way = match (entry, kept, start) {
                    (Some(entry), Some(kept), Some(start)) if !start.apart.contains(&(g, s)) => {
                        network.add_supply(entry, n);
                        let cost = policy.move_penalty.saturating_add(kept);
                        let moving = network.add_arc(entry, free, n, cost);
                        starting.push((moving, if stays == Some(true) { 0 } else { n }));
                        Stay::Kept {
                            entry,
                            moving,
                            kept,
                        }
                    }
                    _ => {
                        let node = network.add_node(n);
                        let to_manager = entry
                            .zip(kept)
                            .map(|(to, kept)| network.add_arc(node, to, n + slack, -kept));
                        let to_free = network.add_arc(node, free, n + slack, policy.move_penalty);
                        overflow.push(network.add_arc(node, sink, n, unassigned_penalty));
                        if let Some(stays) = stays {
                            let arc = match to_manager {
                                Some(arc) if stays => arc,
                                _ => to_free,
                            };
                            starting.push((arc, n));
                        }
                        Stay::Node {
                            to_manager,
                            to_free,
                        }
                    }
                };
                StayArcs {
                    way,
                    affinity: affinity.unwrap_or(0),
                }
            })
            .collect();
        arcs.push(GroupArcs {
            free,
            to_managers,
            staying,
        });
    }
    if let Some(start) = start {
        let flow = start_flow(
            &network,
            starting,
            (&loads, &entries.segment_runs, &group_runs),
            start.placement,
        );
        network.start_from(flow, left_out.count() > 0);
    }
    left_out.entries = entries;
    Ok(Built {
        network,
        groups: arcs,
        unassigned_penalty,
        sink,
        manager_above,
        overflow,
        left_out,
    })
}

/// A node per group of managers, each reaching its parent's node (a root the sink) through
/// convex arcs: its balance term's pieces up to its capacity, or one free arc of its capacity
/// when it has no target (its capacity bounded as `group_capacities` says).
/// Returns the nodes and each group's arcs.
fn add_groups(
    network: &mut Network,
    book: &Book,
    policy: &Policy,
    (sink, customers): (NodeId, usize),
) -> (Vec<Option<NodeId>>, Vec<Vec<ArcId>>) {
    let organisation = &book.organisation;
    let capacities = objective::group_capacities((&book.managers.records, organisation), customers);
    // A group with neither a capacity nor a target (one kept for its reports) would be an arc
    // that never binds and costs nothing: its members flow straight on to the group above.
    // Such a node would only join the network's independent parts: lines over provinces,
    // with no cost of their own, made the lender 100k × 1,000 solve 1.7× slower.
    let nodes: Vec<Option<NodeId>> = organisation
        .groups()
        .iter()
        .map(|group| group.target_load().map(|_| network.add_node(0)))
        .collect();
    let runs = organisation
        .groups()
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let Some(node) = nodes[g] else {
                return Vec::new();
            };
            let to = node_above(book, &nodes, organisation.parent(g), sink);
            let capacity = capacities[g];
            let pieces = match group.target_load() {
                Some(target) => balance_pieces(policy.balance, capacity, i64::from(target.max(1))),
                None => vec![(i64::from(capacity), 0)],
            };
            let run = network.add_convex_arcs(node, to, pieces);
            // Every group is a candidate link: a line, or a national desk, may be all that
            // joins its regions (`linked` relaxes only the groups that do).
            network.link(node, &run);
            run
        })
        .collect();
    (nodes, runs)
}

/// The (manager, segment)s some group above the manager caps or sets a minimum for.
fn limited_entries(book: &Book) -> HashSet<(u32, Arc<str>)> {
    let organisation = &book.organisation;
    if !organisation.limits_segments() {
        return HashSet::new();
    }
    let members = organisation.members(book.managers.records.len());
    let mut limited = HashSet::new();
    for limit in organisation.segment_limits() {
        for &j in &members[limit.group] {
            limited.insert((j as u32, limit.segment.clone()));
        }
    }
    limited
}

/// The node of the first group from `group` up that has one (see [`add_groups`]), or the
/// sink.
fn node_above(book: &Book, nodes: &[Option<NodeId>], group: Option<usize>, sink: NodeId) -> NodeId {
    std::iter::successors(group, |&g| book.organisation.parent(g))
        .find_map(|g| nodes[g])
        .unwrap_or(sink)
}

/// The placement as a flow on every arc: the arcs `starting` out of groups as given; each
/// manager's, each group of managers' and each (manager, segment)'s load spread over its run
/// cheapest piece first.
fn start_flow(
    network: &Network,
    starting: Vec<(ArcId, i64)>,
    (runs, segment_runs, group_runs): (&[Vec<ArcId>], &[SegmentRun], &[Vec<ArcId>]),
    placement: &Placement,
) -> Vec<i64> {
    let mut flow = vec![0i64; network.arc_count()];
    for (arc, f) in starting {
        flow[arc.0 as usize] = f;
    }
    let mut spread = |run: &[ArcId], mut left: i64| {
        for &arc in run {
            let f = left.min(network.arc(arc).2);
            flow[arc.0 as usize] = f;
            left -= f;
        }
    };
    let loads = placement.loads.iter().chain(&placement.group_loads);
    for (run, &load) in runs.iter().chain(group_runs).zip(loads) {
        spread(run, load);
    }
    for (run, key) in segment_runs {
        spread(run, placement.segment_loads.get(key).copied().unwrap_or(0));
    }
    flow
}

/// The positions in `eligible` of the `k` managers cheapest at `price` (the price less the
/// affinity; ties to the lower manager) and of `placed`, in order; every position when it
/// has no more than `k`.
fn cheapest(eligible: &[(u32, i64)], price: &[i64], k: usize, placed: Option<u32>) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..eligible.len()).collect();
    if eligible.len() > k {
        let rank = |&i: &usize| {
            let (manager, affinity) = eligible[i];
            let at = price.get(manager as usize).copied().unwrap_or(0);
            (at.saturating_sub(affinity), manager)
        };
        positions.select_nth_unstable_by_key(k.saturating_sub(1), rank);
        positions.truncate(k);
        if let Some(i) = eligible.iter().position(|&(m, _)| Some(m) == placed)
            && !positions.contains(&i)
        {
            positions.push(i);
        }
        positions.sort_unstable();
    }
    positions
}

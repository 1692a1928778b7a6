//! A start for a network whose independent parts are joined only by a few nodes next to the
//! sink, its links: business lines over regions. A line's balance term is a convex run from
//! its node to the sink, so every region under it is one network with every other, and the
//! simplex then works on one large tree instead of a small one per region (lender 100k ×
//! 1,000 under three lines: the same pivots, at twice the time).
//!
//! Here each link's run is priced flat, at what its next unit costs at the start's flow, and
//! the arcs into the link go straight to the sink at that extra cost: the network falls apart
//! into its regions, solved on their own (and in parallel). Their optimum, with each link's
//! run filled cheapest first, is a flow of the whole network near its optimum; the whole solve
//! starts from it, and has left only the pivots that the links' rising costs call for. Only
//! speed depends on this: the whole solve proves its optimum as always. A network already in
//! parts takes this start when one of its parts holds regions only the links join (lines over
//! every region but one); its whole solve then goes part by part.

use super::pricing::Pricing;
use super::union_find::UnionFind;
use super::{Network, Solution, Start, split};
use crate::cancel::Cancel;

/// The whole network, starting from the optimum of its parts with its links priced flat, and
/// that optimum (its pivots, and the arcs `pricing` brought in, which the whole network holds
/// after its own); `None` when it has no links or no start to price them at, when pricing
/// them flat leaves it (or, given its `parts`, each of them) in one piece, or when that
/// optimum is no flow of the whole (a link's run too small for it).
pub(super) fn linked_start(
    network: &Network,
    cancel: Option<&Cancel>,
    pricing: Option<&dyn Pricing>,
    parts: Option<&split::Parts>,
) -> Option<(Network, Solution)> {
    let start = network.start.as_ref()?;
    let sink = *network.target.get(network.links.first()?.1 as usize)?;
    let nodes = network.node_count();
    // Per node: the extra cost of reaching the sink through it, if it is a link.
    let mut flat: Vec<Option<i64>> = vec![None; nodes];
    for &(node, first, end) in &network.links {
        let run = first as usize..end as usize;
        if network.target.get(run.clone())?.iter().any(|&t| t != sink) {
            return None;
        }
        let load: i64 = run
            .clone()
            .map(|a| start.flow.get(a).copied().unwrap_or(0))
            .sum();
        *flat.get_mut(node as usize)? = Some(next_cost(network, run, load)?);
    }

    // Whether the links hold the network together, asked before anything is copied: lines
    // over a book that is one piece anyway gain nothing here.
    let is_link = |node: u32| flat.get(node as usize).is_some_and(Option::is_some);
    let mut sets = split::joined(network, pricing.is_some(), sink, is_link);
    let apart = match parts {
        None => split::supplied_apart(network, &mut sets),
        Some(parts) => regions_in_one_part(network, parts, &mut sets),
    };
    if !apart {
        return None;
    }
    let mut relaxed = network.clone();
    relaxed.links.clear();
    for &(_, first, end) in &network.links {
        for a in first as usize..end as usize {
            relaxed.capacity[a] = 0;
            if let Some(start) = relaxed.start.as_mut() {
                start.flow[a] = 0;
            }
        }
    }
    relaxed
        .convex
        .retain(|run| !network.links.iter().any(|link| link.1 == run.0));
    for (a, &to) in network.target.iter().enumerate() {
        if let Some(extra) = flat[to as usize] {
            relaxed.target[a] = sink;
            relaxed.cost[a] = relaxed.cost[a].checked_add(extra)?;
        }
    }
    // The relaxed network's pieces are those: the arcs that reached a link reach the sink.
    let parts = split::parts_of(&relaxed, sink, sets).filter(|parts| parts.supplied() > 1)?;
    let bounds = relaxed
        .validate(pricing.map_or(0, Pricing::max_abs_cost))
        .ok()?;
    let mut solved = split::solve(&relaxed, parts, bounds, cancel, pricing).ok()?;
    drop(relaxed);

    let mut flow = std::mem::take(&mut solved.flow);
    let mut whole = network.clone();
    for arc in &solved.priced {
        if flat.get(arc.to.0 as usize).copied().flatten().is_some() {
            return None;
        }
        whole.add_arc(arc.from, arc.to, arc.capacity, arc.cost);
        whole.priced_before.push((arc.from.0, arc.to.0));
    }
    let mut inflow = vec![0i64; nodes];
    for (a, &to) in network.target.iter().enumerate() {
        if flat[to as usize].is_some() {
            inflow[to as usize] += flow[a];
        }
    }
    flow.truncate(whole.arc_count());
    for &(node, first, end) in &network.links {
        let mut left = inflow[node as usize];
        let run = first as usize..end as usize;
        for (f, &capacity) in flow
            .get_mut(run.clone())?
            .iter_mut()
            .zip(&network.capacity[run])
        {
            *f = left.min(capacity);
            left -= *f;
        }
        if left > 0 {
            return None;
        }
    }
    whole.start = Some(Start {
        flow,
        near: true,
        basic: true,
    });
    Some((whole, solved))
}

/// Whether one of `parts` holds supply nodes in different `sets` (made with the links left
/// out): regions under business lines beside a part the lines do not reach (a region whose
/// managers have no group).
fn regions_in_one_part(network: &Network, parts: &split::Parts, sets: &mut UnionFind) -> bool {
    // Per part, the set of the first node with supply seen in it.
    let mut seen: Vec<Option<u32>> = vec![None; parts.len()];
    for node in 0..network.node_count() as u32 {
        if network.supply[node as usize] <= 0 {
            continue;
        }
        let Some(first) = parts.part_of(node).and_then(|part| seen.get_mut(part)) else {
            continue;
        };
        let set = sets.root(node);
        match first {
            None => *first = Some(set),
            Some(first) if *first != set => return true,
            Some(_) => {}
        }
    }
    false
}

/// What the next unit on the run `arcs` costs with `load` on it (the last piece's cost when
/// it is full).
fn next_cost(network: &Network, arcs: std::ops::Range<usize>, load: i64) -> Option<i64> {
    let mut room = load;
    let mut cost = None;
    for a in arcs {
        cost = Some(network.cost[a]);
        room -= network.capacity[a];
        if room < 0 {
            break;
        }
    }
    cost
}

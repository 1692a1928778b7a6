//! A start for a network whose independent parts are joined only by a few group nodes, its
//! links: business lines, or national desks, over regions. A line's balance term is a
//! convex run from its node towards the sink, so every region under it is one network with
//! every other, and the simplex then works on one large tree instead of a small one per
//! region (lender 100k × 1,000 under three lines: the same pivots, at twice the time).
//!
//! Every group node is declared a candidate link; those fed from two or more regions (or
//! from such a link) are relaxed, the others belong to their region. Each relaxed link's
//! run is priced flat, at what its next unit costs at the start's flow, and each region
//! reaches it through a private node of its own, capped at the region's share of the link's
//! room: what the region sends it at the start, and as much of the room left as its arcs
//! into the link could still carry, or a part in proportion when the room is short. The
//! network then falls apart into its regions, solved on their own (and in parallel). Their
//! optimum, with each link's run filled cheapest first and any cycle of partial arcs that a
//! binding share left cancelled (see `basic`), is a flow of the whole network near its
//! optimum; the whole solve starts from it, and has left only the pivots that the links'
//! rising costs and the regions' true shares call for. Only speed depends on this: the whole
//! solve proves its optimum as always. A network already in parts takes this start when one
//! of its parts holds regions only the links join (lines over every region but one); its
//! whole solve then goes part by part.

use std::collections::BTreeMap;
use std::ops::Range;

use super::pricing::Pricing;
use super::union_find::UnionFind;
use super::{Network, NodeId, Solution, Start, basic, split};
use crate::cancel::Cancel;

/// A link the start relaxes.
struct Relaxed {
    run: Range<usize>,
    /// The relaxed link its run leads to, if any (else the sink).
    above: Option<usize>,
    /// The arcs into it from its regions (not from the links below it).
    arcs_in: Vec<usize>,
    /// Per region (named by its set), what it sends the link.
    regions: BTreeMap<u32, Sent>,
}

/// What a region sends a relaxed link.
#[derive(Clone, Copy, Default)]
struct Sent {
    /// At the start.
    start: i64,
    /// At most: what its arcs into the link (and the links below) hold, and no more than it
    /// supplies.
    most: i64,
}

impl Sent {
    fn add(&mut self, other: Sent) {
        self.start = self.start.saturating_add(other.start);
        self.most = self.most.saturating_add(other.most);
    }
}

/// The whole network, starting from the optimum of its parts with its spanning links priced
/// flat, and that optimum (its pivots, and the arcs `pricing` brought in, which the whole
/// network holds after its own); `None` when no link spans regions, when relaxing them
/// leaves it (or, given its `parts`, each of them) in one piece, or when there is no start
/// to price them at.
pub(super) fn linked_start(
    network: &Network,
    cancel: Option<&Cancel>,
    pricing: Option<&dyn Pricing>,
    parts: Option<&split::Parts>,
) -> Option<(Network, Solution)> {
    let start = network.start.as_ref()?;
    if network.links.is_empty() {
        return None;
    }
    let nodes = network.node_count();
    let mut demands = (0..nodes).filter(|&u| network.supply[u] < 0);
    let sink = u32::try_from(demands.next()?).ok()?;
    if demands.next().is_some() {
        return None;
    }
    let links = Links::of(network, sink)?;
    let mut sets = split::joined(network, pricing.is_some(), sink, |u| links.is_link(u));
    let spanning = links.spanning(network, start, &mut sets)?;
    // Whether the links hold the network together, asked before anything is copied: lines
    // over a book that is one piece anyway gain nothing here.
    let apart = match parts {
        None => split::supplied_apart(network, &mut sets),
        Some(parts) => regions_in_one_part(network, parts, &mut sets),
    };
    if !apart {
        return None;
    }

    let mut relaxed = network.clone();
    relaxed.links.clear();
    let mut start_flow = start.flow.clone();
    for link in &spanning {
        for a in link.run.clone() {
            relaxed.capacity[a] = 0;
            *start_flow.get_mut(a)? = 0;
        }
    }
    let mut closed: Vec<usize> = spanning.iter().map(|link| link.run.start).collect();
    closed.sort_unstable();
    relaxed
        .convex
        .retain(|run| closed.binary_search(&(run.0 as usize)).is_err());
    // Each region's private node per link, and its arc on, at the link's flat price. Private
    // nodes come after every node, so a region's set keeps its name (its lowest member).
    let mut private_of: Vec<BTreeMap<u32, u32>> = Vec::with_capacity(spanning.len());
    for link in &spanning {
        let regions = link.regions.keys().map(|&region| {
            let node = relaxed.add_node(0).0;
            sets.join(node, region);
            (region, node)
        });
        private_of.push(regions.collect());
    }
    for (link, private) in spanning.iter().zip(&private_of) {
        let at_start = total(link.regions.values().map(|sent| sent.start));
        let flat = next_cost(network, link.run.clone(), at_start)?;
        for ((region, share), sent) in shares(network, link)?
            .into_iter()
            .zip(link.regions.values())
        {
            let to = match link.above {
                Some(above) => *private_of.get(above)?.get(&region)?,
                None => sink,
            };
            relaxed.add_arc(NodeId(*private.get(&region)?), NodeId(to), share, flat);
            start_flow.push(sent.start);
        }
        for &a in &link.arcs_in {
            relaxed.target[a] = *private.get(&sets.root(network.source[a]))?;
        }
    }
    relaxed.start = Some(Start {
        flow: start_flow,
        near: start.near,
        basic: start.basic,
    });
    // The relaxed network's pieces are those: a region's private nodes are in its set.
    let parts = split::parts_of(&relaxed, sink, sets).filter(|parts| parts.supplied() > 1)?;
    let bounds = relaxed
        .validate(pricing.map_or(0, Pricing::max_abs_cost))
        .ok()?;
    let mut solved = split::solve(&relaxed, parts, bounds, cancel, pricing).ok()?;
    let added = relaxed.arc_count() - network.arc_count();
    drop(relaxed);

    let mut flow = std::mem::take(&mut solved.flow);
    let private_arcs = network.arc_count()..network.arc_count() + added;
    if flow.len() < private_arcs.end {
        return None;
    }
    flow.drain(private_arcs);
    let mut whole = network.clone();
    for arc in &solved.priced {
        if arc.to.0 as usize >= nodes || links.is_link(arc.to.0) {
            return None;
        }
        whole.add_arc(arc.from, arc.to, arc.capacity, arc.cost);
        whole.priced_before.push((arc.from.0, arc.to.0));
    }
    // Each relaxed link's run filled cheapest first with what reaches it, links below first.
    let mut reaching: Vec<i64> = spanning
        .iter()
        .map(|link| total(link.arcs_in.iter().map(|&a| flow[a])))
        .collect();
    for (i, link) in spanning.iter().enumerate() {
        let mut left = reaching[i];
        for a in link.run.clone() {
            flow[a] = left.min(network.capacity[a]);
            left -= flow[a];
        }
        if left > 0 {
            return None;
        }
        if let Some(above) = link.above {
            let carried = reaching[i];
            let above = reaching.get_mut(above)?;
            *above = above.saturating_add(carried);
        }
    }
    basic::cancel_cycles(&whole, &mut flow);
    whole.start = Some(Start {
        flow,
        near: true,
        basic: true,
    });
    Some((whole, solved))
}

/// Each region's share of `link`'s room: what it sends the link at the start, and the room
/// left split in proportion to what more it could send. The shares add up to no more than
/// the room, and are what each region could send when the room holds that; `None` when the
/// start overfills it.
fn shares(network: &Network, link: &Relaxed) -> Option<Vec<(u32, i64)>> {
    let room = total(link.run.clone().map(|a| network.capacity[a]));
    let sent = total(link.regions.values().map(|sent| sent.start));
    let free = i128::from(room.checked_sub(sent).filter(|&free| free >= 0)?);
    let more = |sent: &Sent| i128::from(sent.most.saturating_sub(sent.start).max(0));
    let wanted: i128 = link.regions.values().map(more).sum();
    let shares = link.regions.iter().map(|(&region, sent)| {
        let given = match wanted <= free {
            true => more(sent),
            false => free * more(sent) / wanted,
        };
        (region, sent.start + i64::try_from(given).unwrap_or(0))
    });
    Some(shares.collect())
}

/// The sum of `values`, at most `i64::MAX` (capacities of arcs without a bound may be near it).
fn total(values: impl Iterator<Item = i64>) -> i64 {
    values.fold(0, i64::saturating_add)
}

/// The network's candidate links.
struct Links {
    /// Per node, its place in `links` if it is one.
    index: Vec<Option<u32>>,
    /// Per link: its node, its run, and the link its run leads to (else the sink).
    links: Vec<(u32, Range<usize>, Option<usize>)>,
    /// The links, each after every link below it.
    lowest_first: Vec<usize>,
}

impl Links {
    /// The links of `network`, whose runs lead to the `sink` or to another link; `None` when
    /// one does not, or they make a cycle.
    fn of(network: &Network, sink: u32) -> Option<Links> {
        let mut index = vec![None; network.node_count()];
        for (i, &(node, _, _)) in network.links.iter().enumerate() {
            *index.get_mut(node as usize)? = Some(i as u32);
        }
        let mut links = Vec::with_capacity(network.links.len());
        for &(node, first, end) in &network.links {
            let run = first as usize..end as usize;
            let to = *network.target.get(run.start)?;
            if network.target.get(run.clone())?.iter().any(|&t| t != to) {
                return None;
            }
            let above = match to == sink {
                true => None,
                false => Some(index.get(to as usize).copied().flatten()? as usize),
            };
            links.push((node, run, above));
        }
        // Depth below the sink, each link's found by walking up at most every link.
        let depth = |mut i: usize| {
            let mut depth = 0;
            while let Some(above) = links[i].2 {
                depth += 1;
                i = above;
                if depth > links.len() {
                    return None;
                }
            }
            Some(depth)
        };
        let depths = (0..links.len())
            .map(depth)
            .collect::<Option<Vec<usize>>>()?;
        let mut lowest_first: Vec<usize> = (0..links.len()).collect();
        lowest_first.sort_by_key(|&i| std::cmp::Reverse(depths[i]));
        Some(Links {
            index,
            links,
            lowest_first,
        })
    }

    fn is_link(&self, node: u32) -> bool {
        self.index.get(node as usize).is_some_and(Option::is_some)
    }

    /// The links that span regions, lowest first: fed by a link that does, or from two or
    /// more of the `sets` (made with every link left out) that hold supply. Each other link
    /// joins the set it is fed from in `sets`.
    fn spanning(
        &self,
        network: &Network,
        start: &Start,
        sets: &mut UnionFind,
    ) -> Option<Vec<Relaxed>> {
        let n = network.node_count();
        // What each set supplies, kept as links join sets.
        let mut supply = vec![0i64; n];
        for u in (0..n).filter(|&u| network.supply[u] > 0) {
            let set = sets.root(u as u32) as usize;
            supply[set] = supply[set].saturating_add(network.supply[u]);
        }
        let mut arcs_in: Vec<Vec<usize>> = vec![Vec::new(); self.links.len()];
        for (a, &to) in network.target.iter().enumerate() {
            if let Some(i) = self.index.get(to as usize).copied().flatten() {
                arcs_in[i as usize].push(a);
            }
        }
        // Per link, its place among the relaxed ones.
        let mut relaxed_as: Vec<Option<usize>> = vec![None; self.links.len()];
        let mut relaxed: Vec<Relaxed> = Vec::new();
        for &i in &self.lowest_first {
            let (node, run, above) = &self.links[i];
            let fed_by = |a: &usize| {
                let from = network.source[*a];
                self.index.get(from as usize).copied().flatten()
            };
            let from_relaxed = |a: &usize| fed_by(a).and_then(|j| relaxed_as[j as usize]);
            let mut regions: Vec<u32> = arcs_in[i]
                .iter()
                .filter(|a| from_relaxed(a).is_none())
                .map(|&a| sets.root(network.source[a]))
                .collect();
            regions.sort_unstable();
            regions.dedup();
            let supplied_regions = regions.iter().filter(|&&r| supply[r as usize] > 0).count();
            if supplied_regions < 2 && !arcs_in[i].iter().any(|a| from_relaxed(a).is_some()) {
                let set = sets.root(*node);
                let others = regions.iter().filter(|&&r| r != set);
                let joined = others
                    .map(|&r| supply[r as usize])
                    .fold(supply[set as usize], i64::saturating_add);
                for &r in &regions {
                    sets.join(*node, r);
                }
                supply[sets.root(*node) as usize] = joined;
                continue;
            }
            let mut regions: BTreeMap<u32, Sent> = BTreeMap::new();
            let mut own = Vec::new();
            let mut below = Vec::new();
            for &a in &arcs_in[i] {
                match from_relaxed(&a) {
                    Some(link) => below.push(link),
                    None => {
                        own.push(a);
                        let sent = Sent {
                            start: start.flow.get(a).copied().unwrap_or(0),
                            most: network.capacity[a],
                        };
                        let region = sets.root(network.source[a]);
                        regions.entry(region).or_default().add(sent);
                    }
                }
            }
            below.sort_unstable();
            below.dedup();
            for link in below {
                for (&region, &sent) in &relaxed[link].regions {
                    regions.entry(region).or_default().add(sent);
                }
            }
            relaxed_as[i] = Some(relaxed.len());
            relaxed.push(Relaxed {
                run: run.clone(),
                above: *above,
                arcs_in: own,
                regions,
            });
        }
        // Where each relaxed link's run leads, among the relaxed ones, and its regions named
        // by their sets as the links joined them in the end.
        for link in &mut relaxed {
            link.above = match link.above {
                Some(j) => Some(relaxed_as[j]?),
                None => None,
            };
            let mut regions: BTreeMap<u32, Sent> = BTreeMap::new();
            for (region, sent) in std::mem::take(&mut link.regions) {
                regions.entry(sets.root(region)).or_default().add(sent);
            }
            for (region, sent) in &mut regions {
                sent.most = sent.most.min(supply[*region as usize]);
            }
            link.regions = regions;
        }
        (!relaxed.is_empty()).then_some(relaxed)
    }
}

/// Whether one of `parts` holds supply nodes in different `sets` (made with the relaxed links
/// left out): regions under business lines beside a part the lines do not reach (a region whose
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
fn next_cost(network: &Network, arcs: Range<usize>, load: i64) -> Option<i64> {
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

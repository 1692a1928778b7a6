//! Independent parts of a network with a single demand node. In an assignment network every
//! path ends at the sink; take the sink away and a bank whose rules keep customers in their
//! region falls apart into one piece per region. Each piece, with its own copy of the sink
//! demanding what the piece supplies, is a min-cost flow problem of its own, and together their
//! optima are the optimum of the whole (nothing can flow between pieces but through the sink).
//! The pieces are solved in parallel; each solve is deterministic, so the result does not
//! depend on the threads.

use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use super::pricing::{PartMap, Priced, PricedArc, Pricing};
use super::union_find::UnionFind;
use super::{Network, NetworkError, Solution};
use crate::cancel::Cancel;

/// One piece: a network on some of the original nodes, the last of them the sink's copy.
pub(super) struct Part {
    network: Network,
    /// Original node of each local node but the last (the sink).
    nodes: Vec<u32>,
    /// Original arc of each local arc.
    arcs: Vec<u32>,
}

/// A network's parts, and where each node went.
pub(super) struct Parts {
    parts: Vec<Part>,
    /// The part of every node (`u32::MAX` for the sink).
    piece_of: Vec<u32>,
    /// Every node's number within its part.
    local: Vec<u32>,
    sink: u32,
}

impl Parts {
    /// How many parts.
    pub(super) fn len(&self) -> usize {
        self.parts.len()
    }

    /// The part `node` went to; `None` for the sink (or a node the network does not have).
    pub(super) fn part_of(&self, node: u32) -> Option<usize> {
        let piece = *self.piece_of.get(node as usize)?;
        (piece != u32::MAX).then_some(piece as usize)
    }

    /// How many parts supply anything.
    pub(super) fn supplied(&self) -> usize {
        let supplies = |part: &&Part| part.network.supply.iter().any(|&b| b > 0);
        self.parts.iter().filter(supplies).count()
    }
}

/// The network's pieces once its single demand node is taken away, or `None` when it has more
/// than one demand node or stays in one piece. With `priced`, the nodes the network declared
/// joined by arcs a pricing may bring in stay together. Runs beside validation, so a network
/// that will fail it (too large, an arc to an unknown node) is left whole, never read out of
/// bounds.
pub(super) fn parts(network: &Network, priced: bool) -> Option<Parts> {
    if !network.ids_fit() || network.validate_arcs().is_err() {
        return None;
    }
    let mut demands = network.supply.iter().enumerate().filter(|(_, b)| **b < 0);
    let sink = u32::try_from(demands.next()?.0).ok()?;
    if demands.next().is_some() {
        return None;
    }
    parts_of(network, sink, joined(network, priced, sink, |_| false))
}

/// Which nodes of `network` are joined once its `sink` and the nodes `apart` are taken away:
/// by its arcs, and with `priced` by the joins it declared for arcs a pricing may bring in.
pub(super) fn joined(
    network: &Network,
    priced: bool,
    sink: u32,
    apart: impl Fn(u32) -> bool,
) -> UnionFind {
    let n = network.node_count();
    let mut sets = UnionFind::default();
    let joins = network.joins.iter().filter(|_| priced);
    let ends = network.source.iter().zip(&network.target);
    for (&u, &v) in ends.chain(joins.map(|(u, v)| (u, v))) {
        let kept = |w: u32| w != sink && (w as usize) < n && !apart(w);
        if kept(u) && kept(v) {
            sets.join(u, v);
        }
    }
    sets
}

/// Whether the nodes with a supply are in more than one of the sets `joined` made.
pub(super) fn supplied_apart(network: &Network, sets: &mut UnionFind) -> bool {
    let mut supplied = (0..network.node_count() as u32).filter(|&u| network.supply[u as usize] > 0);
    let Some(first) = supplied.next() else {
        return false;
    };
    let first = sets.root(first);
    supplied.any(|u| sets.root(u) != first)
}

/// The pieces of `network`, whose arcs are valid, as `sets` (made by [`joined`] with its
/// `sink`) cut it, or `None` when they leave it in one piece.
pub(super) fn parts_of(network: &Network, sink: u32, mut sets: UnionFind) -> Option<Parts> {
    let n = network.node_count();
    // Pieces in order of their first node; nodes and arcs keep their order within a piece.
    let mut piece_of = vec![u32::MAX; n];
    let mut pieces: Vec<Part> = Vec::new();
    let mut local = vec![0u32; n];
    for u in 0..n as u32 {
        if u == sink {
            continue;
        }
        let r = sets.root(u) as usize;
        if piece_of[r] == u32::MAX {
            piece_of[r] = pieces.len() as u32;
            pieces.push(Part {
                network: Network::new(),
                nodes: Vec::new(),
                arcs: Vec::new(),
            });
        }
        let piece = piece_of[r];
        piece_of[u as usize] = piece;
        let part = &mut pieces[piece as usize];
        local[u as usize] = part.nodes.len() as u32;
        part.nodes.push(u);
        part.network.supply.push(network.supply[u as usize]);
    }
    if pieces.len() < 2 {
        return None;
    }
    for part in &mut pieces {
        let demand: i64 = part.network.supply.iter().sum();
        part.network.supply.push(-demand);
    }
    // An arc goes with the piece of its end that is not the sink; an arc from the sink to
    // itself cannot carry anything useful and goes with piece 0.
    let piece_of_arc: Vec<u32> = network
        .source
        .par_iter()
        .zip(&network.target)
        .map(|(&u, &v)| match (u != sink, v != sink) {
            (true, _) => piece_of[u as usize],
            (false, true) => piece_of[v as usize],
            (false, false) => 0,
        })
        .collect();
    // Each piece's arcs, in their original order (a counting sort), then every piece's arrays
    // gathered in parallel.
    let mut arc_start = vec![0usize; pieces.len() + 1];
    for &piece in &piece_of_arc {
        arc_start[piece as usize + 1] += 1;
    }
    for p in 0..pieces.len() {
        arc_start[p + 1] += arc_start[p];
    }
    let mut fill = arc_start.clone();
    let mut arcs_by_piece = vec![0u32; network.arc_count()];
    for (arc, &piece) in piece_of_arc.iter().enumerate() {
        arcs_by_piece[fill[piece as usize]] = arc as u32;
        fill[piece as usize] += 1;
    }
    pieces.par_iter_mut().enumerate().for_each(|(p, part)| {
        let arcs = &arcs_by_piece[arc_start[p]..arc_start[p + 1]];
        let sink_here = part.nodes.len() as u32;
        let here = |w: u32| {
            if w == sink {
                sink_here
            } else {
                local[w as usize]
            }
        };
        let net = &mut part.network;
        net.source = arcs
            .iter()
            .map(|&a| here(network.source[a as usize]))
            .collect();
        net.target = arcs
            .iter()
            .map(|&a| here(network.target[a as usize]))
            .collect();
        net.capacity = arcs.iter().map(|&a| network.capacity[a as usize]).collect();
        net.cost = arcs.iter().map(|&a| network.cost[a as usize]).collect();
        part.arcs = arcs.to_vec();
        // Arcs a pricing brought in before, by their ends in the whole network, as that
        // network's own: a part's pricing must not bring them again.
        net.priced_before = network
            .priced_before
            .iter()
            .filter(|&&(from, _)| piece_of.get(from as usize) == Some(&(p as u32)))
            .copied()
            .collect();
        if let Some(start) = &network.start {
            let of = |a: u32| start.flow.get(a as usize).copied().unwrap_or(0);
            net.start = Some(super::Start {
                flow: arcs.iter().map(|&a| of(a)).collect(),
                near: start.near,
                basic: start.basic,
            });
        }
    });
    // A run's arcs share their ends, so they land in one piece, consecutively and in order.
    for &(start, end) in &network.convex {
        let piece = piece_of_arc[start as usize] as usize;
        let part = &mut pieces[piece];
        // The piece's arcs are in increasing order, and the run's first arc is among them.
        let first = part.arcs.partition_point(|&a| a < start) as u32;
        part.network.convex.push((first, first + (end - start)));
    }
    Some(Parts {
        parts: pieces,
        piece_of,
        local,
        sink,
    })
}

/// Solves `network` through its `parts` in parallel. `bounds` are those proven for `network`;
/// they hold for its parts too. Each part's flows and potentials are written back, and its
/// arrays freed, as soon as it is solved, so no serial pass over the whole network follows.
/// With a `pricing`, each part is priced on its own nodes; the arcs brought in follow the
/// network's own, in part order.
pub(super) fn solve(
    network: &Network,
    parts: Parts,
    bounds: (i64, u64),
    cancel: Option<&Cancel>,
    pricing: Option<&dyn Pricing>,
) -> Result<Solution, NetworkError> {
    let supplied = parts.supplied().max(1);
    let Parts {
        parts,
        piece_of,
        local,
        sink,
    } = parts;
    // Largest first, each idle thread taking the next: one large region then shares the
    // threads' time with the small ones instead of landing last on a busy thread.
    let mut largest_first: Vec<(usize, Part)> = parts.into_iter().enumerate().collect();
    largest_first.sort_by_key(|(_, part)| std::cmp::Reverse(part.network.arc_count()));
    let solution = Mutex::new(Merged {
        flow: vec![0i64; network.arc_count()],
        potential: vec![0i64; network.node_count()],
        pivots: 0,
        priced: Vec::new(),
        rounds: 0,
    });
    let errors: Vec<(usize, NetworkError)> = largest_first
        .into_iter()
        .par_bridge()
        .filter_map(|(i, part)| {
            let priced = pricing.map(|pricing| Priced {
                pricing,
                part: Some(PartMap {
                    piece: i as u32,
                    piece_of: &piece_of,
                    local: &local,
                    sink,
                    nodes: part.network.node_count() as u32,
                }),
            });
            let solved = match part.network.solve_whole(bounds, cancel, priced) {
                Ok(solved) => solved,
                Err(error) => return Some((i, error)),
            };
            // A poisoned lock only means another part panicked; the arrays are plain numbers.
            let mut merged = solution.lock().unwrap_or_else(PoisonError::into_inner);
            merged.add(i, &part, solved);
            None
        })
        .collect();
    // The first failing part in part order, whichever thread met it first.
    if let Some((_, error)) = errors.into_iter().min_by_key(|&(i, _)| i) {
        return Err(error);
    }
    let Merged {
        mut flow,
        potential,
        pivots,
        mut priced,
        rounds,
    } = solution
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    priced.sort_by_key(|&(part, _, _)| part);
    let mut arcs = Vec::new();
    for (_, part_arcs, flows) in priced {
        flow.extend(flows);
        arcs.extend(part_arcs);
    }
    let solution = network.priced_solution_from(flow, potential, pivots, (arcs, rounds))?;
    Ok(Solution {
        parts: supplied,
        ..solution
    })
}

/// The parts' solutions as they come in.
struct Merged {
    flow: Vec<i64>,
    potential: Vec<i64>,
    pivots: u64,
    /// Per part that brought arcs in: its number, the arcs and their flows.
    priced: Vec<(usize, Vec<PricedArc>, Vec<i64>)>,
    rounds: u32,
}

impl Merged {
    /// Writes part `i`'s solution back into the whole network's numbering.
    fn add(&mut self, i: usize, part: &Part, mut solved: Solution) {
        // Potentials are defined up to a constant per piece: put every sink at 0.
        let shift = solved.potential.last().copied().unwrap_or(0);
        self.pivots += solved.pivots;
        self.rounds = self.rounds.max(solved.pricing_rounds);
        for (&node, &p) in part.nodes.iter().zip(&solved.potential) {
            self.potential[node as usize] = p - shift;
        }
        for (&arc, &f) in part.arcs.iter().zip(&solved.flow) {
            self.flow[arc as usize] = f;
        }
        if !solved.priced.is_empty() {
            let flows = solved.flow.split_off(part.arcs.len());
            self.priced.push((i, solved.priced, flows));
        }
    }
}

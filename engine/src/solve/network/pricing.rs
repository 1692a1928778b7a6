//! Arcs priced in on demand (column generation): a network may hold only some of its arcs and
//! leave the others to a [`Pricing`], which brings in those the potentials say would pay.
//!
//! The certificate: once the simplex is optimal on the arcs it holds, its potentials `p` give
//! every held arc a reduced cost `c − p(from) + p(to)` that is >= 0 below capacity and <= 0
//! with flow. An arc left out carries no flow, so if none of them has a negative reduced cost
//! either, the same potentials satisfy complementary slackness for the whole network, and the
//! flow is optimal for it: nothing left out could lower the cost. When some do, they join the
//! basis at their lower bound (no flow, the tree unchanged) and the simplex goes on from where
//! it stopped. Each round adds arcs that were not held, so this ends, at worst with every arc.

use foldhash::HashSet;

use super::NodeId;

/// An arc brought in by a pricing, with the pricer's key to read its flow back by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedArc {
    /// Where the arc starts.
    pub from: NodeId,
    /// Where it ends.
    pub to: NodeId,
    /// Its capacity (>= 0).
    pub capacity: i64,
    /// Its cost per unit, at most the pricing's `max_abs_cost` in absolute value.
    pub cost: i64,
    /// Whatever the pricer needs to know the arc again.
    pub key: u64,
}

/// The arcs a network leaves out, priced against the potentials of its optimum.
pub(crate) trait Pricing: Sync {
    /// The largest |cost| of an arc it may bring in: the overflow proof counts it.
    fn max_abs_cost(&self) -> u64;

    /// Arcs left out of the network, not yet brought in, whose reduced cost under
    /// `potentials` is negative and whose ends `potentials` knows (the part being solved):
    /// a few of the most negative per source node, in an order that depends on nothing but
    /// the network and the potentials. None means the potentials prove the optimum.
    fn price(&self, potentials: &Potentials<'_>) -> Vec<PricedArc>;
}

/// Where the nodes of a part are in the whole network (see `split`).
#[derive(Clone, Copy)]
pub(super) struct PartMap<'a> {
    /// This part's number.
    pub(super) piece: u32,
    /// The part of every node of the whole network (`u32::MAX` for the sink).
    pub(super) piece_of: &'a [u32],
    /// Every node's number within its part.
    pub(super) local: &'a [u32],
    /// The whole network's sink, which every part has a copy of, last.
    pub(super) sink: u32,
    /// How many nodes the part has, its sink's copy included.
    pub(super) nodes: u32,
}

impl PartMap<'_> {
    /// `node` of the whole network as a node of this part, if it is one.
    pub(super) fn local(&self, node: NodeId) -> Option<u32> {
        if node.0 == self.sink {
            return Some(self.nodes - 1);
        }
        let i = node.0 as usize;
        (self.piece_of.get(i) == Some(&self.piece)).then(|| self.local[i])
    }
}

/// A pricing and where the network it prices for sits in the whole one.
#[derive(Clone, Copy)]
pub(super) struct Priced<'a> {
    pub(super) pricing: &'a dyn Pricing,
    /// `None` when the network is the whole one.
    pub(super) part: Option<PartMap<'a>>,
}

impl Priced<'_> {
    /// `node` of the whole network as a node of the network being solved, if it is one.
    pub(super) fn local(&self, node: NodeId) -> Option<u32> {
        match &self.part {
            Some(part) => part.local(node),
            None => Some(node.0),
        }
    }
}

/// The potentials of an optimum on the arcs held so far, as the pricer reads them: by the
/// whole network's node ids.
pub(crate) struct Potentials<'a> {
    pub(super) potential: &'a [i64],
    pub(super) priced: Priced<'a>,
    /// The arcs brought in so far, by their ends in the whole network.
    pub(super) brought: &'a HashSet<(u32, u32)>,
}

impl Potentials<'_> {
    /// The potential of `node`, if it is in the network being solved.
    pub(crate) fn of(&self, node: NodeId) -> Option<i64> {
        let local = self.priced.local(node)?;
        self.potential.get(local as usize).copied()
    }

    /// Whether the arc from `from` to `to` was already brought in.
    pub(crate) fn brought(&self, from: NodeId, to: NodeId) -> bool {
        self.brought.contains(&(from.0, to.0))
    }
}

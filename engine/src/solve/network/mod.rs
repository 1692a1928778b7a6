//! An exact min-cost flow solver: a primal network simplex on flat arrays.
//!
//! The assignment engine reduces "who serves whom" to one min-cost flow problem: supply nodes
//! (groups of customers) send their customers through intermediate nodes to managers and on to
//! a single sink, with a convex load cost expressed as parallel arcs of increasing cost. This
//! module builds such a network incrementally and solves it exactly in integer arithmetic,
//! optionally from a given flow and with arcs left to a pricing that brings them in when the
//! potentials say they would pay (`pricing`).
//!
//! Everything that could overflow is checked once, up front, from the inputs (see
//! [`NetworkError::Overflow`]); the simplex itself then runs on plain `i64` arithmetic that is
//! proven to stay in range. The solver is deterministic: the same network always yields the same
//! flows and potentials.

use crate::cancel::Cancel;
pub use file::write_limits_file;
use pricing::Priced;
pub use pricing::PricedArc;
pub(crate) use pricing::{Potentials, Pricing};
pub(crate) use steer::Steering;

mod again;
mod basic;
mod convex;
mod file;
mod linked;
mod pricing;
mod simplex;
mod split;
mod steer;
#[cfg(test)]
mod tests;
pub(crate) mod union_find;

/// A node of a [`Network`], numbered from 0 in the order the nodes were added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// An arc of a [`Network`], numbered from 0 in the order the arcs were added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArcId(pub u32);

/// Why a network could not be solved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// Total supply and total demand differ, so no flow can satisfy every node.
    #[error("the network is unbalanced: total supply {supply} but total demand {demand}")]
    Unbalanced {
        /// The sum of the positive supplies.
        supply: i64,
        /// The sum of the demands (negated negative supplies).
        demand: i64,
    },
    /// No flow meets every supply and demand within the arc capacities.
    #[error("no flow satisfies the supplies and demands within the arc capacities")]
    Infeasible,
    /// Costs times flows, total supply or node potentials could leave the range of `i64`, or the
    /// network has more nodes or arcs than 32-bit ids can name; detected before solving.
    #[error("the network's costs, supplies or size are too large for exact 64-bit arithmetic")]
    Overflow,
    /// The solve was stopped through its cancel flag.
    #[error("the solve was cancelled")]
    Cancelled,
    /// An arc is malformed.
    #[error("arc {arc} is invalid: {reason}")]
    InvalidArc {
        /// The offending arc's id.
        arc: u32,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl NetworkError {
    /// A stable machine-readable name for the error, for reports and exit codes.
    pub fn code(&self) -> &'static str {
        match self {
            NetworkError::Unbalanced { .. } => "unbalanced_network",
            NetworkError::Infeasible => "infeasible_network",
            NetworkError::Overflow => "cost_overflow",
            NetworkError::Cancelled => "cancelled",
            NetworkError::InvalidArc { .. } => "invalid_arc",
        }
    }
}

/// A min-cost flow problem, built node by node and arc by arc.
///
/// Stored as flat arrays (structure of arrays) so building a network of a million arcs costs a
/// few appends each and the solver can copy them without pointer chasing. Arcs are validated when
/// solving, not when added, so building never fails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    supply: Vec<i64>,
    source: Vec<u32>,
    target: Vec<u32>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
    /// Arc id ranges added by [`Network::add_convex_arcs`].
    convex: Vec<(u32, u32)>,
    /// Pairs of nodes an arc left to a pricing may join (see [`Network::join`]).
    joins: Vec<(u32, u32)>,
    /// A flow to start from (see [`Network::start_from`]).
    start: Option<Start>,
    /// Links (see [`Network::link`]): a node, and the arc ids `first..end` of its run to the
    /// sink.
    links: Vec<(u32, u32, u32)>,
    /// The ends of the last arcs, which a pricing brought into another solve of this network
    /// (see `linked`): a pricing must not bring them again.
    priced_before: Vec<(u32, u32)>,
}

/// A flow per arc to start the solve from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Start {
    flow: Vec<i64>,
    /// Whether the flow's loads on convex runs are near the optimum's.
    near: bool,
    /// Whether the flow is basic (its partial arcs make no cycle), to be kept so when its
    /// convex runs are merged into segments (see `convex`).
    basic: bool,
}

/// An optimal flow with the dual prices that prove it optimal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// The flow on each arc, indexed by [`ArcId`].
    pub flow: Vec<i64>,
    /// A price per node, indexed by [`NodeId`]: with reduced cost `c_ij - p_i + p_j`, every arc
    /// below capacity has reduced cost >= 0 and every arc with positive flow has reduced cost <= 0
    /// (no residual arc has a negative reduced cost), which certifies optimality.
    pub potential: Vec<i64>,
    /// The total cost, `sum(flow * cost)` over all arcs.
    pub cost: i64,
    /// The simplex pivots the solve took, over every part and round: how hard the network
    /// was, the same on any thread count.
    pub pivots: u64,
    /// The arcs a pricing brought in, numbered after the network's own: the `i`-th has id
    /// `arc_count + i` in `flow`. Parts' arcs come in part order.
    pub priced: Vec<PricedArc>,
    /// The most pricing rounds any part of the network needed (0 without a pricing).
    pub pricing_rounds: u32,
    /// How many independent parts with something to send the network was solved in, in
    /// parallel: 1 when it was solved whole (see `split`).
    pub parts: usize,
    /// Whether those parts are joined by links (business lines, national desks over
    /// regions): solved first with each such link priced flat and each region held to a
    /// share of its room, then the whole from their optimum (see `linked`).
    pub joined_by_links: bool,
}

impl Solution {
    /// The flow on `arc`; 0 for an id the solved network never issued, so a lookup cannot fail.
    pub fn flow(&self, arc: ArcId) -> i64 {
        self.flow.get(arc.0 as usize).copied().unwrap_or(0)
    }
}

/// The largest node count: the solver adds one root node and keeps `u32::MAX` as "no node".
const MAX_NODES: usize = (u32::MAX - 2) as usize;

impl Network {
    /// An empty network.
    pub fn new() -> Network {
        Network::default()
    }

    /// An empty network with room for `nodes` nodes and `arcs` arcs, to avoid regrowing while
    /// building large networks.
    pub fn with_capacity(nodes: usize, arcs: usize) -> Network {
        Network {
            supply: Vec::with_capacity(nodes),
            source: Vec::with_capacity(arcs),
            target: Vec::with_capacity(arcs),
            capacity: Vec::with_capacity(arcs),
            cost: Vec::with_capacity(arcs),
            convex: Vec::new(),
            joins: Vec::new(),
            start: None,
            links: Vec::new(),
            priced_before: Vec::new(),
        }
    }

    /// Adds a node that supplies `supply` units (> 0), demands `-supply` units (< 0) or only
    /// passes flow on (0).
    pub fn add_node(&mut self, supply: i64) -> NodeId {
        let id = u32::try_from(self.supply.len()).unwrap_or(u32::MAX);
        self.supply.push(supply);
        NodeId(id)
    }

    /// Adds `amount` units to what `node` supplies (see [`Network::add_node`]); an unknown node
    /// is left as it is.
    pub(crate) fn add_supply(&mut self, node: NodeId, amount: i64) {
        if let Some(supply) = self.supply.get_mut(node.0 as usize) {
            *supply = supply.saturating_add(amount);
        }
    }

    /// Adds an arc carrying between 0 and `capacity` units from `from` to `to` at `cost` per unit.
    /// A capacity at or above the total supply is effectively unlimited. Invalid arcs (negative
    /// capacity, unknown node) are reported by [`Network::solve`].
    pub fn add_arc(&mut self, from: NodeId, to: NodeId, capacity: i64, cost: i64) -> ArcId {
        let id = u32::try_from(self.source.len()).unwrap_or(u32::MAX);
        self.source.push(from.0);
        self.target.push(to.0);
        self.capacity.push(capacity);
        self.cost.push(cost);
        ArcId(id)
    }

    /// Adds a convex arc from `from` to `to`: parallel arcs, one per `(capacity, cost)` piece,
    /// whose costs must not decrease, so that a flow of `x` costs the cheapest `x` units. Such
    /// runs (a manager's rising cost per customer) are solved through merged segments that are
    /// refined until the potentials prove the optimum, which saves most of the pivots. Returns
    /// the pieces' arc ids, in order.
    pub fn add_convex_arcs(
        &mut self,
        from: NodeId,
        to: NodeId,
        pieces: impl IntoIterator<Item = (i64, i64)>,
    ) -> Vec<ArcId> {
        let start = self.source.len();
        let arcs: Vec<ArcId> = pieces
            .into_iter()
            .map(|(capacity, cost)| self.add_arc(from, to, capacity, cost))
            .collect();
        let end = self.source.len();
        if end > start {
            let id = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
            self.convex.push((id(start), id(end)));
        }
        arcs
    }

    /// Declares that an arc a pricing may bring in joins `a` and `b`, so that a solve with
    /// that pricing never solves them as independent parts (see `split`).
    pub(crate) fn join(&mut self, a: NodeId, b: NodeId) {
        self.joins.push((a.0, b.0));
    }

    /// Declares `node` a link: a node whose convex run `run` (consecutive arcs) leads to the
    /// single sink or to another link, and which may be all that joins the network's
    /// independent parts (a business line, or a national desk, over regions). A network that
    /// starts from a flow then starts from its parts' optimum with the links that join them
    /// priced flat (see `linked`).
    pub(crate) fn link(&mut self, node: NodeId, run: &[ArcId]) {
        if let (Some(first), Some(last)) = (run.first(), run.last()) {
            self.links.push((node.0, first.0, last.0 + 1));
        }
    }

    /// Starts the solve from `flow` (one per arc, the arcs added so far) instead of from
    /// nothing: a good placement saves most of the pivots. With `near`, its loads on convex runs are taken to be close
    /// to the optimum's, and the runs start cut finely around them. Only speed depends on
    /// this: a flow the solver cannot start from (see `simplex::Simplex::start_from`) is
    /// ignored, and the optimum is the same.
    pub(crate) fn start_from(&mut self, flow: Vec<i64>, near: bool) {
        self.start = (flow.len() == self.arc_count()).then_some(Start {
            flow,
            near,
            basic: false,
        });
    }

    /// How many nodes were added.
    pub fn node_count(&self) -> usize {
        self.supply.len()
    }

    /// How many arcs were added.
    pub fn arc_count(&self) -> usize {
        self.source.len()
    }

    /// The supply of `node` as added; 0 for an id this network never issued.
    pub fn supply(&self, node: NodeId) -> i64 {
        self.supply.get(node.0 as usize).copied().unwrap_or(0)
    }

    /// An arc's `(from, to, capacity, cost)` as added. An id this network never issued reads as
    /// an empty arc between two `u32::MAX` nodes, so inspection cannot fail.
    pub fn arc(&self, arc: ArcId) -> (NodeId, NodeId, i64, i64) {
        let i = arc.0 as usize;
        match (
            self.source.get(i),
            self.target.get(i),
            self.capacity.get(i),
            self.cost.get(i),
        ) {
            (Some(&from), Some(&to), Some(&capacity), Some(&cost)) => {
                (NodeId(from), NodeId(to), capacity, cost)
            }
            _ => (NodeId(u32::MAX), NodeId(u32::MAX), 0, 0),
        }
    }

    /// The nodes that can still send a unit to `target` under `solution`: those with a path
    /// of residual arcs (below capacity forward, carrying flow backward) to it, leaving out
    /// the arcs `excluded` says to. Arcs a pricing brought in count as the network's own;
    /// `left_out` are the arcs it never brought in (no flow, room to spare). One
    /// breadth-first search backward from `target`, in time linear in the network.
    pub fn reaching(
        &self,
        solution: &Solution,
        target: NodeId,
        excluded: impl Fn(ArcId) -> bool,
        left_out: impl IntoIterator<Item = (NodeId, NodeId)>,
    ) -> Vec<bool> {
        let nodes = self.node_count();
        // For each node, the nodes with a residual arc into it.
        let mut into: Vec<Vec<u32>> = vec![Vec::new(); nodes];
        let mut residual = |from: u32, to: u32, flow: i64, capacity: i64| {
            if flow < capacity
                && let Some(list) = into.get_mut(to as usize)
            {
                list.push(from);
            }
            if flow > 0
                && let Some(list) = into.get_mut(from as usize)
            {
                list.push(to);
            }
        };
        let own = (0..self.arc_count()).map(|a| (self.source[a], self.target[a], self.capacity[a]));
        let priced = solution
            .priced
            .iter()
            .map(|a| (a.from.0, a.to.0, a.capacity));
        for (a, (from, to, capacity)) in own.chain(priced).enumerate() {
            let id = ArcId(u32::try_from(a).unwrap_or(u32::MAX));
            if !excluded(id) {
                residual(from, to, solution.flow(id), capacity);
            }
        }
        for (from, to) in left_out {
            residual(from.0, to.0, 0, 1);
        }
        let mut reached = vec![false; nodes];
        let mut queue = std::collections::VecDeque::new();
        if let Some(seen) = reached.get_mut(target.0 as usize) {
            *seen = true;
            queue.push_back(target.0);
        }
        while let Some(node) = queue.pop_front() {
            for &before in &into[node as usize] {
                if let Some(seen) = reached.get_mut(before as usize)
                    && !*seen
                {
                    *seen = true;
                    queue.push_back(before);
                }
            }
        }
        reached
    }

    /// Finds a minimum-cost flow meeting every supply and demand within the capacities.
    ///
    /// Checks, in order: the network's size, each arc ([`NetworkError::InvalidArc`]), that the
    /// supplies add up ([`NetworkError::Overflow`], then [`NetworkError::Unbalanced`]), that
    /// costs and potentials stay within `i64` ([`NetworkError::Overflow`]); then solves, and
    /// reports [`NetworkError::Infeasible`] when no flow fits the capacities.
    pub fn solve(&self) -> Result<Solution, NetworkError> {
        self.solve_with(None, None)
    }

    /// [`Network::solve`], giving up with [`NetworkError::Cancelled`] soon after `cancel` is
    /// raised from another thread.
    pub fn solve_cancellable(&self, cancel: &Cancel) -> Result<Solution, NetworkError> {
        self.solve_with(None, Some(cancel))
    }

    /// [`Network::solve_cancellable`] of the network with every arc `pricing` may bring in:
    /// solved on the arcs it holds, then priced, until the potentials prove that no arc left
    /// out would lower the cost (see `pricing`). The arcs brought in are in the solution's
    /// `priced`. Arcs that can join nodes must have been declared with [`Network::join`].
    pub(crate) fn solve_priced(
        &self,
        pricing: &dyn Pricing,
        cancel: Option<&Cancel>,
    ) -> Result<Solution, NetworkError> {
        self.solve_with(Some(pricing), cancel)
    }

    fn solve_with(
        &self,
        pricing: Option<&dyn Pricing>,
        cancel: Option<&Cancel>,
    ) -> Result<Solution, NetworkError> {
        let max_priced_cost = pricing.map_or(0, Pricing::max_abs_cost);
        // Cutting the network into parts does not need the bounds: it runs beside validation.
        let (bounds, parts) = rayon::join(
            || self.validate(max_priced_cost),
            || split::parts(self, pricing.is_some()),
        );
        let bounds = bounds?;
        // Regions that only links join come apart with the links priced flat: worth trying
        // when the network is one piece, or when one of its parts holds several such regions
        // (lines over most regions, and one region outside them).
        if let Some((whole, relaxed)) = linked::linked_start(self, cancel, pricing, parts.as_ref())
        {
            let parts = split::parts(&whole, pricing.is_some());
            let mut solution = whole.solve_in(parts, bounds, cancel, pricing)?;
            solution.pivots += relaxed.pivots;
            solution.pricing_rounds += relaxed.pricing_rounds;
            solution.parts = relaxed.parts;
            solution.joined_by_links = true;
            // The arcs the parts brought in are the whole's first ones after its own.
            solution.priced.splice(0..0, relaxed.priced);
            return Ok(solution);
        }
        self.solve_in(parts, bounds, cancel, pricing)
    }

    /// Solves the network through its independent `parts` if it has some, else whole (see
    /// `solve_whole` for `bounds`).
    fn solve_in(
        &self,
        parts: Option<split::Parts>,
        bounds: (i64, u64),
        cancel: Option<&Cancel>,
        pricing: Option<&dyn Pricing>,
    ) -> Result<Solution, NetworkError> {
        match parts {
            Some(parts) => split::solve(self, parts, bounds, cancel, pricing),
            None => {
                let priced = pricing.map(|pricing| Priced {
                    pricing,
                    part: None,
                });
                self.solve_whole(bounds, cancel, priced)
            }
        }
    }

    /// Solves the network as one piece (see `split` for the pieces). `bounds` are big M and
    /// the potential bound proven by [`Network::validate`] for this network or for one it is a
    /// part of (fewer nodes, costs among its costs: the same bounds hold).
    fn solve_whole(
        &self,
        bounds: (i64, u64),
        cancel: Option<&Cancel>,
        priced: Option<Priced<'_>>,
    ) -> Result<Solution, NetworkError> {
        if self.convex.is_empty() && priced.is_none() {
            return self.solve_plain(bounds, cancel);
        }
        convex::solve(self, &self.convex, bounds, cancel, priced)
    }

    /// Checks everything [`Network::solve`] checks before solving; returns big M and the
    /// potential bound (see [`Network::check_overflow`]), counting arcs a pricing may bring
    /// in at up to `max_priced_cost`.
    fn validate(&self, max_priced_cost: u64) -> Result<(i64, u64), NetworkError> {
        if !self.ids_fit() {
            return Err(NetworkError::Overflow);
        }
        self.validate_arcs()?;
        self.check_overflow(self.total_supply()?, max_priced_cost)
    }

    /// Whether every node and arc the solver numbers, one artificial arc per node included,
    /// has a 32-bit id (`u32::MAX` is "none").
    fn ids_fit(&self) -> bool {
        let nodes = self.node_count();
        nodes <= MAX_NODES && self.arc_count() <= MAX_NODES - nodes
    }

    /// Solves with every arc as it is, convex runs included (see `solve_whole` for `bounds`).
    fn solve_plain(
        &self,
        (artificial_cost, potential_bound): (i64, u64),
        cancel: Option<&Cancel>,
    ) -> Result<Solution, NetworkError> {
        let mut solver = simplex::Solver::new(
            &self.supply,
            (&self.source, &self.target),
            (&self.capacity, &self.cost),
            (artificial_cost, potential_bound),
            self.start.as_ref().map(|start| &start.flow[..]),
        );
        match solver.solve(cancel) {
            simplex::Outcome::Optimal(flow, potential) => {
                self.solution_from(flow, potential, solver.pivots())
            }
            simplex::Outcome::Infeasible => Err(NetworkError::Infeasible),
            simplex::Outcome::Cancelled => Err(NetworkError::Cancelled),
        }
    }

    /// An optimal flow with its total cost. The overflow check bounds every |flow * cost| and
    /// their sum for any optimal flow, so this cannot fail; it is still checked, not trusted.
    fn solution_from(
        &self,
        flow: Vec<i64>,
        potential: Vec<i64>,
        pivots: u64,
    ) -> Result<Solution, NetworkError> {
        self.priced_solution_from(flow, potential, pivots, (Vec::new(), 0))
    }

    /// [`Network::solution_from`] with the arcs a pricing brought in (and its rounds), whose
    /// flows follow the network's own. Their costs are outside the overflow proof: here the
    /// check is what keeps the total exact.
    fn priced_solution_from(
        &self,
        flow: Vec<i64>,
        potential: Vec<i64>,
        pivots: u64,
        (priced, pricing_rounds): (Vec<PricedArc>, u32),
    ) -> Result<Solution, NetworkError> {
        let mut cost = 0i64;
        let costs = self
            .cost
            .iter()
            .copied()
            .chain(priced.iter().map(|a| a.cost));
        for (&f, c) in flow.iter().zip(costs) {
            cost = f
                .checked_mul(c)
                .and_then(|fc| cost.checked_add(fc))
                .ok_or(NetworkError::Overflow)?;
        }
        Ok(Solution {
            flow,
            potential,
            cost,
            pivots,
            priced,
            pricing_rounds,
            parts: 1,
            joined_by_links: false,
        })
    }

    /// Appends a copy of arc `arc` of `other`.
    fn push_arc_of(&mut self, other: &Network, arc: usize) {
        self.source.push(other.source[arc]);
        self.target.push(other.target[arc]);
        self.capacity.push(other.capacity[arc]);
        self.cost.push(other.cost[arc]);
    }

    fn validate_arcs(&self) -> Result<(), NetworkError> {
        let nodes = self.node_count();
        for (i, ((&from, &to), &capacity)) in self
            .source
            .iter()
            .zip(&self.target)
            .zip(&self.capacity)
            .enumerate()
        {
            // `solve` has checked that arc ids fit in u32.
            let arc = u32::try_from(i).unwrap_or(u32::MAX);
            if capacity < 0 {
                return Err(NetworkError::InvalidArc {
                    arc,
                    reason: "negative capacity",
                });
            }
            if from as usize >= nodes || to as usize >= nodes {
                return Err(NetworkError::InvalidArc {
                    arc,
                    reason: "unknown node",
                });
            }
        }
        for &(start, end) in &self.convex {
            let costs = &self.cost[start as usize..end as usize];
            if let Some(i) = costs.windows(2).position(|w| w[1] < w[0]) {
                return Err(NetworkError::InvalidArc {
                    arc: start + i as u32 + 1,
                    reason: "a convex arc's piece is cheaper than the one before",
                });
            }
        }
        Ok(())
    }

    /// The total supply, once it is known to fit and to equal the total demand.
    fn total_supply(&self) -> Result<i64, NetworkError> {
        let (mut supply, mut demand) = (0i128, 0i128);
        for &b in &self.supply {
            if b > 0 {
                supply += i128::from(b);
            } else {
                demand -= i128::from(b);
            }
        }
        let supply = i64::try_from(supply).map_err(|_| NetworkError::Overflow)?;
        let demand = i64::try_from(demand).map_err(|_| NetworkError::Overflow)?;
        if supply != demand {
            return Err(NetworkError::Unbalanced { supply, demand });
        }
        Ok(supply)
    }

    /// Proves from the inputs that the solve stays within `i64`, and returns the cost of the
    /// artificial arcs (big M) that start the simplex and the bound P on tree-path potentials.
    /// Arcs a pricing may bring in count at `max_priced_cost` in C; their flows' costs are
    /// summed with checked arithmetic when the solution is written.
    ///
    /// Potentials: every tree path from the artificial root crosses one artificial arc (cost 0 or
    /// M) and at most n - 1 real arcs, so potentials differ from the root's by at most
    /// P = M + (n - 1)·C, with C the largest |cost|. M = n·C + 1 is enough to make any flow left
    /// on an artificial arc a proof of infeasibility (a cycle through the root would save M but
    /// cost at most (n - 1)·C). The solver lets the root's potential drift up to about P + the
    /// largest reduced cost before re-basing, so every potential, reduced cost and update stays
    /// below 6·P + C <= 13·(n + 1)·(C + 1); we require 32·(n + 1)·(C + 1) to fit.
    ///
    /// Total cost: in an optimal flow, an arc of non-zero cost carries at most
    /// B = total supply + the capacities of all negative-cost arcs (a path-and-cycle
    /// decomposition has at most the supply on paths, and every cycle worth keeping runs through
    /// a negative arc). So the sum over arcs of |cost|·min(capacity, B) bounds every partial sum
    /// of the cost, and must fit; capacities above B are thereby effectively unlimited.
    fn check_overflow(
        &self,
        total_supply: i64,
        max_priced_cost: u64,
    ) -> Result<(i64, u64), NetworkError> {
        let max_cost = self
            .cost
            .iter()
            .map(|c| u128::from(c.unsigned_abs()))
            .max()
            .unwrap_or(0)
            .max(u128::from(max_priced_cost));
        let n = self.node_count() as u128;
        let limit = i64::MAX as u128;
        let headroom = (n + 1)
            .checked_mul(max_cost + 1)
            .and_then(|b| b.checked_mul(32))
            .ok_or(NetworkError::Overflow)?;
        if headroom > limit {
            return Err(NetworkError::Overflow);
        }
        // Both are below the headroom bound, so they fit.
        let artificial_cost = n * max_cost + 1;
        let potential_bound = artificial_cost + n.saturating_sub(1) * max_cost;
        let artificial_cost = i64::try_from(artificial_cost).map_err(|_| NetworkError::Overflow)?;
        let potential_bound = u64::try_from(potential_bound).map_err(|_| NetworkError::Overflow)?;

        let negative_capacity: u128 = self
            .cost
            .iter()
            .zip(&self.capacity)
            .filter(|(c, _)| **c < 0)
            .map(|(_, &u)| u128::from(u.unsigned_abs()))
            .sum();
        let flow_bound = negative_capacity + u128::from(total_supply.unsigned_abs());
        let mut cost_bound = 0u128;
        for (&c, &u) in self.cost.iter().zip(&self.capacity) {
            let flow = u128::from(u.unsigned_abs()).min(flow_bound);
            // Both factors are below 2^64, so the product fits in u128.
            cost_bound += u128::from(c.unsigned_abs()) * flow;
            if cost_bound > limit {
                return Err(NetworkError::Overflow);
            }
        }
        Ok((artificial_cost, potential_bound))
    }
}

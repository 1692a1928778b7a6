//! The primal network simplex itself, after Ahuja, Magnanti & Orlin (ch. 11) and the layout of
//! LEMON's `NetworkSimplex`.
//!
//! The spanning tree is kept in parent / predecessor-arc / thread (preorder successor) /
//! reverse-thread / subtree-size / last-successor arrays, so a pivot touches only the cycle and
//! the subtree that moves. The tree stays strongly feasible (every node can push flow to the
//! root), which together with the leaving-arc tie rule rules out cycling. Entering arcs are
//! chosen by block search: scan about sqrt(m) arcs, take the most negative reduced cost among
//! them, and only scan on if none was negative.
//!
//! Beyond the textbook: tree arcs keep their flow in node-indexed arrays (arcs out of the tree
//! sit at a bound given by their state), so cycle walks never touch the large arc arrays; a
//! potential update shifts whichever side of the tree is smaller; transit nodes are hung below
//! the demand nodes by a few cheap initial pivots; the artificial arcs start with a small
//! cost M, raised to the proven big M only if the first optimum still uses them; an arc can
//! be split into parallel pieces, and new arcs added, between solves without losing the basis
//! (warm start for the convex rounds of `convex.rs` and the arcs priced in); and the first
//! basis can be that of a given flow (`start_from`) rather than the artificial one.
//!
//! All arithmetic is plain `i64`; the caller has proven from the inputs that potentials, reduced
//! costs and flows stay in range (flows never leave `0..=capacity`).

use crate::cancel::Cancel;

/// "No node" / "no arc".
const NONE: u32 = u32::MAX;

/// Arc states: in the tree, or out of it at its lower or upper bound. Stored as the sign that
/// turns a reduced cost into "how much a unit pushed in the arc's improving direction saves".
const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;

/// Direction of a node's predecessor arc: from the node up to its parent, or down into it.
const DIR_UP: i8 = 1;
const DIR_DOWN: i8 = -1;

/// Pivots between two looks at the cancel flag.
const PIVOTS_PER_CANCEL_CHECK: u32 = 4096;

/// How a solve ended.
pub(super) enum Outcome {
    /// Per-arc flows and per-node potentials.
    Optimal(Vec<i64>, Vec<i64>),
    /// No flow meets the supplies within the capacities.
    Infeasible,
    /// The cancel flag was raised.
    Cancelled,
}

/// Smallest block of arcs scanned per pricing step.
const MIN_BLOCK_SIZE: usize = 10;

#[inline(always)]
fn ix(i: u32) -> usize {
    i as usize
}

struct Simplex {
    /// Real arcs are `0..arc_num`, artificial arc of node `u` is `arc_num + u`.
    arc_num: usize,
    source: Vec<u32>,
    target: Vec<u32>,
    cost: Vec<i64>,
    cap: Vec<i64>,
    /// Out of the tree an arc's flow is implied by its state (0 or its capacity).
    state: Vec<i8>,

    /// Potentials, LEMON's sign: reduced cost of arc (i, j) is `cost + pi[i] - pi[j]`.
    pi: Vec<i64>,
    parent: Vec<u32>,
    pred: Vec<u32>,
    pred_dir: Vec<i8>,
    /// Flow and capacity of each node's predecessor arc, kept by node so walking a cycle reads
    /// only small, cache-resident node arrays instead of the large arc arrays.
    pred_flow: Vec<i64>,
    pred_cap: Vec<i64>,
    thread: Vec<u32>,
    rev_thread: Vec<u32>,
    succ_num: Vec<u32>,
    last_succ: Vec<u32>,
    dirty_revs: Vec<u32>,
    /// The tree paths from the entering arc's source and target up to (not including) the join.
    source_path: Vec<u32>,
    target_path: Vec<u32>,

    /// Bound on |potential - root potential| over all nodes (tree paths: M + (n - 1)·C).
    potential_bound: u64,

    // Pivot rule state.
    block_size: usize,
    next_arc: usize,

    // The current pivot.
    in_arc: u32,
    join: u32,
    u_in: u32,
    v_in: u32,
    u_out: u32,
    delta: i64,
    /// The entering arc's flow after the pivot.
    in_flow: i64,
    /// Pivots so far, over every solve of this basis.
    pivots: u64,
}

/// A network simplex that keeps its basis between solves, so arcs can be split into parallel
/// pieces and the solve resumed from the last optimum instead of from scratch.
pub(super) struct Solver {
    simplex: Simplex,
    node_num: usize,
    /// The proven big M, and the small M the solve starts with (see [`Solver::new`]).
    artificial_cost: i64,
    small_m: i64,
    started: bool,
}

impl Solver {
    /// A solver for a validated, balanced, overflow-checked network. `artificial_cost` is big M
    /// and `potential_bound` bounds |potential| along tree paths from the root (M + (n - 1)·C).
    /// With a `start` flow (one per arc) that [`Simplex::start_from`] accepts, the first basis
    /// is that flow's instead of the artificial one.
    pub(super) fn new(
        supply: &[i64],
        (source, target): (&[u32], &[u32]),
        (capacity, cost): (&[i64], &[i64]),
        (artificial_cost, potential_bound): (i64, u64),
        start: Option<&[i64]>,
    ) -> Solver {
        // First try a small M: just above the largest arc cost. An optimum without artificial
        // flow is optimal whatever M was, and a small M lets the first pivots route supply by
        // the real costs instead of by "anything that reaches a demand node". Only if
        // artificial flow is left over does the proven M decide.
        let small_m = cost.iter().map(|c| c.unsigned_abs()).max().unwrap_or(0);
        let small_m = i64::try_from(small_m)
            .ok()
            .and_then(|c| c.checked_add(1))
            .map_or(artificial_cost, |m| m.min(artificial_cost));
        let mut simplex = Simplex::new(supply, source, target, capacity, cost, small_m);
        simplex.potential_bound = potential_bound;
        let started = start.is_some_and(|flow| simplex.start_from(supply, flow, small_m));
        if !supply.is_empty() && !started {
            simplex.attach_transit_nodes(supply);
        }
        Solver {
            simplex,
            node_num: supply.len(),
            artificial_cost,
            small_m,
            started: false,
        }
    }

    /// Solves (or goes on solving after [`Solver::split`]) to optimality. Returns per-arc flows
    /// and per-node potentials (reduced cost `c - p_i + p_j`, root at 0); stops early once
    /// `cancel` is raised.
    pub(super) fn solve(&mut self, cancel: Option<&Cancel>) -> Outcome {
        let simplex = &mut self.simplex;
        if self.node_num == 0 {
            // Without nodes there can be no valid arcs either.
            return Outcome::Optimal(vec![0; simplex.arc_num], Vec::new());
        }
        self.started = true;
        if !simplex.run(cancel) {
            return Outcome::Cancelled;
        }
        if self.small_m < self.artificial_cost && !simplex.artificial_flow_is_zero() {
            simplex.raise_artificial_cost(self.artificial_cost);
            self.small_m = self.artificial_cost;
            if !simplex.run(cancel) {
                return Outcome::Cancelled;
            }
        }
        match simplex.flows() {
            Some(flow) => {
                let root = simplex.pi[self.node_num];
                let potential = simplex.pi[..self.node_num]
                    .iter()
                    .map(|&p| root - p)
                    .collect();
                Outcome::Optimal(flow, potential)
            }
            None => Outcome::Infeasible,
        }
    }

    /// Replaces each arc `arc` by parallel pieces `(capacity, cost)` whose capacities add up to
    /// its own, keeping the current flow and basis: the arc becomes one of its pieces (the one
    /// its flow ends in, so a tree arc stays strictly between its bounds where it can), pieces
    /// before it are full and pieces after it empty. New pieces get the next arc ids. Returns,
    /// per split, the arc id of each piece in order.
    pub(super) fn split(&mut self, splits: &[(u32, Vec<(i64, i64)>)]) -> Vec<Vec<u32>> {
        self.simplex.split(splits)
    }

    /// Appends arcs `(from, to, capacity, cost)` out of the tree at their lower bound (no
    /// flow), keeping the basis, so the solve goes on from the last optimum: the way priced-in
    /// arcs join (see `pricing`). They get the next arc ids, in order.
    pub(super) fn add_arcs(&mut self, arcs: &[(u32, u32, i64, i64)]) {
        self.simplex.add_arcs(arcs);
    }

    /// How many real arcs it holds, split pieces and added arcs included.
    pub(super) fn arc_count(&self) -> usize {
        self.simplex.arc_num
    }

    /// The pivots made so far, initial ones included, over every solve.
    pub(super) fn pivots(&self) -> u64 {
        self.simplex.pivots
    }
}

impl Simplex {
    /// Initial pivots: hangs the transit nodes (supply 0) below the demand nodes along cheap
    /// arcs, breadth first from the demand nodes, each node's incoming arcs cheapest first. In
    /// the starting tree a transit node sits on a zero-flow artificial arc, so each such pivot is
    /// degenerate and cheap; afterwards supply nodes see the real cost of reaching a demand node
    /// through them (in an assignment network: managers hang below the sink by their cheapest
    /// load arc), instead of preferring whatever arc leads straight into a demand node.
    fn attach_transit_nodes(&mut self, supply: &[i64]) {
        let n = supply.len();
        let m = self.arc_num;
        let transit = |e: usize| {
            let (u, v) = (self.source[e], self.target[e]);
            supply[ix(u)] == 0 && u != v && self.cap[e] > 0
        };
        // Incoming transit arcs per node, as a compressed (CSR) list.
        let mut start = vec![0usize; n + 1];
        for e in (0..m).filter(|&e| transit(e)) {
            start[ix(self.target[e]) + 1] += 1;
        }
        for v in 0..n {
            start[v + 1] += start[v];
        }
        let mut fill = start.clone();
        let mut incoming = vec![0u32; start[n]];
        for e in (0..m).filter(|&e| transit(e)) {
            let v = ix(self.target[e]);
            incoming[fill[v]] = e as u32;
            fill[v] += 1;
        }
        let mut attached: Vec<bool> = supply.iter().map(|&b| b < 0).collect();
        let mut queue: std::collections::VecDeque<u32> =
            (0..n as u32).filter(|&v| supply[ix(v)] < 0).collect();
        while let Some(v) = queue.pop_front() {
            let (from, to) = (start[ix(v)], start[ix(v) + 1]);
            let cost = &self.cost;
            incoming[from..to].sort_unstable_by_key(|&e| (cost[ix(e)], e));
            for &e in &incoming[from..to] {
                let u = self.source[ix(e)];
                let reduced = self.cost[ix(e)] + self.pi[ix(u)] - self.pi[ix(v)];
                if attached[ix(u)] || self.state[ix(e)] != STATE_LOWER || reduced >= 0 {
                    continue;
                }
                self.in_arc = e;
                self.pivot();
                attached[ix(u)] = true;
                queue.push_back(u);
            }
        }
    }

    /// Makes the basis that of `flow` (one per real arc, within its bounds), if it is one the
    /// simplex can start from; false, leaving the artificial basis, if not. The arcs strictly
    /// between their bounds are tree arcs, each tree of them hanging from one node
    /// ([`Simplex::orient_partial_arcs`]); a node hangs by its cheapest empty arc out when
    /// it has nothing left over ([`Simplex::hang_by_empty_arcs`]), else by its artificial
    /// arc; what a node has left over (its supply less what it sends, plus what it gets)
    /// rides on its artificial arc, up to the root when it is a surplus, down from it at
    /// cost M when it is a shortfall. That is a strongly feasible tree (a partial arc can
    /// carry more either way, an empty arc out more upwards) when only the nodes that hang
    /// from the root have something left over, and the partial arcs make no cycle: what an
    /// assignment's greedy placement gives (`start`), and any basic flow, such as the
    /// optimum of a network's parts (`linked`).
    fn start_from(&mut self, supply: &[i64], flow: &[i64], artificial_cost: i64) -> bool {
        let (n, m) = (supply.len(), self.arc_num);
        if flow.len() != m {
            return false;
        }
        let root = n as u32;
        let mut excess: Vec<i128> = supply.iter().map(|&b| i128::from(b)).collect();
        let mut parent = vec![root; n + 1];
        let mut pred = vec![NONE; n + 1];
        let mut dir = vec![DIR_UP; n + 1];
        let mut partial = Vec::new();
        for (e, &f) in flow.iter().enumerate() {
            let (u, v) = (ix(self.source[e]), ix(self.target[e]));
            if f < 0 || f > self.cap[e] {
                return false;
            }
            excess[u] -= i128::from(f);
            excess[v] += i128::from(f);
            if f > 0 && f < self.cap[e] {
                if u == v {
                    return false;
                }
                partial.push(e as u32);
            }
        }
        if !self.orient_partial_arcs(&partial, &excess, (&mut pred, &mut parent, &mut dir)) {
            return false;
        }
        self.hang_by_empty_arcs(flow, &excess, (&mut pred, &mut parent));
        // Children lists, then the thread as a preorder from the root; a node never reached
        // sits on a cycle of partial arcs.
        let mut first_child = vec![NONE; n + 1];
        let mut next_sibling = vec![NONE; n + 1];
        for u in (0..n).rev() {
            let p = ix(parent[u]);
            next_sibling[u] = first_child[p];
            first_child[p] = u as u32;
        }
        let mut order = Vec::with_capacity(n + 1);
        let mut stack = vec![root];
        while let Some(u) = stack.pop() {
            order.push(u);
            let mut child = first_child[ix(u)];
            let mut children = Vec::new();
            while child != NONE {
                children.push(child);
                child = next_sibling[ix(child)];
            }
            stack.extend(children.into_iter().rev());
        }
        if order.len() != n + 1 {
            return false;
        }
        let mut left: Vec<i64> = Vec::with_capacity(n);
        for &e in &excess {
            match i64::try_from(e) {
                Ok(e) => left.push(e),
                Err(_) => return false,
            }
        }
        for (e, &f) in flow.iter().enumerate() {
            self.state[e] = match f {
                0 => STATE_LOWER,
                f if f == self.cap[e] => STATE_UPPER,
                _ => STATE_TREE,
            };
        }
        for &e in pred[..n].iter().filter(|&&e| e != NONE) {
            self.state[ix(e)] = STATE_TREE;
        }
        for u in 0..n {
            let a = m + u;
            if pred[u] == NONE {
                pred[u] = a as u32;
                self.state[a] = STATE_TREE;
                let surplus = left[u] >= 0;
                (self.source[a], self.target[a]) = if surplus {
                    (u as u32, root)
                } else {
                    (root, u as u32)
                };
                self.cost[a] = if surplus { 0 } else { artificial_cost };
                self.pred_dir[u] = if surplus { DIR_UP } else { DIR_DOWN };
                self.pred_flow[u] = left[u].unsigned_abs().min(i64::MAX as u64) as i64;
                self.pred_cap[u] = i64::MAX;
            } else {
                self.state[a] = STATE_LOWER;
                let e = ix(pred[u]);
                self.pred_dir[u] = dir[u];
                self.pred_flow[u] = flow[e];
                self.pred_cap[u] = self.cap[e];
            }
            self.pred[u] = pred[u];
            self.parent[u] = parent[u];
        }
        // Thread, reverse thread, subtree sizes and last successors from the preorder.
        for (i, &u) in order.iter().enumerate() {
            let next = order[(i + 1) % order.len()];
            self.thread[ix(u)] = next;
            self.rev_thread[ix(next)] = u;
            self.succ_num[ix(u)] = 1;
            self.last_succ[ix(u)] = u;
        }
        for &u in order.iter().rev() {
            let p = self.parent[ix(u)];
            if u != root {
                self.succ_num[ix(p)] += self.succ_num[ix(u)];
            }
        }
        // A subtree is a run of the preorder: its last successor ends that run.
        for (at, &u) in order.iter().enumerate() {
            self.last_succ[ix(u)] = order[at + self.succ_num[ix(u)] as usize - 1];
        }
        self.parent[ix(root)] = NONE;
        self.pred[ix(root)] = NONE;
        self.recompute_potentials();
        true
    }

    /// For [`Simplex::start_from`]: the `partial` arcs (strictly between their bounds) as tree
    /// arcs, pointing up or down. Each tree of them hangs from one node, its anchor: the one
    /// with something left over (`excess`), if any, else its first node without a partial
    /// arc out, else its first node; the anchor keeps no parent here, every other node's is
    /// its neighbour towards the anchor. When each node has at most one partial arc out (a
    /// greedy placement) the anchor is the one node without, and every partial arc points up.
    /// False when the partial arcs close a cycle or a tree has two nodes with something left
    /// over: no basis.
    fn orient_partial_arcs(
        &self,
        partial: &[u32],
        excess: &[i128],
        (pred, parent, dir): (&mut [u32], &mut [u32], &mut [i8]),
    ) -> bool {
        let n = excess.len();
        // Each node's partial arcs, as (arc, other end), in arc order.
        let mut degree = vec![0u32; n + 1];
        for &e in partial {
            degree[ix(self.source[ix(e)]) + 1] += 1;
            degree[ix(self.target[ix(e)]) + 1] += 1;
        }
        for u in 0..n {
            degree[u + 1] += degree[u];
        }
        let mut fill = degree.clone();
        let mut adjacent = vec![(NONE, NONE); partial.len() * 2];
        let mut has_out = vec![false; n];
        for &e in partial {
            let (u, v) = (self.source[ix(e)], self.target[ix(e)]);
            has_out[ix(u)] = true;
            for (at, other) in [(u, v), (v, u)] {
                adjacent[fill[ix(at)] as usize] = (e, other);
                fill[ix(at)] += 1;
            }
        }
        let neighbours = |u: usize| &adjacent[degree[u] as usize..degree[u + 1] as usize];
        let mut seen = vec![false; n];
        let mut tree = Vec::new();
        for first in 0..n {
            if seen[first] || neighbours(first).is_empty() {
                continue;
            }
            // The tree of `first`, each node once; a tree has one arc fewer than nodes.
            tree.clear();
            tree.push(first as u32);
            seen[first] = true;
            let mut next = 0;
            let mut ends = 0usize;
            while let Some(&u) = tree.get(next) {
                next += 1;
                ends += neighbours(ix(u)).len();
                for &(_, v) in neighbours(ix(u)) {
                    if !std::mem::replace(&mut seen[ix(v)], true) {
                        tree.push(v);
                    }
                }
            }
            if ends / 2 != tree.len() - 1 {
                return false;
            }
            let mut left_over = tree.iter().filter(|&&u| excess[ix(u)] != 0);
            let anchor = match (left_over.next(), left_over.next()) {
                (Some(_), Some(_)) => return false,
                (Some(&u), None) => u,
                (None, _) => {
                    let first_without = tree.iter().filter(|&&u| !has_out[ix(u)]).min();
                    *first_without.unwrap_or(&(first as u32))
                }
            };
            // Hang every node from its neighbour towards the anchor, walking out from it.
            let mut walk = vec![anchor];
            parent[ix(anchor)] = n as u32;
            while let Some(u) = walk.pop() {
                for &(e, v) in neighbours(ix(u)) {
                    if v != anchor && pred[ix(v)] == NONE {
                        pred[ix(v)] = e;
                        parent[ix(v)] = u;
                        dir[ix(v)] = if self.source[ix(e)] == v {
                            DIR_UP
                        } else {
                            DIR_DOWN
                        };
                        walk.push(v);
                    }
                }
            }
        }
        true
    }

    /// For [`Simplex::start_from`]: a node with nothing left over and no partial arc out
    /// hangs by its cheapest empty arc out (an arc pointing up may sit empty), so that a
    /// manager whose load ends on a boundary of its run hangs below the sink at the price of
    /// its next customer, not from the root. An empty arc may close a cycle (a manager's
    /// entry hanging by the arc its movers take to a group placed with that very manager):
    /// each node has one parent, so one walk per node finds every cycle, and one node of it
    /// that hangs by an empty arc hangs from the root instead. A cycle of partial arcs alone
    /// is left for the caller to refuse.
    fn hang_by_empty_arcs(
        &self,
        flow: &[i64],
        excess: &[i128],
        (pred, parent): (&mut [u32], &mut [u32]),
    ) {
        const UNSEEN: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let n = excess.len();
        let mut cheapest_empty = vec![NONE; n];
        for (e, &f) in flow.iter().enumerate() {
            let (u, v) = (ix(self.source[e]), ix(self.target[e]));
            let best = cheapest_empty[u];
            if f == 0
                && self.cap[e] > 0
                && u != v
                && pred[u] == NONE
                && excess[u] == 0
                && (best == NONE || self.cost[e] < self.cost[ix(best)])
            {
                cheapest_empty[u] = e as u32;
            }
        }
        for (u, &e) in cheapest_empty.iter().enumerate() {
            if e != NONE {
                pred[u] = e;
                parent[u] = self.target[ix(e)];
            }
        }
        let mut state = vec![UNSEEN; n + 1];
        state[n] = DONE;
        let mut path = Vec::new();
        for first in 0..n {
            path.clear();
            let mut at = first;
            while state[at] == UNSEEN {
                state[at] = ON_PATH;
                path.push(at);
                at = ix(parent[at]);
            }
            if state[at] == ON_PATH {
                let from = path.iter().position(|&p| p == at).unwrap_or(0);
                if let Some(&cut) = path[from..].iter().find(|&&p| cheapest_empty[p] != NONE) {
                    pred[cut] = NONE;
                    parent[cut] = n as u32;
                }
            }
            for &p in &path {
                state[p] = DONE;
            }
        }
    }

    /// Whether no artificial arc carries flow, i.e. the current flow is feasible.
    fn artificial_flow_is_zero(&self) -> bool {
        let m = self.arc_num;
        !self.state[m..].contains(&STATE_UPPER)
            && self
                .pred
                .iter()
                .zip(&self.pred_flow)
                .all(|(&arc, &f)| ix(arc) < m || arc == NONE || f == 0)
    }

    /// Sets the cost of the artificial arcs into demand nodes to `m` and recomputes every
    /// potential from the tree.
    fn raise_artificial_cost(&mut self, m: i64) {
        let root = (self.pi.len() - 1) as u32;
        for e in self.arc_num..self.cost.len() {
            if self.source[e] == root {
                self.cost[e] = m;
            }
        }
        self.recompute_potentials();
    }

    /// Every potential from the tree arcs' costs (the thread visits parents before children).
    fn recompute_potentials(&mut self) {
        let root = (self.pi.len() - 1) as u32;
        self.pi[ix(root)] = 0;
        let mut u = self.thread[ix(root)];
        while u != root {
            let i = ix(u);
            let parent = self.pi[ix(self.parent[i])];
            let c = self.cost[ix(self.pred[i])];
            self.pi[i] = if self.pred_dir[i] == DIR_UP {
                parent - c
            } else {
                parent + c
            };
            u = self.thread[i];
        }
    }

    /// The flow on every real arc, or `None` if an artificial arc still carries flow.
    fn flows(&self) -> Option<Vec<i64>> {
        let m = self.arc_num;
        if self.state[m..].contains(&STATE_UPPER) {
            return None;
        }
        let mut flow: Vec<i64> = self.state[..m]
            .iter()
            .zip(&self.cap[..m])
            .map(|(&state, &cap)| if state == STATE_UPPER { cap } else { 0 })
            .collect();
        for (&arc, &f) in self.pred.iter().zip(&self.pred_flow) {
            let arc = ix(arc);
            if arc < m {
                flow[arc] = f;
            } else if arc != ix(NONE) && f != 0 {
                return None;
            }
        }
        Some(flow)
    }

    /// The starting basis: every node hangs off an artificial root by an artificial arc that
    /// carries its supply. Supply and transit nodes point up to the root at cost 0, demand nodes
    /// are fed down from it at cost M; the tree is strongly feasible because every tree arc can
    /// carry more flow towards the root.
    fn new(
        supply: &[i64],
        source: &[u32],
        target: &[u32],
        capacity: &[i64],
        cost: &[i64],
        artificial_cost: i64,
    ) -> Simplex {
        let node_num = supply.len();
        let arc_num = source.len();
        let all_arcs = arc_num + node_num;
        let root = node_num as u32;

        let mut s = Simplex {
            arc_num,
            source: Vec::with_capacity(all_arcs),
            target: Vec::with_capacity(all_arcs),
            cost: Vec::with_capacity(all_arcs),
            cap: Vec::with_capacity(all_arcs),
            state: vec![STATE_LOWER; all_arcs],
            pi: vec![0; node_num + 1],
            parent: vec![NONE; node_num + 1],
            pred: vec![NONE; node_num + 1],
            pred_dir: vec![DIR_UP; node_num + 1],
            pred_flow: vec![0; node_num + 1],
            pred_cap: vec![i64::MAX; node_num + 1],
            thread: vec![0; node_num + 1],
            rev_thread: vec![0; node_num + 1],
            succ_num: vec![1; node_num + 1],
            last_succ: vec![0; node_num + 1],
            dirty_revs: Vec::new(),
            source_path: Vec::new(),
            target_path: Vec::new(),
            potential_bound: 0,
            block_size: arc_num.isqrt().max(MIN_BLOCK_SIZE),
            next_arc: 0,
            in_arc: NONE,
            join: NONE,
            u_in: NONE,
            v_in: NONE,
            u_out: NONE,
            delta: 0,
            in_flow: 0,
            pivots: 0,
        };
        s.source.extend_from_slice(source);
        s.target.extend_from_slice(target);
        s.cost.extend_from_slice(cost);
        s.cap.extend_from_slice(capacity);

        let r = ix(root);
        s.thread[r] = 0;
        s.rev_thread[0] = root;
        s.succ_num[r] = root + 1;
        s.last_succ[r] = root.saturating_sub(1);
        for (u, &b) in supply.iter().enumerate() {
            let e = arc_num + u;
            let uu = u as u32;
            s.parent[u] = root;
            s.pred[u] = e as u32;
            s.thread[u] = uu + 1;
            s.rev_thread[u + 1] = uu;
            s.succ_num[u] = 1;
            s.last_succ[u] = uu;
            s.state[e] = STATE_TREE;
            s.cap.push(i64::MAX);
            if b >= 0 {
                s.pred_dir[u] = DIR_UP;
                s.pi[u] = 0;
                s.source.push(uu);
                s.target.push(root);
                s.pred_flow[u] = b;
                s.cost.push(0);
            } else {
                s.pred_dir[u] = DIR_DOWN;
                s.pi[u] = artificial_cost;
                s.source.push(root);
                s.target.push(uu);
                // The caller has checked that the total demand fits, so this does too.
                s.pred_flow[u] = b.checked_neg().unwrap_or(i64::MAX);
                s.cost.push(artificial_cost);
            }
        }
        s
    }

    /// See [`Solver::split`].
    fn split(&mut self, splits: &[(u32, Vec<(i64, i64)>)]) -> Vec<Vec<u32>> {
        let old_m = self.arc_num;
        let added: usize = splits.iter().map(|(_, p)| p.len().saturating_sub(1)).sum();
        // Artificial arcs move up by `added` to make room for the new real arcs.
        let shift = |e: u32| {
            if ix(e) >= old_m && e != NONE {
                e + added as u32
            } else {
                e
            }
        };
        for p in &mut self.pred {
            *p = shift(*p);
        }
        let mut tree_node = vec![NONE; old_m];
        for (node, &arc) in self.pred.iter().enumerate() {
            if ix(arc) < old_m {
                tree_node[ix(arc)] = node as u32;
            }
        }
        let (mut source, mut target) = (Vec::new(), Vec::new());
        let (mut cap, mut cost, mut state) = (Vec::new(), Vec::new(), Vec::new());
        let mut ids = Vec::with_capacity(splits.len());
        for (arc, pieces) in splits {
            let a = ix(*arc);
            let node = tree_node[a];
            let flow = match self.state[a] {
                STATE_TREE => self.pred_flow[ix(node)],
                STATE_UPPER => self.cap[a],
                _ => 0,
            };
            let keep = self.piece_to_keep(pieces, flow, node);
            let mut before = 0;
            let mut piece_ids = Vec::with_capacity(pieces.len());
            for (i, &(u, c)) in pieces.iter().enumerate() {
                if i == keep {
                    self.cap[a] = u;
                    self.cost[a] = c;
                    if self.state[a] == STATE_TREE {
                        self.pred_cap[ix(node)] = u;
                        self.pred_flow[ix(node)] = flow - before;
                    }
                    piece_ids.push(*arc);
                } else {
                    piece_ids.push((old_m + source.len()) as u32);
                    source.push(self.source[a]);
                    target.push(self.target[a]);
                    cap.push(u);
                    cost.push(c);
                    let full = match self.state[a] {
                        STATE_TREE => i < keep,
                        s => s == STATE_UPPER,
                    };
                    state.push(if full { STATE_UPPER } else { STATE_LOWER });
                }
                if i < keep {
                    before += u;
                }
            }
            ids.push(piece_ids);
        }
        let at = old_m..old_m;
        self.source.splice(at.clone(), source);
        self.target.splice(at.clone(), target);
        self.cap.splice(at.clone(), cap);
        self.cost.splice(at.clone(), cost);
        self.state.splice(at, state);
        self.arc_num = old_m + added;
        self.block_size = self.arc_num.isqrt().max(MIN_BLOCK_SIZE);
        self.next_arc = 0;
        self.recompute_potentials();
        ids
    }

    /// See [`Solver::add_arcs`].
    fn add_arcs(&mut self, arcs: &[(u32, u32, i64, i64)]) {
        if arcs.is_empty() {
            return;
        }
        let old_m = self.arc_num;
        let added = arcs.len() as u32;
        for p in &mut self.pred {
            if ix(*p) >= old_m && *p != NONE {
                *p += added;
            }
        }
        let at = old_m..old_m;
        self.source.splice(at.clone(), arcs.iter().map(|a| a.0));
        self.target.splice(at.clone(), arcs.iter().map(|a| a.1));
        self.cap.splice(at.clone(), arcs.iter().map(|a| a.2));
        self.cost.splice(at.clone(), arcs.iter().map(|a| a.3));
        self.state.splice(at, arcs.iter().map(|_| STATE_LOWER));
        self.arc_num = old_m + arcs.len();
        self.block_size = self.arc_num.isqrt().max(MIN_BLOCK_SIZE);
        // The new arcs are the ones that price out: look there first.
        self.next_arc = old_m;
    }

    /// Which piece an arc with `flow` becomes: the one its flow ends inside; on a boundary, as
    /// a tree arc (of `node`), the one that keeps the tree strongly feasible (an arc pointing
    /// up may sit empty, one pointing down full).
    fn piece_to_keep(&self, pieces: &[(i64, i64)], flow: i64, node: u32) -> usize {
        let in_tree = node != NONE;
        let mut before = 0;
        for (i, &(u, _)) in pieces.iter().enumerate() {
            if !in_tree {
                return 0;
            }
            if flow > before && flow < before + u {
                return i;
            }
            if flow == before && (self.pred_dir[ix(node)] == DIR_UP || i == 0) {
                return i;
            }
            if flow == before + u && (self.pred_dir[ix(node)] == DIR_DOWN || i + 1 == pieces.len())
            {
                return i;
            }
            before += u;
        }
        0
    }

    /// Pivots until no arc prices out; false if `cancel` was raised first.
    fn run(&mut self, cancel: Option<&Cancel>) -> bool {
        let mut until_check = PIVOTS_PER_CANCEL_CHECK;
        while self.find_entering_arc() {
            self.pivot();
            until_check -= 1;
            if until_check == 0 {
                if cancel.is_some_and(Cancel::is_cancelled) {
                    return false;
                }
                until_check = PIVOTS_PER_CANCEL_CHECK;
            }
        }
        true
    }

    /// Brings `in_arc` into the tree, or moves it to its other bound if it blocks itself.
    fn pivot(&mut self) {
        self.pivots += 1;
        self.find_join_node();
        let change = self.find_leaving_arc();
        self.change_flow(change);
        if change {
            self.update_tree_structure();
            self.update_potential();
        }
    }

    /// Block search: scans the real arcs cyclically from where the last search stopped, in
    /// blocks of `block_size`, and picks the most negative reduced cost of the first block that
    /// has one. Returns false when no arc has a negative reduced cost: the tree is optimal.
    fn find_entering_arc(&mut self) -> bool {
        let m = self.arc_num;
        let mut min = 0i64;
        let mut best = 0usize;
        let mut start = self.next_arc;
        let mut scanned = 0usize;
        while scanned < m {
            // A block ends early at the end of the arc array, so each scan is one slice.
            let end = (start + self.block_size).min(m);
            self.price(start, end, &mut min, &mut best);
            scanned += end - start;
            start = if end == m { 0 } else { end };
            if min < 0 {
                self.next_arc = start;
                self.in_arc = best as u32;
                return true;
            }
        }
        false
    }

    /// Lowers `min` to the most negative "signed" reduced cost of arcs `start..end` (the state
    /// sign makes tree arcs 0 and flips arcs at their upper bound), recording its arc in `best`.
    #[inline(always)]
    fn price(&self, start: usize, end: usize, min: &mut i64, best: &mut usize) {
        let pi = &self.pi;
        let arcs = self.source[start..end]
            .iter()
            .zip(&self.target[start..end])
            .zip(&self.cost[start..end])
            .zip(&self.state[start..end]);
        let (mut low, mut at) = (*min, *best);
        for (i, (((&u, &v), &c), &state)) in arcs.enumerate() {
            let reduced = i64::from(state) * (c + pi[ix(u)] - pi[ix(v)]);
            if reduced < low {
                low = reduced;
                at = start + i;
            }
        }
        (*min, *best) = (low, at);
    }

    /// The apex of the cycle the entering arc closes: the deepest common ancestor of its ends,
    /// found by climbing from whichever side has the smaller subtree.
    /// Both halves of the cycle are recorded for the ratio test and the flow change.
    fn find_join_node(&mut self) {
        let a = ix(self.in_arc);
        let mut u = self.source[a];
        let mut v = self.target[a];
        self.source_path.clear();
        self.target_path.clear();
        while u != v {
            if self.succ_num[ix(u)] < self.succ_num[ix(v)] {
                self.source_path.push(u);
                u = self.parent[ix(u)];
            } else {
                self.target_path.push(v);
                v = self.parent[ix(v)];
            }
        }
        self.join = u;
    }

    /// The blocking arc of the cycle and the flow `delta` it allows. Ties go to the last blocking
    /// arc met when walking the cycle in flow direction from the join node, which keeps the tree
    /// strongly feasible. Returns false when the entering arc itself blocks (it just moves from
    /// one bound to the other).
    fn find_leaving_arc(&mut self) -> bool {
        let a = ix(self.in_arc);
        let lower = self.state[a] == STATE_LOWER;
        let (first, second) = if lower {
            (self.source[a], self.target[a])
        } else {
            (self.target[a], self.source[a])
        };
        let (first_path, second_path) = if lower {
            (&self.source_path, &self.target_path)
        } else {
            (&self.target_path, &self.source_path)
        };
        let mut delta = self.cap[a];
        let mut u_out = NONE;
        let mut result = 0u8;

        // Flow runs down the tree from the join node to `first`.
        for &u in first_path {
            let i = ix(u);
            let d = if self.pred_dir[i] == DIR_DOWN {
                self.pred_cap[i] - self.pred_flow[i]
            } else {
                self.pred_flow[i]
            };
            if d < delta {
                delta = d;
                u_out = u;
                result = 1;
            }
        }
        // And up the tree from `second` to the join node.
        for &u in second_path {
            let i = ix(u);
            let d = if self.pred_dir[i] == DIR_UP {
                self.pred_cap[i] - self.pred_flow[i]
            } else {
                self.pred_flow[i]
            };
            if d <= delta {
                delta = d;
                u_out = u;
                result = 2;
            }
        }

        if result == 1 {
            self.u_in = first;
            self.v_in = second;
        } else {
            self.u_in = second;
            self.v_in = first;
        }
        self.u_out = u_out;
        self.delta = delta;
        result != 0
    }

    /// Pushes `delta` around the cycle and updates the states of the entering and leaving arcs.
    fn change_flow(&mut self, change: bool) {
        let a = ix(self.in_arc);
        let entering_state = self.state[a];
        if self.delta > 0 {
            let val = i64::from(entering_state) * self.delta;
            for &u in &self.source_path {
                let i = ix(u);
                if self.pred_dir[i] == DIR_UP {
                    self.pred_flow[i] -= val;
                } else {
                    self.pred_flow[i] += val;
                }
            }
            for &u in &self.target_path {
                let i = ix(u);
                if self.pred_dir[i] == DIR_UP {
                    self.pred_flow[i] += val;
                } else {
                    self.pred_flow[i] -= val;
                }
            }
        }
        if change {
            // The entering arc moves `delta` off the bound it sat at.
            self.in_flow = if entering_state == STATE_LOWER {
                self.delta
            } else {
                self.cap[a] - self.delta
            };
            self.state[a] = STATE_TREE;
            let out = ix(self.u_out);
            self.state[ix(self.pred[out])] = if self.pred_flow[out] == 0 {
                STATE_LOWER
            } else {
                STATE_UPPER
            };
        } else {
            self.state[a] = -entering_state;
        }
    }

    /// Replaces the leaving arc by the entering one: the subtree below the leaving arc is
    /// re-hung from `v_in` by `u_in`, reversing the parent links on the stem from `u_in` up to
    /// `u_out`, and the thread, subtree sizes and last successors are patched along the way.
    fn update_tree_structure(&mut self) {
        let (u_in, v_in, u_out, join) = (self.u_in, self.v_in, self.u_out, self.join);
        let old_rev_thread = self.rev_thread[ix(u_out)];
        let old_succ_num = self.succ_num[ix(u_out)];
        let old_last_succ = self.last_succ[ix(u_out)];
        let v_out = self.parent[ix(u_out)];

        if u_in == u_out {
            // The moved subtree keeps its root: only its attachment and thread position change.
            self.parent[ix(u_in)] = v_in;
            self.hang_on_entering_arc(u_in);
            if self.thread[ix(v_in)] != u_out {
                let after = self.thread[ix(old_last_succ)];
                self.thread[ix(old_rev_thread)] = after;
                self.rev_thread[ix(after)] = old_rev_thread;
                let after = self.thread[ix(v_in)];
                self.thread[ix(v_in)] = u_out;
                self.rev_thread[ix(u_out)] = v_in;
                self.thread[ix(old_last_succ)] = after;
                self.rev_thread[ix(after)] = old_last_succ;
            }
        } else {
            // When the moved subtree directly follows v_in in the thread, v_out is the join node
            // and the thread continues after the subtree.
            let thread_continue = if old_rev_thread == v_in {
                self.thread[ix(old_last_succ)]
            } else {
                self.thread[ix(v_in)]
            };

            // Walk the stem from u_in to u_out, re-parenting each stem node under the previous
            // one and splicing its remaining subtree into the thread after it.
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ[ix(u_in)];
            let mut after = self.thread[ix(last)];
            self.thread[ix(v_in)] = u_in;
            self.dirty_revs.clear();
            self.dirty_revs.push(v_in);
            while stem != u_out {
                let next_stem = self.parent[ix(stem)];
                self.thread[ix(last)] = next_stem;
                self.dirty_revs.push(last);

                let before = self.rev_thread[ix(stem)];
                self.thread[ix(before)] = after;
                self.rev_thread[ix(after)] = before;

                self.parent[ix(stem)] = par_stem;
                par_stem = stem;
                stem = next_stem;

                last = if self.last_succ[ix(stem)] == self.last_succ[ix(par_stem)] {
                    self.rev_thread[ix(par_stem)]
                } else {
                    self.last_succ[ix(stem)]
                };
                after = self.thread[ix(last)];
            }
            self.parent[ix(u_out)] = par_stem;
            self.thread[ix(last)] = thread_continue;
            self.rev_thread[ix(thread_continue)] = last;
            self.last_succ[ix(u_out)] = last;

            if old_rev_thread != v_in {
                self.thread[ix(old_rev_thread)] = after;
                self.rev_thread[ix(after)] = old_rev_thread;
            }

            for i in 0..self.dirty_revs.len() {
                let u = self.dirty_revs[i];
                let t = self.thread[ix(u)];
                self.rev_thread[ix(t)] = u;
            }

            // Reverse the predecessor arcs along the stem and recompute its subtree data.
            let mut tmp_sc = 0u32;
            let tmp_ls = self.last_succ[ix(u_out)];
            let mut u = u_out;
            while u != u_in {
                let p = self.parent[ix(u)];
                self.pred[ix(u)] = self.pred[ix(p)];
                self.pred_dir[ix(u)] = -self.pred_dir[ix(p)];
                self.pred_flow[ix(u)] = self.pred_flow[ix(p)];
                self.pred_cap[ix(u)] = self.pred_cap[ix(p)];
                tmp_sc = tmp_sc
                    .wrapping_add(self.succ_num[ix(u)])
                    .wrapping_sub(self.succ_num[ix(p)]);
                self.succ_num[ix(u)] = tmp_sc;
                self.last_succ[ix(p)] = tmp_ls;
                u = p;
            }
            self.hang_on_entering_arc(u_in);
            self.succ_num[ix(u_in)] = old_succ_num;
        }

        // Last successors from v_in towards the root.
        let up_limit_out = if self.last_succ[ix(join)] == v_in {
            join
        } else {
            NONE
        };
        let last_succ_out = self.last_succ[ix(u_out)];
        let mut u = v_in;
        while u != NONE && self.last_succ[ix(u)] == v_in {
            self.last_succ[ix(u)] = last_succ_out;
            u = self.parent[ix(u)];
        }

        // Last successors from v_out towards the root.
        if join != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[ix(u)] == old_last_succ {
                self.last_succ[ix(u)] = old_rev_thread;
                u = self.parent[ix(u)];
            }
        } else if last_succ_out != old_last_succ {
            let mut u = v_out;
            while u != up_limit_out && u != NONE && self.last_succ[ix(u)] == old_last_succ {
                self.last_succ[ix(u)] = last_succ_out;
                u = self.parent[ix(u)];
            }
        }

        // Subtree sizes on both sides of the cycle up to the join node.
        let mut u = v_in;
        while u != join {
            self.succ_num[ix(u)] += old_succ_num;
            u = self.parent[ix(u)];
        }
        let mut u = v_out;
        while u != join {
            self.succ_num[ix(u)] -= old_succ_num;
            u = self.parent[ix(u)];
        }
    }

    /// Makes the entering arc `u_in`'s predecessor arc, carrying its flow after the pivot.
    #[inline(always)]
    fn hang_on_entering_arc(&mut self, u_in: u32) {
        let (u, arc) = (ix(u_in), ix(self.in_arc));
        self.pred[u] = self.in_arc;
        self.pred_flow[u] = self.in_flow;
        self.pred_cap[u] = self.cap[arc];
        self.pred_dir[u] = if u_in == self.source[arc] {
            DIR_UP
        } else {
            DIR_DOWN
        };
    }

    /// Makes the entering arc's reduced cost 0 by shifting the potentials of the moved subtree
    /// by `sigma`, or, when that subtree holds most nodes, the rest by `-sigma` (reduced costs
    /// only see differences). The root's potential then drifts; once it exceeds the bound on
    /// tree-path potentials, all potentials are re-based on it, which keeps every value within
    /// the range proven in `Network::check_overflow`.
    fn update_potential(&mut self) {
        let (u_in, v_in) = (ix(self.u_in), ix(self.v_in));
        let c = self.cost[ix(self.in_arc)];
        let sigma = if self.pred_dir[u_in] == DIR_UP {
            self.pi[v_in] - self.pi[u_in] - c
        } else {
            self.pi[v_in] - self.pi[u_in] + c
        };
        let end = self.thread[ix(self.last_succ[u_in])];
        let moved = self.succ_num[u_in] as usize;
        if 2 * moved <= self.pi.len() {
            let mut u = self.u_in;
            while u != end {
                self.pi[ix(u)] += sigma;
                u = self.thread[ix(u)];
            }
        } else {
            let mut u = end;
            while u != self.u_in {
                self.pi[ix(u)] -= sigma;
                u = self.thread[ix(u)];
            }
            let root = self.pi[self.pi.len() - 1];
            if root.unsigned_abs() > self.potential_bound {
                for p in &mut self.pi {
                    *p -= root;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_whose_empty_arcs_close_a_cycle_is_still_taken() {
        // Node 1 is a full manager that supplies a customer kept there; node 2 is a group's
        // free node placed with it. The manager's only empty arc out leads to the free node,
        // whose partial arc leads back: the manager must hang from the root instead.
        let supply = [-2, 1, 1];
        let (source, target) = ([1, 2, 1], [0, 1, 2]);
        let (capacity, cost) = ([2, 2, 1], [1, 0, 5]);
        let mut simplex = Simplex::new(&supply, &source, &target, &capacity, &cost, 100);
        assert!(simplex.start_from(&supply, &[2, 1, 0], 100));
        assert!(simplex.run(None));
        assert_eq!(simplex.flows(), Some(vec![2, 1, 0]));
    }
}

//! Makes a flow basic: the simplex starts only from a flow whose partial arcs (strictly
//! between their bounds) make no cycle (see `simplex::Simplex::start_from`). A start pieced
//! together from parts solved apart (see `linked`) can hold such a cycle where a region's
//! share of a capped link binds: region → link → sink, back into the region along its own
//! partial arcs. Pushing flow around each cycle, the way that costs nothing or less, until
//! one of its arcs reaches a bound removes it, keeps the flow feasible and never raises its
//! cost.

use super::Network;
use super::union_find::UnionFind;

/// Cancels every cycle of partial arcs in `flow`, a flow of `network` within its bounds.
/// The work is one pass over the arcs and, per arc that closes a cycle, a walk over the tree
/// of partial arcs it closes it in; each cancel takes at least one arc off the partial ones,
/// so there are no more walks than arcs closing cycles in the flow given.
pub(super) fn cancel_cycles(network: &Network, flow: &mut [i64]) {
    let n = network.node_count();
    let m = network.arc_count().min(flow.len());
    let partial = |a: usize, flow: &[i64]| flow[a] > 0 && flow[a] < network.capacity[a];
    // The forest of partial arcs kept so far, as each node's arcs; the union-find joins
    // nodes as they join it and never parts them, so it can only say where to look.
    let mut forest: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut sets = UnionFind::default();
    let mut walk = Walk::new(n);
    for a in 0..m {
        let (u, v) = (network.source[a], network.target[a]);
        if !partial(a, flow) || u as usize >= n || v as usize >= n {
            continue;
        }
        if u == v {
            // A cycle on its own: full when it pays, else empty.
            flow[a] = if network.cost[a] < 0 {
                network.capacity[a]
            } else {
                0
            };
            continue;
        }
        if !sets.join(u, v)
            && let Some(path) = walk.path(network, &forest, v, u)
        {
            push_around(network, flow, a, &path);
            for &e in &path {
                if !partial(e as usize, flow) {
                    for end in [network.source[e as usize], network.target[e as usize]] {
                        forest[end as usize].retain(|&x| x != e);
                    }
                }
            }
            if !partial(a, flow) {
                continue;
            }
        }
        forest[u as usize].push(a as u32);
        forest[v as usize].push(a as u32);
    }
}

/// Pushes flow around the cycle `a` (from its source to its target) then `path` (from `a`'s
/// target back to its source), the way that does not raise the cost, as far as the arcs
/// allow.
fn push_around(network: &Network, flow: &mut [i64], a: usize, path: &[u32]) {
    // Each arc of the cycle with +1 when walked along it, -1 when against it.
    let mut cycle = vec![(a, 1i64)];
    let mut at = network.target[a];
    for &e in path {
        let e = e as usize;
        if network.source[e] == at {
            cycle.push((e, 1));
            at = network.target[e];
        } else {
            cycle.push((e, -1));
            at = network.source[e];
        }
    }
    let cost: i128 = cycle
        .iter()
        .map(|&(e, sign)| i128::from(network.cost[e]) * i128::from(sign))
        .sum();
    let way = if cost > 0 { -1 } else { 1 };
    let room = |&(e, sign): &(usize, i64)| {
        if sign * way > 0 {
            network.capacity[e] - flow[e]
        } else {
            flow[e]
        }
    };
    let delta = cycle.iter().map(room).min().unwrap_or(0);
    for &(e, sign) in &cycle {
        flow[e] += sign * way * delta;
    }
}

/// A breadth-first walk over the forest, its arrays kept between walks and reset only where
/// a walk went.
struct Walk {
    /// The arc each node was reached by, `u32::MAX` when not reached.
    reached_by: Vec<u32>,
    queue: Vec<u32>,
}

impl Walk {
    fn new(n: usize) -> Self {
        Walk {
            reached_by: vec![u32::MAX; n],
            queue: Vec::new(),
        }
    }

    /// The forest's arcs from `from` to `to`, in order, if they are joined in it.
    fn path(
        &mut self,
        network: &Network,
        forest: &[Vec<u32>],
        from: u32,
        to: u32,
    ) -> Option<Vec<u32>> {
        const ROOT: u32 = u32::MAX - 1;
        self.queue.clear();
        self.queue.push(from);
        self.reached_by[from as usize] = ROOT;
        let mut next = 0;
        let mut found = false;
        while let Some(&x) = self.queue.get(next) {
            next += 1;
            if x == to {
                found = true;
                break;
            }
            for &e in &forest[x as usize] {
                let (s, t) = (network.source[e as usize], network.target[e as usize]);
                let y = if s == x { t } else { s };
                if self.reached_by[y as usize] == u32::MAX {
                    self.reached_by[y as usize] = e;
                    self.queue.push(y);
                }
            }
        }
        let path = found.then(|| {
            let mut path = Vec::new();
            let mut at = to;
            while at != from {
                let e = self.reached_by[at as usize];
                path.push(e);
                let (s, t) = (network.source[e as usize], network.target[e as usize]);
                at = if s == at { t } else { s };
            }
            path.reverse();
            path
        });
        for &x in &self.queue {
            self.reached_by[x as usize] = u32::MAX;
        }
        path
    }
}

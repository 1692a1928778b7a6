//! Moving an optimum within the optimal flows, to bring sums of flow over sets of arcs into
//! wanted ranges: what a search over prices on those sets needs where a price is exactly at
//! a breakpoint (see `solve::limits`). Every optimal flow satisfies complementary slackness
//! with any optimal potentials, so pushing flow around a cycle of residual arcs whose reduced
//! cost is zero keeps the flow optimal; such cycles through a set's arcs change its sum.

use std::collections::{HashMap, VecDeque};

use super::{ArcId, Network, Solution};

/// Sets of arcs (a network's own, or priced in) and the range each one's flow should sum to.
pub(crate) struct Steering<'a> {
    /// The arcs of each set.
    pub(crate) sets: &'a [Vec<ArcId>],
    /// Per set, the least and most its flow should sum to.
    pub(crate) wanted: &'a [(i64, i64)],
}

/// The sets each arc is in, for the few arcs in any: a list per arc of the network would
/// cost more than the network's own arrays.
struct Members {
    of: HashMap<u32, Vec<usize>>,
}

impl Members {
    fn of(sets: &[Vec<ArcId>]) -> Members {
        let mut of: HashMap<u32, Vec<usize>> = HashMap::new();
        for (k, set) in sets.iter().enumerate() {
            for arc in set {
                of.entry(arc.0).or_default().push(k);
            }
        }
        Members { of }
    }

    /// The sets arc `a` is in.
    fn sets(&self, a: usize) -> &[usize] {
        u32::try_from(a)
            .ok()
            .and_then(|a| self.of.get(&a))
            .map_or(&[], Vec::as_slice)
    }
}

/// An arc as the search walks it: forward (adds flow) or backward (takes it off).
#[derive(Clone, Copy)]
struct Step {
    arc: u32,
    /// The node it leads to.
    to: u32,
    forward: bool,
    /// Whether the arc is in any set: most are not, and need no look-up.
    in_sets: bool,
}

impl Network {
    /// Moves `solution`, an optimum of this network with the costs `shift` says (see
    /// [`Network::solve_shifted`]), to another optimum whose sums over `steering`'s sets lie
    /// in their wanted ranges, if pushing flow around cycles of zero reduced cost gets there
    /// moving no sum away from its range; each set's arcs may be crossed only the way its sum
    /// may still go. Returns each set's sum at the end. The work is a pass over the arcs, and
    /// per round of the sets a breadth-first search from every set's arcs at once (most
    /// rounds end there: no cycle is left), then one per set, and one per start of its arcs
    /// when that search found a path but not back to the arc it left by. Each cycle pushed
    /// brings some sum at least one unit nearer its range, so there are no more cycles than
    /// the distance to the ranges.
    pub(crate) fn steer(
        &self,
        shift: &[(ArcId, i64)],
        solution: &mut Solution,
        steering: &Steering<'_>,
    ) -> Vec<i64> {
        let arcs = self.arc_count() + solution.priced.len();
        let mut cost = self.cost.clone();
        cost.extend(solution.priced.iter().map(|arc| arc.cost));
        for &(arc, delta) in shift {
            if let Some(c) = cost.get_mut(arc.0 as usize) {
                *c = c.saturating_add(delta);
            }
        }
        let ends = |a: usize| match a.checked_sub(self.arc_count()) {
            None => (self.source[a], self.target[a], self.capacity[a]),
            Some(i) => {
                let arc = &solution.priced[i];
                (arc.from.0, arc.to.0, arc.capacity)
            }
        };
        let potential = |u: u32| solution.potential.get(u as usize).copied().unwrap_or(0);
        let tight = |a: usize| {
            let (u, v, _) = ends(a);
            i128::from(cost[a]) - i128::from(potential(u)) + i128::from(potential(v)) == 0
        };
        let member = Members::of(steering.sets);
        // The arcs of zero reduced cost, by the node each way out of them starts at.
        let mut out: Vec<Vec<Step>> = vec![Vec::new(); self.node_count()];
        for a in (0..arcs).filter(|&a| tight(a)) {
            let (u, v, _) = ends(a);
            if let (Some(_), Some(_)) = (out.get(u as usize), out.get(v as usize)) {
                let arc = a as u32;
                let in_sets = !member.sets(a).is_empty();
                out[u as usize].push(Step {
                    arc,
                    to: v,
                    forward: true,
                    in_sets,
                });
                out[v as usize].push(Step {
                    arc,
                    to: u,
                    forward: false,
                    in_sets,
                });
            }
        }
        let flow = &mut solution.flow;
        flow.resize(arcs, 0);
        let sum = |flow: &[i64], set: &Vec<ArcId>| -> i64 {
            set.iter()
                .map(|a| flow.get(a.0 as usize).copied().unwrap_or(0))
                .fold(0, i64::saturating_add)
        };
        let mut sums: Vec<i64> = steering.sets.iter().map(|set| sum(flow, set)).collect();
        let mut search = Search::new(self.node_count());
        // The arcs of set `k` a cycle may cross, each as (where the path back starts, where
        // it ends, the arc), with the way it is crossed; none when its sum is in range.
        let ways_in = |k: usize, sums: &[i64], flow: &[i64]| {
            let (lo, hi) = steering.wanted[k];
            let forward = match sums[k] {
                s if s < lo => true,
                s if s > hi => false,
                _ => return (true, Vec::new()),
            };
            let mut ways: Vec<(u32, u32, usize)> = steering.sets[k]
                .iter()
                .map(|arc| arc.0 as usize)
                .filter(|&a| {
                    let room = if forward {
                        ends(a).2 - flow[a]
                    } else {
                        flow[a]
                    };
                    room > 0
                        && tight(a)
                        && (member.sets(a).iter()).all(|&k| may_move(steering, sums, k, forward))
                })
                .map(|a| {
                    let (u, v, _) = ends(a);
                    if forward { (v, u, a) } else { (u, v, a) }
                })
                .collect();
            ways.sort_unstable();
            (forward, ways)
        };
        loop {
            // One search from every set's ways in at once: when it reaches none of their
            // ends, no cycle steers any set (most searches find none; each costs a pass over
            // the arcs of zero reduced cost).
            let all: Vec<(u32, u32, usize)> = (0..steering.sets.len())
                .flat_map(|k| ways_in(k, &sums, flow).1)
                .collect();
            let may = |k: usize, up: bool| may_move(steering, &sums, k, up);
            if search.reach(&out, flow, (&ends, &member, &may), &all) == Reached::None {
                return sums;
            }
            let mut moved = false;
            for k in 0..steering.sets.len() {
                let (forward, ways) = ways_in(k, &sums, flow);
                let may = |k: usize, up: bool| may_move(steering, &sums, k, up);
                let cycle_of = |(from, to, a): (u32, u32, usize), search: &Search| {
                    let mut cycle = search.path_to(from, to, &ends)?;
                    let (u, v, _) = ends(a);
                    cycle.push(Step {
                        arc: a as u32,
                        to: if forward { v } else { u },
                        forward,
                        in_sets: true,
                    });
                    let amount = amount(&cycle, flow, &ends, (&member, &sums, steering))?;
                    Some((cycle, amount))
                };
                let mut cycle = None;
                match search.reach(&out, flow, (&ends, &member, &may), &ways) {
                    Reached::None => continue,
                    Reached::Paired => cycle = ways.iter().find_map(|&way| cycle_of(way, &search)),
                    Reached::Maybe => {}
                }
                // Failing a cycle from the search from all its starts, one from each start.
                for group in ways.chunk_by(|x, y| x.0 == y.0) {
                    if cycle.is_some() {
                        break;
                    }
                    if search.reach(&out, flow, (&ends, &member, &may), group) != Reached::None {
                        cycle = group.iter().find_map(|&way| cycle_of(way, &search));
                    }
                }
                if let Some((cycle, amount)) = cycle {
                    for step in &cycle {
                        let f = &mut flow[step.arc as usize];
                        *f += if step.forward { amount } else { -amount };
                        for &k in member.sets(step.arc as usize) {
                            sums[k] += if step.forward { amount } else { -amount };
                        }
                    }
                    moved = true;
                }
            }
            if !moved {
                return sums;
            }
        }
    }
}

/// May set `k`'s sum move up (or down)? Only towards its wanted range, or within it.
fn may_move(steering: &Steering<'_>, sums: &[i64], k: usize, up: bool) -> bool {
    let (lo, hi) = steering.wanted[k];
    if up { sums[k] < hi } else { sums[k] > lo }
}

/// How much to push around `cycle`: as much as its arcs hold, no sum going past the far end
/// of its range, and each moved towards its range no further than into it; `None` when a
/// set's arcs, crossed both ways or more than once, would move its sum away.
fn amount(
    cycle: &[Step],
    flow: &[i64],
    ends: &impl Fn(usize) -> (u32, u32, i64),
    (member, sums, steering): (&Members, &[i64], &Steering<'_>),
) -> Option<i64> {
    let mut change = vec![0i64; sums.len()];
    let mut most = i64::MAX;
    for step in cycle {
        let a = step.arc as usize;
        let room = if step.forward {
            ends(a).2 - flow[a]
        } else {
            flow[a]
        };
        most = most.min(room);
        for &k in member.sets(a) {
            change[k] += if step.forward { 1 } else { -1 };
        }
    }
    let mut brought_in = false;
    for (k, &per_unit) in change.iter().enumerate() {
        let (lo, hi) = steering.wanted[k];
        let s = sums[k];
        match per_unit {
            0 => {}
            d if d > 0 => {
                // Up to the top of the range; only as far as its bottom when below it.
                let limit = if s < lo { lo - s } else { hi - s };
                brought_in |= s < lo;
                most = most.min(limit.checked_div(d)?.max(0));
            }
            d => {
                let limit = if s > hi { s - hi } else { s - lo };
                brought_in |= s > hi;
                most = most.min(limit.checked_div(-d)?.max(0));
            }
        }
    }
    (brought_in && most > 0).then_some(most)
}

/// How a search marks where it started.
const ROOT: Step = Step {
    arc: u32::MAX,
    to: u32::MAX,
    forward: true,
    in_sets: false,
};

/// What a search from many starts found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reached {
    /// A way's end, from the way's own start: its path closes a cycle.
    Paired,
    /// Some end, but from another start (or an end that is a start).
    Maybe,
    /// No end at all: no start has a path to any.
    None,
}

/// A breadth-first search over residual arcs of zero reduced cost.
struct Search {
    /// Per node, the step it was reached by in the current search.
    came_by: Vec<Option<Step>>,
    /// Per node reached, the start it was reached from.
    root_of: Vec<u32>,
    touched: Vec<u32>,
}

impl Search {
    fn new(nodes: usize) -> Search {
        Search {
            came_by: vec![None; nodes],
            root_of: vec![0; nodes],
            touched: Vec::new(),
        }
    }

    /// Searches the residual arcs of zero reduced cost from the starts of `ways` (each a
    /// start, an end and an arc, sorted), crossing a set's arc only the way `may` lets its
    /// sum move, until a way's end is reached from its own start, every end is reached, or
    /// none is left to reach.
    fn reach(
        &mut self,
        out: &[Vec<Step>],
        flow: &[i64],
        (ends, member, may): (
            &impl Fn(usize) -> (u32, u32, i64),
            &Members,
            &impl Fn(usize, bool) -> bool,
        ),
        ways: &[(u32, u32, usize)],
    ) -> Reached {
        for &u in &self.touched {
            self.came_by[u as usize] = None;
        }
        self.touched.clear();
        let mut queue = VecDeque::new();
        for &(from, _, _) in ways {
            if self.came_by[from as usize].is_none() {
                self.came_by[from as usize] = Some(ROOT);
                self.root_of[from as usize] = from;
                self.touched.push(from);
                queue.push_back(from);
            }
        }
        let mut ends_left: Vec<u32> = ways.iter().map(|&(_, to, _)| to).collect();
        ends_left.sort_unstable();
        ends_left.dedup();
        // An end that is also a start is reached from no other start in this search.
        let mut reached = if ends_left
            .iter()
            .any(|&t| self.came_by[t as usize].is_some())
        {
            Reached::Maybe
        } else {
            Reached::None
        };
        let mut left = ends_left.len();
        while let Some(u) = queue.pop_front() {
            for &step in &out[u as usize] {
                let (a, next) = (step.arc as usize, step.to);
                if self.came_by[next as usize].is_some() {
                    continue;
                }
                let room = if step.forward {
                    ends(a).2 - flow[a]
                } else {
                    flow[a]
                };
                if room <= 0
                    || (step.in_sets && !member.sets(a).iter().all(|&k| may(k, step.forward)))
                {
                    continue;
                }
                self.came_by[next as usize] = Some(step);
                self.root_of[next as usize] = self.root_of[u as usize];
                self.touched.push(next);
                if ends_left.binary_search(&next).is_ok() {
                    let root = self.root_of[next as usize];
                    let at = ways.partition_point(|&(from, to, _)| (from, to) < (root, next));
                    if ways
                        .get(at)
                        .is_some_and(|&(from, to, _)| (from, to) == (root, next))
                    {
                        return Reached::Paired;
                    }
                    reached = Reached::Maybe;
                    left -= 1;
                    if left == 0 {
                        return reached;
                    }
                }
                queue.push_back(next);
            }
        }
        reached
    }

    /// The path the last [`Search::reach`] found from `from` to `to`; `None` when it found
    /// none from there (or `to` is a start: a cycle needs a path).
    fn path_to(
        &self,
        from: u32,
        to: u32,
        ends: &impl Fn(usize) -> (u32, u32, i64),
    ) -> Option<Vec<Step>> {
        let mut path = Vec::new();
        let mut at = to;
        loop {
            let step = self.came_by[at as usize]?;
            if step.arc == ROOT.arc {
                break;
            }
            path.push(step);
            let (s, t, _) = ends(step.arc as usize);
            at = if step.forward { s } else { t };
        }
        if at != from || path.is_empty() {
            return None;
        }
        path.reverse();
        Some(path)
    }
}

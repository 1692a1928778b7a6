//! Groups' caps and minimums per segment: side constraints on the flow, solved by pricing.
//!
//! "At most 40 HNW customers under this team" counts a set of arcs (each member's run from
//! its (manager, segment) node) that crosses every member's own total, so it is no arc of
//! the network and the problem is no longer a min-cost flow (it is NP-hard in general).
//! Each limit k gets a price μ_k added to its arcs' costs (Lagrangian relaxation): for any
//! prices the optimum of the priced network, less Σ μ_k·(the bound each price presses on),
//! is a lower bound on the true optimum, and an optimum of the priced network that meets
//! every limit, at its cap wherever μ_k > 0 and at its minimum wherever μ_k < 0, is a true
//! optimum (complementary slackness). The search finds such prices one limit at a time:
//! for the limit farthest out of place, the price where its sum crosses the bound, by
//! widening then narrowing steps, each a solve from the last optimum (a few pivots). Limits
//! out of place together each get their own bracket, probed by the same solves; such a joint
//! move is kept only when it raises the dual (the lower bound), as limits that share
//! customers can overshoot together and come back. At a breakpoint the optimal flows span
//! both sides of the bound; moving along cycles of zero reduced cost
//! (`Network::steer`) reaches the bound itself. When every limit is in place the plan is
//! proven optimal; when rounds run out first, the best plan found that meets every limit is
//! returned with its distance from the best lower bound, and with none, an error.

use std::collections::{BTreeMap, HashMap};

use super::build::Built;
use super::network::{ArcId, Solution, Steering};
use crate::error::{Result, SolveError};
use crate::model::Book;
use crate::org::SegmentLimit;

/// How a search over the limits' prices ended.
pub(super) struct Outcome {
    pub(super) solution: Solution,
    /// The solves it took after the first.
    pub(super) solves: u32,
    /// How far the plan may be above the optimum: 0 when proven optimal.
    pub(super) gap: i64,
}

/// Solves the network with its arcs' costs shifted, from a last optimum.
pub(super) type SolveShifted<'a> = dyn Fn(&[(ArcId, i64)], &Solution) -> Result<Solution> + 'a;

/// Prices moved together, each its way (1 up, -1 down).
type Ways = Vec<(usize, i64)>;

/// A side constraint of an assignment's network: a group's minimum and cap for a segment,
/// as the flow over the arcs of its members' (manager, segment) runs, for other solvers to
/// check (see [`assignment_limits`](crate::assignment_limits)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkLimit {
    /// The group.
    pub group: crate::model::GroupId,
    /// The segment.
    pub segment: String,
    /// The arcs whose flow it sums.
    pub arcs: Vec<ArcId>,
    /// The least the sum may be.
    pub minimum: i64,
    /// The most it may be (`i64::MAX` without a cap).
    pub maximum: i64,
}

/// The limits of `book`'s groups on `built`, as [`NetworkLimit`]s.
pub(super) fn network_limits(book: &Book, built: &Built) -> Vec<NetworkLimit> {
    let limits = Limits::of(book, built);
    (limits.limits.iter().zip(limits.sets).zip(limits.bounds))
        .map(|((limit, arcs), (minimum, maximum))| NetworkLimit {
            group: book.organisation.groups()[limit.group].id.clone(),
            segment: limit.segment.to_string(),
            arcs,
            minimum,
            maximum,
        })
        .collect()
}

/// The limits of `book`'s groups as sets of `built`'s arcs, with their bounds.
struct Limits {
    limits: Vec<SegmentLimit>,
    sets: Vec<Vec<ArcId>>,
    bounds: Vec<(i64, i64)>,
}

impl Limits {
    fn of(book: &Book, built: &Built) -> Limits {
        let organisation = &book.organisation;
        let limits = organisation.segment_limits();
        let index: HashMap<(usize, &str), usize> = limits
            .iter()
            .enumerate()
            .map(|(k, limit)| ((limit.group, &*limit.segment), k))
            .collect();
        let mut sets = vec![Vec::new(); limits.len()];
        for (run, (manager, segment)) in built.left_out.entries.segment_runs() {
            for g in organisation.chain(*manager as usize) {
                if let Some(&k) = index.get(&(g, &**segment)) {
                    sets[k].extend(run.iter().copied());
                }
            }
        }
        let bounds = limits
            .iter()
            .map(|l| (i64::from(l.minimum), l.cap.map_or(i64::MAX, i64::from)))
            .collect();
        Limits {
            limits,
            sets,
            bounds,
        }
    }

    /// The arcs' costs shifted by the prices `prices`, one per limit.
    fn shift(&self, prices: &[i64]) -> Vec<(ArcId, i64)> {
        let mut shift: BTreeMap<ArcId, i64> = BTreeMap::new();
        for (set, &price) in self.sets.iter().zip(prices) {
            if price != 0 {
                for &arc in set {
                    let at = shift.entry(arc).or_default();
                    *at = at.saturating_add(price);
                }
            }
        }
        shift.into_iter().collect()
    }

    /// Where limit `k`'s sum should be at price `price`: at the bound the price presses on,
    /// or anywhere between the bounds when it is 0.
    fn wanted(&self, k: usize, price: i64) -> (i64, i64) {
        let (lo, hi) = self.bounds[k];
        match price {
            p if p > 0 => (hi, hi),
            p if p < 0 => (lo, lo),
            _ => (lo, hi),
        }
    }

    /// The prices limit `k` may take, `extreme` at most either way: none above 0 without a
    /// cap (it would press on no bound), none below 0 without a minimum.
    fn prices(&self, k: usize, extreme: i64) -> (i64, i64) {
        let (lo, hi) = self.bounds[k];
        (
            if lo > 0 { -extreme } else { 0 },
            if hi < i64::MAX { extreme } else { 0 },
        )
    }

    fn sum(&self, k: usize, solution: &Solution) -> i64 {
        self.sets[k]
            .iter()
            .map(|&arc| solution.flow(arc))
            .fold(0, i64::saturating_add)
    }

    fn error(&self, book: &Book, k: usize, most: Option<i64>) -> SolveError {
        let limit = &self.limits[k];
        let group = book.organisation.groups()[limit.group].id.to_string();
        let segment = limit.segment.to_string();
        match most {
            Some(most) => SolveError::GroupMinimumUnmet {
                group,
                segment,
                minimum: limit.minimum,
                most,
            },
            None => SolveError::GroupLimitsUnmet { group, segment },
        }
    }
}

/// Which way limit `k`'s price must go at `price`, its sum being `sum`: 1 up (the sum is
/// above where the price wants it), -1 down (below), 0 in place.
fn way_at(limits: &Limits, k: usize, price: i64, sum: i64) -> i64 {
    let (lo, hi) = limits.wanted(k, price);
    if sum > hi {
        1
    } else if sum < lo {
        -1
    } else {
        0
    }
}

/// The state before a joint move, to go back to.
struct Undo {
    prices: Vec<i64>,
    solution: Solution,
    sums: Vec<i64>,
    value: i128,
}

/// The search's state: the prices, the optimum at them, and what it has found.
struct Search<'a> {
    book: &'a Book,
    built: &'a Built,
    limits: Limits,
    solve: &'a SolveShifted<'a>,
    prices: Vec<i64>,
    solution: Solution,
    solves: u32,
    /// The pivots of every solve, the first's included.
    pivots: u64,
    /// How the first solve went: in how many parts, and whether joined by links.
    parts: usize,
    joined_by_links: bool,
    /// The farthest a price goes: beyond it every unit its set could lose (or gain) has.
    extreme: i64,
    /// The best lower bound seen, and the cheapest plan meeting every limit.
    bound: i128,
    best: Option<(i128, Solution)>,
}

/// The optimum of `built` (`first`, at no prices) moved into `book`'s groups' limits by the
/// search the module describes; `solve` solves `built` with its arcs' costs shifted, from a
/// last optimum.
pub(super) fn within(
    book: &Book,
    built: &Built,
    first: Solution,
    solve: &SolveShifted<'_>,
) -> Result<Outcome> {
    let limits = Limits::of(book, built);
    let count = limits.sets.len();
    // Twice the unassigned penalty outweighs any change of a unit's path (each under it).
    let extreme = built.unassigned_penalty.saturating_mul(2);
    let mut search = Search {
        book,
        built,
        prices: vec![0; count],
        limits,
        solve,
        pivots: first.pivots,
        parts: first.parts,
        joined_by_links: first.joined_by_links,
        solution: first,
        solves: 0,
        extreme,
        bound: i128::MIN,
        best: None,
    };
    let rounds = 8 + 4 * count;
    // The last move: the prices it moved, each its way, and the limits out of place before.
    let mut last: Option<(Ways, Vec<bool>)> = None;
    // Where the last joint move started: undone when it did not raise the bound.
    let mut undo: Option<Undo> = None;
    // The limits out of place when a joint move was last undone.
    let mut alone: Option<Vec<bool>> = None;
    // Where the last move alone started, when it ended there too.
    let mut stuck: Option<(Vec<i64>, Vec<bool>)> = None;
    // The sums of the optimum steered already, where the last move steered it.
    let mut steered: Option<Vec<i64>> = None;
    for _ in 0..rounds {
        let mut sums = match steered.take() {
            Some(sums) => sums,
            None => search.steer(),
        };
        let value = search.note(&sums);
        // Limits that share customers, each moved to its own breakpoint as if alone, can
        // overshoot together and come back (they zigzag between two corners), and prices
        // moved together can run to the extremes as one takes what another needs: the dual
        // must rise with every joint move, or it is undone.
        let undone = match undo.take() {
            Some(before) if value <= before.value => {
                (search.prices, search.solution, sums) =
                    (before.prices, before.solution, before.sums);
                true
            }
            _ => false,
        };
        let out = search.out_of_place(&sums);
        // After a joint move undone, limits move one at a time until another comes out of
        // place: the same joint move would overshoot again.
        if undone {
            alone = Some(out.clone());
        } else if alone
            .as_ref()
            .is_some_and(|alone| (0..count).any(|k| out[k] && !alone[k]))
        {
            alone = None;
        }
        let joint = alone.is_none();
        // The limit farthest out of place first: where limits nest, the inner one (tighter)
        // then takes the price that would otherwise zigzag between them.
        let distance = |k: usize| {
            let (lo, hi) = search.limits.wanted(k, search.prices[k]);
            (lo.saturating_sub(sums[k])).max(sums[k].saturating_sub(hi))
        };
        let farthest = (0..count)
            .filter(|&k| out[k])
            .max_by_key(|&k| (distance(k), std::cmp::Reverse(k)));
        let Some(farthest) = farthest else {
            return Ok(search.outcome(search.solution.clone(), 0));
        };
        let watch: Vec<usize> = (0..count).filter(|&k| out[k]).collect();
        // A limit the last move pushed out of place shares customers with those it moved:
        // moving its price alone would push them back out (the prices zigzag up together,
        // a unit at a time), so they move on together.
        let pushed = joint
            && last
                .as_ref()
                .is_some_and(|(_, before)| watch.iter().any(|&k| !before[k]));
        let ways = match (&last, pushed) {
            (Some((moved, _)), true) => {
                let mut ways: Vec<(usize, i64)> =
                    moved.iter().copied().filter(|&(k, _)| !out[k]).collect();
                ways.extend(watch.iter().map(|&k| (k, search.way(k, sums[k]))));
                ways.sort_unstable();
                ways
            }
            _ => vec![(farthest, search.way(farthest, sums[farthest]))],
        };
        if joint && (pushed || watch.len() > 1) {
            undo = Some(Undo {
                prices: search.prices.clone(),
                solution: search.solution.clone(),
                sums: sums.clone(),
                value,
            });
        }
        if joint && !pushed && watch.len() > 1 {
            // Several limits out of place, none pushed there by the last move: each to its
            // own breakpoint, all in the same solves.
            let ways: Ways = watch.iter().map(|&k| (k, search.way(k, sums[k]))).collect();
            search.lines(&ways)?;
            last = Some((ways, out));
            continue;
        }
        let watched: Vec<usize> = match pushed {
            true => watch,
            false => vec![farthest],
        };
        // A move alone that came back to where it started (the near side of its breakpoint
        // put more in place) goes to the far side next time: the limits it pushes out of
        // place there then move with it.
        let start = (search.prices.clone(), out.clone());
        let far = stuck.as_ref() == Some(&start);
        let sums = search.line(&ways, &watched, far)?;
        let back = !pushed && (&search.prices, &search.out_of_place(&sums)) == (&start.0, &start.1);
        stuck = back.then_some(start);
        steered = Some(sums);
        last = Some((ways, out));
    }
    search.finish()
}

impl Search<'_> {
    /// Moves the optimum towards the limits' wanted sums along cycles of zero reduced cost,
    /// and returns the sums.
    fn steer(&mut self) -> Vec<i64> {
        let wanted: Vec<(i64, i64)> = (0..self.prices.len())
            .map(|k| self.limits.wanted(k, self.prices[k]))
            .collect();
        let steering = Steering {
            sets: &self.limits.sets,
            wanted: &wanted,
        };
        let shift = self.limits.shift(&self.prices);
        self.built
            .network
            .steer(&shift, &mut self.solution, &steering)
    }

    /// Records the lower bound the prices give, and the plan if it meets every limit;
    /// returns the bound (the dual's value at the prices).
    fn note(&mut self, sums: &[i64]) -> i128 {
        let cost = self.cost_of(&self.solution);
        let pressed = (0..sums.len()).map(|k| {
            let (lo, hi) = self.limits.bounds[k];
            let price = i128::from(self.prices[k]);
            let bound = if price > 0 { hi } else { lo };
            price * (i128::from(sums[k]) - i128::from(bound))
        });
        let value = cost + pressed.sum::<i128>();
        self.bound = self.bound.max(value);
        let meets =
            (sums.iter().zip(&self.limits.bounds)).all(|(s, &(lo, hi))| lo <= *s && *s <= hi);
        if meets && self.best.as_ref().is_none_or(|(best, _)| cost < *best) {
            self.best = Some((cost, self.solution.clone()));
        }
        value
    }

    /// `solution`'s cost at the arcs' own costs.
    fn cost_of(&self, solution: &Solution) -> i128 {
        let network = &self.built.network;
        let own = (0..network.arc_count()).map(|a| {
            let arc = ArcId(a as u32);
            i128::from(solution.flow(arc)) * i128::from(network.arc(arc).3)
        });
        let priced = solution.priced.iter().enumerate().map(|(i, arc)| {
            let id = ArcId((network.arc_count() + i) as u32);
            i128::from(solution.flow(id)) * i128::from(arc.cost)
        });
        own.chain(priced).sum()
    }

    /// Where the lines of `from` and `to` (each solution's cost as the prices move along
    /// `ways`) cross, strictly between the two: the breakpoint when no other optimum lies
    /// between them; `None` when they do not cross there.
    fn crossing(
        &self,
        ways: &[(usize, i64)],
        base: &[i64],
        from: (i64, &Solution),
        to: (i64, &Solution),
    ) -> Option<i64> {
        // A solution's cost at step t is its cost at the base prices plus t·slope.
        let line = |solution: &Solution| {
            let slope: i128 = ways
                .iter()
                .map(|&(k, way)| i128::from(way) * i128::from(self.limits.sum(k, solution)))
                .sum();
            let at_base: i128 = (0..base.len())
                .map(|k| i128::from(base[k]) * i128::from(self.limits.sum(k, solution)))
                .sum();
            (self.cost_of(solution) + at_base, slope)
        };
        let ((c_from, s_from), (c_to, s_to)) = (line(from.1), line(to.1));
        let t = (c_to - c_from).checked_div(s_from - s_to)?;
        let t = i64::try_from(t).ok()?;
        (from.0 < t && t < to.0).then_some(t)
    }

    /// Per limit, whether it is out of place at its price, the sums being `sums`.
    fn out_of_place(&self, sums: &[i64]) -> Vec<bool> {
        (0..sums.len()).map(|k| self.way(k, sums[k]) != 0).collect()
    }

    /// Which way limit `k`'s price must go, its sum being `sum`: 1 up, -1 down, 0 in place.
    fn way(&self, k: usize, sum: i64) -> i64 {
        way_at(&self.limits, k, self.prices[k], sum)
    }

    /// The prices moved `t` steps along `ways` from `base`, each within its limit's range.
    fn along(&self, base: &[i64], ways: &[(usize, i64)], t: i64) -> Vec<i64> {
        let mut prices = base.to_vec();
        for &(k, way) in ways {
            prices[k] = self.moved(k, base[k], way.saturating_mul(t));
        }
        prices
    }

    /// Limit `k`'s price `from` moved by `by`, within its range.
    fn moved(&self, k: usize, from: i64, by: i64) -> i64 {
        let (least, most) = self.limits.prices(k, self.extreme);
        from.saturating_add(by).clamp(least, most)
    }

    /// Whether limit `k`'s price at `price` can go no further `way` (1 up, -1 down).
    fn at_end(&self, k: usize, way: i64, price: i64) -> bool {
        let (least, most) = self.limits.prices(k, self.extreme);
        if way > 0 {
            price >= most
        } else {
            price <= least
        }
    }

    /// Solves at `prices`; says whether going on along `ways` still raises the dual: for one
    /// limit, whether it is still out of place its way; for prices moved together, whether
    /// the dual's slope along them is still positive (each price's way times how far its sum
    /// is past the bound it presses on that way; a price at the end of its range adds
    /// nothing), which keeps a joint move from running on while one limit takes what
    /// another needs.
    fn try_prices(&mut self, prices: &[i64], ways: &[(usize, i64)]) -> Result<(Solution, bool)> {
        let solution = (self.solve)(&self.limits.shift(prices), &self.solution)?;
        self.solves += 1;
        self.pivots = self.pivots.saturating_add(solution.pivots);
        let going_on = match ways {
            [(k, way)] => {
                let sum = self.limits.sum(*k, &solution);
                way_at(&self.limits, *k, prices[*k], sum) == *way
            }
            _ => {
                let slope = ways.iter().map(|&(k, way)| {
                    let (lo, hi) = self.limits.bounds[k];
                    let up = prices[k] > 0 || (prices[k] == 0 && way > 0);
                    let bound = if up { hi } else { lo };
                    if self.at_end(k, way, prices[k]) {
                        0
                    } else {
                        i128::from(way)
                            * (i128::from(self.limits.sum(k, &solution)) - i128::from(bound))
                    }
                });
                slope.sum::<i128>() > 0
            }
        };
        Ok((solution, going_on))
    }

    /// Moves the prices along `ways` to the breakpoint where going on stops raising the dual
    /// (see [`Search::try_prices`]; for one limit, where it comes into place): widening the
    /// step until it does, then narrowing the gap. Keeps the optimum at the side of the
    /// breakpoint whose steered flow puts more limits in place, or the far side when `far`,
    /// and returns the limits' sums there. `watched` are the limits out of place: when every
    /// price is at the end of its range with them at the extreme, they cannot be met.
    fn line(&mut self, ways: &[(usize, i64)], watched: &[usize], far: bool) -> Result<Vec<i64>> {
        let base = self.prices.clone();
        // `from` is out of place; `to`, once found, is not.
        let mut from: (i64, Option<Solution>) = (0, None);
        let mut step: i64 = 1;
        let mut to = loop {
            let t = from.0.saturating_add(step);
            let prices = self.along(&base, ways, t);
            let (solution, going_on) = self.try_prices(&prices, ways)?;
            if !going_on {
                break (t, solution);
            }
            if ways.iter().all(|&(k, way)| self.at_end(k, way, prices[k])) {
                if watched.iter().all(|&k| prices[k].abs() >= self.extreme) {
                    return Err(self.unmet(watched[0])?);
                }
                // Prices moved together that can go no further (some at 0, where their
                // limit is in place): the move ends here, undone if it did not raise the dual.
                (self.prices, self.solution) = (prices, solution);
                return Ok(self.steer());
            }
            from = (t, Some(solution));
            step = step.saturating_mul(4);
        };
        // Halving the gap, or better, probing where the two ends' lines cross: the
        // breakpoint itself when no other optimum lies between (a probe that does not
        // halve the gap is followed by a halving).
        let mut halve = false;
        let mut next = None;
        while to.0 - from.0 > 1 {
            let gap = to.0 - from.0;
            let crossing = match (next.take(), halve) {
                (Some(t), _) => Some(t),
                (None, false) => {
                    let from_solution = from.1.as_ref().unwrap_or(&self.solution);
                    self.crossing(ways, &base, (from.0, from_solution), (to.0, &to.1))
                }
                (None, true) => None,
            };
            let mid = crossing.unwrap_or(from.0 + gap / 2);
            let prices = self.along(&base, ways, mid);
            let (solution, going_on) = self.try_prices(&prices, ways)?;
            if going_on {
                from = (mid, Some(solution));
                // Still out at the crossing: the optimum there was the near side's, and the
                // breakpoint is the next step if no other optimum lies between.
                next = crossing.map(|t| t + 1).filter(|&t| t < to.0);
            } else {
                to = (mid, solution);
            }
            halve = crossing.is_some() && next.is_none() && (to.0 - from.0) * 2 > gap;
        }
        // The breakpoint is `to`, or `from` where the solve gave the optimum on its far side:
        // the limits' bounds are among the optima at one of them. `to` unless `from` puts
        // more in place: past the breakpoint, a limit pushed out shows which move on together.
        let in_place = |search: &Search<'_>, sums: &[i64]| {
            search
                .out_of_place(sums)
                .iter()
                .filter(|&&out| !out)
                .count()
        };
        let last = std::mem::replace(&mut self.solution, to.1);
        self.prices = self.along(&base, ways, to.0);
        let at_to = self.steer();
        if far || in_place(self, &at_to) == at_to.len() {
            return Ok(at_to);
        }
        let near = self.along(&base, ways, from.0);
        let far = (
            std::mem::replace(&mut self.prices, near),
            std::mem::replace(&mut self.solution, from.1.unwrap_or(last)),
        );
        let at_from = self.steer();
        if in_place(self, &at_from) <= in_place(self, &at_to) {
            (self.prices, self.solution) = far;
            return Ok(at_to);
        }
        Ok(at_from)
    }

    /// Moves each price of `ways` (its limit out of place) to its own breakpoint, every probe
    /// one solve with each limit's probe price: a bracket per limit, widened ×4 until its sum
    /// crosses, then halved, each by its own sum, as if the limits did not interact (teams
    /// apart share no customers). A book with a hundred teams' minimums takes as many solves
    /// as one. The rounds after settle what the limits do share, and steer each onto its
    /// bound.
    fn lines(&mut self, ways: &[(usize, i64)]) -> Result<()> {
        let base = self.prices.clone();
        // Per limit: the step out of place, the step in place once found, the next widening.
        let mut brackets: Vec<(i64, Option<i64>, i64)> = vec![(0, None, 1); ways.len()];
        let open = |b: &(i64, Option<i64>, i64)| b.1.is_none_or(|to| to - b.0 > 1);
        let ranges: Vec<(i64, i64)> = (ways.iter())
            .map(|&(k, _)| self.limits.prices(k, self.extreme))
            .collect();
        let at = |brackets: &[(i64, Option<i64>, i64)], probe: bool| {
            let steps = brackets.iter().map(|b| match (b.1, probe) {
                (None, _) => b.0.saturating_add(b.2),
                (Some(to), true) if to - b.0 > 1 => b.0 + (to - b.0) / 2,
                (Some(to), _) => to,
            });
            let mut prices = base.clone();
            for ((&(k, way), t), &(least, most)) in ways.iter().zip(steps).zip(&ranges) {
                prices[k] = base[k]
                    .saturating_add(way.saturating_mul(t))
                    .clamp(least, most);
            }
            prices
        };
        while brackets.iter().any(open) {
            let prices = at(&brackets, true);
            let solution = (self.solve)(&self.limits.shift(&prices), &self.solution)?;
            self.solves += 1;
            self.pivots = self.pivots.saturating_add(solution.pivots);
            for (b, &(k, way)) in brackets.iter_mut().zip(ways) {
                if !open(b) {
                    continue;
                }
                let t = (prices[k] - base[k]) / way;
                let sum = self.limits.sum(k, &solution);
                if way_at(&self.limits, k, prices[k], sum) != way {
                    b.1 = Some(t);
                } else if self.at_end(k, way, prices[k]) {
                    return Err(self.unmet(k)?);
                } else {
                    b.0 = t;
                    b.2 = b.2.saturating_mul(4);
                }
            }
        }
        let prices = at(&brackets, false);
        self.solution = (self.solve)(&self.limits.shift(&prices), &self.solution)?;
        self.solves += 1;
        self.pivots = self.pivots.saturating_add(self.solution.pivots);
        self.prices = prices;
        Ok(())
    }

    /// The error for limit `k`, out of place even at the extreme price: a minimum that its
    /// price alone, the others at 0, cannot meet is `group_minimum_unmet` with the most that
    /// can be placed; otherwise the limits cannot be met together.
    fn unmet(&mut self, k: usize) -> Result<crate::error::Error> {
        let mut prices = vec![0; self.prices.len()];
        prices[k] = -self.extreme;
        let solution = (self.solve)(&self.limits.shift(&prices), &self.solution)?;
        self.solves += 1;
        let sum = self.limits.sum(k, &solution);
        let most = (sum < self.limits.bounds[k].0).then_some(sum);
        Ok(self.limits.error(self.book, k, most).into())
    }

    /// The end of a search that ran out of rounds: the best plan meeting every limit, with
    /// its distance from the lower bound, or an error naming the first limit left unmet.
    fn finish(mut self) -> Result<Outcome> {
        let sums = self.steer();
        self.note(&sums);
        let Some((cost, solution)) = self.best.take() else {
            let k = (0..sums.len())
                .find(|&k| {
                    let (lo, hi) = self.limits.bounds[k];
                    sums[k] < lo || sums[k] > hi
                })
                .unwrap_or(0);
            return Err(self.limits.error(self.book, k, None).into());
        };
        let gap = i64::try_from((cost - self.bound).max(0)).unwrap_or(i64::MAX);
        Ok(self.outcome(solution, gap))
    }

    /// The outcome with `solution`, which counts the pivots of every solve, and is said to
    /// be solved in as many parts as the first solve found.
    fn outcome(&self, mut solution: Solution, gap: i64) -> Outcome {
        solution.pivots = self.pivots;
        solution.parts = self.parts;
        solution.joined_by_links = self.joined_by_links;
        Outcome {
            solution,
            solves: self.solves,
            gap,
        }
    }
}

//! Convex arcs, solved through a coarser network that is refined until it proves the optimum.
//!
//! A convex arc is a run of parallel arcs with non-decreasing costs (in an assignment network,
//! a manager's k-th customer costs more than the (k−1)-th). Given one unit arc per customer,
//! the simplex moves load one unit at a time, which is most of its pivots. So each run is first
//! merged into a few segments, each priced at its middle piece (near what the flow will meet
//! there; the pricing only guides, the check below proves). Once solved, the flow on a run is
//! spread over its pieces cheapest first and every piece is checked against the potentials
//! (complementary slackness). If every piece passes, the flow is optimal for the real network:
//! the potentials prove it. If not, the segments around where a failing run's flow ends are
//! cut into a few finer ones, and the solve goes on from the last basis (the split arcs keep
//! their flow and the tree). Each round zooms in by that factor, so a run of k pieces is
//! resolved in about log(k) cheap rounds instead of one round over many small segments, whose
//! boundaries the simplex would cross one pivot at a time. A run cut into all its pieces is
//! the real one, so this ends.

use foldhash::HashSet;

use super::pricing::{Potentials, Priced, PricedArc};
use super::simplex::{Outcome, Solver};
use super::{Network, NetworkError, Solution};
use crate::cancel::Cancel;

/// Segments per run in the first, coarsest round.
const FIRST_SEGMENTS: usize = 2;

/// Into how many finer segments a segment near a failing run's flow end is cut per round.
const REFINE_FACTOR: usize = 6;

/// Rounds of refining around a start flow's loads, when they are near the optimum's, before
/// the first solve. Lender 100k × 1,000: 1.72M pivots without, 1.53M with 1 round, 1.32M
/// with 2, 1.34M with 4; the aggregated example bank 100k × 500 took more pivots with any.
/// With customers kept at their managers, lender 1M × 2,000: 1 round took 1.40M pivots and 2
/// took 1.55M, in the same time within the machine's noise (11.2–12.6 s against 11.8–12.1 s).
const START_ZOOM: usize = 2;

/// A run of parallel arcs `start..end` of the network with non-decreasing costs, and where it
/// is cut into segments for the current round.
struct Run {
    start: usize,
    end: usize,
    /// `cut[i]`: a segment starts at piece `start + i`. Always true for the first piece.
    cut: Vec<bool>,
}

impl Run {
    fn new(start: usize, end: usize) -> Run {
        let pieces = end - start;
        // Runs too short to merge into segments of two or more pieces stay as they are.
        let width = (pieces / FIRST_SEGMENTS).max(1);
        Run {
            start,
            end,
            cut: (0..pieces).map(|i| i % width == 0).collect(),
        }
    }

    /// The segments as piece ranges relative to `start`.
    fn segments(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let starts: Vec<usize> = (0..self.cut.len()).filter(|&i| self.cut[i]).collect();
        let ends: Vec<usize> = starts
            .iter()
            .skip(1)
            .copied()
            .chain([self.cut.len()])
            .collect();
        starts.into_iter().zip(ends)
    }

    /// Where the segment starting at `first` ends.
    fn segment_end(&self, first: usize) -> usize {
        (first + 1..self.cut.len())
            .find(|&i| self.cut[i])
            .unwrap_or(self.cut.len())
    }

    /// Where the last segment starting before `first` starts (0 if none does).
    fn previous_segment(&self, first: usize) -> usize {
        (0..first).rev().find(|&i| self.cut[i]).unwrap_or(0)
    }

    /// Cuts the segment holding `piece` and its neighbours into `REFINE_FACTOR` finer segments
    /// each (single pieces once they are that short), reaching further out until something
    /// new is cut. Returns false when the run was already fully cut.
    fn refine_around(&mut self, piece: usize) -> bool {
        let pieces = self.cut.len();
        let holding = self.previous_segment(piece + 1);
        let mut reach = 1;
        loop {
            let (mut from, mut to) = (holding, self.segment_end(holding));
            for _ in 0..reach {
                from = self.previous_segment(from);
                if to < pieces {
                    to = self.segment_end(to);
                }
            }
            let mut changed = false;
            let mut first = from;
            while first < to {
                let end = self.segment_end(first);
                let width = (end - first).div_ceil(REFINE_FACTOR);
                for cut in self.cut[first..end].iter_mut().step_by(width).skip(1) {
                    changed |= !*cut;
                    *cut = true;
                }
                first = end;
            }
            if changed || (from == 0 && to == pieces) {
                return changed;
            }
            reach *= 2;
        }
    }
}

/// One segment of a run in the coarse network: pieces `first..end` (relative to the run's
/// start) as the coarse arc `arc`.
#[derive(Debug, Clone, Copy)]
struct Segment {
    first: usize,
    end: usize,
    arc: u32,
}

/// Where the real network's arcs are in the coarse one.
struct Layout {
    /// The coarse arc of each real arc outside the runs (`u32::MAX` for pieces of a run).
    plain: Vec<u32>,
    /// Each run's segments, in piece order.
    segments: Vec<Vec<Segment>>,
}

/// Solves `network`, whose arcs `runs` (ranges of arc ids) are convex runs, exactly. `bounds`
/// are big M and the potential bound proven for `network`, which hold for every coarser one
/// too (same nodes, costs among its costs). Each round goes on from the previous round's
/// basis: refining splits a segment's arc into parallel pieces, which keeps the flow and the
/// tree, so only the pivots the finer costs call for remain. With `priced`, every optimum
/// the runs accept is priced against the arcs left out, which join the basis the same way
/// until none would pay (see `pricing`).
pub(super) fn solve(
    network: &Network,
    runs: &[(u32, u32)],
    (artificial_cost, potential_bound): (i64, u64),
    cancel: Option<&Cancel>,
    priced: Option<Priced<'_>>,
) -> Result<Solution, NetworkError> {
    let mut runs: Vec<Run> = runs
        .iter()
        .map(|&(start, end)| Run::new(start as usize, end as usize))
        .collect();
    if let Some(start) = network.start.as_ref() {
        for run in &mut runs {
            if start.near {
                zoom_to_start(run, &start.flow, START_ZOOM);
            }
            if start.basic {
                cut_at_start(run, &network.capacity, &start.flow);
            }
        }
    }
    let (coarse, mut layout) = coarsen(network, &runs);
    let start = network
        .start
        .as_ref()
        .map(|start| coarse_flow_of(&start.flow, &runs, &layout, coarse.arc_count()));
    let mut solver = Solver::new(
        &coarse.supply,
        (&coarse.source, &coarse.target),
        (&coarse.capacity, &coarse.cost),
        (artificial_cost, potential_bound),
        start.as_deref(),
    );
    drop(coarse);
    let mut brought = Brought::default();
    // Arcs a pricing brought in before (see `linked`) are the network's own now.
    brought.ends.extend(network.priced_before.iter().copied());
    let mut first_round = true;
    loop {
        let (coarse_flow, potential) = match solver.solve(cancel) {
            Outcome::Optimal(flow, potential) => (flow, potential),
            Outcome::Infeasible => return Err(NetworkError::Infeasible),
            Outcome::Cancelled => return Err(NetworkError::Cancelled),
        };
        let ends = check(network, &runs, &layout, &coarse_flow, &potential);
        // Nothing to refine when every run passed. Otherwise only a run cut into all its
        // pieces can fail without being refined, and such a run is exactly the real one,
        // which the simplex solved optimally: so nothing to refine means the runs hold.
        let (splits, split_at) = refine(network, &mut runs, &layout, &ends, first_round);
        first_round = false;
        if splits.is_empty() {
            if let Some(priced) = priced
                && brought.price(network, priced, &potential, &mut solver)?
            {
                continue;
            }
            let mut flow = real_flow(network, &runs, &layout, &coarse_flow);
            flow.extend(brought.coarse.iter().map(|&arc| coarse_flow[arc as usize]));
            return network.priced_solution_from(
                flow,
                potential,
                solver.pivots(),
                (brought.arcs, brought.rounds),
            );
        }
        let ids = solver.split(&splits);
        // Replace each split segment by its pieces, from the last so indices stay valid.
        for ((r, s, cuts), ids) in split_at.into_iter().zip(ids).rev() {
            let end = layout.segments[r][s].end;
            let pieces = cuts
                .iter()
                .zip(cuts.iter().skip(1).chain([&end]))
                .zip(ids)
                .map(|((&first, &end), arc)| Segment { first, end, arc });
            layout.segments[r].splice(s..=s, pieces);
        }
    }
}

/// A coarse arc to split, and its pieces `(capacity, cost)`, as the solver takes them.
type Split = (u32, Vec<(i64, i64)>);

/// Where a split segment lies: its run, its place in the run, and the first piece of each
/// segment it becomes.
type SplitAt = (usize, usize, Vec<usize>);

/// The segments to split for the next round, as the solver takes them (arc, pieces), and
/// where each lies (run, segment, first piece of each new segment); none when every run
/// passed. After the first, coarsest round every run is cut around its flow: most flows end
/// near there, and a run that passes now may not once its neighbours are refined.
fn refine(
    network: &Network,
    runs: &mut [Run],
    layout: &Layout,
    ends: &[(usize, bool)],
    first_round: bool,
) -> (Vec<Split>, Vec<SplitAt>) {
    let (mut splits, mut split_at) = (Vec::new(), Vec::new());
    if ends.iter().all(|&(_, optimal)| optimal) {
        return (splits, split_at);
    }
    for (r, (run, &(piece, optimal))) in runs.iter_mut().zip(ends).enumerate() {
        if optimal && !first_round || !run.refine_around(piece) {
            continue;
        }
        for (s, segment) in layout.segments[r].iter().enumerate() {
            let cuts: Vec<usize> = (segment.first..segment.end)
                .filter(|&i| run.cut[i])
                .collect();
            if cuts.len() > 1 {
                let pieces = cuts
                    .iter()
                    .zip(cuts.iter().skip(1).chain([&segment.end]))
                    .map(|(&first, &end)| segment_arc(network, run, first, end))
                    .collect();
                splits.push((segment.arc, pieces));
                split_at.push((r, s, cuts));
            }
        }
    }
    (splits, split_at)
}

/// The arcs a pricing brought in so far.
#[derive(Default)]
struct Brought {
    /// As the pricer gave them, in the order they joined.
    arcs: Vec<PricedArc>,
    /// The coarse (solver) arc of each.
    coarse: Vec<u32>,
    /// Their ends in the whole network, for the pricer to skip.
    ends: HashSet<(u32, u32)>,
    rounds: u32,
}

impl Brought {
    /// Prices the arcs left out against `potential` and adds those that would pay to
    /// `solver`; false when none would, which proves the optimum. A priced arc that is
    /// malformed, already held or dearer than the pricer promised is an [`NetworkError::InvalidArc`]
    /// numbered after the network's own arcs.
    fn price(
        &mut self,
        network: &Network,
        priced: Priced<'_>,
        potential: &[i64],
        solver: &mut Solver,
    ) -> Result<bool, NetworkError> {
        let arcs = priced.pricing.price(&Potentials {
            potential,
            priced,
            brought: &self.ends,
        });
        if arcs.is_empty() {
            return Ok(false);
        }
        let max_cost = priced.pricing.max_abs_cost();
        let mut local = Vec::with_capacity(arcs.len());
        for arc in &arcs {
            let id = u32::try_from(network.arc_count() + self.arcs.len() + local.len())
                .unwrap_or(u32::MAX);
            let invalid = |reason| NetworkError::InvalidArc { arc: id, reason };
            let nodes = network.node_count() as u32;
            let here = |node| priced.local(node).filter(|&local| local < nodes);
            let (Some(from), Some(to)) = (here(arc.from), here(arc.to)) else {
                return Err(invalid("a priced arc leaves the network"));
            };
            if arc.capacity < 0 {
                return Err(invalid("negative capacity"));
            }
            if arc.cost.unsigned_abs() > max_cost {
                return Err(invalid("a priced arc costs more than its pricing allows"));
            }
            if !self.ends.insert((arc.from.0, arc.to.0)) {
                return Err(invalid("an arc was priced in twice"));
            }
            local.push((from, to, arc.capacity, arc.cost));
        }
        let first = solver.arc_count() as u32;
        solver.add_arcs(&local);
        self.coarse.extend(first..first + local.len() as u32);
        self.arcs.extend(arcs);
        self.rounds += 1;
        Ok(true)
    }
}

/// The coarse arc of pieces `first..end` of `run`: their total capacity at the middle piece's
/// cost. Priced at the cheapest piece instead, the first rounds overshoot every load and the
/// later rounds spend their pivots taking it back (1M × 2,000: 15% slower).
fn segment_arc(network: &Network, run: &Run, first: usize, end: usize) -> (i64, i64) {
    let capacity = network.capacity[run.start + first..run.start + end]
        .iter()
        .fold(0i64, |sum, &u| sum.saturating_add(u));
    (capacity, network.cost[run.start + (first + end - 1) / 2])
}

/// The network with each run replaced by its segments, and where every arc went.
fn coarsen(network: &Network, runs: &[Run]) -> (Network, Layout) {
    let mut coarse = Network::with_capacity(network.node_count(), network.arc_count());
    coarse.supply.clone_from(&network.supply);
    let mut layout = Layout {
        plain: vec![u32::MAX; network.arc_count()],
        segments: Vec::with_capacity(runs.len()),
    };
    let id = |coarse: &Network| u32::try_from(coarse.arc_count()).unwrap_or(u32::MAX);
    let mut arc = 0;
    for run in runs {
        for a in arc..run.start {
            layout.plain[a] = id(&coarse);
            coarse.push_arc_of(network, a);
        }
        let mut segments = Vec::new();
        for (first, end) in run.segments() {
            let (capacity, cost) = segment_arc(network, run, first, end);
            segments.push(Segment {
                first,
                end,
                arc: id(&coarse),
            });
            coarse.source.push(network.source[run.start]);
            coarse.target.push(network.target[run.start]);
            coarse.capacity.push(capacity);
            coarse.cost.push(cost);
        }
        layout.segments.push(segments);
        arc = run.end;
    }
    for a in arc..network.arc_count() {
        layout.plain[a] = id(&coarse);
        coarse.push_arc_of(network, a);
    }
    (coarse, layout)
}

/// Cuts `run` finely around where the start `flow` leaves its load, `rounds` times: the
/// solve begins where the loads will mostly stay, priced close to their real costs.
fn zoom_to_start(run: &mut Run, flow: &[i64], rounds: usize) {
    let Some(pieces) = flow.get(run.start..run.end) else {
        return;
    };
    let last_used = pieces.iter().rposition(|&f| f > 0).unwrap_or(0);
    for _ in 0..rounds {
        run.refine_around(last_used);
    }
}

/// Cuts `run` where the start `flow` (cheapest pieces first) ends on it: the pieces it fills
/// stay in segments of full pieces, the one it ends in is a segment of its own. A segment
/// holding both a piece with flow and one with room would be a partial arc the real flow does
/// not have, which can close a cycle of partial arcs and refuse a basic start.
fn cut_at_start(run: &mut Run, capacity: &[i64], flow: &[i64]) {
    let (Some(pieces), Some(capacities)) = (
        flow.get(run.start..run.end),
        capacity.get(run.start..run.end),
    ) else {
        return;
    };
    if let Some(k) = pieces.iter().zip(capacities).position(|(&f, &c)| f < c) {
        run.cut[k] = true;
        if pieces[k] > 0 && k + 1 < run.cut.len() {
            run.cut[k + 1] = true;
        }
    }
}

/// A flow of the real network as a flow of the coarse one: each segment carries its pieces'.
fn coarse_flow_of(flow: &[i64], runs: &[Run], layout: &Layout, arcs: usize) -> Vec<i64> {
    let mut coarse = vec![0i64; arcs];
    for (&arc, &f) in layout.plain.iter().zip(flow) {
        if let Some(slot) = coarse.get_mut(arc as usize) {
            *slot = f;
        }
    }
    for (run, segments) in runs.iter().zip(&layout.segments) {
        for segment in segments {
            let pieces = run.start + segment.first..run.start + segment.end;
            let sum = flow.get(pieces).map_or(0, |f| f.iter().sum());
            coarse[segment.arc as usize] = sum;
        }
    }
    coarse
}

/// Each run's flow spread over its pieces cheapest first, piece by piece: `(arc, flow)`.
fn spread_run<'a>(
    network: &'a Network,
    run: &Run,
    segments: &[Segment],
    coarse_flow: &[i64],
) -> impl Iterator<Item = (usize, i64)> + 'a {
    let flow_of = |arc: u32| coarse_flow.get(arc as usize).copied().unwrap_or(0);
    let mut left: i64 = segments.iter().map(|s| flow_of(s.arc)).sum();
    (run.start..run.end).map(move |a| {
        let f = left.min(network.capacity[a]);
        left -= f;
        (a, f)
    })
}

/// Per run, the piece where its spread flow ends and whether its pieces keep complementary
/// slackness with `potential`. Reads only the runs' pieces: the flow on every arc is built once,
/// by `real_flow`, when the check passes.
fn check(
    network: &Network,
    runs: &[Run],
    layout: &Layout,
    coarse_flow: &[i64],
    potential: &[i64],
) -> Vec<(usize, bool)> {
    runs.iter()
        .zip(&layout.segments)
        .map(|(run, segments)| {
            let (from, to) = (network.source[run.start], network.target[run.start]);
            let price = potential[from as usize] - potential[to as usize];
            let mut last_used = 0;
            let mut optimal = true;
            for (piece, (a, f)) in spread_run(network, run, segments, coarse_flow).enumerate() {
                if f > 0 {
                    last_used = piece;
                }
                let reduced = network.cost[a] - price;
                optimal &= (f == network.capacity[a] || reduced >= 0) && (f == 0 || reduced <= 0);
            }
            (last_used, optimal)
        })
        .collect()
}

/// The coarse solution's flow on the real arcs, each run's spread over its pieces.
fn real_flow(network: &Network, runs: &[Run], layout: &Layout, coarse_flow: &[i64]) -> Vec<i64> {
    let flow_of = |arc: u32| coarse_flow.get(arc as usize).copied().unwrap_or(0);
    let mut flow: Vec<i64> = layout.plain.iter().map(|&arc| flow_of(arc)).collect();
    for (run, segments) in runs.iter().zip(&layout.segments) {
        for (a, f) in spread_run(network, run, segments, coarse_flow) {
            flow[a] = f;
        }
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::network::ArcId;

    /// 1,000 units choose between a run whose k-th unit costs k and a direct arc at 250.
    fn steep_run() -> Network {
        let mut net = Network::new();
        let source = net.add_node(1_000);
        let sink = net.add_node(-1_000);
        net.add_arc(source, sink, 1_000, 250);
        net.add_convex_arcs(source, sink, (1..=1_600).map(|k| (1, k)));
        net
    }

    #[test]
    fn refining_zooms_in_on_the_flow_end_and_ends_fully_cut() {
        let mut run = Run::new(0, 1_200);
        assert_eq!(run.segments().count(), 2);
        // The segment holding piece 700 (600..1200) and its neighbour (0..600) are cut into
        // six each: 100 pieces wide.
        assert!(run.refine_around(700));
        let segments: Vec<_> = run.segments().collect();
        assert_eq!(segments.len(), 12);
        assert!(segments.iter().all(|(first, end)| end - first == 100));
        // Next round only the neighbourhood of the end: 600..700, 700..800 and 800..900 are
        // cut into 17-piece segments; the rest stays 100 wide.
        assert!(run.refine_around(750));
        assert_eq!(run.segment_end(700), 717);
        assert_eq!(run.segment_end(0), 100);
        assert_eq!(run.segment_end(900), 1_000);
        // Refining on ends with every piece cut, and then reports that nothing changed.
        let mut rounds = 0;
        while run.refine_around(750) {
            rounds += 1;
        }
        assert!(run.cut.iter().all(|&cut| cut), "after {rounds} more rounds");
        assert!(!run.refine_around(0));
    }

    #[test]
    fn a_coarse_round_that_misses_is_caught_and_refined() {
        let net = steep_run();
        let runs = [Run::new(1, 1_601)];
        let (coarse, layout) = coarsen(&net, &runs);
        assert_eq!(layout.segments[0].len(), FIRST_SEGMENTS);
        let solution = coarse
            .solve_plain(coarse.validate(0).unwrap(), None)
            .unwrap();
        let ends = check(&net, &runs, &layout, &solution.flow, &solution.potential);
        let flow = real_flow(&net, &runs, &layout, &solution.flow);
        // The first segment (units 1..=800) is priced at its middle, 400, above the direct
        // arc, so the coarse optimum leaves the run empty although its first 250 units are
        // cheaper: the certificate must fail.
        let used: i64 = flow[1..].iter().sum();
        assert_eq!(used, 0);
        assert!(!ends[0].1);
        // Refined, it stops where the next unit would cost more than the direct arc.
        let exact = solve(&net, &net.convex, net.validate(0).unwrap(), None, None).unwrap();
        assert_eq!(
            exact.cost,
            net.solve_plain(net.validate(0).unwrap(), None)
                .unwrap()
                .cost
        );
        // The run's 250th unit costs as much as the direct arc: either side of it is optimal.
        let direct = exact.flow(ArcId(0));
        assert!((750..=751).contains(&direct), "{direct}");
    }
}

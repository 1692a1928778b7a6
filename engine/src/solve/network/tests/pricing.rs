//! Solving with arcs left to a pricing: the optimum of the whole network, proven by the
//! potentials over every arc, held or not.

use super::*;

/// A pricing over an explicit list of left-out arcs `(full arc id, from, to, capacity,
/// cost)`, bringing in at most `per_node` per source node and round.
struct ListPricing {
    arcs: Vec<(u32, NodeId, NodeId, i64, i64)>,
    per_node: usize,
}

impl Pricing for ListPricing {
    fn max_abs_cost(&self) -> u64 {
        self.arcs
            .iter()
            .map(|a| a.4.unsigned_abs())
            .max()
            .unwrap_or(0)
    }

    fn price(&self, potentials: &Potentials<'_>) -> Vec<PricedArc> {
        let mut paying: Vec<(u32, i64, u32)> = Vec::new();
        for &(id, from, to, _, cost) in &self.arcs {
            let (Some(p_from), Some(p_to)) = (potentials.of(from), potentials.of(to)) else {
                continue;
            };
            let reduced = cost - p_from + p_to;
            if reduced < 0 && !potentials.brought(from, to) {
                paying.push((from.0, reduced, id));
            }
        }
        paying.sort_unstable();
        let mut taken: Vec<PricedArc> = Vec::new();
        for (from, _, id) in paying {
            let per_node = taken.iter().filter(|a| a.from.0 == from).count();
            if per_node < self.per_node {
                let (_, from, to, capacity, cost) = self.arcs[self.index(id)];
                taken.push(PricedArc {
                    from,
                    to,
                    capacity,
                    cost,
                    key: u64::from(id),
                });
            }
        }
        taken
    }
}

impl ListPricing {
    fn index(&self, id: u32) -> usize {
        self.arcs.iter().position(|a| a.0 == id).unwrap()
    }
}

/// `full` with only the first arc from each supply node to a transit node (a manager) kept,
/// besides every other arc: the restricted network, its arcs' ids in `full`, and a pricing
/// of the rest.
fn restrict(full: &Network, per_node: usize) -> (Network, Vec<u32>, ListPricing) {
    let mut net = Network::new();
    for u in 0..full.node_count() as u32 {
        net.add_node(full.supply(NodeId(u)));
    }
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    let mut holds = vec![false; full.node_count()];
    let in_run = |a: u32| full.convex.iter().any(|&(s, e)| (s..e).contains(&a));
    let mut a = 0;
    while a < full.arc_count() as u32 {
        if let Some(&(start, end)) = full.convex.iter().find(|&&(s, _)| s == a) {
            let (from, to, ..) = full.arc(ArcId(start));
            net.add_convex_arcs(from, to, run_pieces(full, start, end));
            kept.extend(start..end);
            a = end;
            continue;
        }
        let (from, to, capacity, cost) = full.arc(ArcId(a));
        let to_manager = full.supply(from) > 0 && full.supply(to) == 0 && !in_run(a);
        if to_manager && holds[from.0 as usize] {
            left_out.push((a, from, to, capacity, cost));
            net.join(from, to);
        } else {
            holds[from.0 as usize] |= to_manager;
            net.add_arc(from, to, capacity, cost);
            kept.push(a);
        }
        a += 1;
    }
    let pricing = ListPricing {
        arcs: left_out,
        per_node,
    };
    (net, kept, pricing)
}

/// The priced solution of the restricted network as a solution of `full`: its flow on every
/// arc, held, brought in or never brought in (none), with the same potentials.
fn on_the_full_network(full: &Network, kept: &[u32], solution: &Solution) -> Solution {
    let mut flow = vec![0i64; full.arc_count()];
    for (&arc, &f) in kept.iter().zip(&solution.flow) {
        flow[arc as usize] = f;
    }
    for (arc, &f) in solution.priced.iter().zip(&solution.flow[kept.len()..]) {
        flow[arc.key as usize] = f;
    }
    Solution {
        flow,
        priced: Vec::new(),
        ..solution.clone()
    }
}

#[test]
fn pricing_one_arc_at_a_time_reaches_the_optimum_of_the_whole_network() {
    for seed in 1..=6 {
        let (full, _) = assignment_shaped_convex(120, 9, seed);
        let (net, kept, pricing) = restrict(&full, 1);
        assert!(pricing.arcs.len() > 500, "most arcs are left out");
        let solution = net.solve_priced(&pricing, None).unwrap();
        assert!(solution.pricing_rounds > 1, "seed {seed}: it took rounds");
        assert_eq!(solution.cost, full.solve().unwrap().cost, "seed {seed}");
        // The potentials prove it over every arc of the whole network, including the ones
        // never brought in.
        assert_optimal(&full, &on_the_full_network(&full, &kept, &solution));
    }
}

#[test]
fn priced_regions_are_solved_apart_and_proven_together() {
    let (full, _) = three_regions();
    let (net, kept, pricing) = restrict(&full, 3);
    // The restricted network falls apart as the whole one does, no further: the arcs left
    // out keep together what they would join.
    let parts_of = |net: &Network, priced| split::parts(net, priced).map(|parts| parts.len());
    assert!(parts_of(&full, false).is_some_and(|parts| parts >= 3));
    assert_eq!(parts_of(&net, true), parts_of(&full, false));
    assert!(parts_of(&net, false) > parts_of(&full, false));
    let solution = net.solve_priced(&pricing, None).unwrap();
    assert!(solution.pricing_rounds > 0);
    assert_eq!(solution.cost, full.solve().unwrap().cost);
    assert_optimal(&full, &on_the_full_network(&full, &kept, &solution));
}

#[test]
fn left_out_arcs_keep_the_nodes_they_would_join_together() {
    // Two supply nodes, each holding an arc to its own manager; the left-out arc from the
    // first to the second manager joins the two halves, which would otherwise be apart.
    let mut net = Network::new();
    let sink = net.add_node(-2);
    let (m1, m2) = (net.add_node(0), net.add_node(0));
    net.add_arc(m1, sink, 1, 100);
    net.add_arc(m2, sink, 2, 0);
    let (g1, g2) = (net.add_node(1), net.add_node(1));
    net.add_arc(g1, m1, 1, 0);
    net.add_arc(g2, m2, 1, 5);
    net.add_arc(g1, sink, 1, 1_000);
    net.add_arc(g2, sink, 1, 1_000);
    assert_eq!(split::parts(&net, true).map(|p| p.len()), Some(2));
    net.join(g1, m2);
    assert!(split::parts(&net, true).is_none());
    // Held arcs alone cost 100 + 5; the left-out g1 → m2 brings it down to 0 + 5.
    let pricing = ListPricing {
        arcs: vec![(100, g1, m2, 1, 0)],
        per_node: 1,
    };
    let solution = net.solve_priced(&pricing, None).unwrap();
    assert_eq!(solution.priced.len(), 1);
    assert_eq!(solution.flow[net.arc_count()], 1);
    assert_eq!(solution.cost, 5);
}

/// A pricing that hands out whatever it was given, for the checks on priced arcs.
struct Fixed(Vec<PricedArc>, u64);

impl Pricing for Fixed {
    fn max_abs_cost(&self) -> u64 {
        self.1
    }

    fn price(&self, _: &Potentials<'_>) -> Vec<PricedArc> {
        self.0.clone()
    }
}

#[test]
fn malformed_priced_arcs_are_rejected_with_their_number() {
    let mut net = Network::new();
    let sink = net.add_node(-1);
    let g = net.add_node(1);
    net.add_arc(g, sink, 1, 10);
    let arc = |to: u32, capacity, cost| PricedArc {
        from: g,
        to: NodeId(to),
        capacity,
        cost,
        key: 0,
    };
    let cases = [
        (
            Fixed(vec![arc(7, 1, -1)], 5),
            "a priced arc leaves the network",
        ),
        (Fixed(vec![arc(0, -1, -1)], 5), "negative capacity"),
        (
            Fixed(vec![arc(0, 1, -9)], 5),
            "a priced arc costs more than its pricing allows",
        ),
        // Handed out again in the next round: a pricing must never repeat itself.
        (Fixed(vec![arc(0, 1, -1)], 5), "an arc was priced in twice"),
    ];
    for (pricing, reason) in cases {
        let error = net.solve_priced(&pricing, None).unwrap_err();
        let NetworkError::InvalidArc { arc, reason: why } = error else {
            panic!("{error:?}");
        };
        assert_eq!(why, reason);
        assert!(arc >= 1, "numbered after the network's own arc");
    }
}

use super::*;

mod pricing;
mod start;

/// Asserts that `solution` is a feasible flow of `network` whose cost is what it claims and
/// whose potentials certify optimality (complementary slackness).
fn assert_optimal(network: &Network, solution: &Solution) {
    assert_eq!(solution.flow.len(), network.arc_count());
    assert_eq!(solution.potential.len(), network.node_count());
    let mut balance: Vec<i64> = network.supply.clone();
    let mut cost = 0;
    for i in 0..network.arc_count() {
        let (from, to, capacity, c) = network.arc(ArcId(i as u32));
        let f = solution.flow[i];
        assert!(
            (0..=capacity).contains(&f),
            "arc {i}: flow {f} outside 0..={capacity}"
        );
        balance[from.0 as usize] -= f;
        balance[to.0 as usize] += f;
        cost += f * c;
        let reduced = c - solution.potential[from.0 as usize] + solution.potential[to.0 as usize];
        if f < capacity {
            assert!(
                reduced >= 0,
                "arc {i} below capacity with reduced cost {reduced}"
            );
        }
        if f > 0 {
            assert!(
                reduced <= 0,
                "arc {i} carrying flow with reduced cost {reduced}"
            );
        }
    }
    assert!(
        balance.iter().all(|&b| b == 0),
        "unbalanced nodes: {balance:?}"
    );
    assert_eq!(cost, solution.cost);
}

fn solved(network: &Network) -> Solution {
    let solution = network.solve().unwrap();
    assert_optimal(network, &solution);
    solution
}

#[test]
fn transport_problem() {
    let mut net = Network::new();
    let s1 = net.add_node(3);
    let s2 = net.add_node(2);
    let t1 = net.add_node(-4);
    let t2 = net.add_node(-1);
    let a = net.add_arc(s1, t1, 10, 1);
    let b = net.add_arc(s1, t2, 10, 4);
    let c = net.add_arc(s2, t1, 10, 3);
    let d = net.add_arc(s2, t2, 10, 2);
    let sol = solved(&net);
    // s1 -> t1 is cheapest by 4 per unit over any alternative routing: 3·1 + 1·3 + 1·2.
    assert_eq!(sol.cost, 8);
    assert_eq!(
        [sol.flow(a), sol.flow(b), sol.flow(c), sol.flow(d)],
        [3, 0, 1, 1]
    );
    // From the artificial start, each supply reaches a demand node by at least one pivot.
    assert!(sol.pivots >= 2, "{} pivots", sol.pivots);
    assert_eq!(solved(&Network::new()).pivots, 0);
}

#[test]
fn diamond_routes_by_cost_then_capacity() {
    let mut net = Network::new();
    let s = net.add_node(4);
    let a = net.add_node(0);
    let b = net.add_node(0);
    let t = net.add_node(-4);
    let sa = net.add_arc(s, a, 3, 1);
    let sb = net.add_arc(s, b, 3, 4);
    let at = net.add_arc(a, t, 2, 1);
    let bt = net.add_arc(b, t, 4, 1);
    let ab = net.add_arc(a, b, 2, 1);
    let sol = solved(&net);
    // s-a-t (2 each) is full at 2 units, s-a-b-t (3) takes the rest of s-a, s-b-t (5) the last.
    assert_eq!(sol.cost, 2 * 2 + 3 + 5);
    assert_eq!(
        [
            sol.flow(sa),
            sol.flow(sb),
            sol.flow(at),
            sol.flow(bt),
            sol.flow(ab)
        ],
        [3, 1, 2, 2, 1]
    );
}

#[test]
fn parallel_arcs_with_increasing_costs_fill_cheapest_first() {
    let mut net = Network::new();
    let s = net.add_node(5);
    let m = net.add_node(0);
    let t = net.add_node(-5);
    net.add_arc(s, m, 5, 0);
    let units: Vec<ArcId> = (1..=7).map(|k| net.add_arc(m, t, 1, k)).collect();
    let sol = solved(&net);
    assert_eq!(sol.cost, 1 + 2 + 3 + 4 + 5);
    let used: Vec<i64> = units.iter().map(|&a| sol.flow(a)).collect();
    assert_eq!(used, [1, 1, 1, 1, 1, 0, 0]);

    // An overflow arc at cost 4 takes whatever the convex arcs would charge more for.
    let overflow = net.add_arc(s, t, 5, 4);
    let sol = solved(&net);
    assert_eq!(sol.cost, 1 + 2 + 3 + 2 * 4);
    assert_eq!(sol.flow(overflow) + sol.flow(units[3]), 2);
    assert_eq!(sol.flow(units[4]), 0);
}

#[test]
fn path_dearer_than_the_first_artificial_cost_is_still_found() {
    // The solver first tries artificial arcs costing just over the largest arc cost (11); this
    // path costs 30, so that first optimum keeps the supply on the artificial arcs and the
    // solver has to fall back to the proven big M.
    let mut net = Network::new();
    let s = net.add_node(2);
    let a = net.add_node(0);
    let b = net.add_node(0);
    let t = net.add_node(-2);
    let path = [
        net.add_arc(s, a, 5, 10),
        net.add_arc(a, b, 5, 10),
        net.add_arc(b, t, 5, 10),
    ];
    let sol = solved(&net);
    assert_eq!(sol.cost, 60);
    assert!(path.iter().all(|&arc| sol.flow(arc) == 2));

    // Cut the path and the same fallback proves infeasibility.
    let mut cut = Network::new();
    let s = cut.add_node(2);
    let a = cut.add_node(0);
    let b = cut.add_node(0);
    let t = cut.add_node(-2);
    cut.add_arc(s, a, 5, 10);
    cut.add_arc(a, b, 1, 10);
    cut.add_arc(b, t, 5, 10);
    assert_eq!(cut.solve(), Err(NetworkError::Infeasible));
}

#[test]
fn negative_cycle_without_supply_is_saturated() {
    let mut net = Network::new();
    let a = net.add_node(0);
    let b = net.add_node(0);
    let c = net.add_node(0);
    let ab = net.add_arc(a, b, 2, -3);
    let bc = net.add_arc(b, c, 5, 1);
    let ca = net.add_arc(c, a, 4, 1);
    let sol = solved(&net);
    assert_eq!(sol.cost, -2);
    assert_eq!([sol.flow(ab), sol.flow(bc), sol.flow(ca)], [2, 2, 2]);
}

#[test]
fn negative_costs_on_paths() {
    let mut net = Network::new();
    let s = net.add_node(3);
    let m = net.add_node(0);
    let t = net.add_node(-3);
    // Going through m pays back 5 per unit but only 2 units fit.
    let sm = net.add_arc(s, m, 2, -5);
    let mt = net.add_arc(m, t, 10, 1);
    let st = net.add_arc(s, t, 10, 0);
    let sol = solved(&net);
    assert_eq!(sol.cost, 2 * -4);
    assert_eq!([sol.flow(sm), sol.flow(mt), sol.flow(st)], [2, 2, 1]);
}

#[test]
fn negative_self_loop_is_filled_and_positive_one_left_empty() {
    let mut net = Network::new();
    let a = net.add_node(1);
    let b = net.add_node(-1);
    let neg = net.add_arc(a, a, 3, -2);
    let pos = net.add_arc(b, b, 3, 2);
    let ab = net.add_arc(a, b, 1, 7);
    let sol = solved(&net);
    assert_eq!([sol.flow(neg), sol.flow(pos), sol.flow(ab)], [3, 0, 1]);
    assert_eq!(sol.cost, -6 + 7);
}

#[test]
fn zero_capacity_and_zero_cost_arcs() {
    let mut net = Network::new();
    let s = net.add_node(2);
    let t = net.add_node(-2);
    let closed = net.add_arc(s, t, 0, -100);
    let free = net.add_arc(s, t, 2, 0);
    // A zero-cost cycle must not make the solver spin.
    net.add_arc(t, s, 3, 0);
    let sol = solved(&net);
    assert_eq!(sol.flow(closed), 0);
    assert_eq!(sol.cost, 0);
    assert_eq!(sol.flow(free), 2);
}

#[test]
fn degenerate_networks() {
    let empty = Network::new();
    let sol = solved(&empty);
    assert_eq!(sol.cost, 0);
    assert!(sol.flow.is_empty() && sol.potential.is_empty());

    let mut isolated = Network::with_capacity(3, 0);
    isolated.add_node(0);
    isolated.add_node(0);
    let sol = solved(&isolated);
    assert_eq!(sol.cost, 0);
    assert_eq!(sol.potential.len(), 2);

    // Many parallel arcs of equal cost: every basis is degenerate.
    let mut parallel = Network::new();
    let s = parallel.add_node(10);
    let t = parallel.add_node(-10);
    for _ in 0..30 {
        parallel.add_arc(s, t, 1, 5);
    }
    let sol = solved(&parallel);
    assert_eq!(sol.cost, 50);
}

#[test]
fn uncapped_arcs_are_accepted() {
    let mut net = Network::new();
    let s = net.add_node(5);
    let t = net.add_node(-5);
    let a = net.add_arc(s, t, i64::MAX, 3);
    let sol = solved(&net);
    assert_eq!(sol.flow(a), 5);
    assert_eq!(sol.cost, 15);
}

#[test]
fn infeasible_networks() {
    let mut short = Network::new();
    let s = short.add_node(3);
    let t = short.add_node(-3);
    short.add_arc(s, t, 2, 1);
    assert_eq!(short.solve(), Err(NetworkError::Infeasible));

    let mut disconnected = Network::new();
    let s = disconnected.add_node(1);
    let m = disconnected.add_node(0);
    disconnected.add_node(-1);
    disconnected.add_arc(s, m, 5, 1);
    assert_eq!(disconnected.solve(), Err(NetworkError::Infeasible));

    let mut wrong_way = Network::new();
    let s = wrong_way.add_node(2);
    let t = wrong_way.add_node(-2);
    wrong_way.add_arc(t, s, 5, -1);
    assert_eq!(wrong_way.solve(), Err(NetworkError::Infeasible));
}

#[test]
fn unbalanced_network() {
    let mut net = Network::new();
    let s = net.add_node(3);
    let t = net.add_node(-2);
    net.add_node(1);
    net.add_arc(s, t, 5, 1);
    let err = net.solve().unwrap_err();
    assert_eq!(
        err,
        NetworkError::Unbalanced {
            supply: 4,
            demand: 2
        }
    );
    assert_eq!(err.code(), "unbalanced_network");
}

#[test]
fn overflow_is_rejected_up_front() {
    // Cost times flow exceeds i64.
    let mut net = Network::new();
    let s = net.add_node(10);
    let t = net.add_node(-10);
    net.add_arc(s, t, 10, i64::MAX / 4);
    assert_eq!(net.solve(), Err(NetworkError::Overflow));

    // A single huge cost makes potentials unsafe even on a zero-capacity arc.
    let mut net = Network::new();
    let s = net.add_node(1);
    let t = net.add_node(-1);
    net.add_arc(s, t, 1, 1);
    net.add_arc(s, t, 0, i64::MIN);
    assert_eq!(net.solve(), Err(NetworkError::Overflow));

    // Supplies that do not add up within i64.
    let mut net = Network::new();
    net.add_node(i64::MAX);
    net.add_node(1);
    net.add_node(i64::MIN);
    assert_eq!(net.solve(), Err(NetworkError::Overflow));

    // A large cost on a capacity far above the supply is fine: such a capacity is uncapped.
    let mut net = Network::new();
    let s = net.add_node(2);
    let t = net.add_node(-2);
    net.add_arc(s, t, i64::MAX, 1 << 40);
    assert_eq!(solved(&net).cost, 2 << 40);

    // ... unless negative arcs could push more than the supply around a cycle.
    net.add_arc(t, s, i64::MAX, -1);
    let err = net.solve().unwrap_err();
    assert_eq!(err, NetworkError::Overflow);
    assert_eq!(err.code(), "cost_overflow");
}

#[test]
fn invalid_arcs() {
    let mut net = Network::new();
    let s = net.add_node(1);
    let t = net.add_node(-1);
    net.add_arc(s, t, 1, 1);
    net.add_arc(s, t, -1, 1);
    let err = net.solve().unwrap_err();
    assert_eq!(
        err,
        NetworkError::InvalidArc {
            arc: 1,
            reason: "negative capacity"
        }
    );
    assert_eq!(err.code(), "invalid_arc");

    let mut net = Network::new();
    let s = net.add_node(0);
    net.add_arc(s, NodeId(7), 1, 1);
    assert_eq!(
        net.solve(),
        Err(NetworkError::InvalidArc {
            arc: 0,
            reason: "unknown node"
        })
    );
}

#[test]
fn accessors_never_fail() {
    let mut net = Network::new();
    let s = net.add_node(1);
    let t = net.add_node(-1);
    let a = net.add_arc(s, t, 4, -2);
    assert_eq!(net.arc(a), (s, t, 4, -2));
    assert_eq!(
        net.arc(ArcId(9)),
        (NodeId(u32::MAX), NodeId(u32::MAX), 0, 0)
    );
    assert_eq!((net.node_count(), net.arc_count()), (2, 1));
    assert_eq!(
        (net.supply(s), net.supply(t), net.supply(NodeId(5))),
        (1, -1, 0)
    );
    let sol = solved(&net);
    assert_eq!((sol.flow(a), sol.flow(ArcId(3))), (1, 0));
    assert_eq!(NetworkError::Infeasible.code(), "infeasible_network");
}

/// A deterministic pseudo-random source (xorshift): `next(bound)` is in `0..bound`.
fn xorshift(seed: u64) -> impl FnMut(u64) -> i64 {
    let mut state = seed | 1;
    move |bound| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound) as i64
    }
}

/// Supply nodes of `sizes` reaching two thirds of the managers at an affinity up to
/// `max_affinity`, each with an overflow arc to the sink at `overflow`; returns those arcs.
fn add_groups(
    net: &mut Network,
    (sink, managers): (NodeId, &[NodeId]),
    sizes: &[i64],
    next: &mut impl FnMut(u64) -> i64,
    (max_affinity, overflow): (u64, i64),
) -> Vec<ArcId> {
    let mut overflow_arcs = Vec::new();
    for &size in sizes {
        let g = net.add_node(size);
        for &m in managers {
            if next(3) != 0 {
                net.add_arc(g, m, size, -next(max_affinity));
            }
        }
        overflow_arcs.push(net.add_arc(g, sink, size, overflow));
    }
    overflow_arcs
}

/// A small assignment-shaped network: supply nodes to managers (negative affinity), convex unit
/// arcs from managers to the sink, and an expensive overflow arc per supply node.
fn assignment_shaped(groups: u32, managers: u32, units: i64) -> (Network, Vec<ArcId>) {
    let mut net = Network::new();
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let sizes: Vec<i64> = (0..groups).map(|_| 1 + next(3)).collect();
    let sink = net.add_node(-sizes.iter().sum::<i64>());
    let manager_nodes: Vec<NodeId> = (0..managers).map(|_| net.add_node(0)).collect();
    for &m in &manager_nodes {
        for k in 1..=units {
            net.add_arc(m, sink, 1, 10 * k);
        }
    }
    let overflow = add_groups(
        &mut net,
        (sink, &manager_nodes),
        &sizes,
        &mut next,
        (50, 100_000),
    );
    (net, overflow)
}

/// Like [`assignment_shaped`], with 40–240 units per manager declared as one convex arc whose
/// costs rise unevenly (and sometimes stay level), and targets that differ per manager.
fn assignment_shaped_convex(groups: u32, managers: u32, seed: u64) -> (Network, Vec<ArcId>) {
    let mut net = Network::new();
    let mut next = xorshift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let sizes: Vec<i64> = (0..groups).map(|_| 1 + next(9)).collect();
    let sink = net.add_node(-sizes.iter().sum::<i64>());
    let manager_nodes: Vec<NodeId> = (0..managers).map(|_| net.add_node(0)).collect();
    for &m in &manager_nodes {
        let units = 40 + next(200);
        let target = 1 + next(units as u64);
        let pieces: Vec<(i64, i64)> = (1..=units)
            .map(|k| (1, (1000 * k + target * 7 - 1) / (target * 7)))
            .collect();
        net.add_convex_arcs(m, sink, pieces);
    }
    let overflow = add_groups(
        &mut net,
        (sink, &manager_nodes),
        &sizes,
        &mut next,
        (300, 1_000_000),
    );
    (net, overflow)
}

#[test]
fn assignment_shaped_network_is_optimal_and_deterministic() {
    let (net, overflow) = assignment_shaped(300, 12, 80);
    let first = solved(&net);
    let second = solved(&net);
    assert_eq!(first, second);
    // 12 managers × 80 units cover the at most 900 customers, so no overflow arc pays 100 000.
    // (A customer that reaches no manager is the exception.)
    let stranded = overflow.iter().filter(|&&a| {
        let (g, _, _, _) = net.arc(a);
        (0..net.arc_count() as u32).all(|i| {
            let (from, to, _, _) = net.arc(ArcId(i));
            from != g || ArcId(i) == a || to.0 == 0
        })
    });
    let stranded_supply: i64 = stranded.map(|&a| net.arc(a).2).sum();
    let overflowing: i64 = overflow.iter().map(|&a| first.flow(a)).sum();
    assert_eq!(overflowing, stranded_supply);
    assert!(first.cost > 0);
}

#[test]
fn convex_arcs_with_wide_and_empty_pieces_fill_cheapest_first() {
    let mut net = Network::new();
    let source = net.add_node(37);
    let sink = net.add_node(-37);
    // A dearer direct route, so the convex arc is filled only while it is cheaper.
    net.add_arc(source, sink, 100, 30);
    let pieces = [
        (5, 1),
        (0, 2),
        (10, 2),
        (1, 7),
        (20, 29),
        (20, 31),
        (50, 90),
    ];
    let arcs = net.add_convex_arcs(source, sink, pieces);
    let solution = solved(&net);
    let flows: Vec<i64> = arcs.iter().map(|&a| solution.flow(a)).collect();
    assert_eq!(flows, [5, 0, 10, 1, 20, 0, 0]);
    assert_eq!(solution.cost, 5 + 20 + 7 + 20 * 29 + 30);
}

#[test]
fn long_convex_arcs_match_unit_arcs() {
    let (mut convex, mut plain) = (Network::new(), Network::new());
    for net in [&mut convex, &mut plain] {
        let sources: Vec<NodeId> = (0..7).map(|i| net.add_node(40 + 13 * i)).collect();
        let sink = net.add_node(-(0..7).map(|i| 40 + 13 * i).sum::<i64>());
        let hubs: Vec<NodeId> = (0..5).map(|_| net.add_node(0)).collect();
        for (i, &s) in sources.iter().enumerate() {
            for (j, &h) in hubs.iter().enumerate() {
                if (i + j) % 3 != 0 {
                    net.add_arc(s, h, 1_000, -((i * 7 + j * 11) as i64 % 17));
                }
            }
            net.add_arc(s, sink, 1_000, 10_000);
        }
    }
    for (j, hub) in (0..5u32).map(|j| (j, NodeId(8 + j))) {
        let pieces: Vec<(i64, i64)> = (1..=200).map(|k| (1, (k * (j as i64 + 2)) / 3)).collect();
        convex.add_convex_arcs(hub, NodeId(7), pieces.iter().copied());
        for (capacity, cost) in pieces {
            plain.add_arc(hub, NodeId(7), capacity, cost);
        }
    }
    let in_rounds = convex::solve(
        &convex,
        &convex.convex,
        convex.validate(0).unwrap(),
        None,
        None,
    )
    .unwrap();
    assert_optimal(&convex, &in_rounds);
    assert_eq!(in_rounds.cost, solved(&plain).cost);
    assert_eq!(solved(&convex).cost, in_rounds.cost);
}

#[test]
fn rounds_find_the_optimum_of_random_assignment_networks() {
    for seed in 1..=40u64 {
        let (net, _) = assignment_shaped_convex(60 + seed as u32 * 7, 3 + (seed % 5) as u32, seed);
        let in_rounds =
            convex::solve(&net, &net.convex, net.validate(0).unwrap(), None, None).unwrap();
        assert_optimal(&net, &in_rounds);
        assert_eq!(
            in_rounds.cost,
            net.solve_plain(net.validate(0).unwrap(), None)
                .unwrap()
                .cost,
            "seed {seed}"
        );
    }
}

#[test]
fn convex_arcs_must_not_get_cheaper() {
    let mut net = Network::new();
    let a = net.add_node(2);
    let b = net.add_node(-2);
    net.add_convex_arcs(a, b, [(1, 3), (1, 5), (1, 4)]);
    assert_eq!(
        net.solve(),
        Err(NetworkError::InvalidArc {
            arc: 2,
            reason: "a convex arc's piece is cheaper than the one before",
        })
    );
}

/// The `(capacity, cost)` of arcs `start..end` of `net`: a convex run, to copy it.
fn run_pieces(net: &Network, start: u32, end: u32) -> Vec<(i64, i64)> {
    (start..end)
        .map(|a| {
            let (_, _, capacity, cost) = net.arc(ArcId(a));
            (capacity, cost)
        })
        .collect()
}

/// Three copies of an assignment network, sharing one sink: supply nodes and managers of one
/// region never meet another's, as with the example bank's region rule. Returns the whole and
/// the regions.
fn three_regions() -> (Network, Vec<(Network, Vec<ArcId>)>) {
    let mut net = Network::new();
    let regions: Vec<(Network, Vec<ArcId>)> = (1..=3)
        .map(|seed| assignment_shaped_convex(40, 4, seed))
        .collect();
    let total: i64 = regions.iter().map(|(r, _)| -r.supply(NodeId(0))).sum();
    let sink = net.add_node(-total);
    for (region, _) in &regions {
        // Node 0 of each region is its sink; the others get fresh ids here.
        let ids: Vec<NodeId> = (0..region.node_count() as u32)
            .map(|u| {
                if u == 0 {
                    sink
                } else {
                    net.add_node(region.supply(NodeId(u)))
                }
            })
            .collect();
        let mut arc = 0;
        for &(start, end) in &region.convex {
            for a in arc..start {
                let (from, to, capacity, cost) = region.arc(ArcId(a));
                net.add_arc(ids[from.0 as usize], ids[to.0 as usize], capacity, cost);
            }
            let (from, to, ..) = region.arc(ArcId(start));
            net.add_convex_arcs(
                ids[from.0 as usize],
                ids[to.0 as usize],
                run_pieces(region, start, end),
            );
            arc = end;
        }
        for a in arc..region.arc_count() as u32 {
            let (from, to, capacity, cost) = region.arc(ArcId(a));
            net.add_arc(ids[from.0 as usize], ids[to.0 as usize], capacity, cost);
        }
    }
    (net, regions)
}

#[test]
fn regions_meeting_only_at_the_sink_are_solved_apart_and_proven_together() {
    let (net, regions) = three_regions();
    let parts = split::parts(&net, false).expect("three regions");
    let apart = split::solve(&net, parts, net.validate(0).unwrap(), None, None).unwrap();
    assert_optimal(&net, &apart);
    assert_eq!(
        apart.cost,
        net.solve_whole(net.validate(0).unwrap(), None, None)
            .unwrap()
            .cost
    );
    let separately: i64 = regions.iter().map(|(r, _)| r.solve().unwrap().cost).sum();
    assert_eq!(apart.cost, separately);
    assert_eq!(net.solve().unwrap(), apart);
}

#[test]
fn a_network_in_one_piece_or_with_two_demand_nodes_is_not_split() {
    let (connected, _) = assignment_shaped(30, 3, 12);
    assert!(split::parts(&connected, false).is_none());
    let mut two_sinks = Network::new();
    let a = two_sinks.add_node(2);
    let b = two_sinks.add_node(2);
    let x = two_sinks.add_node(-2);
    let y = two_sinks.add_node(-2);
    two_sinks.add_arc(a, x, 2, 1);
    two_sinks.add_arc(b, y, 2, 1);
    assert!(split::parts(&two_sinks, false).is_none());
    assert_eq!(solved(&two_sinks).cost, 4);
}

/// Cutting runs beside validation, so it must leave a network validation rejects whole
/// instead of reading past its nodes; the solve then reports the bad arc.
#[test]
fn a_network_with_an_arc_to_an_unknown_node_is_not_split_and_is_rejected() {
    let mut net = Network::new();
    let a = net.add_node(1);
    let b = net.add_node(1);
    let sink = net.add_node(-2);
    net.add_arc(a, sink, 1, 1);
    net.add_arc(b, sink, 1, 1);
    assert_eq!(split::parts(&net, false).map(|parts| parts.len()), Some(2));
    let bad = net.add_arc(a, NodeId(7), 1, 1);
    assert!(split::parts(&net, false).is_none());
    assert_eq!(
        net.solve(),
        Err(NetworkError::InvalidArc {
            arc: bad.0,
            reason: "unknown node"
        })
    );
}

/// Three regions whose managers hang under two lines, nodes with a convex run to the sink
/// declared as links (`line_room` pieces each, at slowly rising costs), and the overflow
/// arcs: as in a bank whose business lines span its regions.
fn regions_under_lines(seed: u64, line_room: i64) -> (Network, Vec<ArcId>) {
    let mut net = Network::new();
    let mut next = xorshift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let sizes: Vec<Vec<i64>> = (0..3)
        .map(|_| (0..30).map(|_| 1 + next(9)).collect())
        .collect();
    let sink = net.add_node(-sizes.iter().flatten().sum::<i64>());
    let lines: Vec<NodeId> = (0..2).map(|_| net.add_node(0)).collect();
    let mut overflow = Vec::new();
    for region in &sizes {
        let managers = (4, (20, 60), |j: usize| lines[j % 2]);
        overflow.extend(add_region(&mut net, &mut next, (sink, region), managers));
    }
    link_lines(&mut net, (&lines, sink), line_room);
    (net, overflow)
}

/// A region's `count` managers, each with a run of `least` up to `least + spread` units to
/// the node `above` gives, and its supply nodes of `sizes` reaching them; returns their
/// overflow arcs.
fn add_region(
    net: &mut Network,
    next: &mut impl FnMut(u64) -> i64,
    (sink, sizes): (NodeId, &[i64]),
    (count, (least, spread), above): (usize, (i64, u64), impl Fn(usize) -> NodeId),
) -> Vec<ArcId> {
    let managers: Vec<NodeId> = (0..count).map(|_| net.add_node(0)).collect();
    for (j, &m) in managers.iter().enumerate() {
        let units = least + next(spread);
        let target = 1 + next(units as u64);
        let pieces: Vec<(i64, i64)> = (1..=units)
            .map(|k| (1, (1000 * k + target * 7 - 1) / (target * 7)))
            .collect();
        net.add_convex_arcs(m, above(j), pieces);
    }
    add_groups(net, (sink, &managers), sizes, next, (300, 1_000_000))
}

/// Each of `lines` a link, with a run of `room` unit pieces to the `sink` at slowly rising
/// costs.
fn link_lines(net: &mut Network, (lines, sink): (&[NodeId], NodeId), room: i64) {
    for &line in lines {
        let run = net.add_convex_arcs(line, sink, (1..=room).map(|k| (1, k / 10)));
        net.link(line, &run);
    }
}

/// Starts `net` from everyone on their `overflow` arc: a feasible flow, far from the optimum.
fn start_overflowing(net: &mut Network, overflow: &[ArcId]) {
    let mut start = vec![0i64; net.arc_count()];
    for &arc in overflow {
        start[arc.0 as usize] = net.arc(arc).2;
    }
    net.start_from(start, false);
}

/// Lines with room for everyone, then lines too small for what the regions send (capped
/// lines, each region held to its share of the room in the parts).
#[test]
fn regions_joined_by_lines_start_from_their_parts_and_keep_the_optimum() {
    for seed in 1..=6 {
        for line_room in [2_000, 40] {
            let (net, overflow) = regions_under_lines(seed, line_room);
            starts_linked_to_the_optimum(net, &overflow, &format!("seed {seed}, room {line_room}"));
        }
    }
}

/// Starts `net` from everyone on their `overflow` arc and checks that its linked start is
/// taken and basic, and that the whole reaches the optimum without links, joined by links,
/// the same on every solve; returns the optimum of the parts.
fn starts_linked_to_the_optimum(mut net: Network, overflow: &[ArcId], case: &str) -> Solution {
    start_overflowing(&mut net, overflow);
    let mut unlinked = net.clone();
    unlinked.links.clear();
    let (whole, parts) = linked::linked_start(&net, None, None, None)
        .unwrap_or_else(|| panic!("{case}: no linked start"));
    assert!(starts_basic(&whole), "{case}");
    let solution = net.solve().unwrap();
    assert_optimal(&net, &solution);
    assert!(solution.joined_by_links, "{case}");
    assert_eq!(solution.cost, unlinked.solve().unwrap().cost, "{case}");
    assert_eq!(solution, net.solve().unwrap(), "{case}: deterministic");
    parts
}

/// Lines over regions that a node reaching every other holds together anyway: the links
/// hold nothing apart, so there is no linked start and the whole is solved as it is, to the
/// same optimum.
#[test]
fn regions_held_together_without_their_lines_are_solved_whole() {
    for seed in 1..=3 {
        let (mut net, overflow) = regions_under_lines(seed, 2_000);
        // The sink and the two lines are the first nodes.
        let others = 3..net.node_count() as u32;
        let anywhere = net.add_node(1);
        net.add_supply(NodeId(0), -1);
        for node in others {
            net.add_arc(anywhere, NodeId(node), 1, 3);
        }
        start_overflowing(&mut net, &overflow);
        assert!(
            linked::linked_start(&net, None, None, None).is_none(),
            "seed {seed}"
        );
        let mut unlinked = net.clone();
        unlinked.links.clear();
        let solution = net.solve().unwrap();
        assert_optimal(&net, &solution);
        assert_eq!(solution.cost, unlinked.solve().unwrap().cost, "seed {seed}");
    }
}

/// Regions under lines beside a region the lines do not reach: the network is in parts
/// already, and the part holding the lines' regions still comes apart with the lines priced
/// flat (it used to be solved whole), to the same optimum.
#[test]
fn regions_under_lines_beside_a_region_outside_them_still_come_apart() {
    for seed in 1..=4 {
        let (mut net, mut overflow) = regions_under_lines(seed, 2_000);
        let sink = NodeId(0);
        let mut next = xorshift(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let managers: Vec<NodeId> = (0..3).map(|_| net.add_node(0)).collect();
        for &manager in &managers {
            net.add_convex_arcs(manager, sink, (1..=60).map(|k| (1, k / 3)));
        }
        let sizes: Vec<i64> = (0..20).map(|_| 1 + next(9)).collect();
        net.add_supply(sink, -sizes.iter().sum::<i64>());
        overflow.extend(add_groups(
            &mut net,
            (sink, &managers),
            &sizes,
            &mut next,
            (300, 1_000_000),
        ));
        start_overflowing(&mut net, &overflow);
        let mut unlinked = net.clone();
        unlinked.links.clear();
        let plain = unlinked.solve().unwrap();
        assert!(plain.parts >= 2 && !plain.joined_by_links, "seed {seed}");
        let solution = net.solve().unwrap();
        assert_optimal(&net, &solution);
        assert_eq!(solution.cost, plain.cost, "seed {seed}");
        assert!(solution.joined_by_links, "seed {seed}");
        assert!(solution.parts > plain.parts, "seed {seed}");
        assert_eq!(solution, net.solve().unwrap(), "deterministic");
    }
}

/// Three regions, each with a team per national desk (links fed from one region, which
/// belong to it), the desks' runs (`desk_room` in pieces of 5) leading to two lines, the lines' to
/// the sink: capped groups over regions, below other links.
fn regions_under_desks(seed: u64, desk_room: i64) -> (Network, Vec<ArcId>) {
    let mut net = Network::new();
    let mut next = xorshift(seed.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let sizes: Vec<Vec<i64>> = (0..3)
        .map(|_| (0..30).map(|_| 1 + next(9)).collect())
        .collect();
    let sink = net.add_node(-sizes.iter().flatten().sum::<i64>());
    let lines: Vec<NodeId> = (0..2).map(|_| net.add_node(0)).collect();
    let desks: Vec<NodeId> = (0..4).map(|_| net.add_node(0)).collect();
    for (d, &desk) in desks.iter().enumerate() {
        let pieces = (1..=desk_room / 5).map(|k| (5, k));
        let run = net.add_convex_arcs(desk, lines[d % 2], pieces);
        net.link(desk, &run);
    }
    let mut overflow = Vec::new();
    for region in &sizes {
        let teams: Vec<NodeId> = desks.iter().map(|_| net.add_node(0)).collect();
        for (&team, &desk) in teams.iter().zip(&desks) {
            let run = net.add_convex_arcs(team, desk, (1..=20).map(|k| (10, k / 2)));
            net.link(team, &run);
        }
        let managers = (8, (10, 40), |j: usize| teams[j % 4]);
        overflow.extend(add_region(&mut net, &mut next, (sink, region), managers));
    }
    link_lines(&mut net, (&lines, sink), 2_000);
    (net, overflow)
}

/// Whether `net`'s start is a flow the simplex can start from: its partial arcs make no
/// cycle.
fn starts_basic(net: &Network) -> bool {
    let Some(start) = &net.start else {
        return false;
    };
    let mut sets = union_find::UnionFind::default();
    (0..net.arc_count()).all(|a| {
        let f = start.flow[a];
        f == 0 || f == net.capacity[a] || sets.join(net.source[a], net.target[a])
    })
}

/// National desks with caps, fed from every region, under lines: desks and lines relaxed,
/// teams kept in their regions, and each region held to its share of a desk, whether the
/// desks have room for everyone or bind. The start pieced together is basic and the whole
/// reaches the optimum without links.
#[test]
fn capped_desks_over_regions_start_from_their_parts_and_keep_the_optimum() {
    for seed in 1..=6 {
        for desk_room in [1_000, 60] {
            let (net, overflow) = regions_under_desks(seed, desk_room);
            let case = format!("seed {seed}, room {desk_room}");
            let parts = starts_linked_to_the_optimum(net, &overflow, &case);
            assert_eq!(parts.parts, 3, "{case}");
        }
    }
}

/// Random flows within their bounds on random arcs, self-loops among them: after cancelling,
/// the flow is within its bounds, every node sends what it sent, the cost is no higher, and
/// the partial arcs make no cycle.
#[test]
fn cancelling_cycles_of_partial_arcs_keeps_balances_and_lowers_no_cost() {
    for seed in 1..=200 {
        let mut next = xorshift(seed);
        let mut net = Network::new();
        let nodes = 2 + next(12) as u32;
        for _ in 0..nodes {
            net.add_node(0);
        }
        for _ in 0..next(40) {
            let (u, v) = (next(u64::from(nodes)) as u32, next(u64::from(nodes)) as u32);
            net.add_arc(NodeId(u), NodeId(v), next(6), next(21) - 10);
        }
        let mut flow: Vec<i64> = net.capacity.iter().map(|&c| next(c as u64 + 1)).collect();
        let balances = |flow: &[i64]| {
            let mut balance = vec![0i64; nodes as usize];
            for (a, &f) in flow.iter().enumerate() {
                balance[net.source[a] as usize] -= f;
                balance[net.target[a] as usize] += f;
            }
            balance
        };
        let cost = |flow: &[i64]| flow.iter().zip(&net.cost).map(|(f, c)| f * c).sum::<i64>();
        let (before, cost_before) = (balances(&flow), cost(&flow));
        basic::cancel_cycles(&net, &mut flow);
        assert!(
            flow.iter()
                .zip(&net.capacity)
                .all(|(&f, &c)| (0..=c).contains(&f))
        );
        assert_eq!(balances(&flow), before, "seed {seed}");
        assert!(cost(&flow) <= cost_before, "seed {seed}");
        net.start = Some(Start {
            flow,
            near: false,
            basic: false,
        });
        assert!(starts_basic(&net), "seed {seed}");
    }
}

/// Two regions, each a customer group with a manager under one capped desk, too small for
/// both: each region gets half the desk, and a customer group split between its manager and
/// its overflow. Pieced together, manager 1 → desk ← manager 2 closes a cycle through the
/// sink; the start cancels it and is still taken, to the optimum without links.
#[test]
fn a_binding_share_leaves_a_cycle_that_the_start_cancels() {
    let mut net = Network::new();
    let sink = net.add_node(-20);
    let desk = net.add_node(0);
    let mut overflow = Vec::new();
    for affinity in [100, 90] {
        let customers = net.add_node(10);
        let manager = net.add_node(0);
        net.add_arc(customers, manager, 10, -affinity);
        overflow.push(net.add_arc(customers, sink, 10, 1_000));
        net.add_convex_arcs(manager, desk, [(4, 1), (4, 2), (4, 3)]);
    }
    let run = net.add_convex_arcs(desk, sink, [(5, 0), (5, 1)]);
    net.link(desk, &run);
    let parts = starts_linked_to_the_optimum(net, &overflow, "one desk for two regions");
    assert_eq!(parts.parts, 2);
}

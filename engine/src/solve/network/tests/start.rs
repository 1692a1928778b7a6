//! Starting the simplex from a given flow: the same optimum; a flow it cannot start from is
//! ignored. (What a start saves is measured by the benches, not here.)

use super::*;

/// `net` started from `flow`, solved.
fn solved_from(net: &Network, flow: Vec<i64>, near: bool) -> Solution {
    let mut started = net.clone();
    started.start_from(flow, near);
    let solution = started.solve().unwrap();
    assert_optimal(net, &solution);
    solution
}

/// Each supply node sends all it has to one of its managers, in turn, where the manager's
/// run still has room (cheapest pieces first), or keeps it: a greedy start.
fn greedy_flow(net: &Network, seed: u64) -> Vec<i64> {
    let mut next = xorshift(seed);
    let mut flow = vec![0i64; net.arc_count()];
    let mut room: Vec<i64> = vec![0; net.node_count()];
    let mut load: Vec<i64> = vec![0; net.node_count()];
    for &(start, end) in &net.convex {
        let (from, ..) = net.arc(ArcId(start));
        room[from.0 as usize] = (start..end).map(|a| net.arc(ArcId(a)).2).sum();
    }
    for u in 0..net.node_count() as u32 {
        let supply = net.supply(NodeId(u));
        if supply <= 0 {
            continue;
        }
        let arcs: Vec<u32> = (0..net.arc_count() as u32)
            .filter(|&a| {
                let (from, to, ..) = net.arc(ArcId(a));
                from.0 == u && room[to.0 as usize] >= supply
            })
            .collect();
        if arcs.is_empty() || next(4) == 0 {
            continue;
        }
        let a = arcs[next(arcs.len() as u64) as usize];
        let to = net.arc(ArcId(a)).1.0 as usize;
        flow[a as usize] = supply;
        room[to] -= supply;
        load[to] += supply;
    }
    for &(start, end) in &net.convex {
        let (from, ..) = net.arc(ArcId(start));
        let mut left = load[from.0 as usize];
        for a in start..end {
            let f = left.min(net.arc(ArcId(a)).2);
            flow[a as usize] = f;
            left -= f;
        }
    }
    flow
}

#[test]
fn a_greedy_start_reaches_the_same_optimum() {
    for seed in 1..=8 {
        let (net, _) = assignment_shaped_convex(150, 8, seed);
        let cold = net.solve().unwrap();
        for near in [false, true] {
            let warm = solved_from(&net, greedy_flow(&net, seed), near);
            assert_eq!(warm.cost, cold.cost, "seed {seed}");
        }
    }
}

#[test]
fn a_flow_the_simplex_cannot_start_from_is_ignored() {
    let (net, _) = assignment_shaped_convex(60, 5, 11);
    let cold = net.solve().unwrap();
    let greedy = greedy_flow(&net, 11);
    let supply_node = (0..net.node_count() as u32)
        .find(|&u| net.supply(NodeId(u)) > 1)
        .unwrap();
    let out: Vec<usize> = (0..net.arc_count())
        .filter(|&a| net.arc(ArcId(a as u32)).0.0 == supply_node)
        .collect();
    let mut too_much = greedy.clone();
    too_much[out[0]] = net.arc(ArcId(out[0] as u32)).2 + 1;
    // Two managers each get one customer of the node, and their runs take nothing on: a tree
    // of partial arcs with three nodes left something over.
    let mut two_partial = vec![0; net.arc_count()];
    (two_partial[out[0]], two_partial[out[1]]) = (1, 1);
    let mut left_over = vec![0; net.arc_count()];
    left_over[out[0]] = 1;
    let cases = [
        ("a flow above capacity", too_much),
        (
            "partial arcs with several nodes left something over",
            two_partial,
        ),
        ("a node with a partial arc and supply left", left_over),
        ("the wrong length", vec![0; 3]),
    ];
    for (what, flow) in cases {
        // Ignored: exactly the solve from nothing, pivot for pivot.
        assert_eq!(solved_from(&net, flow.clone(), false), cold, "{what}");
        // Near, the runs start cut around its loads: another path, the same optimum.
        assert_eq!(solved_from(&net, flow, true).cost, cold.cost, "{what}");
    }
    // A flow it can start from takes another path.
    assert_ne!(solved_from(&net, greedy, false).pivots, cold.pivots);
}

/// An optimum is a basic flow: its partial arcs make a forest, but a supply node whose
/// customers the optimum splits between managers has two partial arcs out, which the tree
/// then has point down. The simplex starts from it (its runs cut where its loads end) and has
/// little left to do.
#[test]
fn an_optimum_with_split_supply_nodes_is_a_start() {
    for seed in 1..=6 {
        let (net, _) = assignment_shaped_convex(150, 8, seed);
        let cold = net.solve().unwrap();
        let split_nodes = (0..net.node_count() as u32)
            .filter(|&u| {
                let partial = |a: usize| {
                    let (from, _, capacity, _) = net.arc(ArcId(a as u32));
                    from.0 == u && (1..capacity).contains(&cold.flow[a])
                };
                (0..net.arc_count()).filter(|&a| partial(a)).count() > 1
            })
            .count();
        assert!(split_nodes > 0, "seed {seed}: no supply node split");
        let mut started = net.clone();
        started.start = Some(Start {
            flow: cold.flow.clone(),
            near: false,
            basic: true,
        });
        let warm = started.solve().unwrap();
        assert_optimal(&net, &warm);
        assert_eq!(warm.cost, cold.cost, "seed {seed}");
        assert!(
            warm.pivots < cold.pivots / 4,
            "seed {seed}: {} pivots, from nothing {}",
            warm.pivots,
            cold.pivots
        );
    }
}

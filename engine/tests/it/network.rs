//! The min-cost flow solver against an independent reference, with optimality certificates.

use apportion::network::{ArcId, Network, NetworkError, NodeId, Solution};
use petgraph::Graph;
use petgraph::algo::find_negative_cycle;
use petgraph::graph::NodeIndex;
use proptest::collection::vec;
use proptest::prelude::*;

/// An arc as plain numbers: (from, to, capacity, cost).
type PlainArc = (usize, usize, i64, i64);

fn build(supply: &[i64], arcs: &[PlainArc]) -> Network {
    let mut net = Network::with_capacity(supply.len(), arcs.len());
    for &b in supply {
        net.add_node(b);
    }
    for &(from, to, capacity, cost) in arcs {
        net.add_arc(NodeId(from as u32), NodeId(to as u32), capacity, cost);
    }
    net
}

fn plain_arcs(net: &Network) -> Vec<PlainArc> {
    (0..net.arc_count() as u32)
        .map(|i| {
            let (from, to, capacity, cost) = net.arc(ArcId(i));
            (from.0 as usize, to.0 as usize, capacity, cost)
        })
        .collect()
}

/// The reference: successive shortest paths. Negative-cost arcs are saturated first, which leaves
/// a residual graph without negative cycles; then each unit of excess travels to a deficit along
/// a shortest residual path found by Bellman-Ford from all excess nodes at once. `None` when
/// some excess cannot reach any deficit.
fn reference_cost(supply: &[i64], arcs: &[PlainArc]) -> Option<i64> {
    let n = supply.len();
    let mut flow = vec![0i64; arcs.len()];
    let mut excess = supply.to_vec();
    for (i, &(from, to, capacity, cost)) in arcs.iter().enumerate() {
        if cost < 0 {
            flow[i] = capacity;
            excess[from] -= capacity;
            excess[to] += capacity;
        }
    }
    while excess.iter().any(|&e| e > 0) {
        let mut dist: Vec<Option<i64>> = excess.iter().map(|&e| (e > 0).then_some(0)).collect();
        // (arc, forward) that last improved each node.
        let mut pred: Vec<Option<(usize, bool)>> = vec![None; n];
        for _ in 0..n {
            let mut changed = false;
            for (i, &(from, to, capacity, cost)) in arcs.iter().enumerate() {
                let mut relax = |u: usize, v: usize, c: i64, forward: bool| {
                    if let Some(d) = dist[u]
                        && dist[v].is_none_or(|dv| d + c < dv)
                    {
                        dist[v] = Some(d + c);
                        pred[v] = Some((i, forward));
                        changed = true;
                    }
                };
                if flow[i] < capacity {
                    relax(from, to, cost, true);
                }
                if flow[i] > 0 {
                    relax(to, from, -cost, false);
                }
            }
            if !changed {
                break;
            }
        }
        let target = (0..n)
            .filter(|&v| excess[v] < 0)
            .filter_map(|v| dist[v].map(|d| (d, v)))
            .min()?
            .1;
        // Walk back to the excess node the path starts from.
        let mut path = Vec::new();
        let mut v = target;
        while let Some((i, forward)) = pred[v] {
            path.push((i, forward));
            v = if forward { arcs[i].0 } else { arcs[i].1 };
        }
        let start = v;
        let mut amount = excess[start].min(-excess[target]);
        for &(i, forward) in &path {
            let residual = if forward {
                arcs[i].2 - flow[i]
            } else {
                flow[i]
            };
            amount = amount.min(residual);
        }
        assert!(amount > 0);
        for &(i, forward) in &path {
            flow[i] += if forward { amount } else { -amount };
        }
        excess[start] -= amount;
        excess[target] += amount;
    }
    if excess.iter().any(|&e| e != 0) {
        return None;
    }
    Some(flow.iter().zip(arcs).map(|(f, a)| f * a.3).sum())
}

/// Feasibility, the reported cost, and complementary slackness with the returned potentials.
fn assert_certified(supply: &[i64], arcs: &[PlainArc], solution: &Solution) {
    assert_eq!(solution.flow.len(), arcs.len());
    assert_eq!(solution.potential.len(), supply.len());
    let mut balance = supply.to_vec();
    let mut cost = 0i64;
    for (i, &(from, to, capacity, c)) in arcs.iter().enumerate() {
        let f = solution.flow(ArcId(i as u32));
        assert!(
            (0..=capacity).contains(&f),
            "arc {i}: flow {f} outside 0..={capacity}"
        );
        balance[from] -= f;
        balance[to] += f;
        cost += f * c;
        let reduced = c - solution.potential[from] + solution.potential[to];
        assert!(
            f == capacity || reduced >= 0,
            "arc {i}: residual with reduced cost {reduced}"
        );
        assert!(
            f == 0 || reduced <= 0,
            "arc {i}: backward residual with reduced cost {}",
            -reduced
        );
    }
    assert!(
        balance.iter().all(|&b| b == 0),
        "flow not conserved: {balance:?}"
    );
    assert_eq!(cost, solution.cost);
}

/// The independent optimality certificate: no negative cycle in the residual graph, from any
/// starting node, by petgraph's Bellman-Ford.
fn assert_no_negative_residual_cycle(nodes: usize, arcs: &[PlainArc], solution: &Solution) {
    let mut g = Graph::<(), f64>::with_capacity(nodes, 2 * arcs.len());
    for _ in 0..nodes {
        g.add_node(());
    }
    for (i, &(from, to, capacity, cost)) in arcs.iter().enumerate() {
        let f = solution.flow[i];
        if f < capacity {
            g.add_edge(NodeIndex::new(from), NodeIndex::new(to), cost as f64);
        }
        if f > 0 {
            g.add_edge(NodeIndex::new(to), NodeIndex::new(from), -cost as f64);
        }
    }
    for k in 0..nodes {
        assert_eq!(
            find_negative_cycle(&g, NodeIndex::new(k)),
            None,
            "from node {k}"
        );
    }
}

/// Small random networks: up to 7 nodes with random supplies plus a sink that balances them, up
/// to 20 arcs. With `overflow`, every node also has an expensive way to and from the sink, so
/// the network is feasible.
fn small_network() -> impl Strategy<Value = (Vec<i64>, Vec<PlainArc>)> {
    (1usize..=7).prop_flat_map(|n| {
        (
            vec(-4i64..=4, n),
            vec((0..=n, 0..=n, 0i64..=5, -10i64..=10), 0..=20),
            any::<bool>(),
        )
            .prop_map(move |(mut supply, mut arcs, overflow)| {
                let sink = n;
                supply.push(-supply.iter().sum::<i64>());
                if overflow {
                    for u in 0..n {
                        arcs.push((u, sink, 20, 40));
                        arcs.push((sink, u, 20, 40));
                    }
                }
                (supply, arcs)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_reference_and_is_certified((supply, arcs) in small_network()) {
        let net = build(&supply, &arcs);
        let expected = reference_cost(&supply, &arcs);
        match net.solve() {
            Ok(solution) => {
                prop_assert_eq!(Some(solution.cost), expected);
                assert_certified(&supply, &arcs, &solution);
                assert_no_negative_residual_cycle(supply.len(), &arcs, &solution);
                // Deterministic: solving again gives the very same flows and prices.
                prop_assert_eq!(net.solve(), Ok(solution));
            }
            Err(err) => {
                prop_assert_eq!(err, NetworkError::Infeasible);
                prop_assert_eq!(expected, None);
            }
        }
    }

    #[test]
    fn unbalanced_supplies_are_reported(
        supply in vec(-4i64..=4, 1..=8),
        arcs in vec((0usize..8, 0usize..8, 0i64..=5, -10i64..=10), 0..=20),
    ) {
        let n = supply.len();
        let arcs: Vec<PlainArc> = arcs.into_iter().map(|(a, b, u, c)| (a % n, b % n, u, c)).collect();
        let net = build(&supply, &arcs);
        let positive: i64 = supply.iter().filter(|&&b| b > 0).sum();
        let negative: i64 = -supply.iter().filter(|&&b| b < 0).sum::<i64>();
        let result = net.solve();
        if positive == negative {
            let unbalanced = matches!(result, Err(NetworkError::Unbalanced { .. }));
            prop_assert!(!unbalanced);
        } else {
            prop_assert_eq!(result, Err(NetworkError::Unbalanced { supply: positive, demand: negative }));
        }
    }
}

/// A deterministic pseudo-random sequence (xorshift64*), so generated networks are reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

/// An assignment-shaped network: supply nodes (groups of 1-4 customers) reach `eligible` random
/// managers at a negative affinity, a third of them through a capped segment node per manager;
/// each manager reaches the sink by `units` unit arcs of increasing cost (declared as one convex
/// arc if `convex`); each supply node has an overflow arc to the sink at a prohibitive cost, so
/// the network is always feasible.
fn assignment_network(
    supplies: usize,
    managers: usize,
    units: i64,
    eligible: usize,
    seed: u64,
    convex: bool,
) -> Network {
    let mut rng = Rng(seed | 1);
    let sizes: Vec<i64> = (0..supplies).map(|_| 1 + rng.below(4) as i64).collect();
    let total: i64 = sizes.iter().sum();
    let arcs = supplies * (eligible + 1) + managers * (units as usize + 1);
    let mut net = Network::with_capacity(1 + 2 * managers + supplies, arcs);
    let sink = net.add_node(-total);
    let manager_nodes: Vec<NodeId> = (0..managers).map(|_| net.add_node(0)).collect();
    let mut segment_nodes = Vec::with_capacity(managers);
    for &m in &manager_nodes {
        let segment = net.add_node(0);
        net.add_arc(segment, m, 1 + rng.below(units as u64) as i64, 0);
        segment_nodes.push(segment);
        let pieces = (1..=units).map(|k| (1, 5 * k + (k * k) / 8));
        if convex {
            net.add_convex_arcs(m, sink, pieces);
        } else {
            for (capacity, cost) in pieces {
                net.add_arc(m, sink, capacity, cost);
            }
        }
    }
    for &size in &sizes {
        let g = net.add_node(size);
        let segmented = rng.below(3) == 0;
        for _ in 0..eligible {
            let m = rng.below(managers as u64) as usize;
            let to = if segmented {
                segment_nodes[m]
            } else {
                manager_nodes[m]
            };
            net.add_arc(g, to, size, -(rng.below(400) as i64));
        }
        net.add_arc(g, sink, size, 1_000_000);
    }
    net
}

#[test]
fn assignment_network_is_deterministic_and_certified() {
    let net = assignment_network(2_000, 50, 40, 8, 7, true);
    let first = net.solve().unwrap();
    let second = net.solve().unwrap();
    assert_eq!(first.flow, second.flow);
    assert_eq!(first, second);
    // A network built again from scratch solves the same way: no hidden state.
    assert_eq!(
        assignment_network(2_000, 50, 40, 8, 7, true)
            .solve()
            .unwrap(),
        first
    );
    // Solving the convex arcs through merged segments finds the same optimum as solving them
    // unit by unit.
    let plain = assignment_network(2_000, 50, 40, 8, 7, false)
        .solve()
        .unwrap();
    assert_eq!(plain.cost, first.cost);
    let supply: Vec<i64> = (0..net.node_count() as u32)
        .map(|u| net.supply(NodeId(u)))
        .collect();
    assert_certified(&supply, &plain_arcs(&net), &first);
    // Demand exceeds the 50 × 40 unit arcs, so overflow arcs must carry the rest.
    let total = -supply[0];
    let overflow: i64 = (0..net.arc_count() as u32)
        .filter(|&i| net.arc(ArcId(i)).3 == 1_000_000)
        .map(|i| first.flow(ArcId(i)))
        .sum();
    assert!(overflow >= total - 2_000);
}

#[test]
fn a_raised_cancel_flag_stops_the_solve() {
    use apportion::Cancel;

    let net = assignment_network(2_000, 50, 40, 8, 7, false);
    let cancel = Cancel::new();
    assert_eq!(net.solve_cancellable(&cancel), net.solve());
    cancel.cancel();
    // Thousands of pivots are needed here; the flag is checked every 4,096.
    assert_eq!(net.solve_cancellable(&cancel), Err(NetworkError::Cancelled));
    assert_eq!(NetworkError::Cancelled.code(), "cancelled");
}

#[test]
fn assignment_network_matches_reference() {
    for seed in 1..=4 {
        let net = assignment_network(60, 6, 12, 3, seed, false);
        let supply: Vec<i64> = (0..net.node_count() as u32)
            .map(|u| net.supply(NodeId(u)))
            .collect();
        let arcs = plain_arcs(&net);
        let solution = net.solve().unwrap();
        assert_eq!(
            Some(solution.cost),
            reference_cost(&supply, &arcs),
            "seed {seed}"
        );
        assert_certified(&supply, &arcs, &solution);
        assert_no_negative_residual_cycle(supply.len(), &arcs, &solution);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn small_assignment_networks_match_reference(
        seed in any::<u64>(),
        supplies in 1usize..40,
        managers in 1usize..6,
        units in 1i64..60,
        eligible in 1usize..4,
        convex in any::<bool>(),
    ) {
        let net = assignment_network(supplies, managers, units, eligible, seed, convex);
        let supply: Vec<i64> = (0..net.node_count() as u32).map(|u| net.supply(NodeId(u))).collect();
        let arcs = plain_arcs(&net);
        let solution = net.solve().unwrap();
        prop_assert_eq!(Some(solution.cost), reference_cost(&supply, &arcs));
        assert_certified(&supply, &arcs, &solution);
    }
}

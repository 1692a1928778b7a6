//! Property tests of the assignment against oracles: brute force for the optimum, petgraph's
//! max flow for how many can be placed, and petgraph's negative-cycle search as a certificate
//! that the flow behind the plan is optimal.

use std::collections::BTreeMap;

use apportion::network::ArcId;
use apportion::{AssignOptions, Book, Plan, Policy, Rulebook, assign};
use petgraph::algo::{find_negative_cycle, ford_fulkerson};
use petgraph::graph::{DiGraph, NodeIndex};
use proptest::prelude::*;

use crate::support::date;

use crate::fuzz_replay::harness::{Instance, UNASSIGNED};

/// A small book: up to 7 customers, 1 to 3 managers, with caps, targets for segment A, moves
/// and a stay bonus, up to 3 groups of managers nested up to 3 deep, and half the time a
/// model's scores for some pairs (few values, so that customers share them).
pub(crate) fn instance() -> impl Strategy<Value = Instance> {
    (1usize..=3).prop_flat_map(|m| {
        (
            proptest::collection::vec((0i64..8, 0i64..10, any::<bool>(), 0usize..=4), 0..=7),
            proptest::collection::vec((0u32..=3, proptest::option::of(0u32..=2)), m),
            0i64..300,
            0i64..3,
            any::<bool>(),
            groups(m),
            proptest::collection::vec(
                prop_oneof![2 => Just(None), 1 => (1u32..=4).prop_map(Some)],
                m,
            ),
            prop_oneof![
                Just(Vec::new()),
                proptest::collection::vec((0usize..7, 0..m, -4i64..=6), 1..=10),
            ],
        )
            .prop_map(
                |(
                    people,
                    staff,
                    move_penalty,
                    balance,
                    stay_bonus,
                    (groups, member_of),
                    a_targets,
                    mut scores,
                )| {
                    // One score per pair, for people who exist.
                    scores.retain(|&(person, ..)| person < people.len());
                    scores.sort_by_key(|&(person, j, _)| (person, j));
                    scores.dedup_by_key(|&mut (person, j, _)| (person, j));
                    Instance {
                        people,
                        staff,
                        move_penalty,
                        balance,
                        stay_bonus,
                        groups,
                        member_of,
                        a_targets,
                        scores,
                        a_limits: Vec::new(),
                    }
                },
            )
    })
}

/// [`instance`] with groups' minimums and caps for segment A (kept to what a group may ask:
/// a minimum no more than its cap or its capacity), which may leave no plan at all.
fn limited_instance() -> impl Strategy<Value = Instance> {
    (
        instance(),
        proptest::collection::vec((0u32..=2, proptest::option::of(0u32..=3)), 3),
    )
        .prop_map(|(instance, limits)| {
            let a_limits = (instance.groups.iter().zip(limits))
                .map(|(&(_, capacity, _), (minimum, cap))| {
                    let most = cap.unwrap_or(u32::MAX).min(capacity.unwrap_or(u32::MAX));
                    (minimum.min(most), cap)
                })
                .collect();
            Instance {
                a_limits,
                ..instance
            }
        })
}

/// A group of a small instance: (parent, capacity, target).
type SmallGroup = (Option<usize>, Option<u32>, Option<u32>);

/// Mostly 1 to 3 groups (no groups a quarter of the time), each within an earlier one or a
/// root, with an optional capacity (small enough to bind) and target; and mostly a group for
/// each of `m` managers.
fn groups(m: usize) -> impl Strategy<Value = (Vec<SmallGroup>, Vec<Option<usize>>)> {
    prop_oneof![1 => Just(0usize), 3 => 1usize..=3].prop_flat_map(move |n| {
        let group = |g: usize| {
            (
                proptest::option::of(0..g.max(1)).prop_map(move |p| p.filter(|_| g > 0)),
                proptest::option::of(0u32..=5),
                proptest::option::of(1u32..=4),
            )
        };
        let groups: Vec<_> = (0..n).map(group).collect();
        let member = prop_oneof![1 => Just(None), 3 => (0..n.max(1)).prop_map(Some)]
            .prop_map(move |g| g.filter(|_| n > 0));
        (groups, proptest::collection::vec(member, m))
    })
}

/// Options for solving `instance`, with or without aggregation, on `threads` threads, with
/// every manager arc held from the start (the default for so small a network).
pub(crate) fn options(instance: &Instance, aggregate: bool, threads: usize) -> AssignOptions {
    AssignOptions {
        policy: Policy {
            move_penalty: instance.move_penalty,
            balance: instance.balance,
            unassigned_penalty: Some(UNASSIGNED),
        },
        aggregate,
        threads: Some(threads),
        ..AssignOptions::new(date("2026-06-30"))
    }
}

/// [`options`] holding one manager arc per group at the start, so that the solve must price
/// the others in, round after round.
fn priced(options: AssignOptions) -> AssignOptions {
    AssignOptions {
        arcs_per_group: Some(1),
        ..options
    }
}

/// The most people of `instance` that can be placed, by petgraph's max flow.
fn max_placeable(instance: &Instance) -> u32 {
    let mut graph = DiGraph::<(), u32>::new();
    let source = graph.add_node(());
    let sink = graph.add_node(());
    let managers: Vec<NodeIndex> = instance.staff.iter().map(|_| graph.add_node(())).collect();
    let segment_a: Vec<NodeIndex> = instance.staff.iter().map(|_| graph.add_node(())).collect();
    let groups: Vec<NodeIndex> = instance.groups.iter().map(|_| graph.add_node(())).collect();
    for (g, &(parent, capacity, _)) in instance.groups.iter().enumerate() {
        let above = parent.map_or(sink, |p| groups[p]);
        graph.add_edge(groups[g], above, capacity.unwrap_or(u32::MAX / 4));
    }
    for (j, &(capacity, cap_a)) in instance.staff.iter().enumerate() {
        let above = instance.chain(j).first().map_or(sink, |&g| groups[g]);
        graph.add_edge(managers[j], above, capacity);
        graph.add_edge(segment_a[j], managers[j], cap_a.unwrap_or(u32::MAX / 4));
    }
    for person in 0..instance.people.len() {
        let node = graph.add_node(());
        graph.add_edge(source, node, 1);
        for j in 0..instance.staff.len() {
            if instance.eligible(person, j) {
                let to = if instance.people[person].2 {
                    segment_a[j]
                } else {
                    managers[j]
                };
                graph.add_edge(node, to, 1);
            }
        }
    }
    ford_fulkerson(&graph, source, sink).0
}

fn index_of(plan: &Plan, id: &str) -> Option<usize> {
    plan.loads.iter().position(|l| l.manager.as_str() == id)
}

/// Each person's manager in `plan`, by position, as `instance` numbers them.
fn choices(instance: &Instance, plan: &Plan) -> Vec<Option<usize>> {
    let mut choice = vec![None; instance.people.len()];
    for a in &plan.assignments {
        let person: usize = a.customer.as_str()[2..].parse().unwrap();
        choice[person] = index_of(plan, a.manager.as_str());
    }
    choice
}

/// What assigning `instance` takes: its rules, its book, and options on one thread, with the
/// manager arcs priced in one at a time when `one_arc`.
fn assign_instance(instance: &Instance, one_arc: bool) -> (Rulebook, Book, AssignOptions) {
    let rules = Rulebook::compile(instance.rules()).unwrap();
    let options = options(instance, true, 1);
    let options = if one_arc { priced(options) } else { options };
    (rules, instance.book(), options)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_plan_is_optimal_feasible_and_maximal(instance in instance(), one_arc in any::<bool>()) {
        let (rules, book, options) = assign_instance(&instance, one_arc);
        let plan = assign(&book, &rules, &options).unwrap();
        // Optimal: equal to the brute-force minimum of the contract's objective.
        prop_assert_eq!(plan.objective.total, instance.brute_force().0);
        // Feasible: only eligible pairs, capacities and segment caps respected.
        let choice = choices(&instance, &plan);
        prop_assert_eq!(instance.objective(&choice).map(|o| o.0), Some(plan.objective.total));
        let mut group_loads = vec![0; instance.groups.len()];
        for (j, load) in plan.loads.iter().enumerate() {
            for g in instance.chain(j) {
                group_loads[g] += load.load;
            }
        }
        for (&(_, capacity, _), load) in instance.groups.iter().zip(group_loads) {
            prop_assert!(capacity.is_none_or(|c| load <= c));
        }
        for (load, &(capacity, cap_a)) in plan.loads.iter().zip(&instance.staff) {
            prop_assert!(load.load <= capacity);
            prop_assert!(cap_a.is_none_or(|c| load.segments.get("A").copied().unwrap_or(0) <= c));
        }
        // Maximal: with a large unassigned penalty, as many placed as a max flow allows.
        prop_assert_eq!(plan.stats.assigned as u32, max_placeable(&instance));
        // Every customer is accounted for.
        prop_assert_eq!(plan.assignments.len() + plan.unassigned.len(), instance.people.len());
    }

    #[test]
    fn groups_segment_limits_hold_at_the_optimum(instance in limited_instance(), one_arc in any::<bool>()) {
        let (rules, book, options) = assign_instance(&instance, one_arc);
        let optimum = instance.brute_force().0;
        match assign(&book, &rules, &options) {
            Ok(plan) => {
                let choice = choices(&instance, &plan);
                // Feasible (the limits met), and optimal, or no further from it than it says.
                prop_assert_eq!(instance.objective(&choice).map(|o| o.0), Some(plan.objective.total));
                prop_assert!(plan.objective.total >= optimum);
                prop_assert!(plan.objective.total - plan.network.optimality_gap <= optimum);
                prop_assert_eq!(plan.network.optimality_gap, 0, "{:?}", plan.objective);
                let two = assign(&book, &rules, &AssignOptions { threads: Some(2), ..options.clone() }).unwrap();
                prop_assert_eq!(&two.assignments, &plan.assignments);
            }
            Err(error) => {
                prop_assert_eq!(optimum, i64::MAX, "{}", error);
                prop_assert!(["group_minimum_unmet", "group_limits_unmet"].contains(&error.code()));
            }
        }
    }

    #[test]
    fn aggregation_and_threads_never_change_the_plan(instance in instance()) {
        let rules = Rulebook::compile(instance.rules()).unwrap();
        let book = instance.book();
        let aggregated = assign(&book, &rules, &options(&instance, true, 1)).unwrap();
        let per_customer = assign(&book, &rules, &options(&instance, false, 1)).unwrap();
        // Equally good plans may owe their affinity to the model more or less (a score of 3
        // with one manager, a taste of 3 with another): the parts are the same, and each
        // plan's model part is its placements'.
        let parts = |plan: &Plan| {
            let o = plan.objective;
            let model: i64 = plan.assignments.iter().filter_map(|a| a.model_score).sum();
            prop_assert_eq!(o.model_scores.map(|m| -m), plan.objective.model_scores.map(|_| model));
            Ok((o.total, o.affinity, o.moves, o.balance, o.unassigned))
        };
        prop_assert_eq!(parts(&aggregated)?, parts(&per_customer)?);
        let two_threads = assign(&book, &rules, &options(&instance, true, 2)).unwrap();
        prop_assert_eq!(&aggregated, &two_threads);
        // Pricing the arcs in finds an optimum of the same objective, the same on any thread
        // count, aggregated or not.
        let priced_one = assign(&book, &rules, &priced(options(&instance, false, 1))).unwrap();
        prop_assert_eq!(parts(&priced_one)?, parts(&aggregated)?);
        let priced_two = assign(&book, &rules, &priced(options(&instance, false, 2))).unwrap();
        prop_assert_eq!(&priced_one, &priced_two);
    }

    #[test]
    fn the_residual_network_has_no_negative_cycle(instance in instance()) {
        let rules = Rulebook::compile(instance.rules()).unwrap();
        let network = apportion::assignment_network(&instance.book(), &rules, &options(&instance, true, 1)).unwrap();
        let solution = network.solve().unwrap();
        let mut residual = DiGraph::<(), f64>::new();
        let nodes: Vec<NodeIndex> = (0..network.node_count()).map(|_| residual.add_node(())).collect();
        let root = residual.add_node(());
        for &node in &nodes {
            residual.add_edge(root, node, 0.0);
        }
        for arc in 0..network.arc_count() as u32 {
            let (from, to, capacity, cost) = network.arc(ArcId(arc));
            let flow = solution.flow(ArcId(arc));
            if flow < capacity {
                residual.add_edge(nodes[from.0 as usize], nodes[to.0 as usize], cost as f64);
            }
            if flow > 0 {
                residual.add_edge(nodes[to.0 as usize], nodes[from.0 as usize], -(cost as f64));
            }
        }
        prop_assert!(find_negative_cycle(&residual, root).is_none());
    }
}

#[test]
fn the_example_bank_plan_is_the_same_on_one_and_two_threads() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let options = apportion::load::LoadOptions::default();
    let book = Book::new(
        apportion::load::read_customers(&dir.join("data/customers.csv"), &options).unwrap(),
        apportion::load::read_managers(&dir.join("data/managers.csv"), &options).unwrap(),
    );
    let rules =
        Rulebook::compile(&std::fs::read_to_string(dir.join("rules/bank.rhai")).unwrap()).unwrap();
    let run = |threads| {
        let options = AssignOptions {
            threads: Some(threads),
            ..AssignOptions::new(date("2026-06-30"))
        };
        let mut plan = assign(&book, &rules, &options).unwrap();
        // The provenance records the threads used: how the plan was made, not what it is.
        assert_eq!(plan.provenance.threads, threads);
        plan.provenance.threads = 0;
        serde_json::to_string(&plan).unwrap()
    };
    assert_eq!(run(1), run(2));
    let plan: BTreeMap<String, serde_json::Value> = serde_json::from_str(&run(2)).unwrap();
    assert!(plan.contains_key("objective"));
}

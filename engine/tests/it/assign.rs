//! Assignment scenarios a bank lives through, each with its outcome asserted.

use apportion::{
    AssignOptions, Book, Plan, Policy, Rulebook, UnassignedReason, Value, ValueType, assign,
};

use crate::support::{customers, date, list, managers, s};

const RULES: &str = r#"
fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
fn segment(c) { c.tier }
fn eligible(c, m) { c.region == m.region && (c.tier != "HNW" || "private_banking" in m.certifications) }
"#;

/// `n` customers per (current manager, assets) entry, all in region `north`.
fn book(people: &[(Option<&str>, i64, usize)], staff: &[(&str, u32, &[&str])]) -> Book {
    let mut rows = Vec::new();
    for &(manager, assets, n) in people {
        for _ in 0..n {
            rows.push((format!("C-{:03}", rows.len() + 1), manager, assets));
        }
    }
    let rows: Vec<_> = rows
        .iter()
        .map(|(id, manager, assets)| (id.as_str(), *manager, vec![s("north"), Value::Int(*assets)]))
        .collect();
    let staff: Vec<_> = staff
        .iter()
        .map(|&(id, capacity, certs)| (id, capacity, &[][..], vec![s("north"), list(certs)]))
        .collect();
    Book::new(
        customers(
            &[("region", ValueType::Str), ("assets", ValueType::Int)],
            &rows,
        ),
        managers(
            &[
                ("region", ValueType::Str),
                ("certifications", ValueType::List),
            ],
            &staff,
        ),
    )
}

fn run(book: &Book, move_penalty: i64) -> Plan {
    let options = AssignOptions {
        policy: Policy {
            move_penalty,
            balance: 1,
            unassigned_penalty: None,
        },
        ..AssignOptions::new(date("2026-06-30"))
    };
    assign(book, &Rulebook::compile(RULES).unwrap(), &options).unwrap()
}

fn loads(plan: &Plan) -> Vec<u32> {
    plan.loads.iter().map(|l| l.load).collect()
}

#[test]
fn a_first_allocation_spreads_an_unassigned_base_evenly() {
    let book = book(
        &[(None, 500, 12)],
        &[("M-1", 5, &[]), ("M-2", 5, &[]), ("M-3", 5, &[])],
    );
    let plan = run(&book, 500);
    assert_eq!(loads(&plan), [4, 4, 4]);
    assert!(plan.unassigned.is_empty());
    // Twelve customers alike to the rules: one pair class, one supply node; without
    // aggregation a supply node each.
    assert_eq!(
        (plan.network.pair_classes, plan.network.supply_nodes),
        (1, 1)
    );
    let options = AssignOptions {
        aggregate: false,
        ..AssignOptions::new(date("2026-06-30"))
    };
    let apart = assign(&book, &Rulebook::compile(RULES).unwrap(), &options).unwrap();
    assert_eq!(
        (apart.network.pair_classes, apart.network.supply_nodes),
        (1, 12)
    );
    assert!(apart.network.arcs > plan.network.arcs);
    assert_eq!(plan.stats.moved, 0, "a first manager is no move");
    // λ·Σ⌈1000k/5⌉ for k = 1..4 is 200 + 400 + 600 + 800, three times; no moves, no affinity.
    assert_eq!(plan.objective.balance, 3 * 2_000);
    assert_eq!(plan.objective.total, 6_000);
}

#[test]
fn a_rebalance_moves_only_what_is_worth_the_move_penalty() {
    let staff: &[(&str, u32, &[&str])] = &[("M-1", 10, &[]), ("M-2", 10, &[]), ("M-3", 10, &[])];
    let book = book(
        &[
            (Some("M-1"), 500, 7),
            (Some("M-2"), 500, 3),
            (Some("M-3"), 500, 2),
        ],
        staff,
    );
    // Moving is never worth 500: every relationship stays.
    let kept = run(&book, 500);
    assert_eq!(loads(&kept), [7, 3, 2]);
    assert_eq!(kept.stats.moved, 0);
    // At 150 exactly two customers leave M-1: the third move would cost 50 more than it saves.
    let rebalanced = run(&book, 150);
    let mut sorted = loads(&rebalanced);
    assert_eq!(sorted[0], 5);
    sorted.sort_unstable();
    assert_eq!(sorted, [3, 4, 5]);
    assert_eq!(rebalanced.stats.moved, 2);
    assert_eq!(rebalanced.stats.paid_moves, 2);
    assert_eq!(
        rebalanced.objective.moves,
        150 * rebalanced.stats.paid_moves as i64
    );
    assert!(
        rebalanced.assignments.iter().filter(|a| a.moved).all(|a| a
            .previous_manager
            .as_ref()
            .unwrap()
            .as_str()
            == "M-1")
    );
    // 2 moves at 150, and λ·100·(1+..+5 + 1+..+4 + 1+..+3).
    assert_eq!(rebalanced.objective.moves, 300);
    assert_eq!(rebalanced.objective.balance, 100 * (15 + 10 + 6));
}

#[test]
fn when_a_manager_leaves_only_their_book_moves_spread_across_peers() {
    let staff: &[(&str, u32, &[&str])] = &[("M-1", 10, &[]), ("M-2", 10, &[]), ("M-3", 10, &[])];
    // M-4 has left: their six customers are orphans.
    let book = book(
        &[
            (Some("M-1"), 500, 4),
            (Some("M-2"), 500, 4),
            (Some("M-3"), 500, 4),
            (Some("M-4"), 500, 6),
        ],
        staff,
    );
    let plan = run(&book, 500);
    assert_eq!(plan.orphans.len(), 6);
    assert_eq!(loads(&plan), [6, 6, 6]);
    // The six orphans are re-homed at no penalty; nobody else pays a move.
    assert_eq!(
        (plan.stats.moved, plan.stats.paid_moves, plan.stats.rehomed),
        (6, 0, 6)
    );
    assert_eq!(plan.objective.moves, 0);
    for assignment in &plan.assignments {
        let previous = assignment.previous_manager.as_ref().unwrap().as_str();
        assert_eq!(assignment.moved, previous == "M-4", "{assignment:?}");
        // Leaving a manager who left is no broken relationship: no penalty.
        assert_eq!(assignment.move_penalty, 0);
    }
}

#[test]
fn a_new_manager_receives_a_fair_share_while_few_others_move() {
    let staff: &[(&str, u32, &[&str])] = &[
        ("M-1", 12, &[]),
        ("M-2", 12, &[]),
        ("M-3", 12, &[]),
        ("M-4", 12, &[]),
    ];
    let book = book(
        &[
            (Some("M-1"), 500, 8),
            (Some("M-2"), 500, 8),
            (Some("M-3"), 500, 8),
        ],
        staff,
    );
    let plan = run(&book, 100);
    let loads = loads(&plan);
    assert!(loads[3] >= 4, "the newcomer gets a fair share: {loads:?}");
    assert!(
        loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 2,
        "{loads:?}"
    );
    // Every move is towards the newcomer: nobody is shuffled between the others.
    for assignment in plan.assignments.iter().filter(|a| a.moved) {
        assert_eq!(assignment.manager.as_str(), "M-4", "{assignment:?}");
    }
    assert_eq!(plan.stats.moved as u32, loads[3]);
}

#[test]
fn a_customer_who_becomes_hnw_moves_to_a_certified_manager() {
    let staff: &[(&str, u32, &[&str])] = &[("M-1", 10, &[]), ("M-2", 10, &["private_banking"])];
    let book = book(
        &[
            (Some("M-1"), 2_000_000, 1),
            (Some("M-1"), 500, 4),
            (Some("M-2"), 500, 4),
        ],
        staff,
    );
    let plan = run(&book, 500);
    let hnw = plan
        .assignments
        .iter()
        .find(|a| a.customer.as_str() == "C-001")
        .unwrap();
    assert_eq!(hnw.manager.as_str(), "M-2");
    assert!(hnw.moved);
    assert_eq!(hnw.move_penalty, 500);
    assert_eq!(plan.stats.moved, 1, "everyone else stays");
}

#[test]
fn customers_who_fit_nowhere_are_reported_with_the_reason() {
    let staff: &[(&str, u32, &[&str])] = &[("M-1", 2, &[]), ("M-2", 1, &[])];
    let book = book(&[(None, 500, 4), (None, 3_000_000, 1)], staff);
    let plan = run(&book, 500);
    assert_eq!(plan.stats.assigned, 3);
    let reasons: Vec<&UnassignedReason> = plan.unassigned.iter().map(|u| &u.reason).collect();
    assert_eq!(reasons.len(), 2);
    assert!(
        reasons.contains(&&UnassignedReason::NoEligibleManager),
        "the HNW customer has no private banker"
    );
    assert!(reasons.contains(&&UnassignedReason::CapacityExhausted {
        managers: vec!["M-1".into(), "M-2".into()],
        segments: vec![],
        groups: Vec::new(),
        group_segments: Vec::new(),
    }));
}

#[test]
fn segment_caps_are_never_exceeded() {
    let rows = [
        ("C-1", None, vec![s("north"), Value::Int(2_000_000)]),
        ("C-2", None, vec![s("north"), Value::Int(3_000_000)]),
    ];
    let book = Book::new(
        customers(
            &[("region", ValueType::Str), ("assets", ValueType::Int)],
            &rows,
        ),
        managers(
            &[
                ("region", ValueType::Str),
                ("certifications", ValueType::List),
            ],
            &[
                (
                    "M-1",
                    10,
                    &[("HNW", 1)],
                    vec![s("north"), list(&["private_banking"])],
                ),
                (
                    "M-2",
                    10,
                    &[("HNW", 0)],
                    vec![s("north"), list(&["private_banking"])],
                ),
            ],
        ),
    );
    let plan = run(&book, 500);
    assert_eq!(plan.loads[0].segments.get("HNW"), Some(&1));
    assert_eq!(plan.unassigned.len(), 1);
    let UnassignedReason::CapacityExhausted { segments, .. } = &plan.unassigned[0].reason else {
        panic!()
    };
    assert_eq!(segments.len(), 2);
}

#[test]
fn progress_counts_every_customer_and_changes_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    let book = book(
        &[(None, 500, 40), (Some("M-1"), 2_000_000, 9)],
        &[("M-1", 30, &["private_banking"]), ("M-2", 30, &[])],
    );
    let rules = Rulebook::compile(RULES).unwrap();
    let quiet = AssignOptions::new(date("2026-06-30"));
    let (calls, last) = (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new((0, 0))));
    let (c, l) = (calls.clone(), last.clone());
    let watched = AssignOptions {
        progress: Some(Arc::new(move |done, total| {
            c.fetch_add(1, Ordering::Relaxed);
            let mut last = l.lock().unwrap();
            *last = (*last).max((done, total));
        })),
        ..quiet.clone()
    };
    let plan = assign(&book, &rules, &watched).unwrap();
    assert!(calls.load(Ordering::Relaxed) > 0);
    assert_eq!(*last.lock().unwrap(), (49, 49));
    assert_eq!(plan, assign(&book, &rules, &quiet).unwrap());
}

#[test]
fn a_cancelled_run_stops_with_its_own_error() {
    use std::sync::Arc;

    use apportion::{Cancel, Error};

    // 2,000 customers: four chunks of rules, so a flag raised during the first stops the run.
    let book = book(
        &[(None, 500, 2_000)],
        &[("M-1", 1_000, &[]), ("M-2", 1_000, &[])],
    );
    let rules = Rulebook::compile(RULES).unwrap();
    let cancel = Cancel::new();
    let raise = cancel.clone();
    let options = AssignOptions {
        threads: Some(1),
        progress: Some(Arc::new(move |_, _| raise.cancel())),
        cancel: Some(cancel.clone()),
        ..AssignOptions::new(date("2026-06-30"))
    };
    let error = assign(&book, &rules, &options).unwrap_err();
    assert_eq!(error, Error::Cancelled);
    assert_eq!(error.code(), "cancelled");
    // The same options without a raised flag run to the end.
    let unraised = AssignOptions {
        progress: None,
        cancel: Some(Cancel::new()),
        ..options
    };
    assert_eq!(
        assign(&book, &rules, &unraised).unwrap().stats.assigned,
        2_000
    );
}

#[test]
fn a_huge_capacity_costs_no_more_than_the_book_it_serves() {
    // Capacity 4,294,967,295 used to mean one balance piece per unit of capacity (69 GB).
    let book = book(
        &[(None, 500, 3)],
        &[("M-1", u32::MAX, &[]), ("M-2", u32::MAX, &[])],
    );
    let rules = Rulebook::compile(RULES).unwrap();
    let options = AssignOptions::new(date("2026-06-30"));
    let network = apportion::assignment_network(&book, &rules, &options).unwrap();
    assert!(network.arc_count() < 40, "{} arcs", network.arc_count());
    let plan = run(&book, 500);
    assert!(plan.unassigned.is_empty());
    assert_eq!(loads(&plan).iter().sum::<u32>(), 3);
    // With the default target (the capacity) each customer costs ⌈1000k/t⌉ = 1.
    assert_eq!(plan.objective.balance, 3);

    // A small target with a huge capacity: each customer costs more than the last.
    let mut book = book;
    for manager in &mut book.managers.records {
        manager.target = Some(1);
    }
    let plan = assign(&book, &rules, &options).unwrap();
    assert_eq!(loads(&plan), [2, 1]);
    assert_eq!(plan.objective.balance, 1000 + 2000 + 1000);
}

/// A manager: id, capacity and segment caps.
type Staff<'a> = (&'a str, u32, &'a [(&'a str, u32)]);

/// A customer: id, current manager, the managers allowed, segment.
type Person<'a> = (&'a str, Option<&'a str>, &'a [&'a str], &'a str);

/// Managers of capacity `capacity` each, and customers `(id, current manager, allowed
/// managers, segment)`, under rules that make each customer eligible for its allowed list.
fn allowed_book(staff: &[Staff], people: &[Person]) -> Book {
    let rows: Vec<_> = people
        .iter()
        .map(|&(id, manager, allowed, segment)| (id, manager, vec![list(allowed), s(segment)]))
        .collect();
    let staff: Vec<_> = staff
        .iter()
        .map(|&(id, capacity, caps)| (id, capacity, caps, vec![]))
        .collect();
    Book::new(
        customers(
            &[("allowed", ValueType::List), ("group", ValueType::Str)],
            &rows,
        ),
        managers(&[], &staff),
    )
}

const ALLOWED: &str = "fn segment(c) { c.group }
fn eligible(c, m) { m.id in c.allowed }
fn affinity(c, m) { if c.manager == m.id { 50 } else { 0 } }";

fn reasons(plan: &Plan) -> Vec<(String, &'static str)> {
    plan.unassigned
        .iter()
        .map(|u| (u.customer.as_str().to_owned(), u.reason.code()))
        .collect()
}

#[test]
fn a_customer_left_out_on_cost_says_so_even_when_room_needs_a_move() {
    // X fits only with M-1, which is full with Y; Y could move to M-2, which has room.
    let staff: &[Staff] = &[("M-1", 1, &[]), ("M-2", 1, &[])];
    let people: &[Person] = &[
        ("Y", Some("M-1"), &["M-1", "M-2"], "A"),
        ("X", None, &["M-1"], "A"),
    ];
    let rules = Rulebook::compile(ALLOWED).unwrap();
    // Holding every arc, and holding one per group so that Y's way to M-2 is left to pricing:
    // a way the search for room must see all the same.
    for arcs_per_group in [None, Some(1)] {
        let with = |unassigned_penalty| AssignOptions {
            policy: Policy {
                move_penalty: 500,
                balance: 0,
                unassigned_penalty,
            },
            arcs_per_group,
            ..AssignOptions::new(date("2026-06-30"))
        };
        // Moving Y costs 500, leaving X out 100 (and Y keeps an affinity of 50 by staying): X
        // is left out, and not for want of room.
        let plan = assign(&allowed_book(staff, people), &rules, &with(Some(100))).unwrap();
        assert_eq!(
            reasons(&plan),
            [("X".to_owned(), "cost_above_unassigned_penalty")]
        );
        // By default placing beats leaving out: Y moves.
        let plan = assign(&allowed_book(staff, people), &rules, &with(None)).unwrap();
        assert!(plan.unassigned.is_empty());
        assert_eq!(plan.stats.moved, 1);
        // Without room at M-2 no chain helps: capacity, naming the full manager.
        let staff: &[Staff] = &[("M-1", 1, &[]), ("M-2", 0, &[])];
        let plan = assign(&allowed_book(staff, people), &rules, &with(Some(100))).unwrap();
        assert_eq!(
            plan.unassigned[0].reason,
            UnassignedReason::CapacityExhausted {
                managers: vec!["M-1".into()],
                segments: vec![],
                groups: Vec::new(),
                group_segments: Vec::new(),
            }
        );
    }
}

#[test]
fn a_current_manager_bonus_does_not_split_the_pair_classes() {
    let all: &[&str] = &["M-1", "M-2", "M-3"];
    let staff: &[Staff] = &[("M-1", 2, &[]), ("M-2", 2, &[]), ("M-3", 2, &[])];
    let people: &[Person] = &[
        ("A", Some("M-1"), all, "S"),
        ("B", Some("M-2"), all, "S"),
        ("C", Some("M-3"), all, "S"),
        ("D", None, all, "S"),
        ("E", Some("M-9"), all, "S"),
    ];
    let book = allowed_book(staff, people);
    let rules = |bonus: &str| {
        Rulebook::compile(&format!(
            "fn segment(c) {{ c.group }}
             fn eligible(c, m) {{ m.id in c.allowed }}
             fn affinity(c, m) {{ let score = 0; score += 1; {bonus} score }}"
        ))
        .unwrap()
    };
    let exact = |aggregate| AssignOptions {
        aggregate,
        ..AssignOptions::new(date("2026-06-30"))
    };
    // Only a customer's own manager gains: one class, the bonus on the way to stay.
    let bonus = rules("if c.manager == m.id { score += 50; }");
    let plan = assign(&book, &bonus, &exact(true)).unwrap();
    assert_eq!(plan.network.pair_classes, 1);
    let apart = assign(&book, &bonus, &exact(false)).unwrap();
    assert_eq!(plan.objective, apart.objective);
    for a in plan
        .assignments
        .iter()
        .filter(|a| "ABC".contains(a.customer.as_str()))
    {
        assert!(!a.moved);
        assert_eq!(a.affinity, 51);
    }
    // Everyone whose manager is M-1 gains with every manager: that is more than a bonus, and
    // the classes keep the current manager.
    let favour = rules("if c.manager == \"M-1\" { score += 50; }");
    let plan = assign(&book, &favour, &exact(true)).unwrap();
    assert_eq!(plan.network.pair_classes, people.len());
    let apart = assign(&book, &favour, &exact(false)).unwrap();
    assert_eq!(plan.objective, apart.objective);
    // Only pairs that can be made matter: M-1's customers favoured at M-3, where none of them
    // is eligible, is still a bonus.
    let two: &[&str] = &["M-1", "M-2"];
    let people: &[Person] = &[
        ("A", Some("M-1"), two, "S"),
        ("B", Some("M-2"), two, "S"),
        ("C", Some("M-3"), all, "S"),
        ("D", None, all, "S"),
    ];
    let book = allowed_book(staff, people);
    let elsewhere = rules(
        "if c.manager == m.id { score += 50; }
         if c.manager == \"M-1\" && m.id == \"M-3\" { score += 7; }",
    );
    let plan = assign(&book, &elsewhere, &exact(true)).unwrap();
    assert_eq!(plan.network.pair_classes, 2);
    let apart = assign(&book, &elsewhere, &exact(false)).unwrap();
    assert_eq!(plan.objective, apart.objective);
}

#[test]
fn room_through_an_arc_never_priced_in_still_makes_a_customer_left_out_on_cost() {
    // As above, but Y's way to M-2 costs so much that the solve never brings it in: the
    // search for room must still see it, or X would be reported out for want of room.
    let staff: &[Staff] = &[("M-1", 1, &[]), ("M-2", 1, &[])];
    let people: &[Person] = &[
        ("Y", Some("M-1"), &["M-1", "M-2"], "A"),
        ("X", None, &["M-1"], "A"),
    ];
    let rules = Rulebook::compile(
        "fn segment(c) { c.group }
         fn eligible(c, m) { m.id in c.allowed }
         fn affinity(c, m) { if c.manager == m.id { 50 } else if m.id == \"M-2\" { -1000 } else { 0 } }",
    )
    .unwrap();
    let options = AssignOptions {
        policy: Policy {
            move_penalty: 500,
            balance: 0,
            unassigned_penalty: Some(100),
        },
        arcs_per_group: Some(1),
        ..AssignOptions::new(date("2026-06-30"))
    };
    let plan = assign(&allowed_book(staff, people), &rules, &options).unwrap();
    assert_eq!(plan.network.arcs_held + 1, plan.network.arcs);
    assert_eq!(plan.network.arcs_priced_in, 0);
    assert_eq!(
        reasons(&plan),
        [("X".to_owned(), "cost_above_unassigned_penalty")]
    );
}

#[test]
fn by_default_a_customer_is_placed_even_through_a_chain_of_twenty_moves() {
    // Six managers capping each of six segments at 1. X fits only at M5, full for X's segment;
    // making room takes a chain through every segment: segment k's customers sit at M5 down to
    // M(k+1), each allowed one manager lower, where M(k) has room for segment k but is full,
    // with a customer W(k+1) of the next segment who may go up to M5. M5 has one place left.
    // 20 moves at 100,000 each: more than a bound counting managers only allowed.
    let segments = ["S0", "S1", "S2", "S3", "S4", "S5"];
    let name = |j: usize| format!("M{j}");
    let mut people: Vec<(String, Option<String>, Vec<String>, &str)> =
        vec![("X".into(), None, vec![name(5)], segments[0])];
    for (k, segment) in segments.iter().enumerate().take(5) {
        for j in (k + 1..=5).rev() {
            let allowed = vec![name(j), name(j - 1)];
            people.push((format!("Y{k}{j}"), Some(name(j)), allowed, segment));
        }
        let allowed = vec![name(k), name(5)];
        people.push((
            format!("W{}", k + 1),
            Some(name(k)),
            allowed,
            segments[k + 1],
        ));
    }
    assert_eq!(people.len(), 21);
    let caps: Vec<(&str, u32)> = segments.iter().map(|s| (*s, 1)).collect();
    let staff: Vec<(String, u32)> = (0..6).map(|j| (name(j), j as u32 + 1)).collect();
    let staff: Vec<Staff> = staff
        .iter()
        .map(|(id, capacity)| (id.as_str(), *capacity, &caps[..]))
        .collect();
    let allowed: Vec<Vec<&str>> = people
        .iter()
        .map(|p| p.2.iter().map(String::as_str).collect())
        .collect();
    let people: Vec<Person> = people
        .iter()
        .zip(&allowed)
        .map(|(p, allowed)| (p.0.as_str(), p.1.as_deref(), &allowed[..], p.3))
        .collect();
    let options = AssignOptions {
        policy: Policy {
            move_penalty: 100_000,
            balance: 0,
            unassigned_penalty: None,
        },
        ..AssignOptions::new(date("2026-06-30"))
    };
    let rules = Rulebook::compile(ALLOWED).unwrap();
    let plan = assign(&allowed_book(&staff, &people), &rules, &options).unwrap();
    assert_eq!(reasons(&plan), []);
    assert_eq!(plan.stats.moved, 20);
}

#[test]
fn thread_counts_outside_one_to_the_bound_are_refused_by_every_run() {
    use apportion::{MAX_THREADS, ProfileOptions, rebalance};

    let book = book(&[(Some("M-1"), 500, 3)], &[("M-1", 10, &[])]);
    let rules = Rulebook::compile(RULES).unwrap();
    for threads in [0, MAX_THREADS + 1, 100_000] {
        let options = AssignOptions {
            threads: Some(threads),
            ..AssignOptions::new(date("2026-06-30"))
        };
        let mut profile_options = ProfileOptions::new(date("2026-06-30"));
        profile_options.threads = Some(threads);
        let errors = [
            assign(&book, &rules, &options).unwrap_err(),
            rebalance(&book, &rules, &options, 1).unwrap_err(),
            rules
                .profile(&book.customers, &profile_options)
                .unwrap_err(),
        ];
        for error in errors {
            assert_eq!(error.code(), "invalid_threads", "{threads}: {error}");
            assert_eq!(
                error.to_string(),
                format!("invalid thread count `{threads}`: use 1 to 256 worker threads")
            );
        }
    }
    let most = AssignOptions {
        threads: Some(MAX_THREADS),
        ..AssignOptions::new(date("2026-06-30"))
    };
    assert_eq!(assign(&book, &rules, &most).unwrap().stats.assigned, 3);
}

#[test]
fn a_bad_policy_is_refused_before_any_rule_runs() {
    use apportion::rebalance;

    // The rule fails for every customer: a policy checked only at the solve would report that.
    let book = book(&[(Some("M-1"), 500, 3)], &[("M-1", 10, &[])]);
    let rules = Rulebook::compile("fn tier(c) { throw \"no\" }").unwrap();
    let options = AssignOptions {
        policy: Policy {
            balance: -1,
            ..Policy::default()
        },
        ..AssignOptions::new(date("2026-06-30"))
    };
    assert_eq!(
        assign(&book, &rules, &options).unwrap_err().code(),
        "invalid_policy"
    );
    assert_eq!(
        rebalance(&book, &rules, &options, 1).unwrap_err().code(),
        "invalid_policy"
    );
    let fine = AssignOptions::new(date("2026-06-30"));
    assert_eq!(
        assign(&book, &rules, &fine).unwrap_err().code(),
        "rule_failed"
    );
}

#[test]
fn segment_targets_spread_each_segment_in_proportion() {
    use apportion::load::{self, Format, LoadOptions};
    let options = LoadOptions::default();
    let parse_customers =
        |csv: &str| load::parse_customers(csv.as_bytes(), Format::Csv, "c", &options);
    let parse_managers =
        |csv: &str| load::parse_managers(csv.as_bytes(), Format::Csv, "m", &options);
    // Four HNW and four MASS customers; everyone prefers M-1 a little. Loads alone are even
    // either way, so only HNW's own targets keep M-1 from taking all four HNW customers.
    let customers = parse_customers(
        "id,kind\nC-1,HNW\nC-2,HNW\nC-3,HNW\nC-4,HNW\nC-5,MASS\nC-6,MASS\nC-7,MASS\nC-8,MASS\n",
    )
    .unwrap();
    let rules = Rulebook::compile(
        r#"
        fn segment(c) { c.kind }
        fn eligible(c, m) { true }
        fn affinity(c, m) { if m.id == "M-1" && c.kind == "HNW" { 300 } else { 0 } }
        "#,
    )
    .unwrap();
    let hnw_at = |managers: &str| {
        let book = Book::new(customers.clone(), parse_managers(managers).unwrap());
        let plan = assign(&book, &rules, &AssignOptions::new(date("2026-06-30"))).unwrap();
        let hnw: Vec<u32> = plan
            .loads
            .iter()
            .map(|l| l.segments.get("HNW").copied().unwrap_or(0))
            .collect();
        (hnw, plan)
    };
    let (plain, _) = hnw_at("id,capacity\nM-1,4\nM-2,4\n");
    assert_eq!(plain, [4, 0]);
    let (targeted, plan) = hnw_at("id,capacity,segment_targets\nM-1,4,HNW=2\nM-2,4,HNW=2\n");
    assert_eq!(targeted, [2, 2]);
    // The segments' terms are in the objective's balance part: 4 customers of target 4 each
    // (250 + 500 + 750 + 1000 per manager) and 2 HNW of target 2 each (500 + 1000).
    assert_eq!(plan.objective.balance, 2 * 2500 + 2 * 1500);
    // A target of 0 is refused, naming the manager and column.
    let error = parse_managers("id,capacity,segment_targets\nM-1,4,HNW=0\n").unwrap_err();
    assert_eq!(error.code(), "invalid_capacity");
    assert!(error.to_string().contains("segment_targets") && error.to_string().contains("M-1"));
}

//! The live router and the book's events, on small books whose right answers are known.

use std::sync::Arc;

use apportion::{
    Basis, Book, Customer, CustomerId, Customers, ManagerId, Plan, Policy, Router, RouterOptions,
    Rulebook, Skip, Skipped, UnassignedReason, Value, ValueType,
};

use crate::support::{customers, date, list, managers, s};

const RULES: &str = r#"
fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
fn segment(c) { c.tier }
fn eligible(c, m) { c.region == m.region && (c.tier != "HNW" || "private_banking" in m.certifications) }
fn affinity(c, m) { if c.language in m.languages { 30 } else { 0 } }
"#;

const COLUMNS: &[(&str, ValueType)] = &[
    ("region", ValueType::Str),
    ("assets", ValueType::Int),
    ("language", ValueType::Str),
];

type Staff<'a> = (
    &'a str,
    u32,
    &'a [(&'a str, u32)],
    &'a [&'a str],
    &'a [&'a str],
);

/// Managers in region `north` but for `M-S` (south): (id, capacity, caps, certs, languages).
fn staff(rows: &[Staff<'_>]) -> apportion::Managers {
    let rows: Vec<_> = rows
        .iter()
        .map(|&(id, capacity, caps, certs, languages)| {
            let region = if id == "M-S" { "south" } else { "north" };
            (
                id,
                capacity,
                caps,
                vec![s(region), list(certs), list(languages)],
            )
        })
        .collect();
    managers(
        &[
            ("region", ValueType::Str),
            ("certifications", ValueType::List),
            ("languages", ValueType::List),
        ],
        &rows,
    )
}

fn lead(id: &str, assets: i64, language: &str) -> Customer {
    Customer {
        id: CustomerId::from(id),
        manager: None,
        attributes: vec![s("north"), Value::Int(assets), s(language)],
    }
}

/// A book of `rows` (id, current manager, assets, language) over `staff`.
fn book(rows: &[(&str, Option<&str>, i64, &str)], managers: apportion::Managers) -> Book {
    let rows: Vec<_> = rows
        .iter()
        .map(|&(id, manager, assets, language)| {
            (
                id,
                manager,
                vec![s("north"), Value::Int(assets), s(language)],
            )
        })
        .collect();
    Book::new(customers(COLUMNS, &rows), managers)
}

fn router(book: &Book) -> Router {
    let rules = Rulebook::compile(RULES).unwrap();
    Router::new(&rules, book, RouterOptions::new(date("2026-06-30"))).unwrap()
}

fn id(text: &str) -> Option<ManagerId> {
    Some(ManagerId::from(text))
}

fn load(router: &Router, manager: &str) -> u32 {
    let snapshot = router.snapshot();
    snapshot
        .managers
        .iter()
        .find(|m| m.0.as_str() == manager)
        .map_or(0, |m| m.1)
}

#[test]
fn a_lead_goes_to_the_smallest_marginal_cost_and_the_decision_says_why() {
    let managers = staff(&[
        ("M-1", 10, &[], &[], &["en"]),
        ("M-2", 10, &[], &[], &["fr"]),
        ("M-3", 1, &[], &[], &["fr"]),
        ("M-S", 10, &[], &[], &["fr"]),
    ]);
    // M-1 has 3 customers, M-3 is full: a French lead costs 400 − 0 at M-1 but 100 − 30 at M-2.
    let book = book(
        &[
            ("C-1", Some("M-1"), 10, "en"),
            ("C-2", Some("M-1"), 10, "en"),
            ("C-3", Some("M-1"), 10, "en"),
            ("C-4", Some("M-3"), 10, "fr"),
        ],
        managers,
    );
    let router = router(&book);
    let decision = router.route(&lead("L-1", 50, "fr")).unwrap();
    assert_eq!(decision.manager, id("M-2"));
    assert_eq!(decision.runner_up, id("M-1"));
    assert_eq!(decision.basis, Basis::Marginal);
    assert_eq!(decision.cost, Some(100 - 30));
    assert_eq!(decision.affinity, Some(30));
    assert_eq!(decision.ineligible, 1, "M-S serves another region");
    assert_eq!(
        decision.skipped.to_vec(),
        vec![Skipped {
            manager: ManagerId::from("M-3"),
            why: Skip::Full
        }]
    );
    assert_eq!(load(&router, "M-2"), 1);

    // Routing the same lead again would book it twice.
    let again = router.route(&lead("L-1", 50, "fr")).unwrap_err();
    assert_eq!(again.code(), "already_in_book");
}

#[test]
fn equal_costs_go_to_the_earliest_manager_and_a_full_book_names_who_is_full() {
    let managers = staff(&[
        ("M-1", 1, &[], &["private_banking"], &[]),
        ("M-2", 1, &[], &["private_banking"], &[]),
        ("M-3", 5, &[("HNW", 0)], &["private_banking"], &[]),
    ]);
    let router = router(&book(&[], managers));
    let first = router.route(&lead("L-1", 2_000_000, "en")).unwrap();
    let second = router.route(&lead("L-2", 2_000_000, "en")).unwrap();
    let third = router.route(&lead("L-3", 2_000_000, "en")).unwrap();
    assert_eq!(first.manager, id("M-1"));
    assert_eq!(second.manager, id("M-2"));
    assert_eq!(third.manager, None);
    assert_eq!(third.basis, Basis::Unplaced);
    assert_eq!(
        third.reason,
        Some(UnassignedReason::CapacityExhausted {
            managers: vec![ManagerId::from("M-1"), ManagerId::from("M-2")],
            segments: vec![(ManagerId::from("M-3"), "HNW".to_owned())],
            groups: Vec::new(),
            group_segments: Vec::new(),
        })
    );
    let nobody = staff(&[("M-S", 5, &[], &[], &[])]);
    let decision = router_for(nobody).route(&lead("L-4", 10, "en")).unwrap();
    assert_eq!(decision.reason, Some(UnassignedReason::NoEligibleManager));
}

#[test]
fn a_segment_cap_fills_as_leads_arrive_frees_on_release_and_binds_a_joiner() {
    let managers = staff(&[
        ("M-1", 5, &[("HNW", 1)], &["private_banking"], &[]),
        ("M-2", 5, &[], &["private_banking"], &[]),
    ]);
    let router = router(&book(&[], managers));
    let hnw = |id: &str| lead(id, 2_000_000, "en");
    let segment_full = |manager: &str| Skipped {
        manager: ManagerId::from(manager),
        why: Skip::SegmentFull {
            segment: "HNW".to_owned(),
        },
    };
    // Equal costs: the first HNW lead goes to M-1, which is then at its HNW cap.
    assert_eq!(router.route(&hnw("L-1")).unwrap().manager, id("M-1"));
    let second = router.route(&hnw("L-2")).unwrap();
    assert_eq!(second.manager, id("M-2"));
    assert_eq!(second.skipped.to_vec(), vec![segment_full("M-1")]);
    // The cap is on HNW only: a mass lead ties at one customer each and goes to M-1.
    let mass = router.route(&lead("L-3", 10, "en")).unwrap();
    assert_eq!((mass.manager, mass.skipped.to_vec()), (id("M-1"), vec![]));
    // Releasing M-1's HNW customer frees the cap: the next HNW lead ties and goes to M-1.
    router.release(&CustomerId::from("L-1")).unwrap();
    let fourth = router.route(&hnw("L-4")).unwrap();
    assert_eq!(
        (fourth.manager, fourth.skipped.to_vec()),
        (id("M-1"), vec![])
    );

    // A joiner with a cap of one HNW customer: empty, so the cheapest, until the cap binds.
    router
        .join(apportion::Manager {
            id: ManagerId::from("M-5"),
            capacity: 5,
            target: None,
            segment_caps: [("HNW".to_owned(), 1)].into_iter().collect(),
            segment_targets: Default::default(),
            attributes: vec![s("north"), list(&["private_banking"]), list(&[])],
        })
        .unwrap();
    assert_eq!(router.route(&hnw("L-5")).unwrap().manager, id("M-5"));
    let sixth = router.route(&hnw("L-6")).unwrap();
    assert_eq!(sixth.manager, id("M-2"));
    assert_eq!(
        sixth.skipped.to_vec(),
        vec![segment_full("M-1"), segment_full("M-5")]
    );
}

fn router_for(managers: apportion::Managers) -> Router {
    router(&book(&[], managers))
}

#[test]
fn quotas_from_a_forecast_plan_keep_room_for_the_pickier_leads() {
    // One private banker, one generalist, two places each. The forecast: two HNW leads and
    // two MASS leads; the plan gives the HNW their banker. MASS leads arrive first.
    let managers = staff(&[
        ("M-1", 2, &[], &["private_banking"], &["en"]),
        ("M-2", 2, &[], &[], &[]),
    ]);
    let empty = book(&[], managers.clone());
    let leads = [
        lead("L-1", 10, "en"),
        lead("L-2", 10, "en"),
        lead("L-3", 5_000_000, "en"),
        lead("L-4", 5_000_000, "en"),
    ];
    // Greedy: the first MASS lead prefers the English-speaking banker, and an HNW lead is left.
    let greedy = router(&empty);
    let placed = leads
        .iter()
        .filter(|l| greedy.route(l).unwrap().manager.is_some())
        .count();
    assert_eq!(placed, 3);

    let forecast = Customers {
        schema: empty.customers.schema.clone(),
        records: leads
            .iter()
            .map(|l| Customer {
                id: CustomerId::from(format!("F-{}", l.id).as_str()),
                ..l.clone()
            })
            .collect(),
    };
    let rules = Rulebook::compile(RULES).unwrap();
    let plan: Plan = apportion::assign(
        &Book::new(forecast.clone(), managers),
        &rules,
        &apportion::AssignOptions::new(date("2026-06-30")),
    )
    .unwrap();
    let guided = router(&empty);
    assert_eq!(guided.follow(&plan, &forecast).unwrap(), 4);
    assert_eq!(guided.snapshot().quotas_left, 4);
    let decisions: Vec<_> = leads.iter().map(|l| guided.route(l).unwrap()).collect();
    assert!(
        decisions.iter().all(|d| d.basis == Basis::Quota),
        "{decisions:?}"
    );
    assert_eq!(decisions[2].manager, id("M-1"));
    assert_eq!(decisions[3].manager, id("M-1"));
    assert_eq!(guided.snapshot().quotas_left, 0);
}

#[test]
fn leads_without_a_quota_take_unreserved_room_though_reserved_room_costs_less() {
    // M-1 and M-2 speak German and have one place each, both held by the plan for the
    // forecast's German MASS leads; M-3 has room to spare but costs more (a target of one).
    let mut managers = staff(&[
        ("M-1", 1, &[], &["private_banking"], &["de"]),
        ("M-2", 1, &[], &["private_banking"], &["de"]),
        ("M-3", 5, &[], &["private_banking"], &[]),
    ]);
    managers.records[2].target = Some(1);
    let empty = book(&[], managers.clone());
    let forecast = book(
        &[("F-1", None, 10, "de"), ("F-2", None, 10, "de")],
        managers,
    );
    let rules = Rulebook::compile(RULES).unwrap();
    let plan = apportion::assign(
        &forecast,
        &rules,
        &apportion::AssignOptions::new(date("2026-06-30")),
    )
    .unwrap();
    let guided = router(&empty);
    assert_eq!(guided.follow(&plan, &forecast.customers).unwrap(), 2);
    // German HNW leads have no quota: both go to M-3, the second with its class's
    // passed-over list already known (where managers are screened out by cost).
    for name in ["L-1", "L-2"] {
        let decision = guided.route(&lead(name, 2_000_000, "de")).unwrap();
        assert_eq!(decision.manager, id("M-3"), "{name}");
        assert_eq!(decision.basis, Basis::Marginal);
        assert_eq!(decision.runner_up, id("M-1"), "the cheapest, if held");
    }
    assert_eq!(guided.snapshot().quotas_left, 2);
}

#[test]
fn a_router_decides_as_one_fresh_from_the_same_book_would() {
    // Small books and HNW caps, so managers fill, free and reach caps as leads come and go:
    // neither the passed-over lists a router keeps between changes nor the managers it
    // screens out once those are known may change a decision.
    let mut managers = staff(&[
        ("M-1", 4, &[("HNW", 1)], &["private_banking"], &["en"]),
        ("M-2", 3, &[], &[], &["fr"]),
        ("M-3", 5, &[("HNW", 2)], &["private_banking"], &["fr"]),
        ("M-4", 2, &[], &[], &["en"]),
    ]);
    let live = router_for(managers.clone());
    // The leads in the book: (id, assets, language).
    let mut placed: Vec<(String, i64, &str)> = Vec::new();
    for i in 0..48_i64 {
        if i == 24 {
            let joiner = staff(&[("M-5", 3, &[("HNW", 1)], &["private_banking"], &["en"])]);
            live.join(joiner.records[0].clone()).unwrap();
            managers.records.extend(joiner.records);
        }
        let (assets, language) = if i % 3 == 0 {
            (2_000_000, "en")
        } else {
            (1_000, ["en", "fr"][(i % 2) as usize])
        };
        let name = format!("L-{i:02}");
        let book_now = live.book();
        let rows: Vec<(&str, Option<&str>, i64, &str)> = placed
            .iter()
            .map(|(id, assets, language)| {
                let manager = book_now.get(&CustomerId::from(id.as_str()));
                (
                    id.as_str(),
                    manager.map(ManagerId::as_str),
                    *assets,
                    *language,
                )
            })
            .collect();
        let fresh = router(&book(&rows, managers.clone()));
        let expected = fresh.route(&lead(&name, assets, language)).unwrap();
        let decision = live.route(&lead(&name, assets, language)).unwrap();
        assert_eq!(decision.skipped, expected.skipped, "lead {name}");
        let choice = |d: &apportion::Decision| (d.manager.clone(), d.runner_up.clone(), d.cost);
        assert_eq!(choice(&decision), choice(&expected), "lead {name}");
        if decision.manager.is_some() {
            placed.push((name, assets, language));
        }
        // Every third lead, the oldest customer in the book leaves.
        if i % 3 == 2 && !placed.is_empty() {
            let (gone, _, _) = placed.remove(0);
            live.release(&CustomerId::from(gone.as_str())).unwrap();
        }
    }
    let full = |d: &apportion::Decision| d.skipped.iter().any(|s| s.why == Skip::Full);
    let capped = |d: &apportion::Decision| {
        d.skipped
            .iter()
            .any(|s| matches!(s.why, Skip::SegmentFull { .. }))
    };
    // The sequence did reach full managers and caps (or the comparison proved little).
    let probe = live.route(&lead("L-probe", 2_000_000, "en")).unwrap();
    assert!(full(&probe) || capped(&probe), "{probe:?}");
}

#[test]
fn release_frees_a_place_and_unknown_ids_are_errors() {
    let managers = staff(&[("M-1", 1, &[], &[], &[])]);
    let router = router(&book(&[("C-1", Some("M-1"), 10, "en")], managers));
    assert_eq!(router.route(&lead("L-1", 10, "en")).unwrap().manager, None);
    assert_eq!(
        router.release(&CustomerId::from("C-1")).unwrap(),
        ManagerId::from("M-1")
    );
    assert_eq!(
        router.route(&lead("L-2", 10, "en")).unwrap().manager,
        id("M-1")
    );
    let unknown = router.release(&CustomerId::from("C-9")).unwrap_err();
    assert_eq!(unknown.code(), "unknown_customer");
    assert!(unknown.to_string().contains("C-9"), "{unknown}");
    let nobody = router.start_leave(&ManagerId::from("M-9")).unwrap_err();
    assert_eq!(nobody.code(), "unknown_manager");
    let wrong = Customer {
        attributes: vec![s("north")],
        ..lead("L-3", 10, "en")
    };
    assert_eq!(router.route(&wrong).unwrap_err().code(), "schema_mismatch");
}

#[test]
fn a_manager_on_leave_is_covered_and_gets_the_book_back() {
    let managers = staff(&[
        ("M-1", 5, &[], &["private_banking"], &[]),
        ("M-2", 5, &[], &["private_banking"], &[]),
        ("M-3", 5, &[], &[], &[]),
    ]);
    let book = book(
        &[
            ("C-1", Some("M-1"), 10, "en"),
            ("C-2", Some("M-1"), 2_000_000, "en"),
            ("C-3", Some("M-1"), 10, "en"),
        ],
        managers,
    );
    let router = router(&book);
    let before = router.book();
    let covered = router.start_leave(&ManagerId::from("M-1")).unwrap();
    assert_eq!(covered.len(), 3);
    // The HNW customer, with the fewest options, is covered first and by a private banker.
    assert_eq!(covered[0].customer, CustomerId::from("C-2"));
    assert_eq!(covered[0].manager, id("M-2"));
    assert!(covered.iter().all(|d| d.manager.is_some()));
    assert_eq!(load(&router, "M-1"), 0);
    // While away, no lead reaches them.
    let decision = router.route(&lead("L-1", 10, "en")).unwrap();
    assert_ne!(decision.manager, id("M-1"));
    assert!(decision.skipped.contains(&Skipped {
        manager: ManagerId::from("M-1"),
        why: Skip::Away
    }));
    assert_eq!(
        router
            .start_leave(&ManagerId::from("M-1"))
            .unwrap_err()
            .code(),
        "manager_on_leave"
    );

    assert_eq!(router.end_leave(&ManagerId::from("M-1")).unwrap(), 3);
    let mut after = router.book();
    after.remove(&CustomerId::from("L-1"));
    assert_eq!(after, before, "every covered customer is handed back");
    assert_eq!(
        router
            .end_leave(&ManagerId::from("M-1"))
            .unwrap_err()
            .code(),
        "manager_not_on_leave"
    );
}

#[test]
fn a_departing_managers_book_alone_moves_and_a_joiner_takes_new_leads() {
    let managers = staff(&[
        ("M-1", 5, &[], &[], &[]),
        ("M-2", 5, &[], &[], &[]),
        ("M-3", 5, &[], &[], &[]),
    ]);
    let book = book(
        &[
            ("C-1", Some("M-1"), 10, "en"),
            ("C-2", Some("M-1"), 10, "en"),
            ("C-3", Some("M-2"), 10, "en"),
            ("C-4", Some("M-2"), 10, "en"),
        ],
        managers,
    );
    let router = router(&book);
    let moved = router.depart(&ManagerId::from("M-2")).unwrap();
    assert_eq!(moved.len(), 2);
    let after = router.book();
    assert_eq!(after[&CustomerId::from("C-1")], ManagerId::from("M-1"));
    assert_eq!(after[&CustomerId::from("C-2")], ManagerId::from("M-1"));
    // Empty M-3 is cheaper for both (200, then 400) than M-1 with two (600).
    let destinations: Vec<_> = moved.iter().filter_map(|d| d.manager.clone()).collect();
    assert_eq!(
        destinations,
        [ManagerId::from("M-3"), ManagerId::from("M-3")]
    );
    assert_eq!(moved[0].runner_up, id("M-1"));
    assert_eq!(
        router.depart(&ManagerId::from("M-2")).unwrap_err().code(),
        "unknown_manager"
    );

    let newcomer = apportion::Manager {
        id: ManagerId::from("M-4"),
        capacity: 5,
        target: None,
        segment_caps: Default::default(),
        segment_targets: Default::default(),
        attributes: vec![s("north"), list(&[]), list(&["en"])],
    };
    router.join(newcomer.clone()).unwrap();
    assert_eq!(
        router.join(newcomer).unwrap_err().code(),
        "duplicate_manager_id"
    );
    // The joiner is empty and speaks English: the next lead goes to them.
    assert_eq!(
        router.route(&lead("L-1", 10, "en")).unwrap().manager,
        id("M-4")
    );
}

#[test]
fn concurrent_routing_never_overbooks_and_places_as_many_as_one_thread() {
    let managers = staff(&[
        ("M-1", 40, &[("HNW", 5)], &["private_banking"], &["en"]),
        ("M-2", 30, &[], &[], &["fr"]),
        ("M-3", 30, &[], &["private_banking"], &["de"]),
    ]);
    let leads: Vec<Customer> = (0..200)
        .map(|i| {
            let assets = if i % 7 == 0 { 2_000_000 } else { 1_000 };
            let language = ["en", "fr", "de"][i % 3];
            lead(&format!("L-{i:03}"), assets, language)
        })
        .collect();
    let sequential = router_for(managers.clone());
    let placed_alone = leads
        .iter()
        .filter(|l| sequential.route(l).unwrap().manager.is_some())
        .count();

    let shared = Arc::new(router_for(managers));
    let placed: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = leads
            .chunks(50)
            .map(|chunk| {
                let shared = Arc::clone(&shared);
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter(|l| shared.route(l).unwrap().manager.is_some())
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(placed_alone, 100, "capacity 100 for 200 leads");
    assert_eq!(placed, placed_alone);
    let snapshot = shared.snapshot();
    assert_eq!(snapshot.placed, 100);
    for (manager, load, capacity, _, _) in &snapshot.managers {
        assert!(load <= capacity, "{manager} holds {load} of {capacity}");
    }
    let hnw_with_m1 = shared
        .book()
        .iter()
        .filter(|(c, m)| m.as_str() == "M-1" && c.as_str()[2..].parse::<usize>().unwrap() % 7 == 0)
        .count();
    assert!(hnw_with_m1 <= 5, "M-1's HNW cap of 5 holds: {hnw_with_m1}");
}

#[test]
fn a_lead_routed_from_many_threads_at_once_is_booked_once() {
    let router = Arc::new(router_for(staff(&[("M-1", 10, &[], &[], &[])])));
    let outcomes: Vec<Result<_, _>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let router = Arc::clone(&router);
                scope.spawn(move || router.route(&lead("L-1", 10, "en")))
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    for outcome in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(outcome.code(), "already_in_book");
    }
    assert_eq!(load(&router, "M-1"), 1);
}

#[test]
fn the_same_sequence_of_calls_gives_the_same_decisions() {
    let managers = staff(&[
        ("M-1", 3, &[], &["private_banking"], &["en"]),
        ("M-2", 3, &[], &[], &["fr"]),
    ]);
    let run = || {
        let router = router_for(managers.clone());
        let mut decisions = Vec::new();
        for i in 0..8 {
            let language = if i % 2 == 0 { "en" } else { "fr" };
            decisions.push(
                router
                    .route(&lead(&format!("L-{i}"), 10 + i, language))
                    .unwrap(),
            );
        }
        router.start_leave(&ManagerId::from("M-1")).unwrap();
        (decisions, router.book())
    };
    assert_eq!(run(), run());
}

#[test]
fn a_rebalance_keeps_exactly_within_its_churn_budget() {
    // Ten customers all with M-1; M-2 joins empty. Balance wants five to move.
    let managers = staff(&[("M-1", 10, &[], &[], &[]), ("M-2", 10, &[], &[], &[])]);
    let rows: Vec<(String, Option<&str>, i64, &str)> = (0..10)
        .map(|i| (format!("C-{i}"), Some("M-1"), 10, "en"))
        .collect();
    let rows: Vec<_> = rows
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), *b, *c, *d))
        .collect();
    let book = book(&rows, managers);
    let rules = Rulebook::compile(RULES).unwrap();
    let options = apportion::AssignOptions {
        policy: Policy {
            balance: 1,
            ..Policy::default()
        },
        ..apportion::AssignOptions::new(date("2026-06-30"))
    };
    for budget in [0, 1, 2, 3, 5, 8] {
        let result = apportion::rebalance(&book, &rules, &options, budget).unwrap();
        assert_eq!(result.moves, budget.min(5), "budget {budget}");
        assert_eq!(result.plan.stats.moved, result.moves);
        assert_eq!(result.plan.stats.paid_moves, result.moves);
        // The penalty is the smallest that keeps within the budget.
        if result.move_penalty > 0 {
            let below = result
                .probes
                .iter()
                .find(|(penalty, _)| *penalty == result.move_penalty - 1)
                .map(|p| p.1);
            assert!(below.is_some_and(|m| m > budget), "{:?}", result.probes);
        }
    }
}

#[test]
fn a_rebalance_counts_re_homed_orphans_apart_from_the_moves_it_pays_for() {
    // Ten customers with M-1 and three whose manager M-9 has left; M-2 joins empty.
    let managers = staff(&[("M-1", 20, &[], &[], &[]), ("M-2", u32::MAX, &[], &[], &[])]);
    let rows: Vec<(String, Option<&str>)> = (0..13)
        .map(|i| (format!("C-{i}"), Some(if i < 10 { "M-1" } else { "M-9" })))
        .collect();
    let rows: Vec<_> = rows
        .iter()
        .map(|(id, manager)| (id.as_str(), *manager, 10, "en"))
        .collect();
    let book = book(&rows, managers);
    let rules = Rulebook::compile(RULES).unwrap();
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let result = apportion::rebalance(&book, &rules, &options, 2).unwrap();
    let stats = result.plan.stats;
    assert_eq!((stats.paid_moves, stats.rehomed, stats.moved), (2, 3, 5));
    assert_eq!(result.moves, 2);
    assert_eq!(
        result.plan.objective.moves,
        result.move_penalty * stats.paid_moves as i64
    );
}

#[test]
fn a_churn_budget_below_the_forced_moves_is_an_error() {
    // C-1's manager no longer certifies for HNW customers: one move cannot be avoided.
    let managers = staff(&[
        ("M-1", 10, &[], &[], &[]),
        ("M-2", 10, &[], &["private_banking"], &[]),
    ]);
    let book = book(&[("C-1", Some("M-1"), 5_000_000, "en")], managers);
    let rules = Rulebook::compile(RULES).unwrap();
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let error = apportion::rebalance(&book, &rules, &options, 0).unwrap_err();
    assert_eq!(error.code(), "churn_budget_too_small");
    assert!(error.to_string().contains("at least 1"), "{error}");
    assert_eq!(
        apportion::rebalance(&book, &rules, &options, 1)
            .unwrap()
            .moves,
        1
    );
}

#[test]
fn a_customer_covered_twice_still_goes_home_to_their_own_manager() {
    let managers = staff(&[
        ("M-1", 5, &[], &[], &[]),
        ("M-2", 5, &[], &[], &[]),
        ("M-3", 5, &[], &[], &[]),
    ]);
    let router = router(&book(&[("C-1", Some("M-1"), 10, "en")], managers));
    let first = router.start_leave(&ManagerId::from("M-1")).unwrap();
    let cover = first[0].manager.clone().unwrap();
    // The cover goes on leave too: C-1 moves to the third manager, still M-1's.
    let second = router.start_leave(&cover).unwrap();
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].manager, Some(cover.clone()));
    assert_eq!(
        router.end_leave(&cover).unwrap(),
        0,
        "C-1 is not the cover's"
    );
    assert_eq!(router.end_leave(&ManagerId::from("M-1")).unwrap(), 1);
    assert_eq!(
        router.book()[&CustomerId::from("C-1")],
        ManagerId::from("M-1")
    );
}

#[test]
fn leads_built_and_dropped_one_at_a_time_are_each_read_as_themselves() {
    // Each lead's text is a fresh allocation, freed after its call, as when leads arrive from
    // a stream or from Python: a later lead's text may reuse an earlier one's address.
    let rules = Rulebook::compile(
        r#"
        fn segment(c) { if c.kind == "sme" { "SME" } else { "MASS" } }
        fn eligible(c, m) { if c.segment == "SME" { m.sme } else { !m.sme } }
        "#,
    )
    .unwrap();
    let schema = |fields: &[(&str, ValueType)]| {
        apportion::Schema::new(
            fields
                .iter()
                .map(|(name, value_type)| apportion::Field {
                    name: (*name).to_owned(),
                    value_type: *value_type,
                })
                .collect(),
        )
        .unwrap()
    };
    let managers = apportion::Managers {
        schema: schema(&[("sme", ValueType::Bool)]),
        records: [("M-SME", true), ("M-ALL", false)]
            .iter()
            .map(|&(id, sme)| apportion::Manager {
                id: ManagerId::from(id),
                capacity: 1_000,
                target: None,
                segment_caps: Default::default(),
                segment_targets: Default::default(),
                attributes: vec![Value::Bool(sme)],
            })
            .collect(),
    };
    let book = Book::new(
        Customers {
            schema: schema(&[("kind", ValueType::Str)]),
            records: Vec::new(),
        },
        managers,
    );
    let router = Router::new(&rules, &book, RouterOptions::new(date("2026-06-30"))).unwrap();
    for i in 0..400 {
        // Texts of one length, so the allocator can hand a freed one's address to the next.
        let kind = if i % 3 == 0 { "sme" } else { "pro" };
        let lead = Customer {
            id: CustomerId::from(format!("L-{i}").as_str()),
            manager: None,
            attributes: vec![Value::Str(Arc::from(String::from(kind).as_str()))],
        };
        let decision = router.route(&lead).unwrap();
        let expected = if kind == "sme" { "M-SME" } else { "M-ALL" };
        assert_eq!(decision.manager, id(expected), "lead {i} ({kind})");
    }
}

#[test]
fn classes_met_one_at_a_time_are_judged_as_in_a_batch() {
    let managers = staff(&[
        ("M-1", 4, &[("HNW", 1)], &["private_banking"], &["en"]),
        ("M-2", 4, &[], &[], &["fr"]),
        ("M-3", 4, &[], &["private_banking"], &["fr", "en"]),
        ("M-S", 4, &[], &["private_banking"], &["en"]),
    ]);
    let leads: Vec<Customer> = (0..12)
        .map(|i| {
            lead(
                &format!("L-{i}"),
                [10, 5_000_000][i % 2],
                ["en", "fr", "de"][i % 3],
            )
        })
        .collect();
    // One router meets each class as its first lead arrives; the other learns them all
    // up front from a book holding the same people without managers.
    let fresh = router_for(managers.clone());
    let rows: Vec<_> = leads
        .iter()
        .map(|l| {
            let assets = match l.attributes[1] {
                Value::Int(a) => a,
                _ => 0,
            };
            let language = match &l.attributes[2] {
                Value::Str(s) => s.to_string(),
                _ => String::new(),
            };
            (format!("P-{}", l.id), assets, language)
        })
        .collect();
    let rows: Vec<_> = rows
        .iter()
        .map(|(id, assets, language)| (id.as_str(), None, *assets, language.as_str()))
        .collect();
    let learned = router(&book(&rows, managers));
    for lead in &leads {
        assert_eq!(fresh.route(lead).unwrap(), learned.route(lead).unwrap());
    }
}

#[test]
fn a_router_refuses_a_policy_assign_would_refuse() {
    let book = book(
        &[("C-1", Some("M-1"), 10, "en")],
        staff(&[("M-1", 5, &[], &[], &["en"])]),
    );
    let rules = Rulebook::compile(RULES).unwrap();
    for policy in [
        Policy {
            balance: -1,
            ..Policy::default()
        },
        Policy {
            move_penalty: -1,
            ..Policy::default()
        },
        Policy {
            unassigned_penalty: Some(0),
            ..Policy::default()
        },
    ] {
        let options = RouterOptions {
            policy,
            ..RouterOptions::new(date("2026-06-30"))
        };
        let error = Router::new(&rules, &book, options).err().unwrap();
        assert_eq!(error.code(), "invalid_policy", "{policy:?}: {error}");
    }
}

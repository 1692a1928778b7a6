//! Groups of managers (teams, branches, business lines): how they are read and checked, and
//! live routing within their capacities and balance terms. The batch optimum with groups is
//! tested against brute force in `assign_properties` (its small books have groups).

use apportion::load::{self, Format, LoadOptions};
use apportion::{Basis, Router, RouterOptions, Rulebook, Skip};
use proptest::prelude::*;

use crate::assign_properties::instance;
use crate::fuzz_replay::harness::Instance;
use crate::support::{date, example, example_bank};

fn groups(csv: &str) -> Result<Vec<apportion::ManagerGroup>, apportion::InputError> {
    load::parse_groups(
        csv.as_bytes(),
        Format::Csv,
        "groups.csv",
        &LoadOptions::default(),
    )
}

fn managers(csv: &str) -> apportion::Managers {
    load::parse_managers(
        csv.as_bytes(),
        Format::Csv,
        "managers.csv",
        &LoadOptions::default(),
    )
    .unwrap()
}

fn organised(
    managers_csv: &str,
    groups_csv: &str,
) -> Result<apportion::Book, apportion::InputError> {
    let book = apportion::Book::new(Default::default(), managers(managers_csv));
    book.with_groups(groups(groups_csv)?, "groups.csv")
}

#[test]
fn groups_read_with_their_parents_capacities_and_targets() {
    let read =
        groups("id,parent,capacity,target\nRETAIL,,100,\nNORTH,RETAIL,,40\nT-1,NORTH,12,10\n")
            .unwrap();
    let summary: Vec<_> = read
        .iter()
        .map(|g| {
            (
                g.id.as_str(),
                g.parent.as_ref().map(|p| p.as_str()),
                g.capacity,
                g.target,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("RETAIL", None, Some(100), None),
            ("NORTH", Some("RETAIL"), None, Some(40)),
            ("T-1", Some("NORTH"), Some(12), Some(10)),
        ]
    );
    // A target defaults to the capacity; a group with neither has no balance term.
    let targets: Vec<_> = read.iter().map(|g| g.target_load()).collect();
    assert_eq!(targets, [Some(100), Some(40), Some(10)]);
    // Numeric ids in the managers' `group` column name groups too.
    let book = organised("id,capacity,group\nM-1,5,101\nM-2,5,\n", "id\n101\n").unwrap();
    assert_eq!(book.organisation.groups().len(), 1);
    // Caps and minimums per segment read as a manager's caps do.
    let limited =
        groups("id,segment_caps,segment_minimums\nPB-1,HNW=40;AFFLUENT=9,HNW=25\nPB-2,,\n")
            .unwrap();
    let limits: Vec<_> = limited
        .iter()
        .map(|g| (g.segment_caps.clone(), g.segment_minimums.clone()))
        .collect();
    let map = |pairs: &[(&str, u32)]| pairs.iter().map(|&(s, n)| (s.to_owned(), n)).collect();
    assert_eq!(
        limits,
        [
            (map(&[("AFFLUENT", 9), ("HNW", 40)]), map(&[("HNW", 25)])),
            (map(&[]), map(&[])),
        ]
    );
}

#[test]
fn bad_groups_fail_with_their_code_and_place() {
    let code =
        |managers_csv: &str, groups_csv: &str| organised(managers_csv, groups_csv).unwrap_err();
    let staff = "id,capacity,group\nM-1,5,T-1\n";
    let cases = [
        (
            code(staff, "id,parent\nT-1,T-2\nT-2,T-1\n"),
            "group_cycle",
            "T-1",
        ),
        (
            code(staff, "id,parent\nT-1,BRANCH\n"),
            "unknown_group",
            "T-1",
        ),
        (
            code("id,capacity,group\nM-1,5,T-2\n", "id\nT-1\n"),
            "unknown_group",
            "M-1",
        ),
        (code(staff, "id\nT-1\nT-1\n"), "duplicate_group_id", "T-1"),
        (
            code(staff, "id,capacity\nT-1,-3\n"),
            "invalid_capacity",
            "T-1",
        ),
        (code(staff, "id,target\nT-1,0\n"), "invalid_capacity", "T-1"),
        (
            code("id,capacity\nM-1,5\n", "id\nT-1\n"),
            "missing_column",
            "",
        ),
    ];
    for (error, expected, record) in cases {
        assert_eq!(error.code(), expected, "{error}");
        assert!(error.to_string().contains(record), "{error}");
    }
    // A typo names the group meant.
    let typo = code("id,capacity,group\nM-1,5,T-11\n", "id\nT-10\n");
    assert!(typo.to_string().contains("did you mean `T-10`"), "{typo}");
    // Columns a group does not have are errors, not dropped.
    let unknown = groups("id,capcity\nT-1,3\n").unwrap_err();
    assert_eq!(unknown.code(), "unknown_column");
    assert!(
        unknown.to_string().contains("did you mean `capacity`"),
        "{unknown}"
    );
    // Limits per segment that are malformed, or that no plan could meet, name the group.
    for (groups_csv, column) in [
        ("id,segment_minimums\nT-1,HNW=x\n", "segment_minimums"),
        ("id,segment_caps\nT-1,HNW\n", "segment_caps"),
        (
            "id,segment_caps,segment_minimums\nT-1,HNW=2,HNW=3\n",
            "segment_minimums",
        ),
        (
            "id,capacity,segment_minimums\nT-1,2,HNW=3\n",
            "segment_minimums",
        ),
    ] {
        let error = code(staff, groups_csv);
        assert_eq!(error.code(), "invalid_capacity", "{error}");
        let place = format!("record `T-1`, column `{column}`");
        assert!(error.to_string().contains(&place), "{error}");
    }
    // Nesting as deep as a run takes, and one level deeper.
    let nested = |levels: usize| {
        let mut csv = String::from("id,parent\nG-1,\n");
        for g in 2..=levels {
            csv.push_str(&format!("G-{g},G-{}\n", g - 1));
        }
        organised(&staff.replace("T-1", "G-1"), &csv)
    };
    assert!(nested(apportion::MAX_GROUP_DEPTH).is_ok());
    let too_deep = nested(apportion::MAX_GROUP_DEPTH + 1).unwrap_err();
    assert_eq!(too_deep.code(), "groups_too_deep");
}

#[test]
fn the_example_bank_plans_within_its_desks_and_verifies() {
    let (book, rules) = example_bank();
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let without = apportion::assign(&book, &rules, &options).unwrap();
    let groups = load::read_groups(&example("data/groups.csv"), &LoadOptions::default()).unwrap();
    let book = book.with_groups(groups, "groups.csv").unwrap();
    let organisation = &book.organisation;
    // Three lines, a desk per line and region, teams under the desks: three levels.
    let depth = |g: &apportion::ManagerGroup| {
        let parent = |id: &apportion::GroupId| {
            organisation
                .groups()
                .iter()
                .find(|h| &h.id == id)
                .and_then(|h| h.parent.clone())
        };
        std::iter::successors(g.parent.clone(), parent).count()
    };
    let depths: Vec<usize> = organisation.groups().iter().map(depth).collect();
    assert_eq!(depths.iter().filter(|&&d| d == 0).count(), 3);
    assert_eq!(depths.iter().max(), Some(&2));
    let plan = apportion::assign(&book, &rules, &options).unwrap();
    assert_eq!(plan.stats.assigned, 3_000);
    let mut short = 0;
    let unlimited = {
        let groups = (organisation.groups().iter())
            .map(|g| apportion::ManagerGroup {
                segment_minimums: Default::default(),
                ..g.clone()
            })
            .collect();
        let (plain, _) = example_bank();
        let book = plain.with_groups(groups, "groups.csv").unwrap();
        apportion::assign(&book, &rules, &options).unwrap()
    };
    // Its regions share no manager: solved apart. Its lines join them, so the regions are
    // solved first with each line priced flat, then the whole network from there.
    assert!(without.network.parts > 1 && !without.network.joined_by_links);
    assert!(plan.network.joined_by_links);
    assert_eq!(plan.network.parts, without.network.parts);
    // Every desk within its cap; the plan costs more than without groups (their balance
    // terms count too), and it is what the inputs make.
    for group in organisation.groups() {
        let under = |manager: &str| {
            let team = book
                .managers
                .records
                .iter()
                .find(|m| m.id.as_str() == manager)
                .unwrap();
            let team = &team.attributes[book.managers.schema.position("group").unwrap()];
            let team = match team {
                apportion::Value::Str(team) => team.to_string(),
                other => panic!("{other:?}"),
            };
            let mut at = organisation.groups().iter().find(|g| g.id.as_str() == team);
            while let Some(g) = at {
                if g.id == group.id {
                    return true;
                }
                at = g
                    .parent
                    .as_ref()
                    .and_then(|p| organisation.groups().iter().find(|h| &h.id == p));
            }
            false
        };
        let load: u32 = plan
            .loads
            .iter()
            .filter(|l| under(l.manager.as_str()))
            .map(|l| l.load)
            .sum();
        assert!(
            group.capacity.is_none_or(|c| load <= c),
            "{}: {load}",
            group.id
        );
        // Each private-banking team has its minimum of HNW customers; without the
        // minimums, some team falls short of it.
        let hnw = |plan: &apportion::Plan| -> u32 {
            (plan.loads.iter())
                .filter(|l| under(l.manager.as_str()))
                .map(|l| l.segments.get("HNW").copied().unwrap_or(0))
                .sum()
        };
        if let Some(&minimum) = group.segment_minimums.get("HNW") {
            assert!(hnw(&plan) >= minimum, "{}: {}", group.id, hnw(&plan));
            short += usize::from(hnw(&unlimited) < minimum);
        }
    }
    assert!(short > 0);
    assert_eq!(plan.network.optimality_gap, 0);
    assert!(plan.network.limit_solves > 0);
    assert!(plan.objective.total > without.objective.total);
    assert!(plan.provenance.groups_blake3.is_some() && without.provenance.groups_blake3.is_none());
    let written = apportion::WrittenPlan::from(&plan);
    let verification = apportion::verify(&book, &rules, &options, &written).unwrap();
    assert!(verification.holds(), "{:?}", verification.discrepancies);
    // Checked against the book without its groups, the plan is found out.
    let (plain, _) = example_bank();
    let verification = apportion::verify(&plain, &rules, &options, &written).unwrap();
    let codes: Vec<&str> = verification.discrepancies.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"groups_differ"), "{codes:?}");
}

/// The example bank with one capped national desk per line instead of one per region, under
/// lines capped as well: groups that span the regions. The regions are still solved apart
/// first (each held to its share of every desk and line), and the plan keeps every cap and
/// verifies.
#[test]
fn capped_national_desks_over_the_regions_are_solved_in_parts() {
    let (book, rules) = example_bank();
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let without = apportion::assign(&book, &rules, &options).unwrap();
    let shipped = load::read_groups(&example("data/groups.csv"), &LoadOptions::default()).unwrap();
    let parent_of = |id: &apportion::GroupId| {
        let group = shipped.iter().find(|g| &g.id == id);
        group.and_then(|g| g.parent.clone())
    };
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    // A line and its national desk get its regional desks' caps together.
    let mut csv = String::from("id,parent,capacity,target\n");
    for line in shipped.iter().filter(|g| g.parent.is_none()) {
        let desks = shipped
            .iter()
            .filter(|g| g.parent.as_ref() == Some(&line.id));
        let cap: u32 = desks.filter_map(|g| g.capacity).sum();
        let target = number(line.target);
        csv += &format!("{0},,{cap},{target}\n{0}-national,{0},{cap},\n", line.id);
    }
    for team in &shipped {
        if let Some(line) = team.parent.as_ref().and_then(parent_of) {
            let (cap, target) = (number(team.capacity), number(team.target));
            csv += &format!("{},{line}-national,{cap},{target}\n", team.id);
        }
    }
    let book = book
        .with_groups(groups(&csv).unwrap(), "groups.csv")
        .unwrap();
    let plan = apportion::assign(&book, &rules, &options).unwrap();
    assert_eq!(plan.stats.assigned, 3_000);
    assert!(plan.network.joined_by_links);
    assert_eq!(plan.network.parts, without.network.parts);
    let national = plan
        .groups
        .iter()
        .filter(|g| g.group.as_str().ends_with("-national"));
    assert_eq!(national.count(), 3);
    for group in &plan.groups {
        let within = group.capacity.is_none_or(|cap| group.load <= cap);
        assert!(within, "{}: {}", group.group, group.load);
    }
    let written = apportion::WrittenPlan::from(&plan);
    let verification = apportion::verify(&book, &rules, &options, &written).unwrap();
    assert!(verification.holds(), "{:?}", verification.discrepancies);
}

/// Lines kept only for their reports (no capacity, no target) cost the solve nothing: the
/// plan is the one with the desks as roots, found on a network of the same size (a line's
/// node would join the regions' independent parts into one, which took the lender 100k
/// × 1,000 1.7× longer), and the lines still report their desks' loads.
#[test]
fn groups_kept_for_their_reports_cost_the_solve_nothing() {
    let (book, rules) = example_bank();
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let shipped = load::read_groups(&example("data/groups.csv"), &LoadOptions::default()).unwrap();
    let is_line = |g: &apportion::ManagerGroup| g.parent.is_none();
    let reporting_lines: Vec<_> = shipped
        .iter()
        .cloned()
        .map(|g| apportion::ManagerGroup {
            target: if is_line(&g) { None } else { g.target },
            ..g
        })
        .collect();
    let desks_as_roots: Vec<_> = shipped
        .iter()
        .filter(|g| !is_line(g))
        .cloned()
        .map(|g| apportion::ManagerGroup {
            parent: g
                .parent
                .filter(|p| shipped.iter().any(|h| &h.id == p && !is_line(h))),
            ..g
        })
        .collect();
    let plan = |groups| {
        let book = book.clone().with_groups(groups, "groups.csv").unwrap();
        apportion::assign(&book, &rules, &options).unwrap()
    };
    let (with_lines, without) = (plan(reporting_lines), plan(desks_as_roots));
    assert_eq!(with_lines.objective, without.objective);
    assert_eq!(with_lines.network.nodes, without.network.nodes);
    for line in with_lines.groups.iter().filter(|g| g.parent.is_none()) {
        let desks: u32 = with_lines
            .groups
            .iter()
            .filter(|g| g.parent.as_ref() == Some(&line.group))
            .map(|g| g.load)
            .sum();
        assert_eq!((line.load, line.target), (desks, None), "{}", line.group);
    }
}

/// What one more customer costs manager `j` with `loads` (and loads of segment A), own,
/// segment A's (for a customer of A) and groups' balance steps less the affinity, or `None` without room there (full, at the cap
/// for segment A, or in a full group).
fn marginal(
    instance: &Instance,
    (loads, a_loads): (&[u32], &[u32]),
    person: usize,
    j: usize,
) -> Option<i64> {
    let step = |load: u32, target: u32| {
        let target = i64::from(target.max(1));
        instance.balance * ((1000 * (i64::from(load) + 1) + target - 1) / target)
    };
    let (capacity, cap_a) = instance.staff[j];
    let capped = instance.people[person].2 && cap_a.is_some_and(|c| a_loads[j] >= c);
    if loads[j] >= capacity || capped {
        return None;
    }
    let mut cost = step(loads[j], capacity) - instance.affinity(person, j);
    if instance.people[person].2 {
        cost += instance.a_target(j).map_or(0, |t| step(a_loads[j], t));
    }
    for g in instance.chain(j) {
        let (_, group_capacity, target) = instance.groups[g];
        let load: u32 = (0..instance.staff.len())
            .filter(|&k| instance.chain(k).contains(&g))
            .map(|k| loads[k])
            .sum();
        if group_capacity.is_some_and(|c| load >= c) {
            return None;
        }
        cost += target.or(group_capacity).map_or(0, |t| step(load, t));
    }
    Some(cost)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Leads routed one by one, none in the book before: each goes to the manager whose own
    /// and groups' next balance steps less the affinity cost least (ties to the earliest),
    /// never into a full group; a lead with nowhere to go names the full groups. Every third
    /// lead first releases the last one placed, whose manager and groups then cost less.
    #[test]
    fn leads_route_within_their_groups_at_the_least_marginal_cost(instance in instance()) {
        // Leads have no manager yet, so no bonus for one.
        let instance = Instance { stay_bonus: false, ..instance };
        let rules = Rulebook::compile(instance.rules()).unwrap();
        // The book knows the model's scores of even leads; odd leads bring their own.
        let book = instance.book();
        let even = instance
            .scores
            .iter()
            .filter(|&&(person, ..)| person % 2 == 0)
            .map(|&(person, j, score)| apportion::PairScore {
                customer: format!("C-{person}").as_str().into(),
                manager: format!("M-{j}").as_str().into(),
                score: apportion::Value::Int(score),
                line: None,
            })
            .collect();
        let mut book = apportion::Book { scores: Default::default(), ..book }
            .with_scores(even, "scores")
            .unwrap();
        let leads = std::mem::take(&mut book.customers.records);
        let options = RouterOptions {
            policy: apportion::Policy { balance: instance.balance, ..apportion::Policy::default() },
            ..RouterOptions::new(date("2026-06-30"))
        };
        let router = Router::new(&rules, &book, options).unwrap();
        let mut loads = vec![0u32; instance.staff.len()];
        let mut a_loads = vec![0u32; instance.staff.len()];
        let mut last_placed: Option<(apportion::CustomerId, usize, bool)> = None;
        for (person, mut lead) in leads.into_iter().enumerate() {
            lead.manager = None;
            if person % 3 == 2
                && let Some((id, j, in_a)) = last_placed.take()
            {
                let released = router.release(&id).unwrap();
                prop_assert_eq!(released.as_str(), format!("M-{j}"));
                loads[j] -= 1;
                a_loads[j] -= u32::from(in_a);
            }
            let own: Vec<(apportion::ManagerId, apportion::Value)> = instance
                .scores
                .iter()
                .filter(|&&(p, ..)| p == person && person % 2 == 1)
                .map(|&(_, j, score)| (format!("M-{j}").as_str().into(), apportion::Value::Int(score)))
                .collect();
            let decision = router.route_scored(&lead, &own).unwrap();
            let costs: Vec<Option<i64>> = (0..instance.staff.len())
                .map(|j| {
                    let room = (loads.as_slice(), a_loads.as_slice());
                    instance.eligible(person, j).then(|| marginal(&instance, room, person, j)).flatten()
                })
                .collect();
            let best = costs.iter().enumerate().filter_map(|(j, c)| Some(((*c)?, j))).min();
            let chosen = decision.manager.as_ref().map(|m| m.as_str()[2..].parse::<usize>().unwrap());
            prop_assert_eq!(chosen, best.map(|(_, j)| j));
            match chosen {
                Some(j) => {
                    prop_assert_eq!(decision.basis, Basis::Marginal);
                    loads[j] += 1;
                    a_loads[j] += u32::from(instance.people[person].2);
                    last_placed = Some((lead.id.clone(), j, instance.people[person].2));
                }
                None => {
                    for skipped in decision.skipped.iter() {
                        if let Skip::GroupFull { group } = &skipped.why {
                            let j: usize = skipped.manager.as_str()[2..].parse().unwrap();
                            let g: usize = group[2..].parse().unwrap();
                            prop_assert!(instance.chain(j).contains(&g));
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_manager_joining_a_live_book_counts_in_their_group() {
    let rules = Rulebook::compile("fn eligible(c, m) { true }").unwrap();
    let book = organised("id,capacity,group\nM-1,5,T-1\n", "id,capacity\nT-1,2\n").unwrap();
    let router = Router::new(&rules, &book, RouterOptions::new(date("2026-06-30"))).unwrap();
    let joiner = |csv: &str| managers(csv).records.remove(0);
    router
        .join(joiner("id,capacity,group\nM-2,5,T-1\n"))
        .unwrap();
    let lead = |id: &str| apportion::Customer {
        id: id.into(),
        manager: None,
        attributes: Vec::new(),
    };
    // T-1 takes two between its two managers, then no one: the joiner counts in it.
    let placed: Vec<_> = ["L-1", "L-2", "L-3"]
        .iter()
        .map(|id| {
            router
                .route(&lead(id))
                .unwrap()
                .manager
                .map(|m| m.to_string())
        })
        .collect();
    assert_eq!(placed, [Some("M-1".into()), Some("M-2".into()), None]);
    // A joiner naming a group the book does not have is refused.
    let stranger = load::parse_managers(
        b"id,capacity,group\nM-3,5,T-9\n",
        Format::Csv,
        "joiner",
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        router.join(stranger.records[0].clone()).unwrap_err().code(),
        "unknown_group"
    );
}

/// A book of `customers_csv`, and two managers with room for five, M-1 in team T-1 and M-2
/// in T-2, the teams as `groups_csv` says.
fn two_teams(customers_csv: &[u8], groups_csv: &str) -> apportion::Book {
    let options = LoadOptions::default();
    let customers = load::parse_customers(customers_csv, Format::Csv, "customers", &options);
    let staff = managers("id,capacity,group\nM-1,5,T-1\nM-2,5,T-2\n");
    let book = apportion::Book::new(customers.unwrap(), staff);
    book.with_groups(groups(groups_csv).unwrap(), "groups.csv")
        .unwrap()
}

#[test]
fn leads_never_break_a_groups_cap_for_their_segment() {
    let rules = Rulebook::compile("fn eligible(c, m) { true }").unwrap();
    let book = two_teams(
        b"id,segment\nC-1,MASS\n",
        "id,segment_caps\nT-1,HNW=1\nT-2,HNW=1\n",
    );
    let router = Router::new(&rules, &book, RouterOptions::new(date("2026-06-30"))).unwrap();
    let lead = |id: &str, segment: &str| apportion::Customer {
        id: id.into(),
        manager: None,
        attributes: vec![apportion::Value::Str(segment.into())],
    };
    // One HNW lead per team, then none: the third is left out, naming the teams' caps.
    let placed: Vec<_> = ["L-1", "L-2", "L-3"]
        .iter()
        .map(|id| router.route(&lead(id, "HNW")).unwrap())
        .collect();
    let managers: Vec<_> = placed.iter().map(|d| d.manager.clone()).collect();
    assert_eq!(managers, [Some("M-1".into()), Some("M-2".into()), None]);
    assert_eq!(
        placed[2].reason,
        Some(apportion::UnassignedReason::CapacityExhausted {
            managers: Vec::new(),
            segments: Vec::new(),
            groups: Vec::new(),
            group_segments: vec![
                ("T-1".into(), "HNW".to_owned()),
                ("T-2".into(), "HNW".to_owned()),
            ],
        })
    );
    // Customers of other segments still find room.
    let other = router.route(&lead("L-4", "MASS")).unwrap();
    assert!(other.manager.is_some());
}

#[test]
fn the_network_comes_with_the_groups_segment_limits_as_side_constraints() {
    let (book, rules) = example_bank();
    let groups = load::read_groups(&example("data/groups.csv"), &LoadOptions::default()).unwrap();
    let minimums: Vec<(String, u32)> = (groups.iter())
        .filter_map(|g| Some((g.id.to_string(), *g.segment_minimums.get("HNW")?)))
        .collect();
    let book = book.with_groups(groups, "groups.csv").unwrap();
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let (network, limits) = apportion::assignment_limits(&book, &rules, &options).unwrap();
    let listed: Vec<(String, u32)> = (limits.iter())
        .map(|l| (l.group.to_string(), l.minimum as u32))
        .collect();
    assert_eq!(listed, minimums);
    // Each limit sums the runs of its team's (manager, HNW) nodes: arcs of the network, with
    // room for the minimum, and no cap.
    for limit in &limits {
        assert_eq!((limit.segment.as_str(), limit.maximum), ("HNW", i64::MAX));
        let room: i64 = limit.arcs.iter().map(|&a| network.arc(a).2).sum();
        assert!(room >= limit.minimum, "{}", limit.group);
    }
}

/// The plan of `two_teams` where every customer would rather have `favourite`, and what
/// explain says of manager `at` for `customer` in it.
fn verdict_with_a_favourite(
    favourite: &str,
    (customers_csv, groups_csv): (&[u8], &str),
) -> (apportion::Plan, impl Fn(&str, &str) -> apportion::Verdict) {
    let affinity =
        format!("fn affinity(c, m) {{ if m.id == \"{favourite}\" {{ 50 }} else {{ 0 }} }}");
    let rules = Rulebook::compile(&format!("fn eligible(c, m) {{ true }}\n{affinity}")).unwrap();
    let book = two_teams(customers_csv, groups_csv);
    let options = apportion::AssignOptions::new(date("2026-06-30"));
    let plan = apportion::assign(&book, &rules, &options).unwrap();
    let explained = plan.clone();
    let verdict = move |customer: &str, at: &str| {
        let why = explained.explain(&book, &rules, customer).unwrap();
        let there = why.managers.iter().find(|o| o.manager.as_str() == at);
        there.unwrap().verdict.clone()
    };
    (plan, verdict)
}

#[test]
fn explain_names_a_group_at_its_cap_for_the_customers_segment() {
    let (plan, verdict) = verdict_with_a_favourite(
        "M-1",
        (
            b"id,segment\nC-1,HNW\nC-2,HNW\n",
            "id,segment_caps\nT-1,HNW=1\nT-2,\n",
        ),
    );
    // Both would rather have M-1, whose team takes one HNW customer: the other is at M-2, and
    // M-1 is no place for them while the team is at its cap.
    let at_m2 = plan
        .assignments
        .iter()
        .find(|a| a.manager.as_str() == "M-2")
        .unwrap();
    let m1 = verdict(at_m2.customer.as_str(), "M-1");
    assert!(
        matches!(&m1, apportion::Verdict::InGroupAtSegmentCap { group, segment, .. }
            if group == "T-1" && segment == "HNW"),
        "{m1:?}"
    );
}

#[test]
fn explain_names_a_group_the_customer_would_leave_below_its_minimum() {
    let (plan, verdict) = verdict_with_a_favourite(
        "M-2",
        (
            b"id,segment\nC-1,HNW\nC-2,HNW\nC-3,MASS\n",
            "id,segment_minimums\nT-1,HNW=2\nT-2,\n",
        ),
    );
    // The plan reports T-1's HNW load beside its minimum.
    let t1 = plan
        .groups
        .iter()
        .find(|g| g.group.as_str() == "T-1")
        .unwrap();
    let hnw = (t1.segments.get("HNW"), t1.segment_minimums.get("HNW"));
    assert_eq!(hnw, (Some(&2), Some(&2)));
    // Everyone would rather have M-2, but T-1 must keep both HNW customers: moving one to M-2
    // breaks the minimum, while the MASS customer is free to go.
    let verdict_at_m2 = |customer: &str| verdict(customer, "M-2");
    assert!(
        matches!(&verdict_at_m2("C-1"), apportion::Verdict::LeavesGroupAtSegmentMinimum { group, segment, .. }
            if group == "T-1" && segment == "HNW"),
        "{:?}",
        verdict_at_m2("C-1")
    );
    assert!(matches!(
        verdict_at_m2("C-3"),
        apportion::Verdict::Assigned { .. }
    ));
}
